package ratchet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// Vectors computed independently with Python's hmac/hashlib (HKDF-SHA512,
// RFC 5869) for the info strings of [R chainKdf, rootKdf, pqX3dh].
func TestKDFVectors(t *testing.T) {
	ck := make([]byte, 32)
	for i := range ck {
		ck[i] = byte(i)
	}
	out := unhex(t, "700adb2d724336ee01af8788318163514b0bfaf4a78f68068211dec1498ea7527e51e30511914d29893fd7640d76abdb2c5c3c81d4b332ef1ad82afc189b09a5a539e64bf854a18090d981c0a2995665bc018d49134b7b0ef0032f6b8e862037")
	ck2, mk, iv, hiv := chainKdf(ck)
	got := bytes.Join([][]byte{ck2, mk, iv, hiv}, nil)
	if !bytes.Equal(got, out) {
		t.Fatalf("chainKdf = %x", got)
	}
	a, b, c := hkdf3(ck, bytes.Repeat([]byte{7}, 56), infoRoot)
	if want := unhex(t, "90f52392df9c3ccbbbcc2cc091d705f227321610723cb1fde755e364e072714402a5825ddc9acae69a3ffb88deac018b8149dc90b8da5241a5266ba35fb7e6b3ea97275ab48e5f3c4bd2a12d3d1211046c8270a279836b38cf5d7f044e9b26fb"); !bytes.Equal(bytes.Join([][]byte{a, b, c}, nil), want) {
		t.Fatal("root kdf vector")
	}
	a, b, c = hkdf3(make([]byte, 64), bytes.Repeat([]byte{1}, 168), infoX3DH)
	if want := unhex(t, "6f036fc20ad2d3dfa9309252771cb7e7ad22bdc5771b608a217ecf56084d3f8307d96560fbab5e469e507eae8fc66d4811736b7dd623be67b18949ca96ec078eab0e39191c2f98d358401f9434acb0e3c905f5dd9f90eb05e866572ef720df62"); !bytes.Equal(bytes.Join([][]byte{a, b, c}, nil), want) {
		t.Fatal("x3dh kdf vector")
	}
}

// AES-256-GCM with a 16-byte IV over pad("hello", 16), computed with
// OpenSSL through Python's cryptography AESGCM [MC encryptAEAD].
func TestAEADVector(t *testing.T) {
	key := make([]byte, 32)
	iv := make([]byte, 16)
	for i := range key {
		key[i] = byte(i)
	}
	for i := range iv {
		iv[i] = byte(100 + i)
	}
	tag, ct, err := encryptAEAD(key, iv, 16, []byte("assoc"), []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "d8b62b34887848fb91da8eaa64f4cf46a6a29d44070e4981d1fe1d83f6888a6e")
	if got := append(append([]byte{}, ct...), tag...); !bytes.Equal(got, want) {
		t.Fatalf("aead = %x", got)
	}
	p, err := decryptAEAD(key, iv, []byte("assoc"), ct, tag)
	if err != nil || string(p) != "hello" {
		t.Fatalf("decrypt = %q, %v", p, err)
	}
	if _, err := decryptAEAD(key, iv, []byte("assoX"), ct, tag); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong AD: %v", err)
	}
}

func forVersions(t *testing.T, f func(t *testing.T, v uint16)) {
	for _, v := range []uint16{KDFX3DHVersion, PQRatchetVersion} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { f(t, v) })
	}
}

// [DoubleRatchetTests testEncryptDecrypt]
func TestEncryptDecrypt(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		alice, bob := initRatchets(t, v)
		if bob.CanSend() {
			t.Fatal("bob can send before receiving")
		}
		dec(t, bob, enc(t, alice, "hello bob"), "hello bob")
		dec(t, alice, enc(t, bob, "hello alice"), "hello alice")
		a1, a2, a3 := enc(t, alice, "how are you, bob?"), enc(t, alice, "are you there?"), enc(t, alice, "hey?")
		b1, b2, b3 := enc(t, bob, "how are you, alice?"), enc(t, bob, "are you there?"), enc(t, bob, "hey?")
		dec(t, alice, b1, "how are you, alice?")
		dec(t, alice, b2, "are you there?")
		dec(t, alice, b3, "hey?")
		dec(t, bob, a1, "how are you, bob?")
		dec(t, bob, a2, "are you there?")
		dec(t, bob, a3, "hey?")
		dec(t, alice, enc(t, bob, "I'm here, all good"), "I'm here, all good")
		dec(t, bob, enc(t, alice, "I'm here too, same"), "I'm here too, same")
	})
}

