package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
)

// The SMP and NTF session layer: what runs on a TLS [Conn] once the
// protocol handshake is done (CONFORMANCE-NOTES §2.5–2.8, §4.1).
//
// Protocol flow (SMP; NTF is the same with 512-byte blocks, no certificate
// chain in the server hello, no client key and no block encryption):
//
//	client                                   server
//	  | TLS 1.3/1.2 handshake, ALPN smp/1      |
//	  |<-------- pad(server hello, 16384) -----|  plain
//	  |--------- pad(client hello, 16384) ---->|  plain
//	  |<======== blocks of transmissions =====>|  encrypted iff v ≥ 11, the
//	  |                                        |  client sent its key and is
//	  |                                        |  not a proxy
//
// A block is exactly BlockSize bytes: pad(payload, BlockSize) or, with
// block encryption, box(chain key, pad(payload, BlockSize−16)) [MT
// tPutBlock, tGetBlock]. A payload is a batch of transmissions (batch.go).

// Errors of the session layer, wrapped with detail. The comment names the
// reference's TransportError each one stands for [MT TransportError].
var (
	// ErrBadBlock: a received block did not decrypt or unpad (BLOCK). The
	// receive chain still moved one step; the connection stays usable and
	// the server answers ERR BLOCK with an empty corrId.
	ErrBadBlock = errors.New("transport: bad block")
	// ErrLargeMsg: a payload or transmission does not fit in a block
	// (LARGE_MSG). Nothing was sent and the send chain did not move.
	ErrLargeMsg = errors.New("transport: message too large for a block")
	// ErrVersion: no common protocol version, or the client chose one
	// outside the server's range (VERSION).
	ErrVersion = errors.New("transport: incompatible protocol version")
	// ErrSession: the server hello carries another session id than the
	// client's TLS connection (SESSION).
	ErrSession = errors.New("transport: session id mismatch")
	// ErrHandshakeParse: a hello did not parse (HANDSHAKE PARSE).
	ErrHandshakeParse = errors.New("transport: handshake parse error")
	// ErrIdentity: the client hello names another server key hash
	// (HANDSHAKE IDENTITY).
	ErrIdentity = errors.New("transport: server identity mismatch")
	// ErrBadAuth: the server's certificate chain or signed session key
	// failed verification, or a session key is unusable (HANDSHAKE
	// BAD_AUTH).
	ErrBadAuth = errors.New("transport: handshake authentication failed")
	// ErrBadService: the client asked for a v16 service session, which is
	// not implemented (HANDSHAKE BAD_SERVICE).
	ErrBadService = errors.New("transport: service handshake not supported")
	// ErrNoServerAuth: an X25519 authenticator was requested but the
	// server sent no session key (NO_AUTH).
	ErrNoServerAuth = errors.New("transport: no server session key for authenticator")
	// ErrBadBatch: a block payload is not a well-formed batch; the server
	// answers one ERR BLOCK with an empty corrId and entity.
	ErrBadBatch = errors.New("transport: bad transmission batch")
)

// TransportErrorOf returns the reference's transport error for an error of
// this package, as carried in ERR PROXY BROKER TRANSPORT; ok is false for
// I/O and other errors.
func TransportErrorOf(err error) (te smp.TransportError, ok bool) {
	hs := func(h smp.HandshakeError) smp.TransportError {
		return smp.TransportError{Code: smp.TransportHandshake, Handshake: h}
	}
	switch {
	case errors.Is(err, ErrBadBlock), errors.Is(err, ErrBadBatch):
		return smp.TransportError{Code: smp.TransportBlock}, true
	case errors.Is(err, ErrLargeMsg):
		return smp.TransportError{Code: smp.TransportLargeMsg}, true
	case errors.Is(err, ErrVersion):
		return smp.TransportError{Code: smp.TransportVersion}, true
	case errors.Is(err, ErrSession):
		return smp.TransportError{Code: smp.TransportSession}, true
	case errors.Is(err, ErrNoServerAuth):
		return smp.TransportError{Code: smp.TransportNoAuth}, true
	case errors.Is(err, ErrHandshakeParse):
		return hs(smp.HandshakeParse), true
	case errors.Is(err, ErrIdentity):
		return hs(smp.HandshakeIdentity), true
	case errors.Is(err, ErrBadAuth):
		return hs(smp.HandshakeBadAuth), true
	case errors.Is(err, ErrBadService):
		return hs(smp.HandshakeBadService), true
	}
	return smp.TransportError{}, false
}

