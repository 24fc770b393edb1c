package transport

import (
	"crypto/cipher"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Record layer constants beyond those of finished.go (RFC 8446 §4.6.3,
// §6).
const (
	handshakeKeyUpdate = 24
	keyUpdateLen       = handshakeHeaderLen + 1 // header + request_update

	keyUpdateNotRequested = 0
	keyUpdateRequested    = 1

	alertLevelWarning = 1
	alertCloseNotify  = 0

	// closeNotifyTimeout bounds the close_notify write in Close, so that
	// closing a connection whose peer stopped reading does not hang.
	closeNotifyTimeout = time.Second
)

var (
	// ErrRecordLayer: a record received after the handshake is malformed,
	// fails authentication or is out of place; the connection cannot go
	// on.
	ErrRecordLayer = errors.New("transport: bad TLS record")
	// ErrRemoteAlert: the peer sent an alert other than close_notify.
	ErrRemoteAlert = errors.New("transport: TLS alert from peer")
)

// recordPool holds buffers for one whole protected record: header and up
// to 2^14 + 256 bytes of ciphertext.
var recordPool = sync.Pool{New: func() any { b := make([]byte, recordHeaderLen+maxCiphertext); return &b }}

// trafficState is one direction's protection under a traffic secret
// (RFC 8446 §5.3, §7.3): the per-record nonce is the iv XOR the 64-bit
// sequence number, left-padded with zeros to the iv's 12 bytes.
type trafficState struct {
	suite  suite13
	secret []byte
	aead   cipher.AEAD
	iv     [12]byte
	nonce  [12]byte
	seq    uint64
}

func newTrafficState(s suite13, secret []byte) (*trafficState, error) {
	t := &trafficState{suite: s}
	if err := t.setSecret(secret); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *trafficState) setSecret(secret []byte) error {
	aead, iv, err := trafficKeys(t.suite, secret)
	if err != nil {
		return err
	}
	if len(iv) != len(t.iv) {
		return fmt.Errorf("%w: AEAD nonce of %d bytes", ErrUnsupportedSuite, len(iv))
	}
	t.secret, t.aead, t.seq = secret, aead, 0
	copy(t.iv[:], iv)
	return nil
}

// update moves to the next generation of the traffic secret (RFC 8446
// §7.2): secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "",
// Hash.length); the sequence number restarts at 0.
func (t *trafficState) update() error {
	next, err := expandLabel(t.suite.hash, t.secret, "traffic upd", nil, t.suite.hash().Size())
	if err != nil {
		return fmt.Errorf("transport: key update: %w", err)
	}
	return t.setSecret(next)
}

func (t *trafficState) nextNonce() []byte {
	t.nonce = t.iv
	for i := 0; i < 8; i++ {
		t.nonce[len(t.nonce)-1-i] ^= byte(t.seq >> (8 * i))
	}
	t.seq++
	return t.nonce[:]
}

// recordLayer reads and writes the records of a TLS 1.3 connection after
// crypto/tls ran its handshake (RFC 8446 §5): application data both ways,
// alerts, and the one post-handshake message a peer may send here,
// KeyUpdate (§4.6.3). It exists for memory: crypto/tls keeps an input
// buffer as large as the largest record read for the life of a connection
// (an SMP block fills a 16 KB record), while this layer reads a record's
// header into the connection's own 5 bytes and borrows a pooled buffer
// only until the record's plaintext has been consumed, so an idle
// connection holds none.
//
// Each protected record on the wire is
//
//	opaque_type = 23 (1) | legacy_record_version = 0x0303 (2) | length (2)
//	| AEAD(TLSInnerPlaintext), additional data = those 5 bytes
//	TLSInnerPlaintext = content | ContentType type (1) | zeros
//
// Reads are made by one goroutine at a time; writes are serialised by
// wmu, so reads, writes and Close may run concurrently.
type recordLayer struct {
	conn net.Conn

	// read side
	in    *trafficState
	hdr   [recordHeaderLen]byte
	hn    int     // header bytes read of the current record
	bn    int     // body bytes read of the current record
	rbuf  *[]byte // pooled: the record being read, then its unread plaintext
	plain []byte  // unread application data, in rbuf
	hand  [keyUpdateLen]byte
	handN int   // bytes of a KeyUpdate split over records
	rerr  error // sticky: the stream cannot go on

	wmu  sync.Mutex
	out  *trafficState // guarded by wmu
	werr error         // sticky; guarded by wmu
}

// newRecordLayer starts the record layer on conn, whose next bytes both
// ways are the first application data records, protected under the
// first application traffic secrets of the negotiated suite.
func newRecordLayer(conn net.Conn, suite uint16, inSecret, outSecret []byte) (*recordLayer, error) {
	if len(inSecret) == 0 || len(outSecret) == 0 {
		return nil, fmt.Errorf("transport: record layer: %w", ErrNoTrafficSecret)
	}
	s, err := lookupSuite13(suite)
	if err != nil {
		return nil, err
	}
	in, err := newTrafficState(s, inSecret)
	if err != nil {
		return nil, err
	}
	out, err := newTrafficState(s, outSecret)
	if err != nil {
		return nil, err
	}
	return &recordLayer{conn: conn, in: in, out: out}, nil
}

// Read reads application data. An EOF at a record boundary is io.EOF
// (with or without the peer's close_notify, as crypto/tls), inside a
// record io.ErrUnexpectedEOF. A timeout leaves the partial record in place
// for the next Read.
func (r *recordLayer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(r.plain) == 0 {
		if r.rerr != nil {
			return 0, r.rerr
		}
		if err := r.readRecord(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	if len(r.plain) == 0 {
		r.release()
	}
	return n, nil
}

// holdsBuffer reports whether the read side has a pooled buffer (a record
// in progress or unread plaintext); for tests.
func (r *recordLayer) holdsBuffer() bool { return r.rbuf != nil }

func (r *recordLayer) release() {
	if r.rbuf != nil {
		recordPool.Put(r.rbuf)
		r.rbuf = nil
	}
	r.plain = nil
}

// fail ends the read side with err.
func (r *recordLayer) fail(err error) error {
	r.release()
	r.rerr = err
	return err
}

// readErr handles an error of the underlying connection; mid tells
// whether part of a record had been read.
func (r *recordLayer) readErr(err error, mid bool) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	if errors.Is(err, io.EOF) && mid {
		err = io.ErrUnexpectedEOF
	}
	return r.fail(err)
}

// readRecord reads and opens one record: application data is left in
// r.plain (possibly empty), anything else is handled here.
func (r *recordLayer) readRecord() error {
	for r.hn < recordHeaderLen {
		n, err := r.conn.Read(r.hdr[r.hn:])
		r.hn += n
		if err != nil {
			return r.readErr(err, r.hn > 0)
		}
	}
	typ := r.hdr[0]
	vers := binary.BigEndian.Uint16(r.hdr[1:3])
	n := int(binary.BigEndian.Uint16(r.hdr[3:]))
	switch {
	case typ != recordApplicationData:
		// Every record after the handshake is protected; a plaintext alert
		// or change_cipher_spec here is out of place (§5, §D.4).
		return r.fail(fmt.Errorf("%w: record type %d after the handshake", ErrRecordLayer, typ))
	case vers != tls.VersionTLS12:
		return r.fail(fmt.Errorf("%w: legacy_record_version 0x%04x", ErrRecordLayer, vers))
	case n > maxCiphertext:
		return r.fail(fmt.Errorf("%w: record of %d bytes (record_overflow)", ErrRecordLayer, n))
	case n < r.in.aead.Overhead()+1:
		return r.fail(fmt.Errorf("%w: record of %d bytes, shorter than its tag", ErrRecordLayer, n))
	}
	if r.rbuf == nil {
		r.rbuf = recordPool.Get().(*[]byte)
	}
	body := (*r.rbuf)[:n]
	for r.bn < n {
		m, err := r.conn.Read(body[r.bn:])
		r.bn += m
		if err != nil && r.bn < n {
			return r.readErr(err, true)
		}
	}
	r.hn, r.bn = 0, 0
	inner, err := r.in.aead.Open(body[:0], r.in.nextNonce(), body, r.hdr[:])
	if err != nil {
		return r.fail(fmt.Errorf("%w: record %d does not authenticate (bad_record_mac)", ErrRecordLayer, r.in.seq-1))
	}
	if len(inner) > maxPlaintext+1 {
		return r.fail(fmt.Errorf("%w: inner plaintext of %d bytes (record_overflow)", ErrRecordLayer, len(inner)))
	}
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return r.fail(fmt.Errorf("%w: inner plaintext without a content type", ErrRecordLayer))
	}
	content := inner[:i]
	switch inner[i] {
	case recordApplicationData:
		if r.handN > 0 {
			// Handshake messages must not be interleaved with other
			// records (§5.1).
			return r.fail(fmt.Errorf("%w: application data inside a handshake message", ErrRecordLayer))
		}
		if len(content) == 0 {
			r.release()
			return nil
		}
		r.plain = content
		return nil
	case recordAlert:
		if len(content) != 2 {
			return r.fail(fmt.Errorf("%w: alert of %d bytes", ErrRecordLayer, len(content)))
		}
		if content[1] == alertCloseNotify {
			return r.fail(io.EOF)
		}
		// In TLS 1.3 every other alert ends the connection (§6).
		return r.fail(fmt.Errorf("%w: %d", ErrRemoteAlert, content[1]))
	case recordHandshake:
		if err := r.handshakeMessages(content); err != nil {
			return r.fail(err)
		}
		r.release()
		return nil
	}
	return r.fail(fmt.Errorf("%w: content type %d", ErrRecordLayer, inner[i]))
}

// handshakeMessages handles post-handshake handshake bytes. The only one
// a peer may send here is KeyUpdate (a server never sends the client's
// messages; a client of a server that issues no tickets gets no
// NewSessionTicket, and no CertificateRequest is ever sent):
//
//	msg_type = 24 (1) | length = 1 (3) | KeyUpdateRequest (1): 0 or 1
//
// A message may be split over records (§5.1); at most its 5 bytes are
// kept in between.
func (r *recordLayer) handshakeMessages(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty handshake fragment", ErrRecordLayer)
	}
	for len(b) > 0 {
		k := copy(r.hand[r.handN:], b)
		r.handN += k
		b = b[k:]
		if r.hand[0] != handshakeKeyUpdate {
			return fmt.Errorf("%w: post-handshake message type %d (unexpected_message)", ErrRecordLayer, r.hand[0])
		}
		if r.handN >= handshakeHeaderLen && (r.hand[1] != 0 || r.hand[2] != 0 || r.hand[3] != 1) {
			return fmt.Errorf("%w: KeyUpdate of length %d", ErrRecordLayer, int(r.hand[1])<<16|int(r.hand[2])<<8|int(r.hand[3]))
		}
		if r.handN < keyUpdateLen {
			continue
		}
		r.handN = 0
		if err := r.keyUpdate(r.hand[handshakeHeaderLen]); err != nil {
			return err
		}
	}
	return nil
}

// keyUpdate applies a KeyUpdate received: the peer's next records use the
// next generation of its secret; when it asks, ours change too, announced
// by a KeyUpdate(update_not_requested) sent before any more data (§4.6.3).
func (r *recordLayer) keyUpdate(request byte) error {
	if request != keyUpdateNotRequested && request != keyUpdateRequested {
		return fmt.Errorf("%w: KeyUpdate request %d (illegal_parameter)", ErrRecordLayer, request)
	}
	if err := r.in.update(); err != nil {
		return err
	}
	if request == keyUpdateRequested {
		// A failure to write shows in the next Write; reading goes on.
		_ = r.sendKeyUpdate(keyUpdateNotRequested)
	}
	return nil
}

// sendKeyUpdate sends a KeyUpdate and moves the write side to the next
// secret.
func (r *recordLayer) sendKeyUpdate(request byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if r.werr != nil {
		return r.werr
	}
	var buf [recordHeaderLen + keyUpdateLen + 1 + 32]byte
	msg := [keyUpdateLen]byte{handshakeKeyUpdate, 0, 0, 1, request}
	if err := r.writeRecordLocked(buf[:], recordHandshake, msg[:]); err != nil {
		return err
	}
	if err := r.out.update(); err != nil {
		r.werr = err
		return err
	}
	return nil
}

// Write writes b as application data, in records of at most 2^14 bytes.
// A failed write (a timeout included) leaves the stream unusable, as with
// crypto/tls: every later Write fails.
func (r *recordLayer) Write(b []byte) (int, error) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if r.werr != nil {
		return 0, r.werr
	}
	bp := recordPool.Get().(*[]byte)
	defer recordPool.Put(bp)
	n := 0
	for len(b) > 0 {
		m := min(len(b), maxPlaintext)
		if err := r.writeRecordLocked(*bp, recordApplicationData, b[:m]); err != nil {
			return n, err
		}
		n += m
		b = b[m:]
	}
	return n, nil
}

