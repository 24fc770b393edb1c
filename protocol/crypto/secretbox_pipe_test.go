package crypto

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestStreamWriteTo checks that WriteTo (what io.Copy uses) gives Read's
// plaintext for every size around the piece boundaries, every way the
// source may split the stream, and after some bytes were taken by Read.
func TestStreamWriteTo(t *testing.T) {
	key, nonce := key32(seq(100, 131)), nonce24(seq(7, 30))
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, 15, 16, 17, 1000, streamChunk - 17, streamChunk - 16, streamChunk - 1, streamChunk, streamChunk + 1, streamChunk + 16, 3*streamChunk + 5} {
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		ct := SecretBoxTailTag(key, nonce, msg)
		readers := map[string]func() io.Reader{
			"whole":    func() io.Reader { return bytes.NewReader(ct) },
			"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(ct)) },
			"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(ct)) },
			"steps":    func() io.Reader { return &chunkReader{b: ct, step: 7000} },
		}
		if size < 2000 {
			readers["one byte"] = func() io.Reader { return iotest.OneByteReader(bytes.NewReader(ct)) }
		}
		for name, mk := range readers {
			for _, pre := range []int{0, 1, 100, 70000} {
				d := NewStreamDecryptor(mk(), key, nonce)
				head := make([]byte, min(pre, size))
				if _, err := io.ReadFull(d, head); err != nil {
					t.Fatalf("size %d, %s, Read %d first: %v", size, name, pre, err)
				}
				var out bytes.Buffer
				out.Write(head)
				n, err := d.WriteTo(&out)
				if err != nil || n != int64(size-len(head)) || !bytes.Equal(out.Bytes(), msg) {
					t.Fatalf("size %d, %s, Read %d first: WriteTo n=%d err=%v equal=%v", size, name, pre, n, err, bytes.Equal(out.Bytes(), msg))
				}
				if d.Decrypted() != int64(size) {
					t.Fatalf("size %d: Decrypted = %d", size, d.Decrypted())
				}
				// Done: a second WriteTo writes nothing, Read says EOF.
				if n, err := d.WriteTo(&out); n != 0 || err != nil {
					t.Fatalf("WriteTo after the end: %d %v", n, err)
				}
				if n, err := d.Read(make([]byte, 8)); n != 0 || err != io.EOF {
					t.Fatalf("Read after WriteTo: %d %v", n, err)
				}
			}
		}
	}
}

// TestStreamWriteToErrors: a bad tag or a short stream is ErrDecrypt (the
// last piece withheld), a source error is passed on, a writer error stops
// the copy and is returned; all of them stick.
func TestStreamWriteToErrors(t *testing.T) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	msg := make([]byte, 2*streamChunk+100)
	good := SecretBoxTailTag(key, nonce, msg)
	for _, i := range []int{0, streamChunk, len(good) - 1} {
		bad := bytes.Clone(good)
		bad[i] ^= 1
		d := NewStreamDecryptor(bytes.NewReader(bad), key, nonce)
		var out bytes.Buffer
		n, err := d.WriteTo(&out)
		if !errors.Is(err, ErrDecrypt) || n != int64(out.Len()) {
			t.Errorf("flipped byte %d: n=%d err=%v", i, n, err)
		}
		if _, err := d.WriteTo(&out); !errors.Is(err, ErrDecrypt) {
			t.Errorf("sticky: %v", err)
		}
	}
	// A stream read in one piece with its end: nothing reaches w.
	small := SecretBoxTailTag(key, nonce, msg[:1000])
	small[10] ^= 1
	var out bytes.Buffer
	if n, err := NewStreamDecryptor(iotest.DataErrReader(bytes.NewReader(small)), key, nonce).WriteTo(&out); !errors.Is(err, ErrDecrypt) || n != 0 || out.Len() != 0 {
		t.Errorf("bad tag in the only piece: n=%d err=%v", n, err)
	}
	for _, n := range []int{0, 1, TagSize - 1} {
		d := NewStreamDecryptor(bytes.NewReader(good[:n]), key, nonce)
		if _, err := d.WriteTo(io.Discard); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	d := NewStreamDecryptor(io.MultiReader(bytes.NewReader(good[:streamChunk+5]), iotest.ErrReader(io.ErrUnexpectedEOF)), key, nonce)
	if _, err := d.WriteTo(io.Discard); !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrDecrypt) {
		t.Errorf("source error: %v", err)
	}
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("sticky source error: %v", err)
	}
	src := &countingReader{r: bytes.NewReader(bytes.Repeat(good, 4))}
	d = NewStreamDecryptor(src, key, nonce)
	if _, err := d.WriteTo(failWriter{}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("writer error: %v", err)
	}
	if src.n > 4*(streamChunk+TagSize) {
		t.Errorf("read %d bytes after the writer failed", src.n)
	}
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("sticky writer error: %v", err)
	}
	d = NewStreamDecryptor(bytes.NewReader(good), key, nonce)
	if _, err := d.WriteTo(shortWriter{}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short write: %v", err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// shortWriter takes one byte less than it is given, without an error.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return max(len(p)-1, 0), nil }

// BenchmarkStreamDecrypt is a 4 MB chunk decrypted and hashed as an XFTP
// client does, by Read (one goroutine) and by WriteTo (the hash on a
// second one).
func BenchmarkStreamDecrypt(b *testing.B) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	ct := SecretBoxTailTag(key, nonce, make([]byte, 4<<20))
	for name, wrap := range map[string]func(*StreamDecryptor) io.Reader{
		"Read":    func(d *StreamDecryptor) io.Reader { return struct{ io.Reader }{d} },
		"WriteTo": func(d *StreamDecryptor) io.Reader { return d },
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 << 20)
			for b.Loop() {
				h := sha256.New()
				if _, err := io.Copy(h, wrap(NewStreamDecryptor(bytes.NewReader(ct), key, nonce))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
