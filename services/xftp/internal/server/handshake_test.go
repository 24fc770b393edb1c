package server

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// TestHandshake covers the standard handshake's failure cases [FS
// xftpServerHandshakeV1]: each answers a padded "HANDSHAKE".
func TestHandshake(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	t.Run("hello", func(t *testing.T) {
		c := ts.dial(xftptest.Options{})
		hs, err := c.ServerHello(ctx(t), nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if hs.VRange != xftp.SupportedVRange || len(hs.WebIdentityProof) != 0 {
			t.Fatalf("%+v", hs)
		}
		// A second empty body is read as a client handshake: HANDSHAKE.
		if _, err := c.ServerHello(ctx(t), nil, false); !xftptest.IsHandshakeError(err, "HANDSHAKE") {
			t.Fatalf("second hello: %v", err)
		}
	})
	t.Run("body first", func(t *testing.T) {
		c := ts.dial(xftptest.Options{})
		head, _ := c.Head(crypto.PrivateKey{}, nil, xftp.PING{})
		b, err := c.PostBytes(ctx(t), head, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := encoding.Unpad(b); string(p) != "HANDSHAKE" || len(b) != xftp.BlockSize {
			t.Fatalf("%q", p)
		}
	})
	for name, f := range map[string]func(c *xftptest.Client) error{
		"wrong key hash": func(c *xftptest.Client) error {
			return c.ClientHandshake(ctx(t), xftp.CurrentVersion, bytes.Repeat([]byte{1}, 32), nil)
		},
		"version too high": func(c *xftptest.Client) error {
			return c.ClientHandshake(ctx(t), xftp.CurrentVersion+1, ts.id.KeyHash, nil)
		},
		"version 0": func(c *xftptest.Client) error { return c.ClientHandshake(ctx(t), 0, ts.id.KeyHash, nil) },
		"short block": func(c *xftptest.Client) error {
			b, err := c.PostBytes(ctx(t), []byte{0, 3, 0, 3, 0}, nil)
			if err == nil && len(b) != 0 {
				p, _ := encoding.Unpad(b)
				return &hsErr{string(p)}
			}
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := ts.dial(xftptest.Options{})
			if _, err := c.ServerHello(ctx(t), nil, false); err != nil {
				t.Fatal(err)
			}
			err := f(c)
			if he, ok := err.(*hsErr); ok && he.word == "HANDSHAKE" {
				return
			}
			if !xftptest.IsHandshakeError(err, "HANDSHAKE") {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("older version", func(t *testing.T) {
		c := ts.dial(xftptest.Options{})
		if _, err := c.ServerHello(ctx(t), nil, false); err != nil {
			t.Fatal(err)
		}
		if err := c.ClientHandshake(ctx(t), 2, ts.id.KeyHash, nil); err != nil {
			t.Fatal(err)
		}
		expect(t, do(t, c, crypto.PrivateKey{}, nil, xftp.PING{}, nil), xftp.PONG{})
	})
}

type hsErr struct{ word string }

func (e *hsErr) Error() string { return e.word }

// TestALPN: http/1.1 runs the handshake like xftp/1; no ALPN serves v1
// commands without one; h2 without SNI gets empty answers [FS runServer].
func TestALPN(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.dial(xftptest.Options{ALPN: []string{"http/1.1"}})
	if err := c.Handshake(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect(t, do(t, c, crypto.PrivateKey{}, nil, xftp.PING{}, nil), xftp.PONG{})

	v1 := ts.dial(xftptestNoALPN())
	if v1.TC.ALPN() != "" {
		t.Fatal("ALPN negotiated")
	}
	f := newFile(t, v1, int(xftp.ChunkSize0), 1)
	upload(t, v1, f)
	data, _, err := v1.Download(ctx(t), f.rcv[0], f.rids[0])
	if err != nil || !bytes.Equal(data, f.data) {
		t.Fatalf("v1 download: %v", err)
	}

	h2 := ts.dial(xftptest.Options{ALPN: []string{"h2"}})
	head, _ := h2.Head(crypto.PrivateKey{}, nil, xftp.PING{})
	b, err := h2.PostBytes(ctx(t), head, nil)
	if err != nil || len(b) != 0 {
		t.Fatalf("h2: %q %v", b, err)
	}
}

// TestWebHandshake: with web support, SNI connections must start with the
// web hello (xftp-web-hello header, pad(maybe(challenge))); the answer
// carries Sign(leaf, challenge ‖ sessionId); CORS headers are set; a
// repeated hello or xftp-handshake header restarts the handshake with the
// same key [FS xftpServerHandshakeV1, WHH].
func TestWebHandshake(t *testing.T) {
	ts := startServer(t, "", nil, nil, func(o *Options) { o.Web = true })
	c := ts.dial(xftptest.Options{ServerName: "files.example"})
	// Without the header: SESSION.
	if _, err := c.ServerHello(ctx(t), nil, false); !xftptest.IsHandshakeError(err, "SESSION") {
		t.Fatalf("plain hello on SNI: %v", err)
	}
	challenge := make([]byte, xftp.WebChallengeSize)
	rand.Read(challenge)
	hs, err := c.ServerHello(ctx(t), challenge, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs.WebIdentityProof) != xftp.Ed25519SignatureSize {
		t.Fatal("no proof")
	}
	k := c.Session.PeerKey
	if _, err := c.ServerHello(ctx(t), challenge, true); err != nil || !c.Session.PeerKey.Equal(k) {
		t.Fatalf("repeated hello: %v", err)
	}
	hdr := http.Header{"Xftp-Handshake": {"1"}}
	if err := c.ClientHandshake(ctx(t), xftp.CurrentVersion, ts.id.KeyHash, hdr); err != nil {
		t.Fatal(err)
	}
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, f)
	// Restart after acceptance: hello again, same key; the next request
	// must be the client handshake (a command → HANDSHAKE).
	if _, err := c.ServerHello(ctx(t), challenge, true); err != nil || !c.Session.PeerKey.Equal(k) {
		t.Fatalf("hello after accept: %v", err)
	}
	ping, _ := c.Head(crypto.PrivateKey{}, nil, xftp.PING{})
	if b, err := c.PostBytes(ctx(t), ping, nil); err != nil || len(b) != xftp.BlockSize {
		t.Fatalf("command after re-hello: %v", err)
	} else if p, _ := encoding.Unpad(b); string(p) != "HANDSHAKE" {
		t.Fatalf("command after re-hello: %q", p)
	}
	if _, err := c.ServerHello(ctx(t), challenge, true); err != nil {
		t.Fatal(err)
	}
	if err := c.ClientHandshake(ctx(t), xftp.CurrentVersion, ts.id.KeyHash, hdr); err != nil {
		t.Fatal(err)
	}
	head, _ := c.Head(crypto.PrivateKey{}, nil, xftp.PING{})
	resp, err := c.Post(ctx(t), bytes.NewReader(head), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Expose-Headers") != "*" {
		t.Fatalf("CORS headers: %v", resp.Header)
	}
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodOptions, "https://xftp/", nil)
	resp, err = c.CC.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Methods") != "POST, OPTIONS" {
		t.Fatalf("preflight: %v %v", resp, err)
	}
	// h2 on a web connection runs the handshake too.
	h2 := ts.dial(xftptest.Options{ServerName: "files.example", ALPN: []string{"h2"}})
	if _, err := h2.ServerHello(ctx(t), nil, true); err != nil {
		t.Fatalf("h2 web hello: %v", err)
	}
	// Without web support SNI changes nothing.
	plain := startServer(t, "", nil, nil, nil)
	pc := plain.dial(xftptest.Options{ServerName: "files.example"})
	if err := pc.Handshake(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestTLSVersions: the session id (tls-unique) agrees on both sides with
// TLS 1.2 and 1.3, so signed commands verify (CONFORMANCE-NOTES §2.4).
func TestTLSVersions(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	for name, o := range map[string]xftptest.Options{"1.3": {}, "1.2": {TLS12: true}} {
		t.Run(name, func(t *testing.T) {
			c := ts.dial(o)
			if err := c.Handshake(ctx(t)); err != nil {
				t.Fatal(err)
			}
			want := 32
			if o.TLS12 {
				want = 12
			}
			if len(c.Session.SessionID) != want {
				t.Fatalf("session id of %d bytes", len(c.Session.SessionID))
			}
			f := newFile(t, c, int(xftp.ChunkSize0), 1)
			upload(t, c, f)
		})
	}
}
