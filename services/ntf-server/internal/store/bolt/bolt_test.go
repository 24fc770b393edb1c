package bolt

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"

	"github.com/simplexgo/services/ntf-server/internal/store"
	"github.com/simplexgo/services/ntf-server/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "ntf.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen checks that tokens and subscriptions survive a restart.
func TestReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ntf.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	tk := storetest.NewToken(t, []byte("tok-id-000000000000000000"), "aabb")
	if err := s.AddToken(tk); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetToken(tk.ID)
	if err != nil || !got.VerifyKey.Equal(tk.VerifyKey) {
		t.Fatalf("after reopen: %v %v", got, err)
	}
}

// TestJSONRecords checks that records written as JSON by earlier builds
// are still read, and that SetSubStatus converts a JSON subscription.
func TestJSONRecords(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ntf.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tk := storetest.NewToken(t, []byte("tok-id-000000000000000001"), "ccdd")
	nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	srv, err := address.ParseServer("smp://"+strings.Repeat("A", 43)+"@relay.example.com", address.SchemeSMP)
	if err != nil {
		t.Fatal(err)
	}
	sub := store.Subscription{ID: []byte("sub-id-000000000000000001"), TokenID: tk.ID, Server: srv,
		NotifierID: []byte("nid-000000000000000000001"), NotifierKey: nk, Status: ntf.SubStatus{Code: ntf.SubNew}}
	tj, _ := json.Marshal(tokenRec{ID: tk.ID, Provider: string(tk.Provider), DeviceToken: tk.DeviceToken,
		Status: tk.Status.String(), VerifyKey: tk.VerifyKey.DER(), DHPrivKey: tk.DHPrivKey.DER(),
		DHSecret: tk.DHSecret, RegCode: tk.RegCode, CronMinutes: 30, CreatedAt: 7})
	sj, _ := json.Marshal(subRec{ID: sub.ID, TokenID: sub.TokenID, Server: srv.String(), NotifierID: sub.NotifierID,
		NotifierKey: nk.DER(), Status: sub.Status.String()})
	err = s.db.Update(func(tx *bbolt.Tx) error {
		return errors.Join(
			tx.Bucket(bTokens).Put(tk.ID, tj),
			tx.Bucket(bSubs).Put(sub.ID, sj),
			tx.Bucket(bQueues).Put(queueKey(srv, sub.NotifierID), sub.ID),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	gt, err := s.GetToken(tk.ID)
	if err != nil || gt.CronMinutes != 30 || gt.CreatedAt != 7 || !gt.VerifyKey.Equal(tk.VerifyKey) || !bytes.Equal(gt.DHSecret, tk.DHSecret) {
		t.Fatalf("JSON token: %+v %v", gt, err)
	}
	gs, found, err := s.FindSubscription(srv, sub.NotifierID)
	if err != nil || !found || !bytes.Equal(gs.ID, sub.ID) || !bytes.Equal(gs.NotifierKey.DER(), nk.DER()) || gs.Status.Code != ntf.SubNew {
		t.Fatalf("JSON subscription: %+v %v %v", gs, found, err)
	}
	active := ntf.SubStatus{Code: ntf.SubActive}
	if n, err := s.SetSubStatus(srv, [][]byte{sub.NotifierID}, active); n != 1 || err != nil {
		t.Fatalf("SetSubStatus on a JSON record = %d, %v", n, err)
	}
	if n, err := s.SetSubStatus(srv, [][]byte{sub.NotifierID}, active); n != 0 || err != nil {
		t.Fatalf("SetSubStatus to the same status = %d, %v", n, err)
	}
	if err := s.flushStatuses(); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bSubs).Get(sub.ID); isJSON(v) {
			t.Error("subscription still JSON after a status change")
		}
		return nil
	})
	gs, err = s.GetSubscription(sub.ID)
	if err != nil || gs.Status.Code != ntf.SubActive {
		t.Fatalf("after SetSubStatus: %+v %v", gs, err)
	}
	// The converted record carries the public half: signing is unchanged.
	msg := []byte("NSUB")
	want, _ := crypto.Sign(nk, msg)
	if got, _ := crypto.Sign(gs.NotifierKey, msg); !bytes.Equal(got, want) {
		t.Fatal("stored notifier key signs differently")
	}
}

