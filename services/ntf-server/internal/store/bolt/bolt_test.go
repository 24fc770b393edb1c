package bolt

import (
	"path/filepath"
	"testing"

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
