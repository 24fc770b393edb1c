package server

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// failWriter fails after accepting limit bytes.
type failWriter struct {
	buf   bytes.Buffer
	limit int
}

var errWriteFailed = errors.New("write failed")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.limit {
		return 0, errWriteFailed
	}
	return w.buf.Write(p)
}

// xorSeal is a stand-in for the stream cipher: it depends on the position,
// so pieces sealed out of order or twice would show.
func xorSeal(pos *int) func([]byte) error {
	return func(b []byte) error {
		for i := range b {
			b[i] ^= byte(*pos + i)
		}
		*pos += len(b)
		return nil
	}
}

// TestSendSealed: exactly size bytes, sealed in order, written in order,
// for sizes around the piece size; a longer source is cut at size.
func TestSendSealed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{0, 1, sendPiece - 1, sendPiece, sendPiece + 1, 5*sendPiece + 7} {
		src := make([]byte, size+100)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		want := bytes.Clone(src[:size])
		for i := range want {
			want[i] ^= byte(i)
		}
		var out bytes.Buffer
		pos := 0
		if err := sendSealed(&out, bytes.NewReader(src), int64(size), xorSeal(&pos)); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("size %d: output differs", size)
		}
	}
}

// TestSendSealedErrors: a short file, a failing seal and a failing writer
// end the copy with an error and return every buffer.
func TestSendSealedErrors(t *testing.T) {
	pos := 0
	err := sendSealed(io.Discard, bytes.NewReader(make([]byte, 3*sendPiece)), 4*sendPiece, xorSeal(&pos))
	if !errors.Is(err, errShortChunk) {
		t.Fatalf("short file: %v", err)
	}
	sealErr := errors.New("seal failed")
	calls := 0
	err = sendSealed(io.Discard, bytes.NewReader(make([]byte, 4*sendPiece)), 4*sendPiece, func([]byte) error {
		if calls++; calls == 2 {
			return sealErr
		}
		return nil
	})
	if !errors.Is(err, sealErr) {
		t.Fatalf("seal: %v", err)
	}
	// The pieces that fit whole (32 + 64 + 128 KB) are written, the 256 KB
	// one fails.
	w := &failWriter{limit: sendPiece}
	pos = 0
	err = sendSealed(w, bytes.NewReader(make([]byte, 8*sendPiece)), 8*sendPiece, xorSeal(&pos))
	if want := 7 * firstPiece; !errors.Is(err, errWriteFailed) || w.buf.Len() != want {
		t.Fatalf("writer: %v after %d bytes, want %d", err, w.buf.Len(), want)
	}
}

// sizeWriter records the size of every Write.
type sizeWriter struct{ sizes []int }

func (w *sizeWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return len(p), nil
}

// TestSendSealedRamp: the first piece is firstPiece bytes, each later one
// twice the one before up to sendPiece; the last one is what remains.
func TestSendSealedRamp(t *testing.T) {
	pos := 0
	var w sizeWriter
	size := 3*sendPiece + 5
	if err := sendSealed(&w, bytes.NewReader(make([]byte, size)), int64(size), xorSeal(&pos)); err != nil {
		t.Fatal(err)
	}
	want := []int{32 << 10, 64 << 10, 128 << 10, 256 << 10, 256 << 10, 3*sendPiece + 5 - (32+64+128+256+256)<<10}
	if !slices.Equal(w.sizes, want) {
		t.Fatalf("pieces %v, want %v", w.sizes, want)
	}
}
