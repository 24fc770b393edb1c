package crypto

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	//lint:ignore SA1019 HSalsa20 and a counter-addressed Salsa20 keystream are what the reference's cascade needs.
	"golang.org/x/crypto/salsa20/salsa"
)

// The tail-tag ("lazy") variant of the NaCl box [MCL sbInit_, cbInit,
// sbEncryptChunk, sbAuth; FT sendEncFile, receiveSbFile]:
//
//	stream = XSalsa20(K', n) ⊕ msg  ‖  poly1305 tag (16)
//
// It is byte for byte the NaCl box with the tag moved from the front to the
// end, which lets files and XFTP FGET bodies be encrypted in one pass: the
// first 32 bytes of the keystream become the Poly1305 key, the message is
// XORed with the keystream from byte 32 on, and the tag over the ciphertext
// follows the last chunk. K' = HSalsa20(K, 0) as everywhere (§2.9).
//
// The reference initialises this state identically for a DH secret (cbInit:
// FGET bodies, key = DH(rcvDhKey, fresh server key)), a symmetric key
// (sbInit: file encryption) and a hybrid KEM secret (kcbInit): all three
// call the same sbInit_ on the raw 32 bytes. The two constructors below
// differ only in how the key is passed.

// xsalsaStream is an incremental XSalsa20 keystream, any chunk sizes.
type xsalsaStream struct {
	key   [32]byte // HSalsa20(K', n[0:16])
	ctr   [16]byte // n[16:24] ‖ little-endian 64-bit block counter
	block [64]byte // current keystream block
	off   int      // used bytes of block (64 = none left)
}

func newXSalsaStream(key *[KeySize]byte, nonce *[NonceSize]byte) *xsalsaStream {
	s := new(xsalsaStream)
	s.init(key, nonce)
	return s
}

// init sets s to the start of the keystream (one-shot boxes keep s on
// their stack).
func (s *xsalsaStream) init(key *[KeySize]byte, nonce *[NonceSize]byte) {
	k1 := hsalsaZero(key)
	s.off = 64
	salsa.HSalsa20(&s.key, (*[16]byte)(nonce[:16]), &k1, &salsa.Sigma)
	copy(s.ctr[:8], nonce[16:])
	clear(s.ctr[8:])
}

func (s *xsalsaStream) advance(blocks uint64) {
	binary.LittleEndian.PutUint64(s.ctr[8:], binary.LittleEndian.Uint64(s.ctr[8:])+blocks)
}

func (s *xsalsaStream) refill() {
	clear(s.block[:])
	salsa.XORKeyStream(s.block[:], s.block[:], &s.ctr, &s.key)
	s.advance(1)
	s.off = 0
}

// xor sets dst = src ⊕ keystream; dst and src must be the same length and
// overlap entirely or not at all.
func (s *xsalsaStream) xor(dst, src []byte) {
	for len(src) > 0 && s.off < 64 {
		n := min(len(src), 64-s.off)
		subtle.XORBytes(dst[:n], src[:n], s.block[s.off:s.off+n])
		s.off += n
		dst, src = dst[n:], src[n:]
	}
	if full := len(src) &^ 63; full > 0 {
		salsaXOR(dst[:full], src[:full], &s.ctr, &s.key)
		s.advance(uint64(full / 64))
		dst, src = dst[full:], src[full:]
	}
	if len(src) > 0 {
		s.refill()
		subtle.XORBytes(dst, src, s.block[:len(src)])
		s.off = len(src)
	}
}

// sbState is the reference's SbState: keystream plus Poly1305 over the
// ciphertext.
type sbState struct {
	ks  *xsalsaStream
	mac macWriter
}

func newSbState(key *[KeySize]byte, nonce *[NonceSize]byte) sbState {
	ks := newXSalsaStream(key, nonce)
	ks.refill()
	var polyKey [32]byte
	copy(polyKey[:], ks.block[:32])
	ks.off = 32
	return sbState{ks: ks, mac: newMAC(&polyKey)}
}