// Session is an established SMP or NTF connection: the agreed version and
// the parameters that follow from it [MT THandleParams], plus the block
// encryption state. Handshake functions return it; tests and parsers of
// forwarded transmissions may build one by hand (Conn nil) to use
// ParseBatch, EncodeTransmission and BatchBuilder.
//
// Concurrency: one goroutine may call ReadBlock while another calls
// WriteBlock. Each direction has its own lock and chain; the exported
// fields must not change after the handshake.
type Session struct {
	// Conn is the TLS connection; nil for hand-built sessions.
	Conn *Conn
	// Version is the agreed protocol version.
	Version uint16
	// ServerRange is the version range the server offered in its hello.
	ServerRange encoding.VersionRange
	// SessionID is tls-unique, bound into every authorization.
	SessionID []byte
	// BlockSize is SMPBlockSize or NTFBlockSize.
	BlockSize int
	// ImpliedSessionID: the session id is signed but not sent in
	// transmissions (SMP v ≥ 7, NTF v ≥ 2) [MT implySessId].
	ImpliedSessionID bool
	// Batching: block payloads are batches of transmissions (SMP always,
	// NTF v ≥ 2); otherwise a payload is one bare transmission [MT batch].
	Batching bool
	// ServiceAuth: every transmission with a non-empty authorization has
	// the maybe(service signature) slot (SMP v ≥ 16) [MT serviceAuth].
	ServiceAuth bool
	// Server reports whether this is the server side of the connection.
	Server bool
	// SessionKey is this side's X25519 session private key: on a server
	// the key signed in its hello (for verifying authenticators, and for
	// RFWD with PeerKey); on a client the key sent in its hello (zero if
	// none was sent).
	SessionKey crypto.PrivateKey
	// PeerKey is the other side's X25519 session public key: on a server
	// the client hello's key, on a client the server hello's signed key
	// (needed for authenticators); zero if none.
	PeerKey crypto.PublicKey
	// ProxyClient: the client declared itself an SMP proxy (v ≥ 14), which
	// turns block encryption off.
	ProxyClient bool
	// ServerCertChain (client side, SMP) is the certificate chain from the
	// server hello, DER, leaf first.
	ServerCertChain [][]byte
	// ServerSignedKey (client side, SMP) is the signed session key from
	// the server hello as sent (signedKeyDER): a proxy hands it on in PKEY.
	ServerSignedKey []byte

	rmu  sync.Mutex
	recv *crypto.ChainKey // guarded by rmu; nil without block encryption
	wmu  sync.Mutex
	send *crypto.ChainKey // guarded by wmu; nil without block encryption
}

// Encrypted reports whether blocks are encrypted (SMP v11+, §2.8).
func (s *Session) Encrypted() bool { return s.send != nil }

// SessionSecret returns DH(SessionKey, PeerKey), the session secret the
// reference keeps for the proxy protocol (RFWD/RRES on a relay, §3.5) [MT
// sessSecret]. It fails when either key is missing.
func (s *Session) SessionSecret() ([]byte, error) {
	if s.SessionKey.Alg != crypto.X25519 || s.PeerKey.Alg != crypto.X25519 {
		return nil, fmt.Errorf("transport: session secret: %w", ErrNoServerAuth)
	}
	secret, err := crypto.DH(s.SessionKey, s.PeerKey)
	if err != nil {
		return nil, fmt.Errorf("transport: session secret: %w", err)
	}
	return secret, nil
}

// setChains turns block encryption on.
func (s *Session) setChains(c crypto.SbChain) {
	send, recv := c.Send, c.Recv
	s.send, s.recv = &send, &recv
}

// maxPayload is the largest block payload: BlockSize−2 for pad's length
// prefix, and 16 more for the tag with block encryption.
func (s *Session) maxPayload() int {
	if s.Encrypted() {
		return s.BlockSize - crypto.TagSize - 2
	}
	return s.BlockSize - 2
}

// blockPool holds SMP-sized buffers: encrypted blocks as they are read and
// written, and the payloads of ReadBlockPooled.
var blockPool = sync.Pool{New: func() any { b := make([]byte, SMPBlockSize); return &b }}

// ReadBlock reads exactly one block and returns its payload [MT tGetBlock].
// With block encryption the receive chain steps before decrypting, so a
// block that fails to decrypt or unpad consumes its step: the error wraps
// ErrBadBlock and the next block reads normally. Other errors come from
// the connection (io.EOF at a block boundary) and end the session.
func (s *Session) ReadBlock() ([]byte, error) {
	p, _, err := s.readBlock(false)
	return p, err
}

// ReadBlockPooled is ReadBlock with the payload of an encrypted SMP block
// in a pooled buffer: call release once neither the payload nor any slice
// of it is used any more. Like ReadBlock, it holds no buffer while it
// waits for a block.
func (s *Session) ReadBlockPooled() (payload []byte, release func(), err error) {
	return s.readBlock(true)
}

func noRelease() {}

