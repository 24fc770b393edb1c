package bolt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/simplexgo/services/xftp/internal/store"
	"github.com/simplexgo/services/xftp/internal/store/storetest"
)

func TestBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "xftp.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen: records survive closing and reopening the file.
func TestReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "xftp.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sid := []byte("0123456789abcdef")
	s.AddFile(ctx, store.File{SenderID: sid, Size: 1})
	s.AddRecipient(ctx, store.Recipient{ID: []byte("rcp"), SenderID: sid})
	s.SetUploaded(ctx, sid, "x")
	s.Close()
	s, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.File(ctx, sid)
	if err != nil || f.Path != "x" || len(f.Recipients) != 1 {
		t.Fatalf("%+v %v", f, err)
	}
}