// streamChunk is the size of the scratch buffers of the stream types: a
// StreamDecryptor reads its source in pieces of this size (an HTTP/2 body
// sends one flow-control update per read, so small reads cost a frame and
// a TLS record each), a StreamEncryptor writes in pieces of this size.
const streamChunk = 256 << 10

// StreamEncryptor encrypts a stream written to it in the tail-tag variant:
// every Write passes ciphertext to the underlying writer at once and Close
// appends the 16-byte tag. The plaintext is never held whole in memory. It
// is not safe for concurrent use.
type StreamEncryptor struct {
	w      io.Writer
	st     sbState
	buf    []byte
	n      int64
	closed bool
	err    error
}

// ErrStreamClosed is returned by writes after Close.
var ErrStreamClosed = errors.New("crypto: stream closed")

// NewStreamEncryptor returns an encryptor with a symmetric key [MCL sbInit].
func NewStreamEncryptor(w io.Writer, key [KeySize]byte, nonce [NonceSize]byte) *StreamEncryptor {
	return &StreamEncryptor{w: w, st: newSbState(&key, &nonce)}
}

// NewBoxStreamEncryptor returns an encryptor with a raw X25519 DH secret
// [MCL cbInit], as the XFTP server uses for FGET bodies.
func NewBoxStreamEncryptor(w io.Writer, dhSecret []byte, nonce [NonceSize]byte) (*StreamEncryptor, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return NewStreamEncryptor(w, *k, nonce), nil
}

// Write encrypts p and writes the ciphertext. p is not modified.
func (e *StreamEncryptor) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.closed {
		return 0, ErrStreamClosed
	}
	if e.buf == nil {
		e.buf = make([]byte, streamChunk)
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), len(e.buf))
		c := e.buf[:n]
		e.st.ks.xor(c, p[:n])
		_, _ = e.st.mac.Write(c)
		if _, err := e.w.Write(c); err != nil {
			// The keystream has moved on: the stream is unusable.
			e.err = fmt.Errorf("crypto: stream write: %w", err)
			return written, e.err
		}
		written += n
		e.n += int64(n)
		p = p[n:]
	}
	return written, nil
}

// Seal encrypts p in place and adds the ciphertext to the tag without
// writing it: for a caller that writes the ciphertext itself, in order,
// before Close writes the tag (the XFTP server encrypts the next piece of
// a chunk while the previous one is being sent). Seal and Write continue
// the same keystream, so the bytes are those Write would have produced.
func (e *StreamEncryptor) Seal(p []byte) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return ErrStreamClosed
	}
	e.st.ks.xor(p, p)
	_, _ = e.st.mac.Write(p)
	e.n += int64(len(p))
	return nil
}

// Written returns the number of plaintext bytes encrypted so far.
func (e *StreamEncryptor) Written() int64 { return e.n }

// Close writes the 16-byte tag. It does not close the underlying writer.
func (e *StreamEncryptor) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return ErrStreamClosed
	}
	e.closed = true
	if _, err := e.w.Write(e.st.mac.Sum(nil)); err != nil {
		e.err = fmt.Errorf("crypto: stream tag: %w", err)
		return e.err
	}
	return nil
}

// StreamDecryptor decrypts a tail-tag stream read from an io.Reader. It
// holds back the last 16 bytes it has read, so it needs no length: the tag
// is whatever precedes the reader's io.EOF (wrap the reader in an
// io.LimitReader when the encrypted part is followed by other data).
//
// Plaintext is returned before the tag can be checked, as in the reference
// (which writes the decrypted chunk to its file, then compares the tag
// [FT receiveSbFile]). A caller must treat everything it has read as
// unauthenticated until Read returns io.EOF; Read returns ErrDecrypt
// instead when the tag does not match or the stream is shorter than a tag.
// It is not safe for concurrent use.
type StreamDecryptor struct {
	r    io.Reader
	st   sbState
	buf  []byte
	pend []byte // read, not yet decrypted; the last TagSize bytes may be the tag
	eof  bool
	n    int64
	err  error
}