func (s *Session) readBlock(pooled bool) ([]byte, func(), error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.Conn == nil {
		return nil, noRelease, fmt.Errorf("transport: read block: no connection")
	}
	// Wait for the first byte without holding a block buffer, so that an
	// idle connection does not pin 16 KB; encrypted blocks then borrow a
	// pooled buffer (decryption copies the payload out of it).
	var first [1]byte
	if err := s.Conn.ReadBlock(first[:]); err != nil {
		return nil, noRelease, err
	}
	var buf []byte
	if s.recv != nil && s.BlockSize == SMPBlockSize {
		bp := blockPool.Get().(*[]byte)
		defer blockPool.Put(bp)
		buf = *bp
	} else {
		buf = make([]byte, s.BlockSize)
	}
	buf[0] = first[0]
	if err := s.Conn.ReadBlock(buf[1:]); err != nil {
		return nil, noRelease, err
	}
	if s.recv != nil {
		var dst []byte
		release := noRelease
		if pooled && s.BlockSize == SMPBlockSize {
			pp := blockPool.Get().(*[]byte)
			dst, release = (*pp)[:0], func() { blockPool.Put(pp) }
		}
		p, err := crypto.AppendDecryptBlock(dst, s.recv, buf)
		if err != nil {
			release()
			return nil, noRelease, fmt.Errorf("%w: %w", ErrBadBlock, err)
		}
		return p, release, nil
	}
	p, err := encoding.Unpad(buf)
	if err != nil {
		return nil, noRelease, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	return p, noRelease, nil
}

// WriteBlock pads (or encrypts) payload to one block and writes it [MT
// tPutBlock]. A payload over the block's capacity is ErrLargeMsg, and
// nothing is written.
func (s *Session) WriteBlock(payload []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.Conn == nil {
		return fmt.Errorf("transport: write block: no connection")
	}
	if len(payload) > s.maxPayload() {
		return fmt.Errorf("%w: payload of %d bytes, at most %d", ErrLargeMsg, len(payload), s.maxPayload())
	}
	if s.BlockSize != SMPBlockSize {
		block, err := s.seal(payload)
		if err != nil {
			return err
		}
		return s.Conn.WriteBlock(block)
	}
	// SMP blocks are built in pooled buffers: tls.Conn.Write has copied
	// (encrypted) the block by the time it returns.
	op := blockPool.Get().(*[]byte)
	defer blockPool.Put(op)
	var block []byte
	var err error
	if s.send != nil {
		sp := blockPool.Get().(*[]byte)
		block, err = crypto.AppendEncryptBlock((*op)[:0], *sp, s.send, payload, s.BlockSize)
		blockPool.Put(sp)
	} else {
		block, err = encoding.PadInto(*op, payload, s.BlockSize)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLargeMsg, err)
	}
	return s.Conn.WriteBlock(block)
}

// seal pads or encrypts payload; the caller holds wmu.
func (s *Session) seal(payload []byte) ([]byte, error) {
	if len(payload) > s.maxPayload() {
		return nil, fmt.Errorf("%w: payload of %d bytes, at most %d", ErrLargeMsg, len(payload), s.maxPayload())
	}
	if s.send != nil {
		b, err := crypto.EncryptBlock(s.send, payload, s.BlockSize)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLargeMsg, err)
		}
		return b, nil
	}
	b, err := encoding.Pad(payload, s.BlockSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLargeMsg, err)
	}
	return b, nil
}

// Close closes the connection.
func (s *Session) Close() error {
	if s.Conn == nil {
		return nil
	}
	return s.Conn.Close()
}

// sameBytes compares public identifiers (session ids, key hashes); they are
// not secrets, so a plain comparison is fine.
func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }

// watchContext applies ctx to c for the duration of a handshake: ctx's
// deadline becomes the connection deadline, and cancelling ctx sets a
// deadline in the past so that blocked reads and writes return. The
// returned function undoes both; call it before using the connection.
func watchContext(ctx context.Context, c *Conn) (stop func()) {
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			_ = c.SetDeadline(time.Unix(1, 0))
		case <-done:
		}
	}()
	return func() {
		close(done)
		<-exited
		_ = c.SetDeadline(time.Time{})
	}
}

// handshakeError closes c and wraps err with ctx's error when ctx ended,
// since a cancelled handshake fails with a deadline error from the
// connection.
func handshakeError(ctx context.Context, c *Conn, side string, err error) error {
	_ = c.Close()
	ctxErr := ctx.Err()
	if d, ok := ctx.Deadline(); ctxErr == nil && ok && !time.Now().Before(d) {
		// The connection deadline (set from ctx) can fire just before
		// ctx's own timer does.
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("transport: %s: %w (%w)", side, ctxErr, err)
	}
	return fmt.Errorf("transport: %s: %w", side, err)
}
