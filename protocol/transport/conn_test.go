package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/encoding"
)

// TestSessionID runs real handshakes over TCP and checks that both sides
// agree on the session id and that it is the client's Finished verify_data,
// recomputed independently from the transcript (CONFORMANCE-NOTES §2.4).
func TestSessionID(t *testing.T) {
	tests := []struct {
		name    string
		pki     func(testing.TB) testPKI
		version uint16
		// hrr forces a HelloRetryRequest, as official clients get from a Go
		// server (they send an X448 key share only): Go's client sends an
		// X25519 share, and the server is limited to P-256. (Go orders the
		// client's curves itself, X25519 first, so the retry cannot be
		// forced from the client side.)
		hrr     bool
		wantLen int
	}{
		{name: "TLS 1.3", pki: newTestPKI, version: tls.VersionTLS13, wantLen: 32},
		{name: "TLS 1.3 reference fixture chain", pki: fixturePKI, version: tls.VersionTLS13, wantLen: 32},
		{name: "TLS 1.3 HelloRetryRequest", pki: newTestPKI, version: tls.VersionTLS13,
			hrr: true, wantLen: 32},
		{name: "TLS 1.2", pki: newTestPKI, version: tls.VersionTLS12, wantLen: 12},
		{name: "TLS 1.2 reference fixture chain", pki: fixturePKI, version: tls.VersionTLS12, wantLen: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pki(t)
			scfg := ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP, ALPNH2, ALPNHTTP})
			ccfg := ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint))
			ccfg.MaxVersion = tt.version
			wantCurve := tls.X25519
			if tt.hrr {
				ccfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
				scfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
				wantCurve = tls.CurveP256
			}
			var kl keyLogBuf
			ccfg.KeyLogWriter = &kl
			var tap *tapConn
			srv, cli := handshakePair(t, scfg, ccfg, func(c net.Conn) net.Conn {
				tap = &tapConn{Conn: c}
				return tap
			})
			if srv.err != nil || cli.err != nil {
				t.Fatalf("server: %v; client: %v", srv.err, cli.err)
			}
			s, c := srv.conn, cli.conn
			if s.TLSVersion() != tt.version || c.TLSVersion() != tt.version {
				t.Fatalf("versions %x/%x", s.TLSVersion(), c.TLSVersion())
			}
			if got := c.ConnectionState().HelloRetryRequest; got != tt.hrr {
				t.Fatalf("HelloRetryRequest = %v", got)
			}
			sid, cid := s.SessionID(), c.SessionID()
			if !bytes.Equal(sid, cid) || len(sid) != tt.wantLen {
				t.Fatalf("server %x, client %x", sid, cid)
			}
			read, written := tap.streams()
			var want []byte
			if tt.version == tls.VersionTLS13 {
				want = expectedVerifyData13(t, c.ConnectionState().CipherSuite, written, read,
					kl.secret(t, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"), kl.secret(t, "SERVER_HANDSHAKE_TRAFFIC_SECRET"))
			} else {
				if !bytes.Equal(cid, c.ConnectionState().TLSUnique) || !bytes.Equal(sid, s.ConnectionState().TLSUnique) {
					t.Fatalf("not TLSUnique")
				}
				want = expectedVerifyData12(t, written, read, kl.secret(t, "CLIENT_RANDOM"))
			}
			if !bytes.Equal(cid, want) {
				t.Fatalf("session id %x, recomputed client verify_data %x", cid, want)
			}
			if got := c.ALPN(); got != ALPNSMP || s.ALPN() != ALPNSMP {
				t.Fatalf("ALPN %q/%q", got, s.ALPN())
			}
			// Official clients send no SNI (§2.1).
			if sn := s.ConnectionState().ServerName; sn != "" {
				t.Fatalf("client sent SNI %q", sn)
			}
			if tt.version == tls.VersionTLS12 &&
				c.ConnectionState().CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
				t.Fatalf("TLS 1.2 suite %x", c.ConnectionState().CipherSuite)
			}
			if c.ConnectionState().CurveID != wantCurve {
				t.Fatalf("curve %v", c.ConnectionState().CurveID)
			}
			chain := c.PeerCertificates()
			if len(chain) != 2 || !bytes.Equal(chain[0], p.cert.Certificate[0]) || !bytes.Equal(chain[1], p.caDER) {
				t.Fatalf("peer chain as sent not returned")
			}
			if len(s.PeerCertificates()) != 0 {
				t.Fatalf("server saw a client certificate")
			}
			exchangeBlocks(t, s, c)
		})
	}
}

