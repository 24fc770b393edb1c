package crypto

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds lists the seed inputs of every fuzz target of this package. The
// same seeds are committed under testdata/fuzz/<target>/; regenerate them
// with WRITE_FUZZ_CORPUS=1 go test -run TestFuzzCorpus ./crypto.
var fuzzSeeds = map[string]func(testing.TB) [][]any{
	"FuzzParseKeyDER": func(t testing.TB) [][]any {
		var out [][]any
		for _, a := range allAlgs {
			k, err := GenerateKey(a, bytes.NewReader(seq(0, 63)))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, []any{k.Public().DER()}, []any{k.DER()})
		}
		return out
	},
	"FuzzOpenBox": func(t testing.TB) [][]any {
		key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
		return [][]any{
			{unhex(t, sbPadded256)},
			{unhex(t, sbNoPad)},
			{[]byte{}},
			{make([]byte, 16)},
			{SecretBox(key, nonce, []byte{0, 1, 'x'})},
		}
	},
	"FuzzOpenTailTag": func(t testing.TB) [][]any {
		key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
		return [][]any{
			{unhex(t, tailTagVec), uint8(1)},
			{SecretBoxTailTag(key, nonce, nil), uint8(0)},
			{SecretBoxTailTag(key, nonce, make([]byte, 130)), uint8(7)},
			{[]byte{}, uint8(3)},
			{make([]byte, 17), uint8(16)},
		}
	},
	"FuzzDecryptBlock": func(t testing.TB) [][]any {
		ck1, _ := InitSbChains(seq(0, 31), sbcSecret(t))
		c := ck1
		b1, err := EncryptBlock(&c, []byte("hello block"), 64)
		if err != nil {
			t.Fatal(err)
		}
		c = ck1
		b2, err := EncryptBlock(&c, nil, 18)
		if err != nil {
			t.Fatal(err)
		}
		return [][]any{{b1}, {b2}, {[]byte{}}, {make([]byte, 64)}}
	},
	"FuzzVerifySignedKeyDER": func(t testing.TB) [][]any {
		return [][]any{
			{unhex(t, signedKeyEd25519)},
			{unhex(t, signedKeyEd448)},
			{[]byte{0x30, 0x00}},
			{[]byte{}},
		}
	},
}

// encodeCorpusFile writes values in the "go test fuzz v1" format.
func encodeCorpusFile(vals []any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case uint8:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		default:
			panic(fmt.Sprintf("unsupported corpus value %T", v))
		}
	}
	return b.Bytes()
}

// TestFuzzCorpus checks that the committed seed corpora match fuzzSeeds
// (or writes them when WRITE_FUZZ_CORPUS is set).
func TestFuzzCorpus(t *testing.T) {
	write := os.Getenv("WRITE_FUZZ_CORPUS") != ""
	for name, seeds := range fuzzSeeds {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, s := range seeds(t) {
			path := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
			want := encodeCorpusFile(s)
			if write {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale (run with WRITE_FUZZ_CORPUS=1): %v", path, err)
			}
		}
	}
}

// addSeeds adds the seeds of the named target to f.
func addSeeds(f *testing.F, name string) {
	for _, s := range fuzzSeeds[name](f) {
		f.Add(s...)
	}
}
