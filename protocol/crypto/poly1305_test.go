package crypto

import (
	"bytes"
	"math/rand/v2"
	"testing"

	//lint:ignore SA1019 the reference Poly1305 the fast path must reproduce.
	"golang.org/x/crypto/poly1305"
)

// TestPolyMACMatchesXCrypto: polyMAC (26-bit limbs, and the four-block
// path from polyX4Min bytes per Write) gives x/crypto's tag for random keys
// and messages of lengths around the block, group and polyX4Min sizes,
// written in one piece and in random pieces; Sum does not change the state.
func TestPolyMACMatchesXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	lengths := []int{0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 319, 320, 1000, 4096, 4097, 65536 + 13, 256 << 10}
	for trial := range 40 {
		var key [32]byte
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		if trial == 0 {
			for i := range key[:16] {
				key[i] = 0xff // the largest clamped r
			}
		}
		for _, n := range lengths {
			msg := make([]byte, n)
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			if trial == 1 {
				for i := range msg {
					msg[i] = 0xff // the largest limbs
				}
			}
			var want [16]byte
			poly1305.Sum(&want, msg, &key)
			m := newPolyMAC(&key)
			m.Write(msg)
			if got := m.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("trial %d, %d bytes in one Write: tag differs", trial, n)
			}
			m = newPolyMAC(&key)
			for rest := msg; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(700))
				m.Write(rest[:k])
				rest = rest[k:]
				if rng.IntN(4) == 0 {
					m.Sum(nil)
				}
			}
			if got := m.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("trial %d, %d bytes in pieces: tag differs", trial, n)
			}
		}
	}
}

// BenchmarkPoly1305 compares polyMAC and x/crypto on 32 KB writes.
func BenchmarkPoly1305(b *testing.B) {
	var key [32]byte
	buf := make([]byte, 32<<10)
	b.Run("polyMAC", func(b *testing.B) {
		m := newPolyMAC(&key)
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			m.Write(buf)
		}
	})
	b.Run("xcrypto", func(b *testing.B) {
		m := poly1305.New(&key)
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			m.Write(buf)
		}
	})
}

// FuzzPolyMAC: for any key, message and split point, polyMAC's tag is
// x/crypto's.
func FuzzPolyMAC(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 300), uint16(17))
	f.Add(make([]byte, 32), make([]byte, 1000), uint16(0))
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte("hello"), uint16(3))
	f.Fuzz(func(t *testing.T, k, msg []byte, split uint16) {
		if len(msg) > 64<<10 {
			msg = msg[:64<<10] // long enough for every path; keeps executions fast
		}
		var key [32]byte
		copy(key[:], k)
		var want [16]byte
		poly1305.Sum(&want, msg, &key)
		s := min(int(split), len(msg))
		m := newPolyMAC(&key)
		m.Write(msg[:s])
		m.Write(msg[s:])
		if got := m.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("tag %x, want %x", got, want)
		}
	})
}