// exchangeBlocks sends padded SMP blocks both ways.
func exchangeBlocks(t *testing.T, s, c *Conn) {
	t.Helper()
	for _, dir := range []struct {
		from, to *Conn
		msg      string
	}{{c, s, "client hello"}, {s, c, "server reply"}} {
		block, err := encoding.Pad([]byte(dir.msg), SMPBlockSize)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- dir.from.WriteBlock(block) }()
		buf := make([]byte, SMPBlockSize)
		if err := dir.to.ReadBlock(buf); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		msg, err := encoding.Unpad(buf)
		if err != nil || string(msg) != dir.msg {
			t.Fatalf("got %q, %v", msg, err)
		}
	}
}

// TestFixtureFingerprint checks the client-side key hash against the
// value the reference tests use for tests/fixtures/ed25519/ca.crt.
func TestFixtureFingerprint(t *testing.T) {
	p := fixturePKI(t)
	if got := encoding.B64URL(p.fingerprint[:]); got != "evk6yvqIaOtOVWfFhXQTdQRtlKeDy_4MXsJDYh2agys=" {
		t.Fatalf("fingerprint %s", got)
	}
}

// TestEd448CAPassThrough serves an Ed25519 leaf followed by the reference's
// Ed448 CA (tests/fixtures/ca.crt): Go cannot verify Ed448, but the CA's DER
// is only carried, and the client gets it back byte for byte.
func TestEd448CAPassThrough(t *testing.T) {
	p := fixturePKI(t)
	ed448CA := pemBlock(t, readFile(t, "testdata/ed448-ca.crt"))
	cert := p.cert
	cert.Certificate = [][]byte{p.cert.Certificate[0], ed448CA}
	cert.Leaf = nil
	scfg := ServerTLSConfig([]tls.Certificate{cert}, []string{ALPNSMP})
	fp := sha256Sum(ed448CA)
	srv, cli := handshakePair(t, scfg, ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(fp)), nil)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
	if got := cli.conn.PeerCertificates(); len(got) != 2 || !bytes.Equal(got[1], ed448CA) {
		t.Fatal("Ed448 CA not passed through")
	}
	if got := encoding.B64URL(fp[:]); got != "LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=" {
		t.Fatalf("fingerprint %s, want the reference testKeyHash", got)
	}
}

// TestClientRejects covers the client-side certificate checks.
func TestClientRejects(t *testing.T) {
	p := newTestPKI(t)
	other := newTestPKI(t)
	tests := []struct {
		name    string
		cert    tls.Certificate
		verify  func([][]byte) error
		wantErr error
	}{
		{"wrong fingerprint", p.cert, verifyKeyHash(other.fingerprint), errBadFingerprint},
		{"no verifier", p.cert, nil, ErrNoChainVerifier},
		{"ECDSA leaf", ecdsaPKI(t).cert, func([][]byte) error { return nil }, ErrLeafNotEd25519},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scfg := ServerTLSConfig([]tls.Certificate{tt.cert}, nil)
			// The ECDSA case needs a suite Go pairs with ECDSA keys in TLS
			// 1.3, which is any: the check is ours, not the suite's.
			srv, cli := handshakePair(t, scfg, ClientTLSConfig(nil, tt.verify), nil)
			if !errors.Is(cli.err, tt.wantErr) {
				t.Fatalf("client err %v, want %v", cli.err, tt.wantErr)
			}
			if srv.err == nil {
				t.Fatal("server handshake succeeded")
			}
		})
	}
}

// TestALPN checks the reference's ALPN rule (CONFORMANCE-NOTES §2.2, [MTS
// supportedTLSServerParams]): the first client-offered name the server
// lists wins; no ALPN from the client is accepted with no protocol; an
// offer with nothing in common is refused.
func TestALPN(t *testing.T) {
	p := newTestPKI(t)
	server := []string{ALPNSMP, ALPNH2, ALPNHTTP}
	tests := []struct {
		name    string
		server  []string
		client  []string
		want    string
		wantErr bool
	}{
		{name: "smp/1", server: server, client: []string{ALPNSMP}, want: ALPNSMP},
		{name: "none offered", server: server, client: nil, want: ""},
		{name: "client preference wins", server: server, client: []string{ALPNHTTP, ALPNSMP}, want: ALPNHTTP},
		{name: "unknown names skipped", server: server, client: []string{"x/1", ALPNSMP}, want: ALPNSMP},
		{name: "server without ALPN", server: nil, client: []string{ALPNSMP}, want: ""},
		{name: "no overlap refused", server: server, client: []string{ALPNNTF}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scfg := ServerTLSConfig([]tls.Certificate{p.cert}, tt.server)
			srv, cli := handshakePair(t, scfg, ClientTLSConfig(tt.client, verifyKeyHash(p.fingerprint)), nil)
			if tt.wantErr {
				if srv.err == nil || cli.err == nil {
					t.Fatalf("server: %v; client: %v", srv.err, cli.err)
				}
				return
			}
			if srv.err != nil || cli.err != nil {
				t.Fatalf("server: %v; client: %v", srv.err, cli.err)
			}
			if srv.conn.ALPN() != tt.want || cli.conn.ALPN() != tt.want {
				t.Fatalf("ALPN %q/%q, want %q", srv.conn.ALPN(), cli.conn.ALPN(), tt.want)
			}
		})
	}
}