// NewStreamDecryptor returns a decryptor with a symmetric key [MCL sbInit].
func NewStreamDecryptor(r io.Reader, key [KeySize]byte, nonce [NonceSize]byte) *StreamDecryptor {
	return &StreamDecryptor{r: r, st: newSbState(&key, &nonce)}
}

// NewBoxStreamDecryptor returns a decryptor with a raw X25519 DH secret
// [MCL cbInit], as XFTP clients use for FGET bodies.
func NewBoxStreamDecryptor(r io.Reader, dhSecret []byte, nonce [NonceSize]byte) (*StreamDecryptor, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return NewStreamDecryptor(r, *k, nonce), nil
}

// Read decrypts into p. It returns io.EOF only after the tag has been
// verified.
func (d *StreamDecryptor) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.buf == nil {
		d.buf = make([]byte, streamChunk+TagSize)
		d.pend = d.buf[:0]
	}
	for {
		if avail := len(d.pend) - TagSize; avail > 0 {
			n := min(avail, len(p))
			_, _ = d.st.mac.Write(d.pend[:n])
			d.st.ks.xor(p[:n], d.pend[:n])
			d.pend = d.pend[n:]
			d.n += int64(n)
			return n, nil
		}
		if d.eof {
			d.err = d.finish()
			return 0, d.err
		}
		// Move the held-back bytes to the front and read after them.
		m := copy(d.buf, d.pend)
		d.pend = d.buf[:m]
		n, err := d.r.Read(d.buf[m:])
		d.pend = d.buf[:m+n]
		switch {
		case errors.Is(err, io.EOF):
			d.eof = true
		case err != nil:
			d.err = fmt.Errorf("crypto: stream read: %w", err)
			return 0, d.err
		}
	}
}

func (d *StreamDecryptor) finish() error {
	if len(d.pend) != TagSize {
		return fmt.Errorf("%w: stream shorter than its tag", ErrDecrypt)
	}
	if subtle.ConstantTimeCompare(d.st.mac.Sum(nil), d.pend) != 1 {
		return ErrDecrypt
	}
	return io.EOF
}

// Decrypted returns the number of plaintext bytes returned so far.
func (d *StreamDecryptor) Decrypted() int64 { return d.n }

// SecretBoxTailTag encrypts msg in one piece in the tail-tag variant with a
// symmetric key [MCL sbEncryptTailTagNoPad]: ciphertext then tag.
func SecretBoxTailTag(key [KeySize]byte, nonce [NonceSize]byte, msg []byte) []byte {
	b := SecretBox(key, nonce, msg)
	out := make([]byte, 0, len(b))
	out = append(out, b[TagSize:]...)
	return append(out, b[:TagSize]...)
}

// OpenSecretBoxTailTag reverses SecretBoxTailTag [MCL
// sbDecryptTailTagNoPad]; it returns ErrDecrypt on a bad tag.
func OpenSecretBoxTailTag(key [KeySize]byte, nonce [NonceSize]byte, stream []byte) ([]byte, error) {
	if len(stream) < TagSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrDecrypt, len(stream))
	}
	c := len(stream) - TagSize
	b := make([]byte, 0, len(stream))
	b = append(b, stream[c:]...)
	b = append(b, stream[:c]...)
	return OpenSecretBox(key, nonce, b)
}

// BoxTailTag is SecretBoxTailTag with a raw X25519 DH secret [MCL cbInit].
func BoxTailTag(dhSecret []byte, nonce [NonceSize]byte, msg []byte) ([]byte, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return SecretBoxTailTag(*k, nonce, msg), nil
}

// OpenBoxTailTag reverses BoxTailTag.
func OpenBoxTailTag(dhSecret []byte, nonce [NonceSize]byte, stream []byte) ([]byte, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return OpenSecretBoxTailTag(*k, nonce, stream)
}
