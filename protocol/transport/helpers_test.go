package transport

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPKI is the official certificate layout (CONFORMANCE-NOTES §2.3): a
// self-signed offline CA and an online leaf it signs; the TLS chain is
// [leaf, CA] and the server's key hash is SHA-256 of the CA's DER.
type testPKI struct {
	cert        tls.Certificate
	caDER       []byte
	fingerprint [32]byte
}

// newCA generates a self-signed Ed25519 CA (basicConstraints CA:true).
func newCA(t testing.TB) (der []byte, cert *x509.Certificate, key ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA", Organization: []string{"SimpleX"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return der, cert, key
}

// signLeaf issues a server certificate for pub under ca.
func signLeaf(t testing.TB, ca *x509.Certificate, caKey any, pub any) []byte {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// newTestPKI generates an Ed25519 CA and an Ed25519 leaf with crypto/x509.
func newTestPKI(t testing.TB) testPKI {
	t.Helper()
	caDER, ca, caKey := newCA(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{
		cert:        tls.Certificate{Certificate: [][]byte{signLeaf(t, ca, caKey, pub), caDER}, PrivateKey: priv},
		caDER:       caDER,
		fingerprint: sha256.Sum256(caDER),
	}
}

// ecdsaPKI is a P-256 leaf under an Ed25519 CA: Go's client would accept
// it, official clients (Ed448/Ed25519 signatures only) would not.
func ecdsaPKI(t testing.TB) testPKI {
	t.Helper()
	caDER, ca, caKey := newCA(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{
		cert:        tls.Certificate{Certificate: [][]byte{signLeaf(t, ca, caKey, &key.PublicKey), caDER}, PrivateKey: key},
		caDER:       caDER,
		fingerprint: sha256.Sum256(caDER),
	}
}

// fixturePKI loads the reference test suite's Ed25519 chain
// (tests/fixtures/ed25519, copied to testdata/).
func fixturePKI(t testing.TB) testPKI {
	t.Helper()
	leafPEM := readFile(t, "testdata/ed25519-server.crt")
	caPEM := readFile(t, "testdata/ed25519-ca.crt")
	keyPEM := readFile(t, "testdata/ed25519-server.key")
	cert, err := tls.X509KeyPair(append(leafPEM, caPEM...), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{cert: cert, caDER: cert.Certificate[1], fingerprint: sha256.Sum256(cert.Certificate[1])}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// errBadFingerprint is what verifyKeyHash returns for a foreign server.
var errBadFingerprint = errors.New("test: certificate fingerprint mismatch")

// verifyKeyHash is the core of the reference client check [MTC
// validateCertificateChain]: a chain of 2 to 4 certificates whose second
// certificate hashes (SHA-256 of its DER) to the address key hash.
func verifyKeyHash(fp [32]byte) func([][]byte) error {
	return func(raw [][]byte) error {
		if len(raw) < 2 || len(raw) > 4 {
			return errors.New("test: chain length")
		}
		if sha256.Sum256(raw[1]) != fp {
			return errBadFingerprint
		}
		return nil
	}
}

// tapConn records both directions of a connection, for the independent
// checks of the session id.
type tapConn struct {
	net.Conn
	mu      sync.Mutex
	read    bytes.Buffer
	written bytes.Buffer
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) streams() (read, written []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.read.Bytes()), bytes.Clone(c.written.Bytes())
}

// keyLogBuf is a KeyLogWriter collecting NSS key log lines.
type keyLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (k *keyLogBuf) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.b.Write(p)
}

// secret returns the hex-decoded secret logged under label.
func (k *keyLogBuf) secret(t testing.TB, label string) []byte {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, line := range strings.Split(k.b.String(), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == label {
			s, err := hex.DecodeString(f[2])
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("no %s in key log", label)
	return nil
}

// pairResult is one side's outcome of a handshake.
type pairResult struct {
	conn *Conn
	err  error
}

// listen returns a listener on 127.0.0.1 closed at the end of the test.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// handshakePair runs Server and Client against each other over TCP on
// 127.0.0.1. wrapClient, if not nil, wraps the client's net.Conn; opts go
// to Server.
func handshakePair(t testing.TB, scfg, ccfg *tls.Config, wrapClient func(net.Conn) net.Conn, opts ...ServerOption) (srv, cli pairResult) {
	t.Helper()
	ln := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srvCh := make(chan pairResult, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvCh <- pairResult{err: err}
			return
		}
		sc, err := Server(ctx, c, scfg, opts...)
		srvCh <- pairResult{sc, err}
	}()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if wrapClient != nil {
		c = wrapClient(c)
	}
	cc, err := Client(ctx, c, ccfg)
	cli = pairResult{cc, err}
	if err != nil {
		// Unblock a server still waiting for the client's flight.
		c.Close()
	}
	srv = <-srvCh
	t.Cleanup(func() {
		if srv.conn != nil {
			srv.conn.Close()
		}
		if cli.conn != nil {
			cli.conn.Close()
		}
	})
	return srv, cli
}

// netPipe returns both ends of an in-memory connection, closed at the end
// of the test.
func netPipe(t testing.TB) (net.Conn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// pemBlock returns the DER of the first PEM block in b.
func pemBlock(t testing.TB, b []byte) []byte {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM block")
	}
	return blk.Bytes
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
