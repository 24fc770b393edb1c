package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"testing"
)

// TestPublicKeyDERMatchesStdlib checks the SPKI encoding against Go's
// x509 marshaller (RFC 8410), which is what crypton-x509 also writes.
func TestPublicKeyDERMatchesStdlib(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	want, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	k := PublicKey{Alg: Ed25519, Raw: pub}
	if !bytes.Equal(k.DER(), want) {
		t.Fatalf("DER %x, want %x", k.DER(), want)
	}
	wantPriv, _ := x509.MarshalPKCS8PrivateKey(priv)
	pk := PrivateKey{Alg: Ed25519, Raw: priv.Seed()}
	if !bytes.Equal(pk.DER(), wantPriv) {
		t.Fatalf("private DER %x, want %x", pk.DER(), wantPriv)
	}
}

// TestKeyDERVectors pins the DER sizes the conformance notes give
// (CONFORMANCE-NOTES §0: Ed25519 and X25519 SPKI are 44 bytes, Ed448 69) and
// the prefixes of RFC 8410.
func TestKeyDERVectors(t *testing.T) {
	tests := []struct {
		alg     Algorithm
		pubLen  int
		prefix  string
		prvLen  int
		prvPref string
	}{
		{Ed25519, 44, "302a300506032b6570032100", 48, "302e020100300506032b657004220420"},
		{X25519, 44, "302a300506032b656e032100", 48, "302e020100300506032b656e04220420"},
		{Ed448, 69, "3043300506032b6571033a00", 73, "3047020100300506032b6571043b0439"},
		{X448, 68, "3042300506032b656f033900", 72, "3046020100300506032b656f043a0438"},
	}
	for _, tt := range tests {
		t.Run(tt.alg.String(), func(t *testing.T) {
			k, err := GenerateKey(tt.alg, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			der := k.Public().DER()
			if len(der) != tt.pubLen || hex.EncodeToString(der[:len(der)-len(k.Public().Raw)]) != tt.prefix {
				t.Errorf("public DER %x", der)
			}
			pder := k.DER()
			if len(pder) != tt.prvLen || hex.EncodeToString(pder[:len(pder)-len(k.Raw)]) != tt.prvPref {
				t.Errorf("private DER %x", pder)
			}
			back, err := ParsePublicKeyDER(der)
			if err != nil || !back.Equal(k.Public()) {
				t.Errorf("public round trip: %v", err)
			}
			pback, err := ParsePrivateKeyDER(pder)
			if err != nil || pback.Alg != tt.alg || !bytes.Equal(pback.Raw, k.Raw) {
				t.Errorf("private round trip: %v", err)
			}
		})
	}
}

func TestSignVerifyDH(t *testing.T) {
	for _, a := range []Algorithm{Ed25519, Ed448} {
		k, _ := GenerateKey(a, rand.Reader)
		sig, err := Sign(k, []byte("msg"))
		if err != nil {
			t.Fatal(err)
		}
		if !Verify(k.Public(), []byte("msg"), sig) {
			t.Errorf("%v: valid signature rejected", a)
		}
		if Verify(k.Public(), []byte("msh"), sig) {
			t.Errorf("%v: wrong message accepted", a)
		}
	}
	for _, a := range []Algorithm{X25519, X448} {
		k1, _ := GenerateKey(a, rand.Reader)
		k2, _ := GenerateKey(a, rand.Reader)
		s1, err1 := DH(k1, k2.Public())
		s2, err2 := DH(k2, k1.Public())
		if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) {
			t.Errorf("%v: DH mismatch %v %v", a, err1, err2)
		}
	}
	// A generated X25519 key keeps crypto/ecdh's key; the same scalar
	// without it (as parsed or stored) gives the same public key and DH.
	k1, _ := GenerateKey(X25519, rand.Reader)
	k3, _ := GenerateKey(X25519, rand.Reader)
	bare := PrivateKey{Alg: X25519, Raw: bytes.Clone(k1.Raw)}
	if k1.x25519 == nil || bare.x25519 != nil || !bytes.Equal(k1.Public().Raw, bare.Public().Raw) {
		t.Error("X25519 public key differs with and without the kept key")
	}
	s1, err1 := DH(k1, k3.Public())
	s2, err2 := DH(bare, k3.Public())
	if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) {
		t.Errorf("X25519 DH differs with and without the kept key: %v %v", err1, err2)
	}
	// A low-order point is refused either way.
	if _, err := DH(k1, PublicKey{Alg: X25519, Raw: make([]byte, 32)}); err == nil {
		t.Error("DH with the zero point accepted")
	}
	k2, _ := GenerateKey(X448, rand.Reader)
	if _, err := DH(k1, k2.Public()); err == nil {
		t.Error("DH across algorithms accepted")
	}
}

