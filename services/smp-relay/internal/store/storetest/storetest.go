// Package storetest is the behaviour suite every store.Store backend runs.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// Run runs the suite; open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("QueueLifecycle", func(t *testing.T) { testQueueLifecycle(t, open(t)) })
	t.Run("Quota", func(t *testing.T) { testQuota(t, open(t)) })
	t.Run("AckMismatch", func(t *testing.T) { testAckMismatch(t, open(t)) })
	t.Run("Expiry", func(t *testing.T) { testExpiry(t, open(t)) })
	t.Run("ConcurrentWrites", func(t *testing.T) { testConcurrent(t, open(t)) })
}

func id() []byte { b := make([]byte, 24); rand.Read(b); return b }

func key(t *testing.T, a crypto.Algorithm) crypto.PublicKey {
	k, err := crypto.GenerateKey(a, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

// NewQueue makes a queue record with random ids and keys.
func NewQueue(t *testing.T) *store.Queue {
	return &store.Queue{
		RecipientID:  id(),
		SenderID:     id(),
		RecipientKey: key(t, crypto.Ed25519),
		RcvDhSecret:  id()[:24],
		CreatedAt:    time.Unix(1700000000, 0).UTC(),
	}
}

func msg(body string, ts time.Time) *store.Message {
	return &store.Message{ID: id(), Ts: ts, Flags: []byte("T"), Body: []byte(body)}
}

func testQueueLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	q := NewQueue(t)
	if err := s.CreateQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	dup := NewQueue(t)
	dup.SenderID = q.SenderID
	if err := s.CreateQueue(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate sender id: %v", err)
	}
	for _, p := range []struct {
		party store.IDParty
		id    []byte
	}{{store.Recipient, q.RecipientID}, {store.Sender, q.SenderID}} {
		got, err := s.GetQueue(ctx, p.party, p.id)
		if err != nil || !bytes.Equal(got.RecipientID, q.RecipientID) || !got.RecipientKey.Equal(q.RecipientKey) {
			t.Fatalf("get by %d: %v", p.party, err)
		}
	}
	if _, err := s.GetQueue(ctx, store.Recipient, id()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	sk := key(t, crypto.Ed25519)
	if err := s.SecureQueue(ctx, q.RecipientID, sk); err != nil {
		t.Fatal(err)
	}
	if err := s.SecureQueue(ctx, q.RecipientID, sk); err != nil {
		t.Fatalf("same key again: %v", err)
	}
	if err := s.SecureQueue(ctx, q.RecipientID, key(t, crypto.Ed25519)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("other key: %v", err)
	}
	n := &store.NotifierCreds{ID: id(), Key: key(t, crypto.Ed25519), DhSecret: id()}
	if err := s.SetNotifier(ctx, q.RecipientID, n); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetQueue(ctx, store.Notifier, n.ID)
	if err != nil || !got.SenderKey.Equal(sk) || got.Notifier == nil || !bytes.Equal(got.Notifier.DhSecret, n.DhSecret) {
		t.Fatalf("get by notifier: %v %+v", err, got)
	}
	if err := s.SetStatus(ctx, q.RecipientID, store.StatusBlocked, []byte("reason=spam")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetQueue(ctx, store.Recipient, q.RecipientID); got.Status != store.StatusBlocked || string(got.BlockInfo) != "reason=spam" {
		t.Fatalf("status %+v", got)
	}
	if err := s.DeleteNotifier(ctx, q.RecipientID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetQueue(ctx, store.Notifier, n.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted notifier: %v", err)
	}
	if _, err := s.WriteMessage(ctx, q.RecipientID, msg("a", time.Now()), 128); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats(ctx)
	if st.Queues != 1 || st.Messages != 1 {
		t.Fatalf("stats %+v", st)
	}
	if err := s.DeleteQueue(ctx, q.RecipientID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetQueue(ctx, store.Sender, q.SenderID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted queue by sender: %v", err)
	}
	if st, _ := s.Stats(ctx); st.Queues != 0 || st.Messages != 0 {
		t.Fatalf("stats after delete %+v", st)
	}
}

// testQuota: quota messages fit, the next write stores the marker, writes
// are refused until everything (marker included) is acknowledged.
func testQuota(t *testing.T, s store.Store) {
	ctx := context.Background()
	q := NewQueue(t)
	if err := s.CreateQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	const quota = 4
	now := time.Now()
	for i := range quota {
		res, err := s.WriteMessage(ctx, q.RecipientID, msg(fmt.Sprint(i), now), quota)
		if err != nil || !res.Stored || res.WasEmpty != (i == 0) {
			t.Fatalf("write %d: %+v %v", i, res, err)
		}
	}
	over := msg("over", now)
	if res, err := s.WriteMessage(ctx, q.RecipientID, over, quota); err != nil || res.Stored {
		t.Fatalf("over quota: %+v %v", res, err)
	}
	if res, _ := s.WriteMessage(ctx, q.RecipientID, msg("again", now), quota); res.Stored {
		t.Fatal("write after marker accepted")
	}
	if n, _ := s.QueueSize(ctx, q.RecipientID); n != quota+1 {
		t.Fatalf("size %d", n)
	}
	for i := range quota {
		m, _ := s.PeekMessage(ctx, q.RecipientID)
		if string(m.Body) != fmt.Sprint(i) {
			t.Fatalf("order: got %q", m.Body)
		}
		if ok, _, err := s.DeleteMessage(ctx, q.RecipientID, m.ID); !ok || err != nil {
			t.Fatalf("ack %d: %v", i, err)
		}
		// still refused while the marker is there
		if res, _ := s.WriteMessage(ctx, q.RecipientID, msg("x", now), quota); res.Stored {
			t.Fatal("write accepted before the queue emptied")
		}
	}
	m, _ := s.PeekMessage(ctx, q.RecipientID)
	if m == nil || !m.Quota || !bytes.Equal(m.ID, over.ID) {
		t.Fatalf("marker %+v", m)
	}
	if ok, next, _ := s.DeleteMessage(ctx, q.RecipientID, m.ID); !ok || next != nil {
		t.Fatal("ack marker")
	}
	if res, _ := s.WriteMessage(ctx, q.RecipientID, msg("after", now), quota); !res.Stored || !res.WasEmpty {
		t.Fatalf("write after recovery %+v", res)
	}
}

func testAckMismatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	q := NewQueue(t)
	s.CreateQueue(ctx, q)
	m1, m2 := msg("1", time.Now()), msg("2", time.Now())
	s.WriteMessage(ctx, q.RecipientID, m1, 128)
	s.WriteMessage(ctx, q.RecipientID, m2, 128)
	if ok, _, err := s.DeleteMessage(ctx, q.RecipientID, m2.ID); ok || err != nil {
		t.Fatalf("ack of non-first: %v %v", ok, err)
	}
	ok, next, err := s.DeleteMessage(ctx, q.RecipientID, nil) // empty id matches any
	if !ok || err != nil || next == nil || !bytes.Equal(next.ID, m2.ID) || string(next.Body) != "2" {
		t.Fatalf("ack any: %v %v %+v", ok, err, next)
	}
	if _, _, err := s.DeleteMessage(ctx, id(), nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown queue: %v", err)
	}
}

func testExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Unix(1700000000, 0)
	var qs []*store.Queue
	for range 3 {
		q := NewQueue(t)
		s.CreateQueue(ctx, q)
		qs = append(qs, q)
		for i := range 3 {
			s.WriteMessage(ctx, q.RecipientID, msg(fmt.Sprint(i), base.Add(time.Duration(i)*time.Hour)), 128)
		}
	}
	n, err := s.ExpireMessages(ctx, base.Add(90*time.Minute))
	if err != nil || n != 6 {
		t.Fatalf("expired %d %v", n, err)
	}
	for _, q := range qs {
		m, _ := s.PeekMessage(ctx, q.RecipientID)
		if m == nil || string(m.Body) != "2" {
			t.Fatalf("left %+v", m)
		}
		if size, _ := s.QueueSize(ctx, q.RecipientID); size != 1 {
			t.Fatalf("size %d", size)
		}
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	q := NewQueue(t)
	s.CreateQueue(ctx, q)
	var wg sync.WaitGroup
	const writers, each = 8, 20
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.WriteMessage(ctx, q.RecipientID, msg("m", time.Now()), 1000); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := s.QueueSize(ctx, q.RecipientID); n != writers*each {
		t.Fatalf("size %d", n)
	}
}
