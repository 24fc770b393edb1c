//lint:file-ignore SA1019 net/http cannot serve HTTP/2 on a connection whose ALPN is xftp/1 (CONFORMANCE-NOTES, Go notes); x/net/http2 ServeConn/NewClientConn can

// Package xftptest is a minimal XFTP client for xftp-server's tests: TLS
// with ALPN xftp/1, HTTP/2 with prior knowledge, the handshake (standard and
// web), and signed commands (CONFORMANCE-NOTES §5). It is not the product
// client: it exposes every step so tests can break them.
package xftptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"golang.org/x/net/http2"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// Options configure Dial.
type Options struct {
	// KeyHash is the server's fingerprint (checked in TLS and the handshake).
	KeyHash []byte
	// ALPN is the offered list; nil means [xftp/1]; an empty non-nil
	// slice offers none.
	ALPN []string
	// ServerName, when set, is sent as SNI (a browser connection).
	ServerName string
	// TLS12 limits the connection to TLS 1.2 (tls-unique from the
	// standard library instead of the recovered TLS 1.3 Finished).
	TLS12 bool
	// MaxReadFrameSize is the SETTINGS_MAX_FRAME_SIZE the client sends:
	// the largest DATA frame the server may send it. 0 keeps 16 KB, the
	// official clients' value (x/net clips 0 to the minimum).
	MaxReadFrameSize uint32
}

// Client is one connection to an XFTP server.
type Client struct {
	TC *transport.Conn
	CC *http2.ClientConn
	// Session holds the session id and, after Handshake, the agreed
	// version and the server's session key (PeerKey).
	Session *transport.Session
	// Hello is the last server handshake received.
	Hello   xftp.ServerHandshake
	keyHash []byte
}

