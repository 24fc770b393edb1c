package bolt

import (
	"context"
	"path/filepath"
	"testing"
	"time"

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
