package bolt

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/simplexgo/services/smp-relay/internal/store"
	"github.com/simplexgo/services/smp-relay/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	s, err := Open(filepath.Join(t.TempDir(), "smp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSuite(t *testing.T) { storetest.Run(t, open) }

// TestReopen: what was written is there after closing and reopening the
// file, quota state included.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "smp.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := storetest.NewQueue(t)
	s.CreateQueue(ctx, q)
	m := &store.Message{ID: []byte("0123456789abcdef01234567"), Ts: time.Unix(1700000001, 0).UTC(), Flags: []byte("F"), Body: []byte("hello")}
	if _, err := s.WriteMessage(ctx, q.RecipientID, m, 128); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.PeekMessage(ctx, q.RecipientID)
	if err != nil || string(got.Body) != "hello" || !got.Ts.Equal(m.Ts) || string(got.Flags) != "F" {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if st, _ := s.Stats(ctx); st.Queues != 1 || st.Messages != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte{recordVersion, 0, 0})
	r := &record{canWrite: true}
	r.q.RecipientID = []byte("r")
	if v, err := encodeRecord(r); err == nil {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		if _, err := encodeRecord(r); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

// TestMessageForms: small records, large ones in buckets of their own, and
// large records stored as plain values (as earlier builds wrote them) are
// peeked, acknowledged and expired alike, in order.
func TestMessageForms(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "smp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	q := storetest.NewQueue(t)
	if err := s.CreateQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0).UTC()
	msgs := []*store.Message{
		{ID: []byte("small-0"), Ts: ts, Flags: []byte("F"), Body: []byte("hi")},
		{ID: []byte("large-1"), Ts: ts, Flags: []byte("T"), Body: bytes.Repeat([]byte("L"), 8000)},
		{ID: []byte("legacy-2"), Ts: ts.Add(time.Hour), Flags: []byte("F"), Body: bytes.Repeat([]byte("P"), 8000)},
		{ID: []byte("large-3"), Ts: ts.Add(2 * time.Hour), Flags: []byte("F"), Body: bytes.Repeat([]byte("Q"), largeMessage)},
	}
	for _, m := range msgs {
		if _, err := s.WriteMessage(ctx, q.RecipientID, m, 128); err != nil {
			t.Fatal(err)
		}
	}
	// Rewrite message 2 as a plain value, the earlier layout.
	err = s.db.Update(func(tx *bbolt.Tx) error {
		mb := tx.Bucket(bMsgs).Bucket(q.RecipientID)
		k := seqKey(2)
		if mb.Bucket(k) == nil {
			return errors.New("large message not in a bucket")
		}
		if err := mb.DeleteBucket(k); err != nil {
			return err
		}
		v, err := appendMessage(nil, msgs[2])
		if err != nil {
			return err
		}
		if mb.Bucket(seqKey(0)) != nil || mb.Get(seqKey(0)) == nil {
			return errors.New("small message not a plain value")
		}
		return mb.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(want *store.Message) {
		t.Helper()
		got, err := s.PeekMessage(ctx, q.RecipientID)
		if err != nil || got == nil || !bytes.Equal(got.ID, want.ID) || !bytes.Equal(got.Body, want.Body) || !bytes.Equal(got.Flags, want.Flags) {
			t.Fatalf("peek: %v, want %s", err, want.ID)
		}
	}
	check(msgs[0])
	for i := 0; i < 2; i++ {
		deleted, next, err := s.DeleteMessage(ctx, q.RecipientID, msgs[i].ID)
		if err != nil || !deleted || next == nil || !bytes.Equal(next.ID, msgs[i+1].ID) || !bytes.Equal(next.Body, msgs[i+1].Body) {
			t.Fatalf("ack %d: %v %v", i, deleted, err)
		}
	}
	// Expire the legacy value; the last one stays.
	if n, err := s.ExpireMessages(ctx, ts.Add(90*time.Minute)); err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	check(msgs[3])
	if n, _ := s.QueueSize(ctx, q.RecipientID); n != 1 {
		t.Fatalf("queue size %d", n)
	}
	if err := s.DeleteQueue(ctx, q.RecipientID); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Messages != 0 || st.Queues != 0 {
		t.Fatalf("stats %+v", st)
	}
}
