package crypto

import (
	"bytes"
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/nacl/secretbox"
)

// TestSealBoxMatchesXCrypto: sealBox and openBox are x/crypto's secretbox
// under the pre-keyed key, byte for byte, for lengths around the AVX2
// thresholds (256 bytes of Poly1305, 512 of keystream) and a 16 KB block.
func TestSealBoxMatchesXCrypto(t *testing.T) {
	var key [KeySize]byte
	var nonce [NonceSize]byte
	for _, n := range []int{0, 1, 15, 16, 31, 32, 33, 63, 64, 255, 256, 257, 479, 480, 511, 512, 513, 1000, 4096, 16368, 16384, 65536 + 7} {
		rand.Read(key[:])
		rand.Read(nonce[:])
		msg := make([]byte, n)
		rand.Read(msg)
		k := hsalsaZero(&key)
		want := secretbox.Seal([]byte("prefix"), msg, &nonce, &k)
		got := sealBox([]byte("prefix"), &key, &nonce, msg)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: sealBox differs from secretbox.Seal", n)
		}
		plain, ok := openBox([]byte("p"), &key, &nonce, got[6:])
		if !ok || !bytes.Equal(plain[1:], msg) || plain[0] != 'p' {
			t.Fatalf("%d bytes: openBox failed", n)
		}
		if n > 0 {
			bad := bytes.Clone(got[6:])
			bad[len(bad)-1] ^= 1
			if _, ok := openBox(nil, &key, &nonce, bad); ok {
				t.Fatalf("%d bytes: tampered box opened", n)
			}
		}
	}
	if _, ok := openBox(nil, &key, &nonce, make([]byte, TagSize-1)); ok {
		t.Fatal("short box opened")
	}
}

// FuzzSealBox: for any key, nonce and message, sealBox is secretbox.Seal
// and openBox agrees with secretbox.Open on any (possibly corrupted) box.
func FuzzSealBox(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 24), []byte("hello"), uint16(0))
	f.Add(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 24), make([]byte, 600), uint16(17))
	f.Fuzz(func(t *testing.T, keyB, nonceB, msg []byte, flip uint16) {
		var key [KeySize]byte
		var nonce [NonceSize]byte
		copy(key[:], keyB)
		copy(nonce[:], nonceB)
		k := hsalsaZero(&key)
		box := sealBox(nil, &key, &nonce, msg)
		if want := secretbox.Seal(nil, msg, &nonce, &k); !bytes.Equal(box, want) {
			t.Fatal("sealBox differs from secretbox.Seal")
		}
		if flip > 0 {
			box[int(flip)%len(box)] ^= byte(flip >> 8)
		}
		got, ok := openBox(nil, &key, &nonce, box)
		want, wantOK := secretbox.Open(nil, box, &nonce, &k)
		if ok != wantOK || !bytes.Equal(got, want) {
			t.Fatalf("openBox %v, secretbox.Open %v", ok, wantOK)
		}
	})
}

func BenchmarkSealBox16K(b *testing.B) {
	var key [KeySize]byte
	var nonce [NonceSize]byte
	msg := make([]byte, 16384-TagSize)
	dst := make([]byte, 0, 16384)
	b.SetBytes(int64(len(msg)))
	b.Run("x/crypto", func(b *testing.B) {
		for b.Loop() {
			k := hsalsaZero(&key)
			secretbox.Seal(dst[:0], msg, &nonce, &k)
		}
	})
	b.Run("sealBox", func(b *testing.B) {
		for b.Loop() {
			sealBox(dst[:0], &key, &nonce, msg)
		}
	})
}
