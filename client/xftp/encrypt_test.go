package xftp

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/xftp"
)

// TestPrepareChunkSizes: the vectors of the reference's
// testPrepareChunkSizes [tests/XFTPCLI.hs].
func TestPrepareChunkSizes(t *testing.T) {
	kb, mb := func(n int64) int64 { return n << 10 }, func(n int64) int64 { return n << 20 }
	r3 := func(s int64) []int64 { return []int64{s, s, s} }
	cat := func(a ...[]int64) []int64 { return slices.Concat(a...) }
	tests := []struct {
		size int64
		want []int64
	}{
		{mb(9) + kb(256), []int64{mb(4), mb(4), mb(1), mb(1)}},
		{mb(9), []int64{mb(4), mb(4), mb(1)}},
		{mb(7) + 1, []int64{mb(4), mb(4)}},
		{mb(7), cat([]int64{mb(4)}, r3(mb(1)))},
		{mb(3) + 1, []int64{mb(4)}},
		{mb(3), r3(mb(1))},
		{mb(2) + 3*kb(256) + 1, r3(mb(1))},
		{mb(2) + 3*kb(256), cat([]int64{mb(1), mb(1)}, r3(kb(256)))},
		{mb(2) + 1, []int64{mb(1), mb(1), kb(256)}},
		{3*kb(256) + 1, []int64{mb(1)}},
		{3 * kb(256), r3(kb(256))},
		{1, []int64{kb(64)}},
		{0, nil},
	}
	for _, tt := range tests {
		got := PrepareChunkSizes(tt.size)
		var g []int64
		for _, s := range got {
			g = append(g, int64(s))
		}
		if !slices.Equal(g, tt.want) {
			t.Errorf("PrepareChunkSizes(%d) = %v, want %v", tt.size, g, tt.want)
		}
	}
}

func TestSingleChunkSize(t *testing.T) {
	for _, tt := range []struct {
		size int64
		want uint32
		ok   bool
	}{{1, xftp.ChunkSize0, true}, {65536, xftp.ChunkSize0, true}, {65537, xftp.ChunkSize1, true}, {4 << 20, xftp.ChunkSize3, true}, {4<<20 + 1, 0, false}} {
		got, ok := SingleChunkSize(tt.size)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SingleChunkSize(%d) = %d %v", tt.size, got, ok)
		}
	}
}

// TestFileHeaderVectors: smpEncode (fileName, fileExtra) = short(name)
// maybe(short(extra)) [FT FileHeader]; the cases of
// tests/XFTPWebTests.hs "FileHeader encoding".
func TestFileHeaderVectors(t *testing.T) {
	v2 := "v2"
	tests := []struct {
		h    FileHeader
		want string
	}{
		{FileHeader{Name: "test.txt"}, "\x08test.txt0"},
		{FileHeader{Name: "document.pdf", Extra: &v2}, "\x0cdocument.pdf1\x02v2"},
		{FileHeader{Name: ""}, "\x000"},
	}
	for _, tt := range tests {
		b, err := tt.h.encode()
		if err != nil || string(b) != tt.want {
			t.Errorf("encode %+v = %q %v, want %q", tt.h, b, err, tt.want)
		}
		h, n, err := parseFileHeader(append(b, "rest"...))
		if err != nil || n != len(b) || h.Name != tt.h.Name || (h.Extra == nil) != (tt.h.Extra == nil) {
			t.Errorf("parse %q = %+v %d %v", b, h, n, err)
		}
	}
	for _, bad := range []string{"", "\x05ab", "\x01a", "\x01a2", "\x01a1\x05x"} {
		if _, _, err := parseFileHeader([]byte(bad)); !errors.Is(err, ErrDecrypt) {
			t.Errorf("parse %q: %v, want ErrDecrypt", bad, err)
		}
	}
}

