package certs

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// CreateServerIdentity writes files that LoadServerIdentity accepts, with
// the fingerprint file matching the CA, and refuses to overwrite them.
func TestCreateServerIdentity(t *testing.T) {
	for _, alg := range []crypto.Algorithm{crypto.Ed25519, crypto.Ed448} {
		dir := t.TempDir()
		p := func(n string) string { return filepath.Join(dir, n) }
		f := IdentityFiles{CACert: p("ca.crt"), CAKey: p("ca.key"), ServerCert: p("server.crt"), ServerKey: p("server.key"), Fingerprint: p("fingerprint")}
		fp, err := CreateServerIdentity(f, alg, "test CA", "localhost", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, err := LoadServerIdentity(f.CACert, f.ServerCert, f.ServerKey)
		if err != nil {
			t.Fatal(err)
		}
		if string(id.Fingerprint) != string(fp) {
			t.Fatalf("%v: fingerprint differs", alg)
		}
		b, _ := os.ReadFile(f.Fingerprint)
		if strings.TrimSpace(string(b)) != encoding.B64URL(fp) {
			t.Fatalf("%v: fingerprint file %q", alg, b)
		}
		if err := VerifyChain(id.Chain, fp); err != nil {
			t.Fatalf("%v: chain: %v", alg, err)
		}
		if _, err := CreateServerIdentity(f, alg, "test CA", "localhost", rand.Reader); err == nil {
			t.Fatalf("%v: overwrote an existing identity", alg)
		}
	}
}

// TestNewEphemeralIdentity: the in-memory identity is one an official
// client accepts (the chain verifies against the key hash, which is the
// CA's SHA-256) and crypto/tls can serve (Ed25519 leaf).
func TestNewEphemeralIdentity(t *testing.T) {
	for _, alg := range []crypto.Algorithm{crypto.Ed25519, crypto.Ed448} {
		id, err := NewEphemeralIdentity(alg, "test CA", "127.0.0.1", rand.Reader)
		if err != nil {
			t.Fatalf("%v: %v", alg, err)
		}
		if len(id.Chain) != 2 || !bytes.Equal(id.Fingerprint, Fingerprint(id.Chain[1])) {
			t.Fatalf("%v: chain of %d, fingerprint %x", alg, len(id.Chain), id.Fingerprint)
		}
		if err := VerifyChain(id.Chain, id.Fingerprint); err != nil {
			t.Fatalf("%v: chain: %v", alg, err)
		}
		if id.LeafKey.Alg != crypto.Ed25519 || len(id.TLS.Certificate) != 2 {
			t.Fatalf("%v: leaf %v, TLS chain %d", alg, id.LeafKey.Alg, len(id.TLS.Certificate))
		}
	}
}