// The wire size is fixed by the version and the padded length
// [DoubleRatchetTests fullMsgLen, R fullHeaderLen]:
// len-prefix (1 or 2) + 2 + 16 + 16 + (1 or 2) + 88, then tag 16 + padded body.
func TestMessageSize(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		alice, _ := initRatchets(t, v)
		c := enc(t, alice, "x")
		want := 2 + 16 + 16 + 88 + 16 + testPad + 2
		if v >= PQRatchetVersion {
			want += 2
		}
		if len(c) != want {
			t.Fatalf("message of %d bytes, want %d", len(c), want)
		}
		em, err := ParseEncRatchetMessage(c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(em.Encode(v), c) {
			t.Fatal("re-encode differs")
		}
		eh, err := ParseEncMessageHeader(em.Header)
		if err != nil || eh.Version != v || len(eh.Body) != paddedHeaderLen {
			t.Fatalf("header %+v %v", eh, err)
		}
	})
}

// [DoubleRatchetTests testSkippedMessages]
func TestSkippedMessages(t *testing.T) {
	forVersions(t, func(t *testing.T, v uint16) {
		alice, bob := initRatchets(t, v)
		m1, m2, m3 := enc(t, alice, "hello bob"), enc(t, alice, "hello there again"), enc(t, alice, "are you there?")
		dec(t, bob, m3, "are you there?")
		if len(bob.Skipped) != 2 {
			t.Fatalf("%d skipped keys", len(bob.Skipped))
		}
		dec(t, bob, m1, "hello bob")
		dec(t, bob, m2, "hello there again")
		if len(bob.Skipped) != 0 {
			t.Fatalf("%d skipped keys left", len(bob.Skipped))
		}
		// replays of consumed skipped keys and of the last message
		for _, m := range [][]byte{m1, m2, m3} {
			if _, err := bob.Decrypt(m); !errors.Is(err, ErrEarlier) && !errors.Is(err, ErrDuplicate) {
				t.Fatalf("replay: %v", err)
			}
		}
	})
}

// [DoubleRatchetTests testSkippedAfterRatchetAdvance]
func TestSkippedAfterRatchetAdvance(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	dec(t, bob, enc(t, alice, "hello bob"), "hello bob")
	dec(t, alice, enc(t, bob, "hello alice"), "hello alice")
	a1, a2 := enc(t, alice, "a1"), enc(t, alice, "a2")
	dec(t, bob, a2, "a2")
	dec(t, alice, enc(t, bob, "b1"), "b1")
	a3 := enc(t, alice, "a3") // new chain
	b2 := enc(t, bob, "b2")
	a4 := enc(t, alice, "a4")
	dec(t, bob, a4, "a4") // skips a3 in the new chain
	dec(t, bob, a1, "a1") // old chain's skipped key
	dec(t, bob, a3, "a3")
	dec(t, alice, b2, "b2")
}

func TestReplayRejected(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	m := enc(t, alice, "once")
	dec(t, bob, m, "once")
	if _, err := bob.Decrypt(m); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replay: %v", err)
	}
	m2 := enc(t, alice, "twice")
	dec(t, bob, m2, "twice")
	if _, err := bob.Decrypt(m); !errors.Is(err, ErrEarlier) {
		t.Fatalf("earlier replay: %v", err)
	}
}

