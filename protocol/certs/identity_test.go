package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

func td(name string) string { return filepath.Join("testdata", name) }

// TestLoadServerIdentity loads the reference's Ed25519 fixtures and serves
// them over TLS on 127.0.0.1 to a client that checks the chain the way
// official clients do (VerifyChain with the address key hash).
func TestLoadServerIdentity(t *testing.T) {
	id, err := LoadServerIdentity(td("ed25519/ca.crt"), td("ed25519/server.crt"), td("ed25519/server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if encoding.B64URL(id.Fingerprint) != fpEd25519CA {
		t.Errorf("fingerprint %s", encoding.B64URL(id.Fingerprint))
	}
	if len(id.Chain) != 2 || len(id.TLS.Certificate) != 2 || id.LeafKey.Alg != crypto.Ed25519 {
		t.Fatalf("chain of %d, key %v", len(id.Chain), id.LeafKey.Alg)
	}
	// The leaf key signs the session key; the client verifies it with the
	// leaf certificate's key.
	sessKey, _ := crypto.GenerateKey(crypto.X25519, detRand(7))
	signed, err := crypto.SignKeyDER(id.LeafKey, sessKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	leafPub, err := crypto.ParsePublicKeyDER(id.TLS.Leaf.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := crypto.VerifySignedKeyDER(leafPub, signed); err != nil || !k.Equal(sessKey.Public()) {
		t.Fatalf("signed session key: %v", err)
	}

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{id.TLS}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.(*tls.Conn).Handshake()
	}()
	for _, tt := range []struct {
		name string
		hash []byte
		want error
	}{
		{"right key hash", id.Fingerprint, nil},
		{"wrong key hash", keyHash(t, fpEd448CA), ErrIdentity},
	} {
		conf := &tls.Config{
			InsecureSkipVerify: true, // replaced by VerifyPeerCertificate, as the reference does
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				return VerifyChain(raw, tt.hash)
			},
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), conf)
		if tt.want == nil {
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			c.Close()
			if err := <-done; err != nil {
				t.Fatalf("server handshake: %v", err)
			}
			go func() {
				c, err := ln.Accept()
				if err == nil {
					_ = c.(*tls.Conn).Handshake()
					c.Close()
				}
			}()
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
}

func TestLoadServerIdentityErrors(t *testing.T) {
	// Ed448 leaf: a valid identity that crypto/tls cannot serve.
	if _, err := LoadServerIdentity(td("ca.crt"), td("server.crt"), td("server.key")); !errors.Is(err, ErrTLSKey) {
		t.Errorf("Ed448 leaf: %v", err)
	}
	if _, err := LoadServerIdentity(td("ed25519/ca.crt"), td("ed25519/server.crt"), td("server.key")); !errors.Is(err, ErrLeafKeyMismatch) {
		t.Errorf("mismatched key: %v", err)
	}
	if _, err := LoadServerIdentity(td("ed25519/ca.crt"), td("ed25519/server.key"), td("ed25519/server.key")); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("key as certificate: %v", err)
	}
	if _, err := LoadServerIdentity(td("missing.crt"), td("ed25519/server.crt"), td("ed25519/server.key")); err == nil {
		t.Error("missing CA file")
	}
	if _, err := LoadServerIdentity(td("ed25519/ca.crt"), td("ed25519/server.crt"), td("ed25519/ca.crt")); !errors.Is(err, ErrNoKey) {
		t.Errorf("certificate as key: %v", err)
	}
	k, _ := ReadKeyFile(td("ed25519/server.key"))
	if _, err := NewServerIdentity([][]byte{readCert(t, "ed25519/server.crt")}, k, readCert(t, "ed25519/ca.crt")); err == nil {
		t.Error("chain of one accepted")
	}
	if _, err := NewServerIdentity([][]byte{{0x30, 0}, readCert(t, "ed25519/ca.crt")}, k, readCert(t, "ed25519/ca.crt")); !errors.Is(err, ErrCertificate) {
		t.Errorf("garbage leaf: %v", err)
	}
}
