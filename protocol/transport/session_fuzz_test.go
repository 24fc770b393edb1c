package transport

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// fuzzSessions are the sessions FuzzParseBatch picks from with its first
// byte: SMP v6 (session id sent), v14, v16 (service signature slot), NTF
// v1 (no batching) and v2.
var fuzzSessions = []*Session{
	sessV6(seqBytes(1, 32)),
	sessV(14, seqBytes(1, 32)),
	sessV(16, seqBytes(1, 32)),
	sessNTF(1, seqBytes(1, 32)),
	sessNTF(2, seqBytes(1, 32)),
}

// sessionFuzzSeeds lists the seeds of this file's fuzz targets; the same
// seeds are committed under testdata/fuzz/<target>/. Regenerate them with
// WRITE_FUZZ_CORPUS=1 go test -run TestSessionFuzzCorpus ./transport.
var sessionFuzzSeeds = map[string]func(testing.TB) [][]byte{
	"FuzzParseBatch": func(t testing.TB) [][]byte {
		sid := seqBytes(1, 32)
		sub := cat([]byte{64}, rep(1, 64), []byte{4}, []byte("corr"), []byte{3}, []byte("ent"), []byte("SUB"))
		return [][]byte{
			cat([]byte{0, 1}, large2(cat([]byte{0, 32}, sid, []byte{1, 'c', 0}, []byte("PING")))),
			cat([]byte{1, 2}, large2(sub), large2([]byte{0, 0, 0, 'P', 'I', 'N', 'G'})),
			cat([]byte{1, 1}, large2(cat([]byte{10}, rep(1, 10), []byte{1, 'c', 0}))),
			cat([]byte{2, 1}, large2(cat([]byte{64}, rep(1, 64), []byte("1"), []byte{64}, rep(2, 64), []byte{1, 'c', 1, 'e'}, []byte("SUB")))),
			cat([]byte{2, 1}, large2(cat([]byte{64}, rep(1, 64), []byte("0"), []byte{1, 'c', 1, 'e'}, []byte("SUB")))),
			cat([]byte{3, 0, 32}, sid, []byte{1, 'c', 1, 't'}, []byte("TCHK")),
			cat([]byte{4, 1}, large2([]byte{0, 1, 'c', 1, 't', 'T', 'C', 'H', 'K'})),
			{1, 0},
			{1},
		}
	},
	"FuzzParseServerHello": func(t testing.TB) [][]byte {
		key := crypto.PublicKey{Alg: crypto.X25519, Raw: rep(0x42, 32)}
		signed, err := crypto.SignKeyDER(crypto.PrivateKey{Alg: crypto.Ed25519, Raw: rep(7, 32)}, key)
		if err != nil {
			t.Fatal(err)
		}
		full, err := SMPServerHello{Range: vr(6, 14), SessionID: seqBytes(1, 32),
			CertChain: [][]byte{[]byte("leaf"), []byte("ca")}, SignedKey: signed}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return [][]byte{
			full,
			cat(hx(t, "0006 0006 20"), seqBytes(1, 32)),
			cat(hx(t, "0006 000e 20"), seqBytes(1, 32), hx(t, "00 0001 aa")),
			hx(t, "0007 0012 00 01 0000 0000 ff"),
			{},
		}
	},
	"FuzzParseClientHello": func(t testing.TB) [][]byte {
		kh := seqBytes(0xa0, 32)
		spki := x25519SPKI(t, rep(0x11, 32))
		return [][]byte{
			cat(hx(t, "0006 20"), kh),
			cat(hx(t, "000b 20"), kh, []byte{0x2c}, spki),
			cat(hx(t, "000e 20"), kh, []byte{0x2c}, spki, []byte("F")),
			cat(hx(t, "000e 20"), kh, []byte("T")),
			cat(hx(t, "0010 20"), kh, []byte{0x2c}, spki, []byte("F1N"), hx(t, "02 0002 0102 0001 03 0001 09")),
			cat(hx(t, "0012 20"), kh, []byte("F0")),
			{0, 14},
		}
	},
}

