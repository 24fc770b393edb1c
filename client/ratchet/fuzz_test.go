package ratchet

import (
	"bytes"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// detRatchets is initRatchets with deterministic keys, so that fuzz seeds
// stay valid messages for the ratchet the fuzz target builds.
func detRatchets(t testing.TB) (alice, bob *Ratchet) {
	t.Helper()
	rnd := mrand.NewChaCha8([32]byte{1, 2, 3})
	rpk1, rpk2, rp, err := GenerateE2EKeys(CurrentVersion, rnd)
	if err != nil {
		t.Fatal(err)
	}
	spk1, spk2, sp, err := GenerateE2EKeys(CurrentVersion, rnd)
	if err != nil {
		t.Fatal(err)
	}
	pa, _ := X3DHSnd(spk1, spk2, rp.Key1, rp.Key2)
	pb, _ := X3DHRcv(rpk1, rpk2, sp.Key1, sp.Key2)
	dhRs, err := crypto.GenerateKey(crypto.X448, rnd)
	if err != nil {
		t.Fatal(err)
	}
	vs := Versions{Current: CurrentVersion, MaxSupported: CurrentVersion}
	alice, err = InitSnd(vs, rp.Key2, dhRs, pa)
	if err != nil {
		t.Fatal(err)
	}
	alice.Rand = rnd
	bob = InitRcv(vs, rpk2, pb)
	bob.Rand = rnd
	return alice, bob
}

func testHeaderKey() crypto.PublicKey {
	raw := make([]byte, 56)
	for i := range raw {
		raw[i] = byte(i)
	}
	return crypto.PublicKey{Alg: crypto.X448, Raw: raw}
}

var fuzzSeeds = map[string]func(testing.TB) [][]any{
	"FuzzParseEncRatchetMessage": func(t testing.TB) [][]any {
		a, _ := detRatchets(t)
		return [][]any{{enc(t, a, "seed")}, {[]byte{}}, {[]byte{0, 3, 'a'}}, {append([]byte{40}, make([]byte, 60)...)}}
	},
	"FuzzParseMsgHeader": func(t testing.TB) [][]any {
		h2, _ := encodeMsgHeader(2, MsgHeader{MaxVersion: 3, DHRs: testHeaderKey(), PN: 1, Ns: 2})
		h3, _ := encodeMsgHeader(3, MsgHeader{MaxVersion: 3, DHRs: testHeaderKey(), PN: 1, Ns: 2})
		k3, _ := encodeMsgHeader(3, MsgHeader{MaxVersion: 3, DHRs: testHeaderKey(), KEM: &KEMParams{Ciphertext: []byte{1}, Key: []byte{2}}})
		return [][]any{{uint16(2), h2}, {uint16(3), h3}, {uint16(3), k3}, {uint16(3), []byte{}}}
	},
	"FuzzDecodeE2EParams": func(t testing.TB) [][]any {
		k := testHeaderKey()
		return [][]any{
			{E2EParams{Version: 2, Key1: k, Key2: k}.Encode()},
			{E2EParams{Version: 3, Key1: k, Key2: k}.Encode()},
			{E2EParams{Version: 3, Key1: k, Key2: k, KEM: &KEMParams{Key: []byte{9}}}.Encode()},
			{[]byte{0, 3}},
		}
	},
	"FuzzDecrypt": func(t testing.TB) [][]any {
		a, _ := detRatchets(t)
		m1, m2 := enc(t, a, "first"), enc(t, a, "second")
		return [][]any{{m1}, {m2}, {[]byte{}}, {m1[:40]}}
	},
}

// TestFuzzCorpus checks that the committed seed corpora match fuzzSeeds;
// WRITE_FUZZ_CORPUS=1 rewrites them.
func TestFuzzCorpus(t *testing.T) {
	write := os.Getenv("WRITE_FUZZ_CORPUS") != ""
	for name, seeds := range fuzzSeeds {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, args := range seeds(t) {
			var b bytes.Buffer
			b.WriteString("go test fuzz v1\n")
			for _, a := range args {
				switch v := a.(type) {
				case []byte:
					fmt.Fprintf(&b, "[]byte(%q)\n", v)
				case uint16:
					fmt.Fprintf(&b, "uint16(%d)\n", v)
				}
			}
			path := filepath.Join(dir, fmt.Sprintf("seed%02d", i))
			if write {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, b.Bytes()) {
				t.Errorf("%s: stale or missing seed (WRITE_FUZZ_CORPUS=1 to update): %v", path, err)
			}
		}
	}
}

func addSeeds(f *testing.F, name string) {
	for _, args := range fuzzSeeds[name](f) {
		f.Add(args...)
	}
}

func FuzzParseEncRatchetMessage(f *testing.F) {
	addSeeds(f, "FuzzParseEncRatchetMessage")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseEncRatchetMessage(b)
		if err != nil {
			return
		}
		v := uint16(2)
		if b[0] < 32 {
			v = 3
		}
		if !bytes.Equal(m.Encode(v), b) {
			t.Fatalf("re-encode of %x differs", b)
		}
		if h, err := ParseEncMessageHeader(m.Header); err == nil {
			v := uint16(2)
			if len(m.Header) > 34 && m.Header[34] < 32 {
				v = 3
			}
			h.Version = v
			if got := h.Encode(); !bytes.Equal(got[2:], m.Header[2:]) {
				t.Fatalf("header re-encode of %x differs", m.Header)
			}
		}
	})
}

func FuzzParseMsgHeader(f *testing.F) {
	addSeeds(f, "FuzzParseMsgHeader")
	f.Fuzz(func(t *testing.T, v uint16, b []byte) {
		h, err := parseMsgHeader(v, b)
		if err != nil {
			return
		}
		out, err := encodeMsgHeader(v, h)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-encode of %x: %x, %v", b, out, err)
		}
	})
}

func FuzzDecodeE2EParams(f *testing.F) {
	addSeeds(f, "FuzzDecodeE2EParams")
	f.Fuzz(func(t *testing.T, b []byte) {
		d := encoding.NewDecoder(b)
		p := DecodeE2EParams(d)
		if d.Finish() != nil {
			return
		}
		if !bytes.Equal(p.Encode(), b) {
			t.Fatalf("re-encode of %x differs", b)
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	addSeeds(f, "FuzzDecrypt")
	_, bob0 := detRatchets(f)
	state, err := json.Marshal(bob0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bob := &Ratchet{}
		if err := json.Unmarshal(state, bob); err != nil {
			t.Fatal(err)
		}
		bob.Rand = mrand.NewChaCha8([32]byte{4})
		before, _ := json.Marshal(bob)
		if _, err := bob.Decrypt(b); err != nil {
			after, _ := json.Marshal(bob)
			if !bytes.Equal(before, after) {
				t.Fatal("failed decryption changed the state")
			}
		}
	})
}