// FuzzDecodeRecords feeds arbitrary bytes to the record decoders: they
// fail cleanly, and a decoded record re-encodes to one that decodes equal.
func FuzzDecodeRecords(f *testing.F) {
	tk := storetest.NewToken(&testing.T{}, []byte("tok-id-000000000000000002"), "eeff")
	tb, _ := encodeToken(tk)
	nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	srv, _ := address.ParseServer("smp://"+strings.Repeat("A", 42)+"Q@a.example.com,b.example.onion:5223", address.SchemeSMP)
	sb, _ := encodeSub(store.Subscription{ID: []byte("s1"), TokenID: tk.ID, Server: srv, NotifierID: []byte("n1"),
		NotifierKey: nk, Status: ntf.SubStatus{Code: ntf.SubErr, Err: []byte("AUTH")}})
	lb, _ := encodeLastNtf(lastNtfRec{SubID: []byte("s1"), TS: 42, Nonce: make([]byte, 24), EncMeta: []byte("meta")})
	for _, b := range [][]byte{tb, sb, lb, {recV1}, {'{', '}'}, nil} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if tk, err := decodeToken(b); err == nil {
			e, err := encodeToken(tk)
			if err != nil {
				t.Fatal(err)
			}
			if tk2, err := decodeToken(e); err != nil || !bytes.Equal(tk2.ID, tk.ID) || tk2.Status != tk.Status {
				t.Fatalf("token re-decode: %v", err)
			}
		}
		if sub, err := decodeSub(b); err == nil {
			e, err := encodeSub(sub)
			if err != nil {
				t.Fatal(err)
			}
			if s2, err := decodeSub(e); err != nil || !bytes.Equal(s2.ID, sub.ID) || !s2.Server.Equal(sub.Server) {
				t.Fatalf("subscription re-decode: %v", err)
			}
			f, err := parseSubRecord(e)
			if err != nil {
				t.Fatalf("fields of an encoded record: %v", err)
			}
			if s3, err := decodeSub(withSubStatus(f.afterStatus, string(f.status))); err != nil || !bytes.Equal(s3.ID, sub.ID) {
				t.Fatalf("status splice: %v", err)
			}
		}
		if r, err := decodeLastNtf(b); err == nil {
			e, err := encodeLastNtf(r)
			if err != nil {
				t.Fatal(err)
			}
			if r2, err := decodeLastNtf(e); err != nil || r2.TS != r.TS || !bytes.Equal(r2.EncMeta, r.EncMeta) {
				t.Fatalf("last notification re-decode: %v", err)
			}
		}
	})
}

// TestLongSubStatus: a status longer than a Short field is refused as an
// error, and the stored record stays readable.
func TestLongSubStatus(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ntf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tk := storetest.NewToken(t, []byte("tok-id-000000000000000003"), "ab01")
	if err := s.AddToken(tk); err != nil {
		t.Fatal(err)
	}
	nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	srv, _ := address.ParseServer("smp://"+strings.Repeat("A", 42)+"E@relay.example.com", address.SchemeSMP)
	sub := store.Subscription{ID: []byte("sub-long"), TokenID: tk.ID, Server: srv, NotifierID: []byte("nid-long"),
		NotifierKey: nk, Status: ntf.SubStatus{Code: ntf.SubNew}}
	if err := s.AddSubscription(sub); err != nil {
		t.Fatal(err)
	}
	long := ntf.SubStatus{Code: ntf.SubErr, Err: bytes.Repeat([]byte("x"), 300)}
	if _, err := s.SetSubStatus(srv, [][]byte{sub.NotifierID}, long); err == nil {
		t.Fatal("a 300-byte status was stored")
	}
	got, err := s.GetSubscription(sub.ID)
	if err != nil || got.Status.Code != ntf.SubNew {
		t.Fatalf("after a refused status: %+v %v", got.Status, err)
	}
}

