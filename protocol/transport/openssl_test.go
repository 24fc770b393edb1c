package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOpenSSLClient connects with `openssl s_client` configured like the
// official clients (CONFORMANCE-NOTES §2.1, [MT defaultSupportedParams]):
// ChaCha20-Poly1305 only, groups X448 then X25519 (so a Go server answers
// with a HelloRetryRequest), signature schemes Ed448 and Ed25519, ALPN
// smp/1, no SNI. The Finished message openssl reports sending (-msg) must
// be the server's SessionID. Skipped when openssl is not installed.
func TestOpenSSLClient(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name    string
		args    []string
		version uint16
		suite   uint16
		wantLen int
	}{
		{"TLS 1.3", []string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"},
			tls.VersionTLS13, tls.TLS_CHACHA20_POLY1305_SHA256, 32},
		{"TLS 1.2", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"},
			tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, stdin, out, wait := openSSLClient(t, tt.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sc, err := Server(ctx, c, ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP, ALPNH2, ALPNHTTP}))
			stdin.Close() // s_client quits at EOF on stdin
			if err != nil {
				_ = wait()
				t.Fatalf("server: %v\nopenssl output:\n%s", err, out())
			}
			defer sc.Close()
			// Read until openssl closes, so its output is complete.
			_ = sc.ReadBlock(make([]byte, 1))
			if err := wait(); err != nil {
				t.Logf("openssl exited with %v", err)
			}
			st := sc.ConnectionState()
			if st.Version != tt.version || st.CipherSuite != tt.suite || sc.ALPN() != ALPNSMP {
				t.Fatalf("version %x suite %x ALPN %q", st.Version, st.CipherSuite, sc.ALPN())
			}
			if tt.version == tls.VersionTLS13 && !st.HelloRetryRequest {
				t.Fatal("no HelloRetryRequest for an X448-first client")
			}
			fin := sentFinished(t, out())
			if len(fin) != 4+tt.wantLen || fin[0] != handshakeFinished {
				t.Fatalf("openssl Finished %x", fin)
			}
			if got := sc.SessionID(); !bytes.Equal(got, fin[4:]) {
				t.Fatalf("session id %x, openssl sent Finished %x", got, fin[4:])
			}
		})
	}
}

// sentFinished extracts from `openssl s_client -msg` output the hex dump
// following the line ">>> TLS 1.x, Handshake [length ...], Finished".
func sentFinished(t *testing.T, out string) []byte {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	var dump []string
	in := false
	for sc.Scan() {
		line := sc.Text()
		if in {
			if !strings.HasPrefix(line, " ") {
				break
			}
			dump = append(dump, strings.Fields(line)...)
			continue
		}
		if strings.HasPrefix(line, ">>> ") && strings.Contains(line, "Handshake") && strings.HasSuffix(line, "Finished") {
			in = true
		}
	}
	if !in {
		t.Fatalf("no Finished sent in openssl output:\n%s", out)
	}
	b, err := hex.DecodeString(strings.Join(dump, ""))
	if err != nil {
		t.Fatalf("bad dump %q: %v", dump, err)
	}
	return b
}

// openSSLClient starts `openssl s_client -msg` towards a fresh listener,
// configured like the official clients (no SNI, groups X448 then X25519,
// signature schemes Ed448 and Ed25519, ALPN smp/1) plus args, and returns
// the server side of its connection, its stdin (it quits at EOF), its
// output so far and a wait for it to exit. Skips when openssl is not
// installed.
func openSSLClient(t *testing.T, args ...string) (net.Conn, io.WriteCloser, func() string, func() error) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ln := listen(t)
	all := append([]string{"s_client", "-connect", ln.Addr().String(), "-noservername",
		"-groups", "X448:X25519", "-sigalgs", "ed448:ed25519", "-alpn", ALPNSMP, "-msg"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, all...)
	var buf lockedBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c, in, buf.String, cmd.Wait
}

// lockedBuffer is a bytes.Buffer for a subprocess's output, read while
// the process runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
