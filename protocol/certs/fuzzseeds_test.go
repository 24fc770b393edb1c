package certs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds lists the seed inputs of every fuzz target of this package. The
// same seeds are committed under testdata/fuzz/<target>/; regenerate them
// with WRITE_FUZZ_CORPUS=1 go test -run TestFuzzCorpus ./certs.
var fuzzSeeds = map[string]func(testing.TB) [][]any{
	"FuzzVerifyChain": func(t testing.TB) [][]any {
		return [][]any{
			{readCert(t, "ed25519/server.crt"), readCert(t, "ed25519/ca.crt")},
			{readCert(t, "server.crt"), readCert(t, "ca.crt")},
			{readCert(t, "ss.crt"), readCert(t, "ca.crt")},
			{[]byte{}, []byte{0x30, 0x00}},
		}
	},
	"FuzzParsePEM": func(t testing.TB) [][]any {
		return [][]any{
			{readFile(t, "ed25519/ca.crt")},
			{readFile(t, "server.key")},
			{append(readFile(t, "ed25519/server.crt"), readFile(t, "ca.crt")...)},
			{[]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n")},
		}
	},
}

func encodeCorpusFile(vals []any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		fmt.Fprintf(&b, "[]byte(%q)\n", v.([]byte))
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

func addSeeds(f *testing.F, name string) {
	for _, s := range fuzzSeeds[name](f) {
		f.Add(s...)
	}
}
