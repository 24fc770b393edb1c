package ratchet

import (
	"bytes"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

// firstMessageVector is the joining party's first message "hello" (padded
// to 64) with fixed keys: invitation keys rpk1 = 01×56, rpk2 = 02×56,
// reply keys spk1 = 03×56, spk2 = 04×56, ratchet key 05×56. It was computed
// independently in Python (OpenSSL X448 and AES-GCM through the
// cryptography package, HKDF-SHA512 with hmac) from the definitions in
// [R pqX3dh, initSndRatchet, rcEncryptHeader, rcEncryptMsg, chainKdf,
// rootKdf, encodeMsgHeader, EncMessageHeader, encodeEncRatchetMessage].
const firstMessageVector = "007c00032af18c96a0048399111ec4313534ca2aa45ab31ee1293e65d6f7959a3a7abf8b0058b7f885c1e5046759ecb92525a780c9105d761b995ea91247b26099e3cab6c6bbe6401347dda087c7211f653d464b750e66755b33c7d33edea5b8038e3c15a88cc780f90ef01bb71f7474c519f1b6d675ca272324a30c79daffc19646225312d6a67cb7a64037567780d7d745902131605d186427f2b14a1811fbe651b4ba8e3880147c50d9b0c56d84f2c9a586b58d6c22e8b35839a2cd161cbb0bded31a7df5611fef4e86f202f6"

func fixedX448(b byte) crypto.PrivateKey {
	return crypto.PrivateKey{Alg: crypto.X448, Raw: bytes.Repeat([]byte{b}, 56)}
}

func TestFirstMessageVector(t *testing.T) {
	rpk1, rpk2, spk1, spk2, dhRs := fixedX448(1), fixedX448(2), fixedX448(3), fixedX448(4), fixedX448(5)
	pa, err := X3DHSnd(spk1, spk2, rpk1.Public(), rpk2.Public())
	if err != nil {
		t.Fatal(err)
	}
	vs := Versions{Current: 3, MaxSupported: 3}
	alice, err := InitSnd(vs, rpk2.Public(), dhRs, pa)
	if err != nil {
		t.Fatal(err)
	}
	got, err := alice.Encrypt([]byte("hello"), 64)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, firstMessageVector)
	if !bytes.Equal(got, want) {
		t.Fatalf("first message:\n got %x\nwant %x", got, want)
	}
	pb, err := X3DHRcv(rpk1, rpk2, spk1.Public(), spk2.Public())
	if err != nil {
		t.Fatal(err)
	}
	bob := InitRcv(vs, rpk2, pb)
	dec(t, bob, want, "hello")
}
