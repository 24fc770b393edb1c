package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func rfc8032Keys(t testing.TB) map[Algorithm]PrivateKey {
	t.Helper()
	keys := map[Algorithm]PrivateKey{
		Ed25519: {Alg: Ed25519, Raw: unhex(t, rfc8032Ed25519Seed)},
		Ed448:   {Alg: Ed448, Raw: unhex(t, rfc8032Ed448Seed)},
	}
	if hex.EncodeToString(keys[Ed25519].Public().Raw) != rfc8032Ed25519Pub ||
		hex.EncodeToString(keys[Ed448].Public().Raw) != rfc8032Ed448Pub {
		t.Fatal("RFC 8032 public keys")
	}
	return keys
}

// TestSignKeyDERVectors pins the wrapped layout of CONFORMANCE-NOTES §2.6
// byte for byte, for both signature algorithms.
func TestSignKeyDERVectors(t *testing.T) {
	keys := rfc8032Keys(t)
	x := PublicKey{Alg: X25519, Raw: unhex(t, authPubA)}
	for alg, want := range map[Algorithm]string{Ed25519: signedKeyEd25519, Ed448: signedKeyEd448} {
		t.Run(alg.String(), func(t *testing.T) {
			got, err := SignKeyDER(keys[alg], x)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != want {
				t.Fatalf("SignKeyDER = %x\nwant %s", got, want)
			}
			k, err := VerifySignedKeyDER(keys[alg].Public(), got)
			if err != nil || !k.Equal(x) {
				t.Fatalf("VerifySignedKeyDER: %v", err)
			}
		})
	}
	// The notes' literal prefix for Ed25519: 30 78 30 2c SPKI ... 30 05 06
	// 03 2b 65 70 03 41 00 sig64, the signature over 30 2c ‖ SPKI.
	b := unhex(t, signedKeyEd25519)
	if !bytes.HasPrefix(b, append([]byte{0x30, 0x78, 0x30, 0x2c}, x.DER()...)) ||
		!bytes.Equal(b[48:58], []byte{0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x41, 0x00}) || len(b) != 122 {
		t.Fatalf("layout %x", b)
	}
	if !Verify(keys[Ed25519].Public(), b[2:48], b[58:]) {
		t.Fatal("signature does not cover SEQUENCE { SPKI }")
	}
}

func TestVerifySignedKeyDERRejects(t *testing.T) {
	keys := rfc8032Keys(t)
	good := unhex(t, signedKeyEd25519)
	x := PublicKey{Alg: X25519, Raw: unhex(t, authPubA)}
	sig := good[58:]
	algID := good[48:55]
	bitString := good[55:]
	spki := x.DER()
	// The bare SPKI form of xftp-web's hand-made vector (30 76 ‖ SPKI ‖ …).
	bare := append(append(append([]byte{0x30, 0x76}, spki...), algID...), bitString...)
	tests := []struct {
		name   string
		signer PublicKey
		der    []byte
		want   error
	}{
		{"bare SPKI", keys[Ed25519].Public(), bare, ErrSignedKey},
		{"trailing byte", keys[Ed25519].Public(), append(bytes.Clone(good), 0), ErrSignedKey},
		{"truncated", keys[Ed25519].Public(), good[:len(good)-1], ErrSignedKey},
		{"empty", keys[Ed25519].Public(), nil, ErrSignedKey},
		{"wrong signer", keys[Ed448].Public(), good, ErrSignature},
		{"other Ed25519 signer", PrivateKey{Alg: Ed25519, Raw: seq(0, 31)}.Public(), good, ErrSignature},
		{"flipped signature", keys[Ed25519].Public(), append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1), ErrSignature},
		{"unused bits", keys[Ed25519].Public(), append(append(bytes.Clone(good[:57]), 0x01), sig...), ErrSignedKey},
		{"algorithm with NULL", keys[Ed25519].Public(), append(append([]byte{0x30, 0x7a}, good[2:48]...), append([]byte{0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00}, bitString...)...), ErrSignedKey},
		{"unknown algorithm", keys[Ed25519].Public(), append(append(bytes.Clone(good[:48]), 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x72), bitString...), ErrSignedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := VerifySignedKeyDER(tt.signer, tt.der); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := SignKeyDER(PrivateKey{Alg: X25519, Raw: seq(1, 32)}, x); !errors.Is(err, ErrKeyAlg) {
		t.Errorf("X25519 signer: %v", err)
	}
	if _, err := SignKeyDER(keys[Ed25519], PublicKey{}); !errors.Is(err, ErrKeyAlg) {
		t.Errorf("zero key: %v", err)
	}
	// Any algorithm of key may be signed; the handshake checks for X25519.
	k, err := SignKeyDER(keys[Ed448], keys[Ed25519].Public())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := VerifySignedKeyDER(keys[Ed448].Public(), k); err != nil || got.Alg != Ed25519 {
		t.Errorf("Ed25519 key signed with Ed448: %v %v", got.Alg, err)
	}
}

// FuzzVerifySignedKeyDER checks the strict parser: whatever it accepts
// re-encodes to the same bytes; whatever verifies re-signs to the same
// bytes (both signature schemes are deterministic).
func FuzzVerifySignedKeyDER(f *testing.F) {
	keys := rfc8032Keys(f)
	addSeeds(f, "FuzzVerifySignedKeyDER")
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := parseSignedKeyDER(der)
		if err != nil {
			if !errors.Is(err, ErrSignedKey) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := s.encode()
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("re-encode differs: %x %v", again, err)
		}
		for _, k := range keys {
			key, err := VerifySignedKeyDER(k.Public(), der)
			if err != nil {
				continue
			}
			if re, err := SignKeyDER(k, key); err != nil || !bytes.Equal(re, der) {
				t.Fatalf("verified but re-signs differently")
			}
		}
	})
}
