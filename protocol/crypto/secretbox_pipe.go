package crypto

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"
)

// pipeBuffers is how many pieces a StreamDecryptor.WriteTo has in flight:
// one being written, one decrypted and waiting, one being read and
// decrypted.
const pipeBuffers = 3

var pipePool = sync.Pool{New: func() any { b := make([]byte, streamChunk+TagSize); return &b }}

// decryptInPlace authenticates the ciphertext c (the tag is over the
// ciphertext) and decrypts it in place.
func (st *sbState) decryptInPlace(c []byte) {
	_, _ = st.mac.Write(c)
	st.ks.xor(c, c)
}

// WriteTo decrypts the rest of the stream into w (io.Copy uses it). The
// source is read and decrypted on the calling goroutine while w is called
// on a goroutine of its own with the previous piece, so a slow writer (a
// file, a hash of the plaintext) and the decryption use two cores. w sees
// the pieces in order, one Write at a time, each at most 256 KB; every
// piece is authenticated-and-decrypted before w sees it, the last one only
// after the tag has been checked. As with Read, what w received is
// unauthenticated until WriteTo returns a nil error; it returns an error
// wrapping ErrDecrypt when the tag does not match or the stream is shorter
// than a tag, and w's first error otherwise (reading stops).
//
// Each source Read goes into a fresh 256 KB piece (one call per piece, as
// Read makes one call per refill), so an HTTP/2 body sends the same
// flow-control updates either way.
func (d *StreamDecryptor) WriteTo(w io.Writer) (int64, error) {
	if d.err != nil {
		if d.err == io.EOF {
			return 0, nil
		}
		return 0, d.err
	}
	type piece struct {
		buf *[]byte
		n   int
	}
	free := make(chan *[]byte, pipeBuffers)
	for range pipeBuffers {
		free <- pipePool.Get().(*[]byte)
	}
	filled := make(chan piece, pipeBuffers)
	stop := make(chan struct{})
	var (
		written int64
		werr    error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for p := range filled {
			if werr == nil {
				var n int
				n, werr = w.Write((*p.buf)[:p.n])
				written += int64(n)
				if werr == nil && n < p.n {
					werr = io.ErrShortWrite
				}
				if werr != nil {
					close(stop)
				}
			}
			free <- p.buf
		}
	}()
	rerr := d.pump(free, stop, func(bp *[]byte, n int) { filled <- piece{bp, n} })
	close(filled)
	<-done
	for range pipeBuffers {
		pipePool.Put(<-free)
	}
	switch {
	case werr != nil:
		d.err = fmt.Errorf("crypto: stream write: %w", werr)
		return written, d.err
	case rerr == io.EOF:
		return written, nil
	}
	return written, rerr
}

// pump reads the source into pieces taken from free, decrypts them in
// place and hands them to send, until the tag has been checked (io.EOF),
// the source fails or stop is closed. It leaves the decryptor in the state
// Read leaves it in (d.err set at the end; d.pend empty).
func (d *StreamDecryptor) pump(free chan *[]byte, stop chan struct{}, send func(*[]byte, int)) error {
	var carry [TagSize]byte
	first := true
	for {
		var bp *[]byte
		select {
		case <-stop:
			return errStopped
		default:
		}
		select {
		case bp = <-free:
		case <-stop:
			return errStopped
		}
		b := *bp
		var n int
		if first {
			// Bytes already read by Read calls come first (at most a
			// whole buffer, the size of b).
			n = copy(b, d.pend)
			d.pend = d.pend[:0]
			first = false
		} else {
			n = copy(b, carry[:])
		}
		// One Read per piece, more only while the piece holds no more than
		// the held-back tag.
		for !d.eof && n < len(b) {
			k, err := d.r.Read(b[n:])
			n += k
			switch {
			case errors.Is(err, io.EOF):
				d.eof = true
			case err != nil:
				free <- bp
				d.err = fmt.Errorf("crypto: stream read: %w", err)
				return d.err
			}
			if k > 0 && n > TagSize {
				break
			}
		}
		if n < TagSize {
			// Only at the end: otherwise the loop reads on.
			free <- bp
			d.err = fmt.Errorf("%w: stream shorter than its tag", ErrDecrypt)
			return d.err
		}
		c := n - TagSize
		d.st.decryptInPlace(b[:c])
		d.n += int64(c)
		if !d.eof {
			// The last TagSize bytes may be the tag: they start the next
			// piece.
			copy(carry[:], b[c:n])
			send(bp, c)
			continue
		}
		if subtle.ConstantTimeCompare(d.st.mac.Sum(nil), b[c:n]) != 1 {
			free <- bp
			d.err = ErrDecrypt
			return d.err
		}
		d.err = io.EOF
		if c == 0 {
			free <- bp
		} else {
			send(bp, c)
		}
		return io.EOF
	}
}

// errStopped ends pump when the writer has failed (WriteTo returns the
// writer's error instead).
var errStopped = errors.New("crypto: stream writer failed")
