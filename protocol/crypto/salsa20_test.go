package crypto

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	//lint:ignore SA1019 the reference keystream the fast path must reproduce.
	"golang.org/x/crypto/salsa20/salsa"
)

// TestSalsaXORMatchesXCrypto: the eight-block path gives exactly the bytes
// of x/crypto's salsa.XORKeyStream, for lengths around its 512-byte step,
// in place and not, and for counters next to a wrap of the low counter
// word (where the assembly must hand over) and of the whole counter.
func TestSalsaXORMatchesXCrypto(t *testing.T) {
	if !useSalsaX8 {
		t.Log("no eight-block path on this machine: checking the fallback only")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	counters := []uint64{0, 1, 7, 1<<32 - 8, 1<<32 - 7, 1<<32 - 1, 1<<32 - 64*8 - 3, 1 << 32, 1<<40 + 5, 1<<64 - 3}
	lengths := []int{0, 1, 63, 64, 65, 511, 512, 513, 1024, 4095, 4096, 64*8*5 + 64, 256 << 10}
	for _, ctr64 := range counters {
		for _, n := range lengths {
			var key [32]byte
			var ctr [16]byte
			for i := range key {
				key[i] = byte(rng.Uint32())
			}
			for i := range 8 {
				ctr[i] = byte(rng.Uint32())
			}
			binary.LittleEndian.PutUint64(ctr[8:], ctr64)
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			want := make([]byte, n)
			salsa.XORKeyStream(want, src, &ctr, &key)
			saved := ctr
			got := make([]byte, n)
			salsaXOR(got, src, &ctr, &key)
			if !bytes.Equal(got, want) {
				t.Fatalf("counter %#x, %d bytes: keystream differs", ctr64, n)
			}
			if ctr != saved {
				t.Fatalf("counter %#x: ctr modified", ctr64)
			}
			salsaXOR(src, src, &ctr, &key)
			if !bytes.Equal(src, want) {
				t.Fatalf("counter %#x, %d bytes in place: keystream differs", ctr64, n)
			}
		}
	}
}

// BenchmarkSalsaXOR compares the keystream paths on 32 KB.
func BenchmarkSalsaXOR(b *testing.B) {
	var key [32]byte
	var ctr [16]byte
	buf := make([]byte, 32<<10)
	b.Run("x8", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			salsaXOR(buf, buf, &ctr, &key)
		}
	})
	b.Run("xcrypto", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			salsa.XORKeyStream(buf, buf, &ctr, &key)
		}
	})
}

// FuzzSalsaXOR: for any key, nonce, block counter and message, the
// eight-block path gives x/crypto's bytes.
func FuzzSalsaXOR(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 8), uint64(0), make([]byte, 1024))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 8), uint64(1<<32-3), make([]byte, 4096+64))
	f.Add([]byte("k"), []byte("n"), uint64(1<<64-1), []byte("short"))
	f.Fuzz(func(t *testing.T, k, nonce []byte, counter uint64, msg []byte) {
		if len(msg) > 64<<10 {
			msg = msg[:64<<10] // long enough for every path; keeps executions fast
		}
		var key [32]byte
		var ctr [16]byte
		copy(key[:], k)
		copy(ctr[:8], nonce)
		binary.LittleEndian.PutUint64(ctr[8:], counter)
		want := make([]byte, len(msg))
		salsa.XORKeyStream(want, msg, &ctr, &key)
		got := make([]byte, len(msg))
		salsaXOR(got, msg, &ctr, &key)
		if !bytes.Equal(got, want) {
			t.Fatal("keystream differs")
		}
	})
}
