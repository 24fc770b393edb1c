package sigbatch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

func signed(t testing.TB, n int) []Item {
	items := make([]Item, n)
	for i := range items {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte(fmt.Sprintf("transmission %d", i))
		items[i] = Item{Pub: pub, Msg: msg, Sig: ed25519.Sign(priv, msg)}
	}
	return items
}

func individual(items []Item) []bool {
	ok := make([]bool, len(items))
	for i, it := range items {
		ok[i] = verifyOne(it)
	}
	return ok
}

func TestVerifyValidBatch(t *testing.T) {
	for _, n := range []int{1, MinBatch - 1, MinBatch, 17, 130} {
		for i, ok := range Verify(signed(t, n)) {
			if !ok {
				t.Fatalf("n=%d: valid signature %d rejected", n, i)
			}
		}
	}
}

// TestVerifyMatchesIndividual corrupts random items of batches in random
// ways and checks every answer against crypto/ed25519.Verify.
func TestVerifyMatchesIndividual(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	for round := range 40 {
		items := signed(t, 5+r.IntN(40))
		bad := 1 + r.IntN(3)
		for range bad {
			it := &items[r.IntN(len(items))]
			switch r.IntN(5) {
			case 0:
				it.Sig = bytes.Clone(it.Sig)
				it.Sig[r.IntN(64)] ^= 1 << r.IntN(8)
			case 1:
				it.Msg = append(bytes.Clone(it.Msg), 'x')
			case 2:
				it.Pub = bytes.Clone(it.Pub)
				it.Pub[r.IntN(32)] ^= 1 << r.IntN(8)
			case 3:
				it.Sig = it.Sig[:63]
			case 4:
				other := signed(t, 1)[0]
				it.Pub = other.Pub // a valid key that did not sign
			}
		}
		got, want := Verify(items), individual(items)
		for i := range items {
			if got[i] != want[i] {
				t.Fatalf("round %d item %d: batch %v, crypto/ed25519 %v", round, i, got[i], want[i])
			}
		}
	}
}

// TestVerifyNonCanonical: encodings crypto/ed25519 rejects are rejected in
// a batch too, though edwards25519's decoders accept them.
func TestVerifyNonCanonical(t *testing.T) {
	items := signed(t, 8)
	// S + L: the same scalar, not reduced.
	L, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	s := new(big.Int).SetBytes(reverse(items[1].Sig[32:]))
	sl := reverse(new(big.Int).Add(s, L).FillBytes(make([]byte, 32)))
	items[1].Sig = append(bytes.Clone(items[1].Sig[:32]), sl...)
	// R with the sign bit set on y = 1 (x = 0): decodes, never encoded.
	r0 := make([]byte, 32)
	r0[0], r0[31] = 1, 0x80
	items[2].Sig = append(r0, items[2].Sig[32:]...)
	got, want := Verify(items), individual(items)
	for i := range items {
		if got[i] != want[i] || got[i] != (i != 1 && i != 2) {
			t.Fatalf("item %d: batch %v, crypto/ed25519 %v", i, got[i], want[i])
		}
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

func TestCanonicalPoint(t *testing.T) {
	ff := func(first, last byte) []byte {
		b := bytes.Repeat([]byte{0xff}, 32)
		b[0], b[31] = first, last
		return b
	}
	for _, c := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"zero", make([]byte, 32), true},
		{"y=1", append([]byte{1}, make([]byte, 31)...), true},
		{"y=1 with sign", append(append([]byte{1}, make([]byte, 30)...), 0x80), false},
		{"p-1", ff(0xec, 0x7f), true},
		{"p-1 with sign", ff(0xec, 0xff), false},
		{"p", ff(0xed, 0x7f), false},
		{"p with sign", ff(0xed, 0xff), false},
		{"2^255-1", ff(0xff, 0x7f), false},
		{"p-2 with sign", ff(0xeb, 0xff), true},
	} {
		if got := canonicalPoint(c.b); got != c.want {
			t.Errorf("%s (%s): %v, want %v", c.name, hex.EncodeToString(c.b), got, c.want)
		}
	}
}

// FuzzVerify: any batch (the fuzzer's item next to valid ones) answers as
// crypto/ed25519 does.
func FuzzVerify(f *testing.F) {
	valid := signed(f, 4)
	f.Add(valid[0].Pub, valid[0].Msg, valid[0].Sig)
	bad := bytes.Clone(valid[1].Sig)
	bad[5] ^= 4
	f.Add(valid[1].Pub, valid[1].Msg, bad)
	f.Add(make([]byte, 32), []byte{}, make([]byte, 64))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		items := append([]Item{{Pub: pub, Msg: msg, Sig: sig}}, valid...)
		got, want := Verify(items), individual(items)
		for i := range items {
			if got[i] != want[i] && !(got[i] && cofactoredValid(items[i])) {
				t.Fatalf("item %d: batch %v, crypto/ed25519 %v", i, got[i], want[i])
			}
		}
	})
}

// cofactoredValid reports whether [8]([S]B − R − [k]A) is the identity:
// the documented case where a batch may accept what crypto/ed25519
// rejects (a key or R with a small-order component, chosen by the signer).
func cofactoredValid(it Item) bool {
	if len(it.Pub) != 32 || len(it.Sig) != 64 || !canonicalPoint(it.Sig[:32]) {
		return false
	}
	A, errA := new(edwards25519.Point).SetBytes(it.Pub)
	R, errR := new(edwards25519.Point).SetBytes(it.Sig[:32])
	S, errS := edwards25519.NewScalar().SetCanonicalBytes(it.Sig[32:])
	if errA != nil || errR != nil || errS != nil {
		return false
	}
	h := sha512.Sum512(append(append(bytes.Clone(it.Sig[:32]), it.Pub...), it.Msg...))
	k, _ := edwards25519.NewScalar().SetUniformBytes(h[:])
	d := new(edwards25519.Point).ScalarBaseMult(S)
	d.Subtract(d, R)
	d.Subtract(d, new(edwards25519.Point).ScalarMult(k, A))
	return new(edwards25519.Point).MultByCofactor(d).Equal(edwards25519.NewIdentityPoint()) == 1
}

func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{16, 64, 128} {
		items := signed(b, n)
		b.Run(fmt.Sprintf("batch-%d", n), func(b *testing.B) {
			for b.Loop() {
				Verify(items)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/sig")
		})
		b.Run(fmt.Sprintf("individual-%d", n), func(b *testing.B) {
			for b.Loop() {
				individual(items)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/sig")
		})
	}
}
