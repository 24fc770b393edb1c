package crypto

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/encoding"
	"golang.org/x/crypto/nacl/box"
)

// TestBoxNaClKAT checks Box against NaCl's crypto_box known answer: the DH
// variant must be standard crypto_box [CONFORMANCE-NOTES §2.9].
func TestBoxNaClKAT(t *testing.T) {
	pub1, err := ecdh.X25519().NewPrivateKey(fill(32, 1))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := DH(PrivateKey{Alg: X25519, Raw: fill(32, 2)}, PublicKey{Alg: X25519, Raw: pub1.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	nonce := nonce24(fill(24, 4))
	got, err := Box(secret, nonce, fill(64, 3))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != naclBoxKAT {
		t.Fatalf("Box = %x\nwant %s", got, naclBoxKAT)
	}
	// The symmetric variant with the raw secret as key is the same function.
	if sb := SecretBox(key32(secret), nonce, fill(64, 3)); !bytes.Equal(sb, got) {
		t.Fatalf("SecretBox(raw secret) differs from Box")
	}
	// And both equal x/crypto's box after precomputation.
	var shared [32]byte
	box.Precompute(&shared, (*[32]byte)(pub1.PublicKey().Bytes()), (*[32]byte)(fill(32, 2)))
	if want := box.SealAfterPrecomputation(nil, fill(64, 3), &nonce, &shared); !bytes.Equal(want, got) {
		t.Fatalf("x/crypto box differs")
	}
	msg, err := OpenBox(secret, nonce, got)
	if err != nil || !bytes.Equal(msg, fill(64, 3)) {
		t.Fatalf("OpenBox: %x %v", msg, err)
	}
}

// TestSecretBoxVectors pins the symmetric variant, which is NOT standard
// secretbox(K) but secretbox(HSalsa20(K, 0)) [MC sbEncrypt, xSalsa20].
func TestSecretBoxVectors(t *testing.T) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	msg := []byte("hello NaCl secretbox")
	tests := []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{"padded 256", func() ([]byte, error) { return SecretBoxPadded(key, nonce, msg, 256) }, sbPadded256},
		{"box padded 256", func() ([]byte, error) { return BoxPadded(key[:], nonce, msg, 256) }, sbPadded256},
		{"box padded 256 appended", func() ([]byte, error) {
			b, err := AppendBoxPadded([]byte("prefix"), key[:], nonce, msg, 256)
			if err != nil || string(b[:6]) != "prefix" {
				return nil, err
			}
			return b[6:], nil
		}, sbPadded256},
		{"no pad", func() ([]byte, error) { return SecretBox(key, nonce, msg), nil }, sbNoPad},
		{"box no pad", func() ([]byte, error) { return Box(key[:], nonce, msg) }, sbNoPad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want {
				t.Fatalf("got %x\nwant %s", got, tt.want)
			}
		})
	}
	// Padded: 16-byte tag + 256 bytes.
	b := unhex(t, sbPadded256)
	if len(b) != 272 {
		t.Fatalf("padded box is %d bytes", len(b))
	}
	for _, open := range []func() ([]byte, error){
		func() ([]byte, error) { return OpenSecretBoxPadded(key, nonce, b) },
		func() ([]byte, error) { return OpenBoxPadded(key[:], nonce, b) },
	} {
		got, err := open()
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("open padded: %q %v", got, err)
		}
	}
}

func TestBoxErrors(t *testing.T) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	good := unhex(t, sbPadded256)
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, err := OpenSecretBox(key, nonce, bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	for _, n := range []int{0, 1, 15} {
		if _, err := OpenSecretBox(key, nonce, good[:n]); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	// A valid box of an empty message is just the tag.
	empty := SecretBox(key, nonce, nil)
	if m, err := OpenSecretBox(key, nonce, empty); len(empty) != TagSize || err != nil || len(m) != 0 {
		t.Errorf("empty box: %d %v", len(empty), err)
	}
	// A valid box whose plaintext is not padded fails unpadding.
	if _, err := OpenSecretBoxPadded(key, nonce, SecretBox(key, nonce, []byte{0xff})); !errors.Is(err, encoding.ErrPad) {
		t.Errorf("bad padding: %v", err)
	}
	for _, n := range []int{0, 31, 33, 56} {
		if _, err := Box(make([]byte, n), nonce, nil); !errors.Is(err, ErrSecretSize) {
			t.Errorf("secret of %d bytes: %v", n, err)
		}
		if _, err := OpenBox(make([]byte, n), nonce, good); !errors.Is(err, ErrSecretSize) {
			t.Errorf("open with secret of %d bytes: %v", n, err)
		}
		if _, err := BoxPadded(make([]byte, n), nonce, nil, 10); !errors.Is(err, ErrSecretSize) {
			t.Errorf("padded with secret of %d bytes: %v", n, err)
		}
		if _, err := OpenBoxPadded(make([]byte, n), nonce, good); !errors.Is(err, ErrSecretSize) {
			t.Errorf("open padded with secret of %d bytes: %v", n, err)
		}
	}
	if _, err := SecretBoxPadded(key, nonce, make([]byte, 10), 11); !errors.Is(err, encoding.ErrPad) {
		t.Errorf("oversized message: %v", err)
	}
}

// TestCbNonce follows [MC cbNonce]: truncate or zero-pad to 24 bytes.
func TestCbNonce(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{nil, make([]byte, 24)},
		{[]byte("abc"), append([]byte("abc"), make([]byte, 21)...)},
		{seq(0, 23), seq(0, 23)},
		{seq(0, 40), seq(0, 23)},
	}
	for _, tt := range tests {
		if got := CbNonce(tt.in); !bytes.Equal(got[:], tt.want) {
			t.Errorf("CbNonce(%x) = %x", tt.in, got)
		}
	}
	r := ReverseNonce(nonce24(seq(0, 23)))
	if r[0] != 23 || r[23] != 0 {
		t.Errorf("ReverseNonce = %x", r)
	}
}

func FuzzOpenBox(f *testing.F) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	addSeeds(f, "FuzzOpenBox")
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, err := OpenBox(key[:], nonce, b)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// Anything that opens must be exactly what sealing gives back.
		if again := SecretBox(key, nonce, msg); !bytes.Equal(again, b) {
			t.Fatalf("re-seal differs")
		}
		if p, err := OpenBoxPadded(key[:], nonce, b); err == nil {
			if again, err := BoxPadded(key[:], nonce, p, len(b)-TagSize); err == nil && len(again) != len(b) {
				t.Fatalf("re-pad length %d != %d", len(again), len(b))
			}
		}
	})
}