// TestServerConfigHooks checks that a caller's GetConfigForClient and
// KeyLogWriter keep working under Server's per-connection wrapping.
func TestServerConfigHooks(t *testing.T) {
	p := newTestPKI(t)
	var srvLog, hookLog keyLogBuf
	scfg := ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP})
	scfg.KeyLogWriter = &srvLog
	srv, cli := handshakePair(t, scfg, ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint)), nil)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
	srvLog.secret(t, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")

	scfg = ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP})
	scfg.KeyLogWriter = &srvLog // replaced by the hook's config
	var sawSNI = "unset"
	scfg.GetConfigForClient = func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		sawSNI = chi.ServerName
		c := ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNNTF, ALPNSMP})
		c.KeyLogWriter = &hookLog
		return c, nil
	}
	srv, cli = handshakePair(t, scfg, ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint)), nil)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
	if sawSNI != "" {
		t.Fatalf("hook saw SNI %q", sawSNI)
	}
	if !bytes.Equal(srv.conn.SessionID(), cli.conn.SessionID()) || srv.conn.ALPN() != ALPNSMP {
		t.Fatal("hooked handshake")
	}
	hookLog.secret(t, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")

	scfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, io.ErrUnexpectedEOF }
	srv, _ = handshakePair(t, scfg, ClientTLSConfig(nil, verifyKeyHash(p.fingerprint)), nil)
	if !errors.Is(srv.err, io.ErrUnexpectedEOF) {
		t.Fatalf("hook error not returned: %v", srv.err)
	}
}