// TestStatusesWrittenBehind: a status is visible at once, reaches the file
// after the flush (the last of several), survives Close and reopening, and
// a subscription deleted before the flush is not brought back.
func TestStatusesWrittenBehind(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ntf.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	tk := storetest.NewToken(t, []byte("tok-id-000000000000000004"), "ab02")
	if err := s.AddToken(tk); err != nil {
		t.Fatal(err)
	}
	srv, _ := address.ParseServer("smp://"+strings.Repeat("A", 43)+"@relay.example.com", address.SchemeSMP)
	var subs []store.Subscription
	for i := range 3 {
		nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		sub := store.Subscription{ID: []byte{'s', byte(i)}, TokenID: tk.ID, Server: srv, NotifierID: []byte{'n', byte(i)},
			NotifierKey: nk, Status: ntf.SubStatus{Code: ntf.SubNew}}
		if err := s.AddSubscription(sub); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	nids := [][]byte{subs[0].NotifierID, subs[1].NotifierID, subs[2].NotifierID}
	onDisk := func(id []byte) ntf.SubStatusCode {
		var code ntf.SubStatusCode
		s.db.View(func(tx *bbolt.Tx) error {
			if v := tx.Bucket(bSubs).Get(id); v != nil {
				sub, _ := decodeSub(v)
				code = sub.Status.Code
			}
			return nil
		})
		return code
	}
	n1, err1 := s.SetSubStatus(srv, nids, ntf.SubStatus{Code: ntf.SubPending})
	n2, err2 := s.SetSubStatus(srv, nids, ntf.SubStatus{Code: ntf.SubActive})
	if n1+n2 != 6 || err1 != nil || err2 != nil {
		t.Fatalf("changed %d and %d (%v, %v), want 3 and 3", n1, n2, err1, err2)
	}
	if got, err := s.GetSubscription(subs[0].ID); err != nil || got.Status.Code != ntf.SubActive {
		t.Fatalf("status before the flush: %v %v", got.Status, err)
	}
	if _, err := s.DeleteSubscription(subs[2].ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for onDisk(subs[1].ID) != ntf.SubActive && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if onDisk(subs[1].ID) != ntf.SubActive {
		t.Fatal("status not written behind")
	}
	if _, err := s.GetSubscription(subs[2].ID); err == nil {
		t.Fatal("deleted subscription came back")
	}
	if _, err := s.SetSubStatus(srv, nids[:1], ntf.SubStatus{Code: ntf.SubInactive}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // writes the pending status
		t.Fatal(err)
	}
	s, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var seen int
	s.ForEachSubscription(func(sub store.Subscription) error {
		seen++
		if bytes.Equal(sub.ID, subs[0].ID) && sub.Status.Code != ntf.SubInactive {
			t.Errorf("after reopening: %v", sub.Status)
		}
		return nil
	})
	if seen != 2 {
		t.Fatalf("%d subscriptions after reopening, want 2", seen)
	}
}

// TestStatusFlushFailure: when the transaction writing statuses fails (here
// a corrupt record in the batch), nothing of the batch is written, the
// statuses stay visible and pending, and Close reports the failure of the
// final flush.
func TestStatusFlushFailure(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ntf.db"))
	if err != nil {
		t.Fatal(err)
	}
	tk := storetest.NewToken(t, []byte("tok-id-000000000000000005"), "ab03")
	if err := s.AddToken(tk); err != nil {
		t.Fatal(err)
	}
	srv, _ := address.ParseServer("smp://"+strings.Repeat("A", 43)+"@relay.example.com", address.SchemeSMP)
	for i := range 2 {
		nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		sub := store.Subscription{ID: []byte{'f', byte(i)}, TokenID: tk.ID, Server: srv, NotifierID: []byte{'m', byte(i)},
			NotifierKey: nk, Status: ntf.SubStatus{Code: ntf.SubNew}}
		if err := s.AddSubscription(sub); err != nil {
			t.Fatal(err)
		}
	}
	// Corrupt the second record behind the store's back, and queue both
	// statuses as SetSubStatus does, without waking the flusher, so that
	// the flush below is the only one.
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bSubs).Put([]byte{'f', 1}, []byte{0xff, 1, 2}) }); err != nil {
		t.Fatal(err)
	}
	s.st.mu.Lock()
	for _, id := range []string{"f\x00", "f\x01"} {
		s.st.pending[id] = ntf.SubStatus{Code: ntf.SubActive}.String()
	}
	s.st.mu.Unlock()
	if err := s.flushStatuses(); err == nil {
		t.Fatal("flush over a corrupt record succeeded")
	}
	if got, err := s.GetSubscription([]byte{'f', 0}); err != nil || got.Status.Code != ntf.SubActive {
		t.Fatalf("status after a failed flush: %+v %v", got.Status, err)
	}
	var onDisk []byte
	s.db.View(func(tx *bbolt.Tx) error {
		onDisk = bytes.Clone(tx.Bucket(bSubs).Get([]byte{'f', 0}))
		return nil
	})
	if f, err := parseSubRecord(onDisk); err != nil || string(f.status) == "ACTIVE" {
		t.Fatalf("a failed batch was partly written: %q %v", f.status, err)
	}
	s.st.mu.Lock()
	pending := len(s.st.pending) + len(s.st.flushing)
	s.st.mu.Unlock()
	if pending == 0 {
		t.Fatal("statuses of a failed flush dropped")
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "subscription statuses") {
		t.Fatalf("Close after a failed final flush: %v", err)
	}
}
