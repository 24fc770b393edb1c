package ratchet

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func x448(t testing.TB) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(crypto.X448, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// initRatchets runs the agreement as the agents do: bob creates the
// invitation keys, alice joins (sending ratchet), bob receives the reply
// (receiving ratchet) [DoubleRatchetTests initRatchets].
func initRatchets(t testing.TB, v uint16) (alice, bob *Ratchet) {
	t.Helper()
	rpk1, rpk2, rp, err := GenerateE2EKeys(v, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spk1, spk2, sp, err := GenerateE2EKeys(v, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := X3DHSnd(spk1, spk2, rp.Key1, rp.Key2)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := X3DHRcv(rpk1, rpk2, sp.Key1, sp.Key2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pa.RootKey, pb.RootKey) || !bytes.Equal(pa.SndHK, pb.SndHK) ||
		!bytes.Equal(pa.RcvNextHK, pb.RcvNextHK) || !bytes.Equal(pa.AssocData, pb.AssocData) {
		t.Fatal("x3dh parameters differ")
	}
	vs := Versions{Current: v, MaxSupported: CurrentVersion}
	alice, err = InitSnd(vs, rp.Key2, x448(t), pa)
	if err != nil {
		t.Fatal(err)
	}
	return alice, InitRcv(vs, rpk2, pb)
}

const testPad = 100

func enc(t testing.TB, r *Ratchet, msg string) []byte {
	t.Helper()
	c, err := r.Encrypt([]byte(msg), testPad)
	if err != nil {
		t.Fatalf("encrypt %q: %v", msg, err)
	}
	return c
}

func dec(t testing.TB, r *Ratchet, c []byte, want string) {
	t.Helper()
	p, err := r.Decrypt(c)
	if err != nil {
		t.Fatalf("decrypt %q: %v", want, err)
	}
	if string(p) != want {
		t.Fatalf("decrypted %q, want %q", p, want)
	}
}
