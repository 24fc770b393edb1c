package server

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

// TestSpareDHKeys: dhKey hands out X25519 keys, spare ones once
// refillDHKeys has run, never the same key twice.
func TestSpareDHKeys(t *testing.T) {
	s := &Server{spareKeys: make(chan crypto.PrivateKey, spareDHKeys)}
	seen := map[string]bool{}
	take := func() {
		t.Helper()
		k, err := s.dhKey()
		if err != nil {
			t.Fatal(err)
		}
		if k.Alg != crypto.X25519 {
			t.Fatalf("key of %v", k.Alg)
		}
		pub := string(k.Public().DER())
		if seen[pub] {
			t.Fatal("a key was handed out twice")
		}
		seen[pub] = true
	}
	take() // none spare: generated
	s.refillDHKeys()
	if len(s.spareKeys) != spareDHKeys {
		t.Fatalf("%d spare keys after a refill, want %d", len(s.spareKeys), spareDHKeys)
	}
	for range spareDHKeys + 1 { // the spare ones, then a generated one
		take()
	}
	if len(s.spareKeys) != 0 {
		t.Fatalf("%d spare keys left", len(s.spareKeys))
	}
	// A spare key agrees the same secret as a generated one would.
	s.refillDHKeys()
	k, _ := s.dhKey()
	peer, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err1 := crypto.DH(k, peer.Public())
	b, err2 := crypto.DH(peer, k.Public())
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("DH with a spare key: %v %v", err1, err2)
	}
}