func FuzzParseKeyDER(f *testing.F) {
	addSeeds(f, "FuzzParseKeyDER")
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := ParsePublicKeyDER(b); err == nil && !bytes.Equal(k.DER(), b) {
			t.Fatalf("public re-encode differs")
		}
		if k, err := ParsePrivateKeyDER(b); err == nil && !bytes.Equal(k.DER(), b) {
			t.Fatalf("private re-encode differs")
		}
	})
}

// TestWithPublic checks that a key with its public half attached signs
// exactly as the bare seed does (Ed25519 signatures are deterministic) and
// reports the same public key, and that other algorithms ignore it.
func TestWithPublic(t *testing.T) {
	gen, err := GenerateKey(Ed25519, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if gen.ed25519 == nil {
		t.Fatal("GenerateKey did not keep the public half")
	}
	k, err := ParsePrivateKeyDER(gen.DER()) // the seed alone
	if err != nil || k.ed25519 != nil {
		t.Fatalf("parsed key: %v", err)
	}
	kp := k.WithPublic(k.Public())
	msg := []byte("NSUB signed by the notification server")
	want, _ := Sign(k, msg)
	got, err := Sign(kp, msg)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Sign with public half = %x, %v; want %x", got, err, want)
	}
	if !kp.Public().Equal(k.Public()) {
		t.Fatal("Public differs with the public half attached")
	}
	if !Verify(k.Public(), msg, got) {
		t.Fatal("signature does not verify")
	}
	if g, _ := Sign(gen, msg); !bytes.Equal(g, want) {
		t.Fatal("a generated key signs differently from its seed")
	}
	x, _ := GenerateKey(X25519, rand.Reader)
	if xp := x.WithPublic(x.Public()); xp.ed25519 != nil {
		t.Fatal("X25519 key got an Ed25519 expansion")
	}
	other, _ := GenerateKey(Ed448, rand.Reader)
	if kq := k.WithPublic(other.Public()); kq.ed25519 != nil {
		t.Fatal("Ed448 public key attached to an Ed25519 key")
	}
}

func BenchmarkSignEd25519(b *testing.B) {
	gen, _ := GenerateKey(Ed25519, rand.Reader)
	k, _ := ParsePrivateKeyDER(gen.DER()) // the seed alone
	msg := make([]byte, 100)
	b.Run("seed", func(b *testing.B) {
		for b.Loop() {
			Sign(k, msg)
		}
	})
	kp := k.WithPublic(k.Public())
	b.Run("with-public", func(b *testing.B) {
		for b.Loop() {
			Sign(kp, msg)
		}
	})
	pub := k.Public()
	sig, _ := Sign(k, msg)
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			Verify(pub, msg, sig)
		}
	})
}

// BenchmarkX25519Exchange is one side of an XFTP FGET key agreement: a
// fresh key, its public half for the peer, DH with the peer's key; "raw"
// is the same scalar without the key GenerateKey keeps.
func BenchmarkX25519Exchange(b *testing.B) {
	peer, _ := GenerateKey(X25519, rand.Reader)
	pub := peer.Public()
	b.Run("generated", func(b *testing.B) {
		for b.Loop() {
			k, _ := GenerateKey(X25519, rand.Reader)
			_ = k.Public()
			if _, err := DH(k, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			k := PrivateKey{Alg: X25519, Raw: make([]byte, 32)}
			rand.Read(k.Raw)
			_ = k.Public()
			if _, err := DH(k, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}
