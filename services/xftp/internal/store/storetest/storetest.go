// Package storetest is the behaviour suite every store.Store backend must
// pass.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/simplexgo/services/xftp/internal/store"
)

// Run runs the suite; open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	id := func(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }
	newFile := func(t *testing.T, s store.Store, sid byte, created int64) store.File {
		t.Helper()
		f := store.File{SenderID: id(sid), SndKey: []byte("sndkey"), Size: 65536, Digest: []byte("digest"), CreatedAt: created}
		if err := s.AddFile(ctx, f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Run("files and recipients", func(t *testing.T) {
		s := open(t)
		newFile(t, s, 1, 100)
		if err := s.AddFile(ctx, store.File{SenderID: id(1)}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate file: %v", err)
		}
		for _, r := range []byte{10, 11} {
			if err := s.AddRecipient(ctx, store.Recipient{ID: id(r), SenderID: id(1), Key: []byte{r}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddRecipient(ctx, store.Recipient{ID: id(10), SenderID: id(1)}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate recipient: %v", err)
		}
		if err := s.AddRecipient(ctx, store.Recipient{ID: id(1), SenderID: id(1)}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("recipient id equal to a sender id: %v", err)
		}
		if err := s.AddRecipient(ctx, store.Recipient{ID: id(12), SenderID: id(2)}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("recipient of a missing file: %v", err)
		}
		f, err := s.File(ctx, id(1))
		if err != nil || len(f.Recipients) != 2 || f.Size != 65536 || string(f.SndKey) != "sndkey" || f.CreatedAt != 100 {
			t.Fatalf("%+v %v", f, err)
		}
		rc, f2, err := s.Recipient(ctx, id(11))
		if err != nil || !bytes.Equal(rc.SenderID, id(1)) || !bytes.Equal(rc.Key, []byte{11}) || !bytes.Equal(f2.SenderID, id(1)) {
			t.Fatalf("%+v %v", rc, err)
		}
		if err := s.DeleteRecipient(ctx, id(11)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Recipient(ctx, id(11)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted recipient: %v", err)
		}
		if err := s.DeleteRecipient(ctx, id(11)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		d, err := s.DeleteFile(ctx, id(1))
		if err != nil || len(d.Recipients) != 1 {
			t.Fatalf("%+v %v", d, err)
		}
		if _, _, err := s.Recipient(ctx, id(10)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("recipient of deleted file: %v", err)
		}
		if _, err := s.DeleteFile(ctx, id(1)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
	t.Run("upload and block", func(t *testing.T) {
		s := open(t)
		newFile(t, s, 1, 100)
		newFile(t, s, 2, 100)
		if err := s.SetUploaded(ctx, id(1), "p1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUploaded(ctx, id(1), "p2"); !errors.Is(err, store.ErrUploaded) {
			t.Fatalf("second upload: %v", err)
		}
		if err := s.SetUploaded(ctx, id(3), "p"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("upload of missing file: %v", err)
		}
		st, err := s.Stats(ctx)
		if err != nil || st.Files != 2 || st.Uploaded != 1 || st.UsedBytes != 65536 {
			t.Fatalf("%+v %v", st, err)
		}
		var paths []string
		s.Uploaded(ctx, func(_ []byte, p string, _ uint32) error { paths = append(paths, p); return nil })
		if len(paths) != 1 || paths[0] != "p1" {
			t.Fatalf("%v", paths)
		}
		ttl := int64(5)
		before, err := s.Block(ctx, id(1), store.Blocking{Reason: "content", Notice: true, NoticeTTL: &ttl})
		if err != nil || before.Path != "p1" {
			t.Fatalf("%+v %v", before, err)
		}
		f, _ := s.File(ctx, id(1))
		if f.Blocked == nil || f.Blocked.Reason != "content" || *f.Blocked.NoticeTTL != 5 || f.Path != "" {
			t.Fatalf("%+v", f)
		}
		s.Block(ctx, id(2), store.Blocking{Reason: "spam"})
		if err := s.SetUploaded(ctx, id(2), "p"); !errors.Is(err, store.ErrBlocked) {
			t.Fatalf("upload of blocked file: %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		s := open(t)
		for i := byte(1); i <= 5; i++ {
			newFile(t, s, i, int64(i)*100)
		}
		fs, err := s.Expired(ctx, 300, 10)
		if err != nil || len(fs) != 2 || !bytes.Equal(fs[0].SenderID, id(1)) || !bytes.Equal(fs[1].SenderID, id(2)) {
			t.Fatalf("%v %v", fs, err)
		}
		if fs, _ := s.Expired(ctx, 1000, 3); len(fs) != 3 {
			t.Fatalf("limit: %d", len(fs))
		}
		s.DeleteFile(ctx, id(1))
		if fs, _ := s.Expired(ctx, 300, 10); len(fs) != 1 {
			t.Fatalf("after delete: %d", len(fs))
		}
	})
}
