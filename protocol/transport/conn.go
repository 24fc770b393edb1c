package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"slices"
	"time"
)

// Conn is an established TLS connection with its tls-unique session id.
// It is the transport the SMP, NTF and XFTP handshakes run on [MT TLS].
//
// Concurrency: one goroutine may call ReadBlock while others call
// WriteBlock; each WriteBlock is written whole (crypto/tls serialises
// writes), but concurrent ReadBlock calls would interleave and must not be
// made. The accessors may be called at any time.
type Conn struct {
	tc        *tls.Conn    // nil when rl carries the records
	rl        *recordLayer // WithOwnRecords on TLS 1.3, else nil
	raw       net.Conn
	state     tls.ConnectionState
	sessionID []byte
}

// Server runs the server side of the TLS handshake on c with cfg (usually
// from ServerTLSConfig) and computes the session id. The handshake is
// abandoned when ctx ends (the reference allows 60 s [MTS
// tlsSetupTimeout]; always pass a deadline for untrusted peers). On error c
// is closed.
//
// Per connection, Server clones cfg to install its own KeyLogWriter (any
// KeyLogWriter in cfg still receives every line) and, through
// GetConfigForClient, the reference's ALPN choice: the first name the client
// offers that cfg.NextProtos lists. A GetConfigForClient already in cfg is
// called first and its result is adapted the same way.
func Server(ctx context.Context, c net.Conn, cfg *tls.Config, opts ...ServerOption) (*Conn, error) {
	if cfg == nil {
		_ = c.Close()
		return nil, ErrNilConfig
	}
	var so serverOptions
	for _, o := range opts {
		o(&so)
	}
	hc := c
	if so.ownRecords {
		if _, ok := c.(*recordConn); !ok {
			hc = RecordBoundedConn(c)
		}
	}
	rec := newRecordingConn(hc, true)
	kl := newKeyLog(cfg.KeyLogWriter)
	kl.keepTraffic = so.ownRecords
	pc := cfg.Clone()
	pc.KeyLogWriter = kl
	if so.ownRecords {
		pc.SessionTicketsDisabled = true
	}
	userHook := cfg.GetConfigForClient
	pc.GetConfigForClient = func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		base := pc
		if userHook != nil {
			uc, err := userHook(chi)
			if err != nil {
				return nil, err
			}
			if uc != nil {
				base = uc
				kl.setNext(uc.KeyLogWriter)
			}
		}
		out := base.Clone()
		out.GetConfigForClient = nil
		out.KeyLogWriter = kl
		out.NextProtos = selectALPN(base.NextProtos, chi.SupportedProtos)
		if so.ownRecords {
			out.SessionTicketsDisabled = true
		}
		return out, nil
	}
	tc := tls.Server(rec, pc)
	conn, err := finish(ctx, tc, c, rec, kl, "server")
	if err != nil || !so.ownRecords || conn.state.Version != tls.VersionTLS13 {
		return conn, err
	}
	clientSecret, serverSecret := kl.trafficSecrets()
	rl, err := newRecordLayer(c, conn.state.CipherSuite, clientSecret, serverSecret)
	if err != nil {
		_ = tc.Close()
		return nil, fmt.Errorf("transport: server record layer: %w", err)
	}
	conn.tc, conn.rl = nil, rl
	return conn, nil
}

// ServerOption adjusts Server.
type ServerOption func(*serverOptions)

type serverOptions struct {
	ownRecords bool
}

// WithOwnRecords makes Server hand a TLS 1.3 connection, once its
// handshake is done, to this package's record layer instead of
// crypto/tls: application data both ways, alerts and KeyUpdate (RFC 8446
// §5, §4.6.3). crypto/tls keeps an input buffer as large as the largest
// record it has read (an SMP block fills a 16 KB record) for the life of
// the connection; the record layer borrows a pooled buffer only while a
// record is read and its plaintext consumed, so an idle connection holds
// none, and the tls.Conn with its handshake state is dropped.
//
// So that the switch loses nothing, session tickets are turned off (a
// server sends them after its handshake) and the handshake's reads stop
// at record boundaries (nothing the client sent after its Finished is
// left in crypto/tls). TLS 1.2 connections stay with crypto/tls. TLSConn
// returns nil on a connection that switched. The application traffic
// secrets are kept in memory for the connection's life, as crypto/tls
// does; they are never written anywhere.
func WithOwnRecords() ServerOption {
	return func(o *serverOptions) { o.ownRecords = true }
}

// Client runs the client side of the TLS handshake on c with cfg (usually
// from ClientTLSConfig) and computes the session id. The handshake is
// abandoned when ctx ends. On error c is closed. cfg is cloned to install a
// per-connection KeyLogWriter; any KeyLogWriter in cfg still receives every
// line.
func Client(ctx context.Context, c net.Conn, cfg *tls.Config) (*Conn, error) {
	if cfg == nil {
		_ = c.Close()
		return nil, ErrNilConfig
	}
	rec := newRecordingConn(c, false)
	kl := newKeyLog(cfg.KeyLogWriter)
	pc := cfg.Clone()
	pc.KeyLogWriter = kl
	tc := tls.Client(rec, pc)
	return finish(ctx, tc, c, rec, kl, "client")
}