// Dial connects to addr and runs TLS and HTTP/2; it does not run the XFTP
// handshake (see Handshake).
func Dial(ctx context.Context, addr string, o Options) (*Client, error) {
	alpn := o.ALPN
	if alpn == nil {
		alpn = []string{xftp.ALPN}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cfg := transport.ClientTLSConfig(alpn, func(raw [][]byte) error { return certs.VerifyChain(raw, o.KeyHash) })
	cfg.ServerName = o.ServerName
	if o.TLS12 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	tc, err := transport.Client(ctx, nc, cfg)
	if err != nil {
		return nil, err
	}
	cc, err := (&http2.Transport{MaxReadFrameSize: o.MaxReadFrameSize}).NewClientConn(tc.TLSConn())
	if err != nil {
		tc.Close()
		return nil, err
	}
	s := &transport.Session{Version: xftp.InitialVersion, SessionID: tc.SessionID(), BlockSize: xftp.BlockSize, Batching: true}
	return &Client{TC: tc, CC: cc, Session: s, keyHash: o.KeyHash}, nil
}

// Close closes the connection.
func (c *Client) Close() error { c.CC.Close(); return c.TC.Close() }

// Post sends POST / with body (nil = empty) and headers.
func (c *Client) Post(ctx context.Context, body io.Reader, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://xftp/", body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return c.CC.RoundTrip(req)
}

// PostBytes posts b and returns the whole response body.
func (c *Client) PostBytes(ctx context.Context, b []byte, hdr http.Header) ([]byte, error) {
	var body io.Reader
	if b != nil {
		body = bytes.NewReader(b)
	}
	resp, err := c.Post(ctx, body, hdr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// ErrHandshakeError is returned when the server answers a handshake step
// with a padded error word; the word is in the message.
var ErrHandshakeError = errors.New("server handshake error")

// ServerHello sends the hello (empty body, or on web connections
// pad(maybe(short(challenge))) with the xftp-web-hello header) and checks
// the answer: chain of 2 with the key hash on the CA, a signed X25519
// session key, and the web proof when a challenge was sent.
func (c *Client) ServerHello(ctx context.Context, challenge []byte, web bool) (xftp.ServerHandshake, error) {
	var body []byte
	hdr := http.Header{}
	if web {
		hb, err := xftp.ClientHello{WebChallenge: challenge}.Encode()
		if err != nil {
			return xftp.ServerHandshake{}, err
		}
		if body, err = encoding.Pad(hb, xftp.BlockSize); err != nil {
			return xftp.ServerHandshake{}, err
		}
		hdr.Set("xftp-web-hello", "1")
	}
	b, err := c.PostBytes(ctx, body, hdr)
	if err != nil {
		return xftp.ServerHandshake{}, err
	}
	p, err := encoding.Unpad(b)
	if err != nil {
		return xftp.ServerHandshake{}, fmt.Errorf("hello: %w", err)
	}
	if _, perr := xftp.ParseErrorType(p); perr == nil {
		return xftp.ServerHandshake{}, fmt.Errorf("%w: %s", ErrHandshakeError, p)
	}
	hs, err := xftp.ParseServerHandshake(p)
	if err != nil {
		return hs, err
	}
	if len(hs.CertChain) != 2 || !bytes.Equal(certs.Fingerprint(hs.CertChain[1]), c.keyHash) {
		return hs, errors.New("hello: bad certificate chain")
	}
	if !bytes.Equal(hs.SessionID, c.Session.SessionID) {
		return hs, errors.New("hello: session id mismatch")
	}
	leaf, err := x509.ParseCertificate(hs.CertChain[0])
	if err != nil {
		return hs, err
	}
	lk, err := crypto.ParsePublicKeyDER(leaf.RawSubjectPublicKeyInfo)
	if err != nil {
		return hs, err
	}
	sk, err := crypto.VerifySignedKeyDER(lk, hs.SignedKey)
	if err != nil || sk.Alg != crypto.X25519 {
		return hs, fmt.Errorf("hello: bad session key: %v", err)
	}
	if challenge != nil && !crypto.Verify(lk, append(bytes.Clone(challenge), hs.SessionID...), hs.WebIdentityProof) {
		return hs, errors.New("hello: bad web identity proof")
	}
	c.Hello = hs
	c.Session.PeerKey = sk
	c.Session.ServerRange = hs.VRange
	return hs, nil
}

// ClientHandshake sends pad(w16 version ‖ short(keyHash)); the server
// answers an empty 200 or a padded error word.
func (c *Client) ClientHandshake(ctx context.Context, version uint16, keyHash []byte, hdr http.Header) error {
	hb, err := xftp.ClientHandshake{Version: version, KeyHash: keyHash}.Encode()
	if err != nil {
		return err
	}
	body, err := encoding.Pad(hb, xftp.BlockSize)
	if err != nil {
		return err
	}
	b, err := c.PostBytes(ctx, body, hdr)
	if err != nil {
		return err
	}
	if len(b) != 0 {
		p, _ := encoding.Unpad(b)
		return fmt.Errorf("%w: %s", ErrHandshakeError, p)
	}
	c.Session.Version = version
	return nil
}

// Handshake runs the standard handshake at the highest common version.
func (c *Client) Handshake(ctx context.Context) error {
	hs, err := c.ServerHello(ctx, nil, false)
	if err != nil {
		return err
	}
	v, ok := hs.VRange.Compatible(xftp.SupportedVRange)
	if !ok {
		return errors.New("no common version")
	}
	return c.ClientHandshake(ctx, v, c.keyHash, nil)
}

// Head builds a request head: pad(count=1 large(transmission), 16384),
// signed with key (zero key = no authorization), empty corrId.
func (c *Client) Head(key crypto.PrivateKey, entityID []byte, cmd xftp.Command) ([]byte, error) {
	cb, err := xftp.EncodeCommand(c.Session.Version, cmd)
	if err != nil {
		return nil, err
	}
	var auth []byte
	if key.Alg != 0 {
		if auth, err = transport.SignTransmission(c.Session, key, nil, entityID, cb); err != nil {
			return nil, err
		}
	}
	return RawHead(c.Session, transport.Transmission{Auth: auth, EntityID: entityID, Command: cb})
}

// RawHead pads a batch of one transmission (any bytes) to a head.
func RawHead(s *transport.Session, t transport.Transmission) ([]byte, error) {
	tb, err := transport.EncodeTransmission(s, t)
	if err != nil {
		return nil, err
	}
	b, err := encoding.NewBuffer(nil).Count(1).Large(tb).Bytes()
	if err != nil {
		return nil, err
	}
	return encoding.Pad(b, xftp.BlockSize)
}

// Reply is a parsed command response.
type Reply struct {
	SessionID, CorrID, EntityID []byte
	Resp                        xftp.Response
	// Body is the rest of the HTTP body (FGET's encrypted chunk); the
	// caller closes it.
	Body io.ReadCloser
}

// Err returns the error code of an ERR response, or "".
func (r Reply) Err() xftp.ErrorCode {
	if e, ok := r.Resp.(xftp.ERR); ok {
		return e.Err.Code
	}
	return ""
}

// Send posts head followed by chunk (may be nil) and parses the response.
func (c *Client) Send(ctx context.Context, head []byte, chunk io.Reader) (Reply, error) {
	body := io.Reader(bytes.NewReader(head))
	if chunk != nil {
		body = io.MultiReader(body, chunk)
	}
	resp, err := c.Post(ctx, body, nil)
	if err != nil {
		return Reply{}, err
	}
	r, err := c.ParseReply(resp.Body)
	if err != nil {
		resp.Body.Close()
		return r, err
	}
	r.Body = resp.Body
	return r, nil
}

// ParseReply reads and parses the 16384-byte response head.
func (c *Client) ParseReply(body io.Reader) (Reply, error) {
	head := make([]byte, xftp.BlockSize)
	if _, err := io.ReadFull(body, head); err != nil {
		return Reply{}, fmt.Errorf("response head: %w", err)
	}
	p, err := encoding.Unpad(head)
	if err != nil {
		return Reply{}, err
	}
	ts, err := transport.ParseBatch(c.Session, p)
	if err != nil {
		return Reply{}, err
	}
	if len(ts) != 1 || ts[0].Err != nil {
		return Reply{}, fmt.Errorf("response batch of %d: %v", len(ts), ts[0].Err)
	}
	t := ts[0]
	r, err := xftp.ParseResponse(c.Session.Version, t.Command)
	if err != nil {
		return Reply{}, fmt.Errorf("response %q: %w", t.Command, err)
	}
	return Reply{SessionID: t.SessionID, CorrID: t.CorrID, EntityID: t.EntityID, Resp: r}, nil
}

// Do signs and sends one command and reads its whole response; FGET's
// body is returned decrypted with dhKey when given.
func (c *Client) Do(ctx context.Context, key crypto.PrivateKey, entityID []byte, cmd xftp.Command, chunk io.Reader) (Reply, error) {
	head, err := c.Head(key, entityID, cmd)
	if err != nil {
		return Reply{}, err
	}
	return c.Send(ctx, head, chunk)
}

// Download runs FGET with a fresh DH key and returns the decrypted chunk.
func (c *Client) Download(ctx context.Context, key crypto.PrivateKey, rcpID []byte) ([]byte, Reply, error) {
	dh, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, Reply{}, err
	}
	r, err := c.Do(ctx, key, rcpID, xftp.FGET{RcvDHKey: dh.Public()}, nil)
	if err != nil {
		return nil, r, err
	}
	defer r.Body.Close()
	f, ok := r.Resp.(xftp.FILE)
	if !ok {
		return nil, r, nil
	}
	data, err := Decrypt(r.Body, dh, f)
	return data, r, err
}

// Decrypt decrypts an FGET body (stream ‖ 16-byte tag).
func Decrypt(body io.Reader, dh crypto.PrivateKey, f xftp.FILE) ([]byte, error) {
	secret, err := crypto.DH(dh, f.SrvDHKey)
	if err != nil {
		return nil, err
	}
	d, err := crypto.NewBoxStreamDecryptor(body, secret, f.Nonce)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(d)
}

// IsHandshakeError reports whether err is a handshake error with this word.
func IsHandshakeError(err error, word string) bool {
	return errors.Is(err, ErrHandshakeError) && strings.HasSuffix(err.Error(), ": "+word)
}