func detRand(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

// plaintextOf builds the encrypted file's plaintext by hand: int64 length,
// header, content, '#' padding to encSize−16 [FCR encryptFile].
func plaintextOf(name string, content []byte, encSize int64) []byte {
	hdr := append([]byte{byte(len(name))}, name...)
	hdr = append(hdr, '0')
	var b []byte
	b = binary.BigEndian.AppendUint64(b, uint64(len(hdr)+len(content)))
	b = append(b, hdr...)
	b = append(b, content...)
	return append(b, bytes.Repeat([]byte{'#'}, int(encSize)-16-len(b))...)
}

// TestEncryptFileLayout: the streamed encryption equals the one-shot
// tail-tag secretbox (protocol/crypto, vector-tested) of the hand-built
// plaintext, and the digests are SHA-512 of the file and SHA-256 of each
// chunk.
func TestEncryptFileLayout(t *testing.T) {
	for _, size := range []int{0, 1, 100, 65536 - 8 - 16 - 10, 65536 - 8 - 16 - 9, 300000, 3 << 20} {
		content := make([]byte, size)
		detRand(uint64(size)).Read(content)
		var out bytes.Buffer
		ef, err := EncryptFile(&out, bytes.NewReader(content), int64(size), "test.txt", detRand(7))
		if err != nil {
			t.Fatal(err)
		}
		var sizes []uint32
		for _, c := range ef.Chunks {
			sizes = append(sizes, c.Size)
		}
		if want := PrepareChunkSizes(int64(8 + 10 + size + 16)); !slices.Equal(sizes, want) {
			t.Fatalf("size %d: chunks %v, want %v", size, sizes, want)
		}
		if int64(out.Len()) != ef.Size {
			t.Fatalf("size %d: wrote %d, Size %d", size, out.Len(), ef.Size)
		}
		want := crypto.SecretBoxTailTag(ef.Key, ef.Nonce, plaintextOf("test.txt", content, ef.Size))
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("size %d: ciphertext differs from the one-shot tail-tag box", size)
		}
		d := sha512.Sum512(out.Bytes())
		if !bytes.Equal(ef.Digest, d[:]) {
			t.Fatalf("size %d: file digest", size)
		}
		for i, c := range ef.Chunks {
			s := sha256.Sum256(out.Bytes()[c.Offset : c.Offset+int64(c.Size)])
			if !bytes.Equal(c.Digest, s[:]) {
				t.Fatalf("size %d: chunk %d digest", size, i)
			}
		}
		// And back.
		var got bytes.Buffer
		h, err := DecryptFile(bytes.NewReader(out.Bytes()), ef.Size, ef.Key, ef.Nonce, func(h FileHeader) (io.Writer, error) { return &got, nil })
		if err != nil || h.Name != "test.txt" || !bytes.Equal(got.Bytes(), content) {
			t.Fatalf("size %d: decrypt: %v %q", size, err, h.Name)
		}
	}
}

func TestEncryptFileShortSource(t *testing.T) {
	_, err := EncryptFile(io.Discard, strings.NewReader("abc"), 10, "x", detRand(1))
	if err == nil {
		t.Fatal("short source accepted")
	}
}