func TestTamperRejected(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	m := enc(t, alice, "secret")
	before, _ := json.Marshal(bob)
	for _, c := range []struct {
		name string
		pos  int
		want error
	}{
		{"header body", 40, ErrHeader},
		{"header tag", 20, ErrHeader},
		{"message tag", 130, ErrDecrypt},
		{"message body", len(m) - 1, ErrDecrypt},
	} {
		bad := bytes.Clone(m)
		bad[c.pos] ^= 1
		if _, err := bob.Decrypt(bad); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := bob.Decrypt(m[:50]); err == nil {
		t.Error("truncated message decrypted")
	}
	after, _ := json.Marshal(bob)
	if !bytes.Equal(before, after) {
		t.Fatal("failed decryption changed the ratchet")
	}
	dec(t, bob, m, "secret")
}

func TestTooManySkipped(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	dec(t, bob, enc(t, alice, "first"), "first")
	var last []byte
	for i := 0; i <= MaxSkip+1; i++ {
		last = enc(t, alice, "m")
	}
	if _, err := bob.Decrypt(last); !errors.Is(err, ErrTooManySkipped) {
		t.Fatalf("got %v", err)
	}
}

// After a compromise of Bob's whole state, an attacker that keeps
// following the conversation with the stolen copy loses access once Bob
// has made a DH ratchet step with fresh randomness (break-in recovery).
func TestBreakInRecovery(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	dec(t, bob, enc(t, alice, "a"), "a")
	stolen := bob.Clone()
	m := enc(t, alice, "still readable")
	dec(t, stolen, m, "still readable")
	dec(t, bob, m, "still readable")
	dec(t, alice, enc(t, bob, "reply"), "reply")
	m2 := enc(t, alice, "next chain") // bob's ratchet key is still the stolen one
	dec(t, stolen, m2, "next chain")
	dec(t, bob, m2, "next chain") // bob steps with a new random key
	dec(t, alice, enc(t, bob, "reply 2"), "reply 2")
	m3 := enc(t, alice, "after recovery")
	if _, err := stolen.Decrypt(m3); err == nil {
		t.Fatal("stolen state decrypted a message after recovery")
	}
	dec(t, bob, m3, "after recovery")
}

func TestManyMessages(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	for i := range 60 {
		s, r := alice, bob
		if i%7 >= 4 {
			s, r = bob, alice
		}
		if !s.CanSend() {
			s, r = r, s
		}
		msg := fmt.Sprintf("message %d", i)
		dec(t, r, enc(t, s, msg), msg)
	}
}

func TestJSONState(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	m1, m2 := enc(t, alice, "1"), enc(t, alice, "2")
	dec(t, bob, m2, "2")
	b, err := json.Marshal(bob)
	if err != nil {
		t.Fatal(err)
	}
	var bob2 Ratchet
	if err := json.Unmarshal(b, &bob2); err != nil {
		t.Fatal(err)
	}
	dec(t, &bob2, m1, "1")
	dec(t, alice, enc(t, &bob2, "back"), "back")
}

func TestLargeMessage(t *testing.T) {
	alice, _ := initRatchets(t, CurrentVersion)
	if _, err := alice.Encrypt(make([]byte, testPad-1), testPad); !errors.Is(err, ErrLargeMsg) {
		t.Fatalf("got %v", err)
	}
	if _, err := alice.Encrypt(make([]byte, testPad-2), testPad); err != nil {
		t.Fatal(err)
	}
}

// Header layout [R encodeMsgHeader]: w16 maxVersion, short(X448 SPKI),
// from v3 maybe(kem) ('0' = none), w32 pn, w32 ns.
func TestMsgHeaderVector(t *testing.T) {
	k := testHeaderKey()
	spki := "44" + "3042300506032b656f033900" + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
	for _, c := range []struct {
		v   uint16
		hex string
	}{
		{2, "0003" + spki + "00000001" + "00000002"},
		{3, "0003" + spki + "30" + "00000001" + "00000002"},
	} {
		h := MsgHeader{MaxVersion: 3, DHRs: k, PN: 1, Ns: 2}
		b, err := encodeMsgHeader(c.v, h)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, c.hex); !bytes.Equal(b, want) {
			t.Fatalf("v%d: %x", c.v, b)
		}
		h2, err := parseMsgHeader(c.v, b)
		if err != nil || !h2.DHRs.Equal(k) || h2.PN != 1 || h2.Ns != 2 || h2.MaxVersion != 3 {
			t.Fatalf("v%d parse: %+v %v", c.v, h2, err)
		}
	}
	if _, err := parseMsgHeader(3, unhex(t, "0003"+spki+"31")); !errors.Is(err, ErrHeaderSyntax) {
		t.Fatalf("truncated KEM: %v", err)
	}
}

// A reference peer with PQ support proposes a KEM key in its headers
// (padded to 2310 bytes); without KEM support the proposal is ignored and
// both sides continue with DH only, as in agent-protocol.md's table
// ("pq" received, "no-pq" sent -> DH/DH). A KEM ciphertext we never asked
// for is rejected [R pqRatchetStep].
func TestPeerProposesKEM(t *testing.T) {
	alice, bob := initRatchets(t, CurrentVersion)
	const kemKeySize, pqHeaderLen = 1158, 2310 // sntrup761 public key, [R paddedHeaderLen]
	proposal := &KEMParams{Key: bytes.Repeat([]byte{7}, kemKeySize)}
	m, err := alice.encrypt([]byte("pq hello"), testPad, proposal, pqHeaderLen)
	if err != nil {
		t.Fatal(err)
	}
	dec(t, bob, m, "pq hello")
	dec(t, alice, enc(t, bob, "no pq"), "no pq")
	m2, err := alice.encrypt([]byte("again"), testPad, proposal, pqHeaderLen)
	if err != nil {
		t.Fatal(err)
	}
	dec(t, bob, m2, "again")
	accepted := &KEMParams{Ciphertext: bytes.Repeat([]byte{8}, 1039), Key: proposal.Key}
	dec(t, alice, enc(t, bob, "x"), "x")
	m3, err := alice.encrypt([]byte("ct"), testPad, accepted, pqHeaderLen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Decrypt(m3); !errors.Is(err, ErrKEMState) {
		t.Fatalf("unrequested KEM ciphertext: %v", err)
	}
}