// finish runs the handshake and derives the session id.
func finish(ctx context.Context, tc *tls.Conn, raw net.Conn, rec *recordingConn, kl *keyLog, side string) (*Conn, error) {
	err := tc.HandshakeContext(ctx)
	stream, truncated := rec.stop()
	if err != nil {
		_ = tc.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("transport: %s handshake: %w (%v)", side, ctxErr, err)
		}
		return nil, fmt.Errorf("transport: %s handshake: %w", side, err)
	}
	state := tc.ConnectionState()
	id, err := sessionID(state, stream, kl.clientHandshakeSecret())
	if err != nil {
		_ = tc.Close()
		if truncated {
			return nil, fmt.Errorf("transport: %s session id (handshake over %d bytes): %w", side, maxRecorded, err)
		}
		return nil, fmt.Errorf("transport: %s session id: %w", side, err)
	}
	return &Conn{tc: tc, raw: raw, state: state, sessionID: id}, nil
}

// sessionID returns tls-unique, the client's Finished verify_data
// (CONFORMANCE-NOTES §2.4) [MT withTlsUnique]. stream is what the client
// sent, as recorded; secret its handshake traffic secret (TLS 1.3 only).
func sessionID(state tls.ConnectionState, stream, secret []byte) ([]byte, error) {
	if state.DidResume {
		return nil, ErrResumed
	}
	switch state.Version {
	case tls.VersionTLS12:
		// RFC 5929 §3.1: the first Finished of the latest handshake, the
		// client's in a full handshake.
		if len(state.TLSUnique) == 0 {
			return nil, ErrNoSessionID
		}
		return slices.Clone(state.TLSUnique), nil
	case tls.VersionTLS13:
		if len(secret) == 0 {
			return nil, ErrNoTrafficSecret
		}
		return clientFinished13(stream, state.CipherSuite, secret)
	}
	return nil, fmt.Errorf("%w: 0x%04x", ErrUnsupportedVersion, state.Version)
}

// SessionID returns the tls-unique session id: 32 bytes for TLS 1.3 with a
// SHA-256 suite (all official clients), 48 with SHA-384, 12 for TLS 1.2.
func (c *Conn) SessionID() []byte { return slices.Clone(c.sessionID) }

// ALPN returns the negotiated application protocol, "" if none. Without
// ALPN the SMP and NTF handshakes fall back to their legacy version ranges
// (CONFORMANCE-NOTES §2.2).
func (c *Conn) ALPN() string { return c.state.NegotiatedProtocol }

// TLSVersion returns the negotiated TLS version (tls.VersionTLS12 or
// tls.VersionTLS13).
func (c *Conn) TLSVersion() uint16 { return c.state.Version }

// PeerCertificates returns the peer's certificate chain as sent, leaf
// first, in DER: the server's chain on a client connection (the SMP server
// hello repeats it), the client's (usually none) on a server connection.
func (c *Conn) PeerCertificates() [][]byte {
	out := make([][]byte, len(c.state.PeerCertificates))
	for i, cert := range c.state.PeerCertificates {
		out[i] = slices.Clone(cert.Raw)
	}
	return out
}

// ConnectionState returns the TLS state right after the handshake.
func (c *Conn) ConnectionState() tls.ConnectionState { return c.state }

// ReadBlock fills buf with exactly len(buf) bytes, one block [MT tGetBlock,
// cGet]. An EOF inside a block is io.ErrUnexpectedEOF; at a block boundary
// it is io.EOF.
func (c *Conn) ReadBlock(buf []byte) error {
	var r io.Reader = c.tc
	if c.rl != nil {
		r = c.rl
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return fmt.Errorf("transport: read block: %w", err)
	}
	return nil
}

// WriteBlock writes b, one block [MT tPutBlock, cPut]. The caller pads or
// encrypts it to the protocol's block size first.
func (c *Conn) WriteBlock(b []byte) error {
	var w io.Writer = c.tc
	if c.rl != nil {
		w = c.rl
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("transport: write block: %w", err)
	}
	return nil
}

// SetDeadline sets the read and write deadlines of the connection.
func (c *Conn) SetDeadline(t time.Time) error {
	if c.rl != nil {
		return c.raw.SetDeadline(t)
	}
	return c.tc.SetDeadline(t)
}

// SetReadDeadline sets the read deadline of the connection.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.rl != nil {
		return c.raw.SetReadDeadline(t)
	}
	return c.tc.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline of the connection.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.rl != nil {
		return c.raw.SetWriteDeadline(t)
	}
	return c.tc.SetWriteDeadline(t)
}

// Close sends close_notify and closes the connection.
func (c *Conn) Close() error {
	if c.rl != nil {
		return c.rl.Close()
	}
	return c.tc.Close()
}

// OwnRecords reports whether this package's record layer carries the
// connection (WithOwnRecords on a TLS 1.3 connection).
func (c *Conn) OwnRecords() bool { return c.rl != nil }

// NetConn returns the underlying connection passed to Server or Client.
// Bytes written to it directly bypass TLS.
func (c *Conn) NetConn() net.Conn { return c.raw }

// TLSConn returns the TLS connection, e.g. for http2.Server.ServeConn,
// which needs a *tls.Conn to see the negotiated state (XFTP); nil when
// OwnRecords.
func (c *Conn) TLSConn() *tls.Conn { return c.tc }
