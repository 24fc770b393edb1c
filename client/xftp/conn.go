//lint:file-ignore SA1019 net/http cannot run HTTP/2 on a connection whose ALPN is xftp/1 (CONFORMANCE-NOTES, Go notes); x/net/http2 NewClientConn can

package xftp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http2"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// Config tunes connections; the zero value uses the defaults below.
type Config struct {
	// DialTimeout bounds TCP connect, TLS and the XFTP handshake
	// (default 30 s).
	DialTimeout time.Duration
	// RequestTimeout bounds a request without a chunk (default 30 s).
	RequestTimeout time.Duration
	// PerKBTimeout is added to RequestTimeout for every KiB of a chunk sent
	// or received (default 10 ms), as the reference's tcpTimeoutPerKb [FC
	// chunkTimeout].
	PerKBTimeout time.Duration
	// VersionRange is the range of XFTP versions offered (default
	// xftp.SupportedVRange).
	VersionRange encoding.VersionRange
	// Dialer opens the TCP connection (default net.Dialer); tests and SOCKS
	// proxies can replace it.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) withDefaults() Config {
	if c.DialTimeout <= 0 {
		c.DialTimeout = 30 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.PerKBTimeout <= 0 {
		c.PerKBTimeout = 10 * time.Millisecond
	}
	if c.VersionRange == (encoding.VersionRange{}) {
		c.VersionRange = xftp.SupportedVRange
	}
	if c.Dialer == nil {
		var d net.Dialer
		c.Dialer = d.DialContext
	}
	return c
}

// chunkTimeout is the deadline of a request carrying size bytes.
func (c Config) chunkTimeout(size uint32) time.Duration {
	return c.RequestTimeout + time.Duration(size/1024)*c.PerKBTimeout
}

// Client is one HTTP/2 connection to an XFTP server after the handshake.
// Its methods may be called concurrently: each request is its own HTTP/2
// stream.
type Client struct {
	server address.ServerAddress
	url    string // https://host/, the requests' target
	cfg    Config
	tc     *transport.Conn
	cc     *http2.ClientConn
	sess   *transport.Session
	// serverKey is the X25519 session key the server signed in its hello.
	serverKey crypto.PublicKey
}

// Dial connects to srv, checks its identity (the certificate chain against
// the key hash in the address, the signed session key against the TLS
// leaf) and runs the standard handshake at the highest common version
// [FC getXFTPClient, xftpClientHandshakeV1].
func Dial(ctx context.Context, srv address.ServerAddress, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := checkServer(srv); err != nil {
		return nil, err
	}
	host, err := chooseHost(srv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	nc, err := cfg.Dialer(ctx, "tcp", net.JoinHostPort(host, srv.ServerPort()))
	if err != nil {
		return nil, fmt.Errorf("%w: connect %s: %w", ErrTransport, srv, err)
	}
	keyHash := bytes.Clone(srv.KeyHash)
	tlsCfg := transport.ClientTLSConfig([]string{xftp.ALPN}, func(raw [][]byte) error {
		// XFTP servers send exactly leaf and identity certificate [FC
		// xftpClientHandshakeV1].
		if len(raw) != 2 {
			return fmt.Errorf("%w: chain of %d certificates", ErrHandshake, len(raw))
		}
		if err := certs.VerifyChain(raw, keyHash); err != nil {
			return fmt.Errorf("%w: %w", ErrHandshake, err)
		}
		return nil
	})
	tc, err := transport.Client(ctx, nc, tlsCfg)
	if err != nil {
		nc.Close()
		if errors.Is(err, ErrHandshake) {
			return nil, fmt.Errorf("xftp: TLS with %s: %w", srv, err)
		}
		return nil, fmt.Errorf("%w: TLS with %s: %w", ErrTransport, srv, err)
	}
	// No transparent gzip (the server never compresses); HTTP/2 pings
	// detect a dead connection between requests. DATA frames of up to
	// 256 KB instead of the default 16 KB: a chunk body then costs the
	// server and this client 16 times fewer frames (and TLS record tails,
	// goroutine hand-offs and system calls); `xftp-bench -frame 256`
	// downloads 15 % faster than with 16 KB frames.
	h2 := &http2.Transport{DisableCompression: true, ReadIdleTimeout: 30 * time.Second, PingTimeout: 15 * time.Second,
		MaxReadFrameSize: maxReadFrameSize}
	cc, err := h2.NewClientConn(tc.TLSConn())
	if err != nil {
		tc.Close()
		return nil, fmt.Errorf("%w: HTTP/2 with %s: %w", ErrTransport, srv, err)
	}
	c := &Client{
		server: srv,
		url:    (&url.URL{Scheme: "https", Host: urlHost(host), Path: "/"}).String(),
		cfg:    cfg,
		tc:     tc,
		cc:     cc,
		// The handshake runs at version 1 framing; transmissions carry the
		// session id and are batched [FC getXFTPClient thParams0].
		sess: &transport.Session{
			Version:   xftp.InitialVersion,
			SessionID: tc.SessionID(),
			BlockSize: xftp.BlockSize,
			Batching:  true,
		},
	}
	if tc.ALPN() == xftp.ALPN {
		if err := c.handshake(ctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// maxReadFrameSize is the SETTINGS_MAX_FRAME_SIZE the client sends.
const maxReadFrameSize = 256 << 10

// checkServer rejects addresses Dial cannot use.
func checkServer(srv address.ServerAddress) error {
	if srv.Scheme != address.SchemeXFTP {
		return fmt.Errorf("%w: %s is not an xftp:// server", ErrServerAddress, srv)
	}
	if len(srv.KeyHash) != certs.FingerprintSize {
		return fmt.Errorf("%w: key hash of %d bytes", ErrServerAddress, len(srv.KeyHash))
	}
	_, err := chooseHost(srv)
	return err
}

// chooseHost returns the first host that is not an onion address (this
// client has no Tor support) [MCl chooseTransportHost, simplified].
func chooseHost(srv address.ServerAddress) (string, error) {
	for _, h := range srv.Hosts {
		if !strings.HasSuffix(h, ".onion") {
			return h, nil
		}
	}
	return "", fmt.Errorf("%w: %s has no host reachable without Tor", ErrServerAddress, srv)
}

// urlHost brackets an IPv6 address for a URL.
func urlHost(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// Server returns the address this client is connected to.
func (c *Client) Server() address.ServerAddress { return c.server }

// Version returns the agreed XFTP version.
func (c *Client) Version() uint16 { return c.sess.Version }

// SessionID returns the connection's tls-unique session id.
func (c *Client) SessionID() []byte { return bytes.Clone(c.sess.SessionID) }

// Close closes the connection; requests in flight fail.
func (c *Client) Close() error {
	c.cc.Close()
	return c.tc.Close()
}

// Alive reports whether the HTTP/2 connection can take new requests.
func (c *Client) Alive() bool { return c.cc.CanTakeNewRequest() }

// handshake runs the standard handshake (CONFORMANCE-NOTES §5.1):
//
//	POST (empty)                              → 200 pad(serverHs, 16384)
//	POST pad(w16 version short(keyHash), 16384) → 200 (empty)
//
// where serverHs = versionRange short(sessionId) certChain signedKey
// short(webIdentityProof) [FT XFTPServerHandshake]. Errors come back as a
// padded error word.
func (c *Client) handshake(ctx context.Context) error {
	b, err := c.postBytes(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: hello: %w", ErrHandshake, err)
	}
	p, err := encoding.Unpad(b)
	if err != nil {
		return fmt.Errorf("%w: hello: %w", ErrHandshake, err)
	}
	if e, perr := xftp.ParseErrorType(p); perr == nil {
		return fmt.Errorf("%w: hello: %w", ErrHandshake, &ServerError{Type: e})
	}
	hs, err := xftp.ParseServerHandshake(p)
	if err != nil {
		return fmt.Errorf("%w: hello: %w", ErrHandshake, err)
	}
	if err := c.checkHello(hs); err != nil {
		return err
	}
	v, ok := hs.VRange.Compatible(c.cfg.VersionRange)
	if !ok {
		return fmt.Errorf("%w: server offers %s", ErrVersion, hs.VRange)
	}
	hb, err := xftp.ClientHandshake{Version: v, KeyHash: c.server.KeyHash}.Encode()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	body, err := encoding.Pad(hb, xftp.BlockSize)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	b, err = c.postBytes(ctx, body)
	if err != nil {
		return fmt.Errorf("%w: client handshake: %w", ErrHandshake, err)
	}
	if len(b) != 0 {
		if p, uerr := encoding.Unpad(b); uerr == nil {
			if e, perr := xftp.ParseErrorType(p); perr == nil {
				return fmt.Errorf("%w: %w", ErrHandshake, &ServerError{Type: e})
			}
		}
		return fmt.Errorf("%w: unexpected answer to the client handshake", ErrHandshake)
	}
	c.sess.Version = v
	c.sess.ServerRange = hs.VRange
	return nil
}

// checkHello verifies the server hello: the session id is ours, the chain
// is the TLS chain (leaf and identity certificate with the address's key
// hash), and the session key is X25519 signed by the TLS leaf key [FC
// processServerHandshake].
func (c *Client) checkHello(hs xftp.ServerHandshake) error {
	if !bytes.Equal(hs.SessionID, c.sess.SessionID) {
		return fmt.Errorf("%w: session id mismatch", ErrHandshake)
	}
	if len(hs.CertChain) != 2 || !bytes.Equal(certs.Fingerprint(hs.CertChain[1]), c.server.KeyHash) {
		return fmt.Errorf("%w: bad certificate chain", ErrHandshake)
	}
	peer := c.tc.PeerCertificates()
	if len(peer) == 0 || !bytes.Equal(peer[0], hs.CertChain[0]) {
		return fmt.Errorf("%w: hello certificate is not the TLS certificate", ErrHandshake)
	}
	leaf, err := x509.ParseCertificate(peer[0])
	if err != nil {
		return fmt.Errorf("%w: leaf certificate: %w", ErrHandshake, err)
	}
	lk, err := crypto.ParsePublicKeyDER(leaf.RawSubjectPublicKeyInfo)
	if err != nil {
		return fmt.Errorf("%w: leaf key: %w", ErrHandshake, err)
	}
	sk, err := crypto.VerifySignedKeyDER(lk, hs.SignedKey)
	if err != nil {
		return fmt.Errorf("%w: session key: %w", ErrHandshake, err)
	}
	if sk.Alg != crypto.X25519 {
		return fmt.Errorf("%w: session key is %s", ErrHandshake, sk.Alg)
	}
	c.serverKey = sk
	c.sess.PeerKey = sk
	return nil
}

// maxHandshakeBody bounds handshake answers: one padded block.
const maxHandshakeBody = xftp.BlockSize

// postBytes posts body (nil = empty) and returns the whole answer.
func (c *Client) postBytes(ctx context.Context, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	resp, err := c.post(ctx, r, int64(len(body)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxHandshakeBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	if len(b) > maxHandshakeBody {
		return nil, fmt.Errorf("%w: answer longer than a block", ErrBadResponse)
	}
	return b, nil
}

// post sends POST / with body and checks for status 200; the caller closes
// the response body [FC sendXFTPTransmission].
func (c *Client) post(ctx context.Context, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, body)
	if err != nil {
		return nil, fmt.Errorf("xftp: request: %w", err)
	}
	if body != nil {
		req.ContentLength = size
	}
	resp, err := c.cc.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: HTTP status %d", ErrBadResponse, resp.StatusCode)
	}
	return resp, nil
}

// ErrServerAddress is returned by Dial for an address it cannot use.
var ErrServerAddress = errors.New("xftp: unusable server address")