// writeRecordLocked protects content of type typ into buf and writes it;
// buf must hold the header, the content, its type byte and the tag. No
// padding is added. The caller holds wmu.
func (r *recordLayer) writeRecordLocked(buf []byte, typ byte, content []byte) error {
	n := len(content) + 1 + r.out.aead.Overhead()
	rec := buf[:recordHeaderLen+n]
	rec[0] = recordApplicationData
	binary.BigEndian.PutUint16(rec[1:3], tls.VersionTLS12)
	binary.BigEndian.PutUint16(rec[3:5], uint16(n))
	k := copy(rec[recordHeaderLen:], content)
	rec[recordHeaderLen+k] = typ
	r.out.aead.Seal(rec[recordHeaderLen:recordHeaderLen], r.out.nextNonce(), rec[recordHeaderLen:recordHeaderLen+k+1], rec[:recordHeaderLen])
	if _, err := r.conn.Write(rec); err != nil {
		r.werr = fmt.Errorf("transport: write record: %w", err)
		return r.werr
	}
	return nil
}

// Close sends close_notify, unless a write is in progress (Close is then
// breaking it, as with crypto/tls) or the stream already failed, and
// closes the connection.
func (r *recordLayer) Close() error {
	if r.wmu.TryLock() {
		if r.werr == nil {
			_ = r.conn.SetWriteDeadline(time.Now().Add(closeNotifyTimeout))
			var buf [recordHeaderLen + 2 + 1 + 32]byte
			_ = r.writeRecordLocked(buf[:], recordAlert, []byte{alertLevelWarning, alertCloseNotify})
			r.werr = fmt.Errorf("transport: write record: %w", net.ErrClosed)
		}
		r.wmu.Unlock()
	}
	return r.conn.Close()
}
