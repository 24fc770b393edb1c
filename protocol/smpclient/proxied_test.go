package smpclient

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
)

// TestRelayKey: what a sender accepts in PKEY [MC validateRelay]: exactly
// [leaf, CA], the CA's fingerprint is the address's key hash, and the
// leaf signed an X25519 key.
func TestRelayKey(t *testing.T) {
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "relay CA", "relay", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := certs.NewEphemeralIdentity(crypto.Ed25519, "other CA", "other", rand.Reader)
	dh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	signed, err := crypto.SignKeyDER(id.LeafKey, dh.Public())
	if err != nil {
		t.Fatal(err)
	}
	ed, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	signedEd, _ := crypto.SignKeyDER(id.LeafKey, ed.Public())
	signedByOther, _ := crypto.SignKeyDER(other.LeafKey, dh.Public())

	k, err := relayKey(id.Chain, signed, id.Fingerprint)
	if err != nil || !k.Equal(dh.Public()) {
		t.Fatalf("valid PKEY: %v", err)
	}
	for name, tc := range map[string]struct {
		chain      [][]byte
		signed, kh []byte
	}{
		"another server's key hash":  {id.Chain, signed, other.Fingerprint},
		"one certificate":            {id.Chain[:1], signed, id.Fingerprint},
		"three certificates":         {append(append([][]byte{}, id.Chain...), id.Chain[1]), signed, id.Fingerprint},
		"key signed by another leaf": {id.Chain, signedByOther, id.Fingerprint},
		"Ed25519 session key":        {id.Chain, signedEd, id.Fingerprint},
		"garbage leaf":               {[][]byte{{1, 2, 3}, id.Chain[1]}, signed, id.Fingerprint},
	} {
		if _, err := relayKey(tc.chain, tc.signed, tc.kh); !errors.Is(err, ErrProxiedRelay) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