// TestDecryptFileErrors: tampering anywhere fails authentication; a bad
// length or header fails before.
func TestDecryptFileErrors(t *testing.T) {
	content := bytes.Repeat([]byte("data"), 1000)
	var out bytes.Buffer
	ef, err := EncryptFile(&out, bytes.NewReader(content), int64(len(content)), "f.bin", detRand(3))
	if err != nil {
		t.Fatal(err)
	}
	dec := func(b []byte, size int64) error {
		_, err := DecryptFile(bytes.NewReader(b), size, ef.Key, ef.Nonce, func(FileHeader) (io.Writer, error) { return io.Discard, nil })
		return err
	}
	for _, pos := range []int{0, 9, 100, 5000, out.Len() - 20, out.Len() - 1} {
		b := bytes.Clone(out.Bytes())
		b[pos] ^= 0x40
		if err := dec(b, ef.Size); !errors.Is(err, ErrDecrypt) {
			t.Errorf("flip at %d: %v, want ErrDecrypt", pos, err)
		}
	}
	if err := dec(out.Bytes()[:out.Len()-1], ef.Size); !errors.Is(err, ErrDecrypt) {
		t.Errorf("truncated: %v", err)
	}
	if err := dec(out.Bytes(), 10); !errors.Is(err, ErrDecrypt) {
		t.Errorf("tiny size: %v", err)
	}
	// A length larger than the file: rejected before reading on.
	var key [32]byte
	var nonce [24]byte
	pt := make([]byte, 100)
	binary.BigEndian.PutUint64(pt, 1000)
	box := crypto.SecretBoxTailTag(key, nonce, pt)
	_, err = DecryptFile(bytes.NewReader(box), int64(len(box)), key, nonce, func(FileHeader) (io.Writer, error) { return io.Discard, nil })
	if !errors.Is(err, ErrDecrypt) {
		t.Errorf("long length: %v", err)
	}
	// The open callback's error is returned.
	errOpen := errors.New("no")
	_, err = DecryptFile(bytes.NewReader(out.Bytes()), ef.Size, ef.Key, ef.Nonce, func(FileHeader) (io.Writer, error) { return nil, errOpen })
	if !errors.Is(err, errOpen) {
		t.Errorf("open error: %v", err)
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "::1": "[::1]", "a.onion": "a.onion"} {
		if got := urlHost(in); got != want {
			t.Errorf("urlHost(%q) = %q", in, got)
		}
	}
	long := strings.Repeat("é", 200) + ".txt"
	tn := truncateName(long)
	if len(tn) > 255 || !strings.HasSuffix(tn, ".txt") || !strings.HasPrefix(long, strings.TrimSuffix(tn, ".txt")) {
		t.Errorf("truncateName: %d bytes %q", len(tn), tn)
	}
	if truncateName("a.txt") != "a.txt" {
		t.Error("short name changed")
	}
	for in, want := range map[string]string{
		"a.txt": "a.txt", "../../etc/passwd": ".._.._etc_passwd", "..": "file", "": "file",
		"a\x00b": "a_b", `c:\x`: "c:_x", " . ": "file",
	} {
		if got := SafeFileName(in); got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseFileHeader: a parsed header re-encodes to the bytes it was
// parsed from when its text is valid UTF-8 (else to a header that parses
// to the same values).
func FuzzParseFileHeader(f *testing.F) {
	for _, s := range []string{"\x08test.txt0", "\x0cdocument.pdf1\x02v2", "\x000", "\x01a1\x00tail", "\x05ab", "\x01\xff0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseFileHeader(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		enc, err := h.encode()
		if err != nil {
			t.Fatal(err)
		}
		h2, n2, err := parseFileHeader(enc)
		if err != nil || n2 != len(enc) || h2.Name != h.Name || (h2.Extra == nil) != (h.Extra == nil) || (h.Extra != nil && *h.Extra != *h2.Extra) {
			t.Fatalf("re-parse of %q: %+v %d %v", enc, h2, n2, err)
		}
		d := encoding.NewDecoder(b)
		valid := utf8.Valid(d.Short())
		if d.Maybe() {
			valid = valid && utf8.Valid(d.Short())
		}
		if valid && !bytes.Equal(enc, b[:n]) {
			t.Fatalf("re-encode %q != %q", enc, b[:n])
		}
	})
}

// FuzzDecryptFile: content and name survive EncryptFile then DecryptFile,
// and flipping one byte of the result is always detected.
func FuzzDecryptFile(f *testing.F) {
	f.Add([]byte("hello"), "a.txt", uint16(3))
	f.Add([]byte{}, "", uint16(0))
	f.Add(bytes.Repeat([]byte{0}, 70000), "zeros", uint16(65535))
	f.Fuzz(func(t *testing.T, content []byte, name string, flip uint16) {
		var out bytes.Buffer
		ef, err := EncryptFile(&out, bytes.NewReader(content), int64(len(content)), name, detRand(uint64(len(content))))
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		h, err := DecryptFile(bytes.NewReader(out.Bytes()), ef.Size, ef.Key, ef.Nonce, func(FileHeader) (io.Writer, error) { return &got, nil })
		if err != nil || !bytes.Equal(got.Bytes(), content) || h.Name != address.SafeUTF8(truncateName(name)) {
			t.Fatalf("round trip: %v, name %q", err, h.Name)
		}
		b := out.Bytes()
		b[int(flip)%len(b)] ^= 1
		if _, err := DecryptFile(bytes.NewReader(b), ef.Size, ef.Key, ef.Nonce, func(FileHeader) (io.Writer, error) { return io.Discard, nil }); err == nil {
			t.Fatal("flipped byte not detected")
		}
	})
}

// TestUniquePath: suffixes go before the first dot, as uniqueCombine's
// splitExtensions [FTU uniqueCombine].
func TestUniquePath(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, want1, want2 string }{
		{"a.tar.gz", "a.tar.gz", "a_1.tar.gz"},
		{"noext", "noext", "noext_1"},
		{".hidden", ".hidden", ".hidden_1"},
	} {
		p := uniquePath(dir, tt.name)
		if filepath.Base(p) != tt.want1 {
			t.Errorf("%s: first %s", tt.name, p)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if p := uniquePath(dir, tt.name); filepath.Base(p) != tt.want2 {
			t.Errorf("%s: second %s, want %s", tt.name, p, tt.want2)
		}
	}
}
