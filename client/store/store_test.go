package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/simplexgo/client/agent"
	bolt "go.etcd.io/bbolt"
)

var testKDF = KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.db")
	s, err := Open(path, []byte("secret"), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("a", []byte(`{"ratchet":"very secret state"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("b", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("zz"); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("very secret")) || bytes.Contains(raw, []byte("second")) {
		t.Fatal("plaintext in the file")
	}
	if _, err := Open(path, []byte("wrong"), testKDF); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	s, err = Open(path, []byte("secret"), KDFParams{}) // stored parameters win
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids, _ := s.List()
	if len(ids) != 2 || ids[0] != "a" || ids[1] != "b" {
		t.Fatalf("ids %v", ids)
	}
	got, err := s.Get("a")
	if err != nil || string(got) != `{"ratchet":"very secret state"}` {
		t.Fatalf("get: %q %v", got, err)
	}
	// a record moved under another id does not open
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConns)
		return b.Put([]byte("b"), bytes.Clone(b.Get([]byte("a"))))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("b"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("moved record: %v", err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
}
