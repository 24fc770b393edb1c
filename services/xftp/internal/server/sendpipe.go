package server

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// sendPiece is the size of the pieces an FGET body is read, encrypted and
// written in: each Write of an HTTP/2 response body is one hand-off to the
// connection's writer, which cuts it into DATA frames of the client's
// SETTINGS_MAX_FRAME_SIZE (16 KB: the official client keeps the default,
// and so do x/net clients that leave MaxReadFrameSize zero).
const sendPiece = 256 << 10

// firstPiece is the size of a body's first piece; each later piece is
// twice the one before, up to sendPiece. Sealing a piece takes about a
// third of the time sending it does, so the first bytes go out once a
// short piece is read and sealed (instead of a whole sendPiece: ~0.2 ms
// here), and each later piece is ready before the one before it has been
// sent.
const firstPiece = 32 << 10

// sendBuffers is how many pieces are in flight: one being sent, one sealed
// and waiting, one being read and sealed.
const sendBuffers = 3

var piecePool = sync.Pool{New: func() any { b := make([]byte, sendPiece); return &b }}

// errShortChunk is returned when a chunk file ends before its size.
var errShortChunk = errors.New("chunk: file shorter than its size")

// sendSealed copies exactly size bytes of r to w, passing each piece
// through seal (in-place encryption) first. Reading and sealing run on
// their own goroutine while the previous piece is written, so the file
// read and the XSalsa20-Poly1305 stream of a download overlap its HTTP/2
// and TLS writes (as the client overlaps its TLS reads and decryption).
// Pieces are written in order; seal sees them in order. The first piece is
// firstPiece bytes, the later ones double up to sendPiece.
func sendSealed(w io.Writer, r io.Reader, size int64, seal func([]byte) error) error {
	free := make(chan *[]byte, sendBuffers)
	for range sendBuffers {
		free <- piecePool.Get().(*[]byte)
	}
	type piece struct {
		buf *[]byte
		n   int
	}
	filled := make(chan piece, sendBuffers)
	stop := make(chan struct{})
	var rerr error // set by the reader before it closes filled
	go func() {
		defer close(filled)
		next := firstPiece
		for rest := size; rest > 0; {
			var bp *[]byte
			select {
			case bp = <-free:
			case <-stop:
				return
			}
			b := (*bp)[:min(rest, int64(next))]
			next = min(2*next, sendPiece)
			if _, err := io.ReadFull(r, b); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					err = errShortChunk
				}
				rerr = fmt.Errorf("chunk: read: %w", err)
				free <- bp
				return
			}
			if err := seal(b); err != nil {
				rerr = err
				free <- bp
				return
			}
			rest -= int64(len(b))
			filled <- piece{bp, len(b)}
		}
	}()
	var werr error
	for p := range filled {
		if werr == nil {
			if _, werr = w.Write((*p.buf)[:p.n]); werr != nil {
				close(stop)
			}
		}
		free <- p.buf
	}
	// The reader has returned (filled is closed): every buffer is back.
	for range sendBuffers {
		piecePool.Put(<-free)
	}
	if werr != nil {
		return werr
	}
	return rerr
}