// TestSessionFuzzCorpus checks that the committed seed corpora match
// sessionFuzzSeeds, or writes them when WRITE_FUZZ_CORPUS is set.
func TestSessionFuzzCorpus(t *testing.T) {
	write := os.Getenv("WRITE_FUZZ_CORPUS") != ""
	for name, seeds := range sessionFuzzSeeds {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, s := range seeds(t) {
			path := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
			want := []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s))
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

func addSessionSeeds(f *testing.F, name string) {
	for _, s := range sessionFuzzSeeds[name](f) {
		f.Add(s)
	}
}

// FuzzParseBatch parses block payloads for the session picked by the first
// byte. A failure must be ErrBadBatch. Otherwise the items must rebuild
// the payload exactly, every accepted transmission must re-encode to its
// item, and every rejected one must carry BLOCK or SESSION with no entity.
func FuzzParseBatch(f *testing.F) {
	addSessionSeeds(f, "FuzzParseBatch")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		s := fuzzSessions[int(data[0])%len(fuzzSessions)]
		payload := data[1:]
		got, err := ParseBatch(s, payload)
		if err != nil {
			if !errors.Is(err, ErrBadBatch) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		items, err := splitBatch(s, payload)
		if err != nil || len(items) != len(got) {
			t.Fatalf("split: %d items, %v", len(items), err)
		}
		if s.Batching {
			b := NewBatchBuilder(s)
			rebuilt := []byte{byte(len(items))}
			for _, it := range items {
				rebuilt = append(rebuilt, byte(len(it)>>8), byte(len(it)))
				rebuilt = append(rebuilt, it...)
				_ = b.Add(it)
			}
			if !bytes.Equal(rebuilt, payload) {
				t.Fatalf("rebuilt %x, want %x", rebuilt, payload)
			}
			// The builder agrees whenever the batch is within its limit.
			if p := b.Payload(); len(payload) <= s.BlockSize-18 && !bytes.Equal(p, payload) {
				t.Fatalf("builder %x, want %x", p, payload)
			}
		}
		for i, p := range got {
			if p.Err != nil {
				if (p.Err != smp.ErrBlock && p.Err != smp.ErrSession) || len(p.EntityID) != 0 {
					t.Fatalf("transmission %d: %+v", i, p)
				}
				continue
			}
			if !bytes.Equal(p.SessionID, s.SessionID) || !validAuthSize(len(p.Auth)) {
				t.Fatalf("accepted %+v", p)
			}
			b, err := EncodeTransmission(s, p.Transmission)
			if err != nil || !bytes.Equal(b, items[i]) {
				t.Fatalf("re-encode %x, want %x, %v", b, items[i], err)
			}
		}
	})
}

// FuzzParseServerHello parses SMP server hellos: a failure must be
// ErrHandshakeParse, and a success must re-encode to the bytes it consumed.
func FuzzParseServerHello(f *testing.F) {
	addSessionSeeds(f, "FuzzParseServerHello")
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseSMPServerHello(b)
		if err != nil {
			if !errors.Is(err, ErrHandshakeParse) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if (h.SignedKey == nil) != (h.CertChain == nil) {
			t.Fatalf("half a certKey: %+v", h)
		}
		out, err := h.Encode()
		if err != nil || !bytes.Equal(out, b[:n]) {
			t.Fatalf("re-encode %x, want %x, %v", out, b[:n], err)
		}
	})
}

// FuzzParseClientHello parses SMP client hellos: a failure must be
// ErrHandshakeParse, and a success must re-encode to the bytes it consumed.
func FuzzParseClientHello(f *testing.F) {
	addSessionSeeds(f, "FuzzParseClientHello")
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseSMPClientHello(b)
		if err != nil {
			if !errors.Is(err, ErrHandshakeParse) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !h.ClientKey.IsZero() && h.ClientKey.Alg != crypto.X25519 {
			t.Fatalf("client key %v", h.ClientKey.Alg)
		}
		out, err := h.Encode()
		if err != nil || !bytes.Equal(out, b[:n]) {
			t.Fatalf("re-encode %x, want %x, %v", out, b[:n], err)
		}
	})
}