// TestConcurrentHandshakes runs many handshakes at once on one listener
// and one server config: each connection has its own key log and
// recording, so every pair agrees on an id no other pair has.
func TestConcurrentHandshakes(t *testing.T) {
	const n = 20
	p := newTestPKI(t)
	scfg := ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP})
	ccfg := ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint))
	ln := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	serverIDs := make(chan string, n)
	errs := make(chan error, 2*n)
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc, err := Client(ctx, c, ccfg)
			if err != nil {
				errs <- err
				return
			}
			defer cc.Close()
			// Tell the server which id we computed; it compares.
			block, _ := encoding.Pad(cc.SessionID(), NTFBlockSize)
			if err := cc.WriteBlock(block); err != nil {
				errs <- err
			}
			// Wait for the server's verdict so Close does not race it.
			if err := cc.ReadBlock(make([]byte, 1)); err != nil {
				errs <- err
			}
		}()
	}
	for range n {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc, err := Server(ctx, c, scfg)
			if err != nil {
				errs <- err
				return
			}
			defer sc.Close()
			buf := make([]byte, NTFBlockSize)
			if err := sc.ReadBlock(buf); err != nil {
				errs <- err
				return
			}
			got, err := encoding.Unpad(buf)
			if err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, sc.SessionID()) {
				errs <- errors.New("client and server session ids differ")
			}
			serverIDs <- hex.EncodeToString(sc.SessionID())
			if err := sc.WriteBlock([]byte{1}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(serverIDs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for id := range serverIDs {
		if seen[id] {
			t.Errorf("session id %s on two connections", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct session ids, want %d", len(seen), n)
	}
}

// TestHandshakeTimeout: a client that connects and sends nothing is cut
// off when the server's context expires [MTS tlsSetupTimeout].
func TestHandshakeTimeout(t *testing.T) {
	p := newTestPKI(t)
	ln := listen(t)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = Server(ctx, sc, ServerTLSConfig([]tls.Certificate{p.cert}, nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	// The server closed the connection: the silent client sees EOF.
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open")
	}
}

// TestReadBlockEOF: a peer closing mid-block is an unexpected EOF, at a
// block boundary a plain EOF.
func TestReadBlockEOF(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := handshakePair(t, ServerTLSConfig([]tls.Certificate{p.cert}, nil),
		ClientTLSConfig(nil, verifyKeyHash(p.fingerprint)), nil)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
	if err := cli.conn.WriteBlock(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := cli.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.conn.ReadBlock(make([]byte, 20)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v", err)
	}
	if err := srv.conn.ReadBlock(make([]byte, 20)); !errors.Is(err, io.EOF) {
		t.Fatalf("err %v", err)
	}
	if srv.conn.NetConn() == nil || srv.conn.TLSConn() == nil {
		t.Fatal("nil underlying connection")
	}
}

// TestServerTLSConfig pins the official parameters (CONFORMANCE-NOTES
// §2.1) as they appear in the config.
func TestServerTLSConfig(t *testing.T) {
	p := newTestPKI(t)
	for name, c := range map[string]*tls.Config{
		"server": ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP}),
		"client": ClientTLSConfig([]string{ALPNSMP}, nil),
	} {
		if c.MinVersion != tls.VersionTLS12 || c.MaxVersion != tls.VersionTLS13 {
			t.Errorf("%s: versions %x-%x", name, c.MinVersion, c.MaxVersion)
		}
		if len(c.CipherSuites) != 1 || c.CipherSuites[0] != tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
			t.Errorf("%s: suites %v", name, c.CipherSuites)
		}
		if len(c.CurvePreferences) != 1 || c.CurvePreferences[0] != tls.X25519 {
			t.Errorf("%s: curves %v", name, c.CurvePreferences)
		}
		if !c.SessionTicketsDisabled || c.ServerName != "" {
			t.Errorf("%s: tickets or SNI", name)
		}
	}
	if _, ok := p.cert.PrivateKey.(ed25519.PrivateKey); !ok {
		t.Fatal("test leaf is not Ed25519")
	}
}

// TestClientCertificate: a client certificate (SMP v16 services, [MTS
// paramsAskClientCert]) adds Certificate and CertificateVerify to the
// client's encrypted flight before its Finished; both sides still agree,
// and the server sees the client's chain as sent.
func TestClientCertificate(t *testing.T) {
	srvPKI, cliPKI := newTestPKI(t), newTestPKI(t)
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		scfg := ServerTLSConfig([]tls.Certificate{srvPKI.cert}, []string{ALPNSMP})
		scfg.ClientAuth = tls.RequestClientCert
		ccfg := ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(srvPKI.fingerprint))
		ccfg.Certificates = []tls.Certificate{cliPKI.cert}
		ccfg.MaxVersion = version
		srv, cli := handshakePair(t, scfg, ccfg, nil)
		if srv.err != nil || cli.err != nil {
			t.Fatalf("%x: server: %v; client: %v", version, srv.err, cli.err)
		}
		if !bytes.Equal(srv.conn.SessionID(), cli.conn.SessionID()) {
			t.Fatalf("%x: session ids differ", version)
		}
		chain := srv.conn.PeerCertificates()
		if len(chain) != 2 || !bytes.Equal(chain[1], cliPKI.caDER) {
			t.Fatalf("%x: client chain not seen", version)
		}
	}
}

func TestNilConfig(t *testing.T) {
	a, b := netPipe(t)
	if _, err := Server(context.Background(), a, nil); !errors.Is(err, ErrNilConfig) {
		t.Fatal(err)
	}
	if _, err := Client(context.Background(), b, nil); !errors.Is(err, ErrNilConfig) {
		t.Fatal(err)
	}
}

// TestHandshakeOverRecordingLimit: a client flight larger than the
// recording bound (here a 70 KB client certificate) cannot yield a session
// id; both sides fail instead of guessing.
func TestHandshakeOverRecordingLimit(t *testing.T) {
	srvPKI := newTestPKI(t)
	_, ca, caKey := newCA(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	for i := range 1000 {
		tmpl.DNSNames = append(tmpl.DNSNames, fmt.Sprintf("%064d.example", i))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(der) <= maxRecorded {
		t.Fatalf("certificate of %d bytes is under the limit", len(der))
	}
	scfg := ServerTLSConfig([]tls.Certificate{srvPKI.cert}, nil)
	scfg.ClientAuth = tls.RequestClientCert
	ccfg := ClientTLSConfig(nil, verifyKeyHash(srvPKI.fingerprint))
	ccfg.Certificates = []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}
	srv, cli := handshakePair(t, scfg, ccfg, nil)
	if !errors.Is(srv.err, ErrFinishedNotFound) || !errors.Is(cli.err, ErrFinishedNotFound) {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
}
