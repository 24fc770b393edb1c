package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
)

// vr is a version range literal.
func vr(lo, hi uint16) encoding.VersionRange { return encoding.VersionRange{Min: lo, Max: hi} }

// tlsPair returns the two ends of a real TLS connection over TCP on
// 127.0.0.1, with the official chain layout. clientALPN nil sends no ALPN.
func tlsPair(t testing.TB, p testPKI, serverALPN, clientALPN []string) (srv, cli *Conn) {
	t.Helper()
	scfg := ServerTLSConfig([]tls.Certificate{p.cert}, serverALPN)
	ccfg := ClientTLSConfig(clientALPN, verifyKeyHash(p.fingerprint))
	s, c := handshakePair(t, scfg, ccfg, nil)
	if s.err != nil || c.err != nil {
		t.Fatalf("TLS handshake: server %v, client %v", s.err, c.err)
	}
	return s.conn, c.conn
}

// signKey returns the TLS leaf private key of p as a crypto key.
func signKey(p testPKI) crypto.PrivateKey {
	return crypto.PrivateKey{Alg: crypto.Ed25519, Raw: p.cert.PrivateKey.(ed25519.PrivateKey).Seed()}
}

func smpServerParams(p testPKI, r encoding.VersionRange) SMPServerParams {
	return SMPServerParams{Range: r, CertChain: p.cert.Certificate, SignKey: signKey(p), KeyHash: p.fingerprint[:]}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type sessResult struct {
	s   *Session
	err error
}

// smpPair runs both SMP handshakes concurrently on a fresh TLS pair.
func smpPair(t testing.TB, sp SMPServerParams, cp SMPClientParams, clientALPN []string, p testPKI) (srv, cli sessResult) {
	t.Helper()
	sc, cc := tlsPair(t, p, []string{ALPNSMP, ALPNH2, ALPNHTTP}, clientALPN)
	ctx := testCtx(t)
	ch := make(chan sessResult, 1)
	go func() {
		s, err := SMPServerHandshake(ctx, sc, sp)
		ch <- sessResult{s, err}
	}()
	s, err := SMPClientHandshake(ctx, cc, cp)
	cli = sessResult{s, err}
	if err != nil {
		cc.Close()
	}
	srv = <-ch
	return srv, cli
}

// TestSMPHandshakeVersions runs real handshakes and checks the agreed
// version and the parameters that follow from it (CONFORMANCE-NOTES §1.1,
// §2.2, §2.6, §2.8) [MT smpServerHandshake, smpClientHandshake,
// blockEncryption].
func TestSMPHandshakeVersions(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name        string
		server      encoding.VersionRange
		client      encoding.VersionRange
		noALPN      bool
		noKey       bool
		proxy       bool
		wantV       uint16
		wantOffer   encoding.VersionRange
		wantEnc     bool
		wantImplied bool
		wantKey     bool // server hello carried a key, client knows it
	}{
		{name: "client 6..18, server 6..14", server: vr(6, 14), client: vr(6, 18), wantV: 14,
			wantOffer: vr(6, 14), wantEnc: true, wantImplied: true, wantKey: true},
		{name: "client 6..8", server: vr(6, 14), client: vr(6, 8), wantV: 8,
			wantOffer: vr(6, 14), wantImplied: true, wantKey: true},
		{name: "v10 has no block encryption", server: vr(6, 10), client: vr(6, 18), wantV: 10,
			wantOffer: vr(6, 10), wantImplied: true, wantKey: true},
		{name: "v11 encrypts", server: vr(6, 11), client: vr(6, 18), wantV: 11,
			wantOffer: vr(6, 11), wantEnc: true, wantImplied: true, wantKey: true},
		{name: "proxy flag turns encryption off", server: vr(6, 14), client: vr(6, 18), proxy: true,
			wantV: 14, wantOffer: vr(6, 14), wantImplied: true, wantKey: true},
		{name: "proxy against a server below 14 caps at 10", server: vr(6, 12), client: vr(6, 18), proxy: true,
			wantV: 10, wantOffer: vr(6, 12), wantImplied: true, wantKey: true},
		{name: "no client key, no encryption", server: vr(6, 14), client: vr(6, 18), noKey: true,
			wantV: 14, wantOffer: vr(6, 14), wantImplied: true, wantKey: true},
		{name: "no ALPN offers 6..6", server: vr(6, 14), client: vr(6, 18), noALPN: true,
			wantV: 6, wantOffer: vr(6, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alpn := []string{ALPNSMP}
			if tt.noALPN {
				alpn = nil
			}
			srv, cli := smpPair(t, smpServerParams(p, tt.server),
				SMPClientParams{Range: tt.client, KeyHash: p.fingerprint[:], NoKey: tt.noKey, ProxyClient: tt.proxy},
				alpn, p)
			if srv.err != nil || cli.err != nil {
				t.Fatalf("handshake: server %v, client %v", srv.err, cli.err)
			}
			s, c := srv.s, cli.s
			defer s.Close()
			for _, x := range []*Session{s, c} {
				if x.Version != tt.wantV || x.ServerRange != tt.wantOffer {
					t.Errorf("server=%v: version %d range %v, want %d %v", x.Server, x.Version, x.ServerRange, tt.wantV, tt.wantOffer)
				}
				if x.Encrypted() != tt.wantEnc || x.ImpliedSessionID != tt.wantImplied || !x.Batching || x.BlockSize != SMPBlockSize {
					t.Errorf("server=%v: encrypted %v implied %v batching %v", x.Server, x.Encrypted(), x.ImpliedSessionID, x.Batching)
				}
				if !bytes.Equal(x.SessionID, s.Conn.SessionID()) {
					t.Errorf("session ids differ")
				}
			}
			// The flag is only on the wire from v14.
			if s.ProxyClient != (tt.proxy && tt.wantV >= 14) || c.ProxyClient != tt.proxy {
				t.Errorf("server ProxyClient %v", s.ProxyClient)
			}
			if got := !c.PeerKey.IsZero(); got != tt.wantKey {
				t.Errorf("client knows server key: %v", got)
			}
			if tt.wantKey && !c.PeerKey.Equal(s.SessionKey.Public()) {
				t.Errorf("client's server key is not the server's session key")
			}
			clientSent := tt.wantKey && !tt.noKey && tt.wantV >= 7
			if got := !s.PeerKey.IsZero(); got != clientSent {
				t.Errorf("server got client key: %v, want %v", got, clientSent)
			}
			if clientSent && !s.PeerKey.Equal(c.SessionKey.Public()) {
				t.Errorf("server's client key is not the client's")
			}
			if tt.wantKey && len(c.ServerCertChain) != 2 {
				t.Errorf("client kept %d certificates", len(c.ServerCertChain))
			}
			roundTrip(t, s, c)
		})
	}
}

// roundTrip sends a block each way between a server and a client session.
func roundTrip(t *testing.T, s, c *Session) {
	t.Helper()
	for i, dir := range [][2]*Session{{c, s}, {s, c}, {c, s}} {
		msg := bytes.Repeat([]byte{byte('a' + i)}, 100*i+1)
		errc := make(chan error, 1)
		go func() { errc <- dir[0].WriteBlock(msg) }()
		got, err := dir[1].ReadBlock()
		if err != nil {
			t.Fatalf("block %d: read: %v", i, err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("block %d: write: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("block %d: got %q", i, got)
		}
	}
}

// rawClient reads the server hello on cc as a client would and returns
// it, leaving the client hello to the test.
func rawClient(t *testing.T, cc *Conn, blockSize int) (*Session, []byte) {
	t.Helper()
	s := &Session{Conn: cc, BlockSize: blockSize}
	b, err := s.ReadBlock()
	if err != nil {
		t.Fatalf("read server hello: %v", err)
	}
	return s, b
}

// expectClosed checks that the peer closed the connection without sending
// another block.
func expectClosed(t *testing.T, s *Session) {
	t.Helper()
	b, err := s.ReadBlock()
	if !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF after refused handshake, got %q, %v", b, err)
	}
}

// TestSMPServerRefuses checks the server's refusals: a version outside its
// range (VERSION) and another key hash (HANDSHAKE IDENTITY) end the
// handshake with no reply, and the connection is closed (CONFORMANCE-NOTES
// §2.6) [MT smpServerHandshake, MS runClient].
func TestSMPServerRefuses(t *testing.T) {
	p := newTestPKI(t)
	kh := p.fingerprint[:]
	tests := []struct {
		name   string
		server encoding.VersionRange
		hello  SMPClientHello
		want   error
	}{
		{name: "version above range", server: vr(6, 14), hello: SMPClientHello{Version: 15, KeyHash: kh}, want: ErrVersion},
		{name: "version below range", server: vr(7, 14), hello: SMPClientHello{Version: 6, KeyHash: kh}, want: ErrVersion},
		{name: "wrong key hash", server: vr(6, 14), hello: SMPClientHello{Version: 14, KeyHash: make([]byte, 32)}, want: ErrIdentity},
		{name: "empty key hash", server: vr(6, 14), hello: SMPClientHello{Version: 8}, want: ErrIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, cc := tlsPair(t, p, []string{ALPNSMP}, []string{ALPNSMP})
			ch := make(chan error, 1)
			go func() {
				_, err := SMPServerHandshake(testCtx(t), sc, smpServerParams(p, tt.server))
				ch <- err
			}()
			cs, _ := rawClient(t, cc, SMPBlockSize)
			b, err := tt.hello.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.WriteBlock(b); err != nil {
				t.Fatal(err)
			}
			if err := <-ch; !errors.Is(err, tt.want) {
				t.Fatalf("server: got %v, want %v", err, tt.want)
			}
			expectClosed(t, cs)
		})
	}

	t.Run("unparsable hello", func(t *testing.T) {
		sc, cc := tlsPair(t, p, []string{ALPNSMP}, []string{ALPNSMP})
		ch := make(chan error, 1)
		go func() {
			_, err := SMPServerHandshake(testCtx(t), sc, smpServerParams(p, vr(6, 14)))
			ch <- err
		}()
		cs, _ := rawClient(t, cc, SMPBlockSize)
		// v14 needs the proxy flag after the key hash.
		if err := cs.WriteBlock(append([]byte{0, 14, 32}, kh...)); err != nil {
			t.Fatal(err)
		}
		if err := <-ch; !errors.Is(err, ErrHandshakeParse) {
			t.Fatalf("server: got %v", err)
		}
		expectClosed(t, cs)
	})

	t.Run("client sees EOF", func(t *testing.T) {
		// A client whose chain check passes but whose key hash differs: its
		// handshake completes (the client never waits for a reply), and the
		// first read is EOF.
		srv, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{
			Range: vr(6, 18), KeyHash: make([]byte, 32),
			VerifyChain: func([][]byte, []byte) error { return nil },
		}, []string{ALPNSMP}, p)
		if !errors.Is(srv.err, ErrIdentity) || cli.err != nil {
			t.Fatalf("server %v, client %v", srv.err, cli.err)
		}
		expectClosed(t, cli.s)
	})
}

// TestSMPClientRefuses checks the client's own checks [MT
// smpClientHandshake]: no common version, a chain that does not match the
// key hash, a session id from another connection, a key signed by another
// certificate.
func TestSMPClientRefuses(t *testing.T) {
	p := newTestPKI(t)
	kh := p.fingerprint[:]

	t.Run("no common version", func(t *testing.T) {
		srv, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(15, 18), KeyHash: kh}, []string{ALPNSMP}, p)
		if !errors.Is(cli.err, ErrVersion) {
			t.Fatalf("client: %v", cli.err)
		}
		if srv.err == nil || !errors.Is(srv.err, io.EOF) {
			t.Fatalf("server: %v", srv.err)
		}
	})
	t.Run("key hash does not match the hello chain", func(t *testing.T) {
		_, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(6, 18), KeyHash: make([]byte, 32)}, []string{ALPNSMP}, p)
		if !errors.Is(cli.err, ErrBadAuth) || !errors.Is(cli.err, certs.ErrIdentity) {
			t.Fatalf("client: %v", cli.err)
		}
	})
	t.Run("chain verifier error", func(t *testing.T) {
		boom := errors.New("boom")
		_, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(6, 18), KeyHash: kh,
			VerifyChain: func(chain [][]byte, keyHash []byte) error {
				if len(chain) != 2 || !bytes.Equal(keyHash, kh) {
					t.Errorf("verifier got %d certificates, key hash %x", len(chain), keyHash)
				}
				return boom
			}}, []string{ALPNSMP}, p)
		if !errors.Is(cli.err, ErrBadAuth) || !errors.Is(cli.err, boom) {
			t.Fatalf("client: %v", cli.err)
		}
	})

	// fakeServer sends hello on the server end and returns the client's
	// handshake error.
	fakeServer := func(t *testing.T, hello func(sc *Conn) SMPServerHello) error {
		sc, cc := tlsPair(t, p, []string{ALPNSMP}, []string{ALPNSMP})
		ss := &Session{Conn: sc, BlockSize: SMPBlockSize}
		b, err := hello(sc).Encode()
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = ss.WriteBlock(b) }()
		_, err = SMPClientHandshake(testCtx(t), cc, SMPClientParams{Range: vr(6, 18), KeyHash: kh})
		return err
	}
	sessionKey := crypto.PrivateKey{Alg: crypto.X25519, Raw: bytes.Repeat([]byte{7}, 32)}
	signed := func(t *testing.T, signer crypto.PrivateKey, key crypto.PublicKey) []byte {
		der, err := crypto.SignKeyDER(signer, key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}

	t.Run("session id of another connection", func(t *testing.T) {
		err := fakeServer(t, func(sc *Conn) SMPServerHello {
			sid := sc.SessionID()
			sid[0] ^= 1
			return SMPServerHello{Range: vr(6, 14), SessionID: sid, CertChain: p.cert.Certificate,
				SignedKey: signed(t, signKey(p), sessionKey.Public())}
		})
		if !errors.Is(err, ErrSession) {
			t.Fatalf("client: %v", err)
		}
	})
	t.Run("key signed by another certificate", func(t *testing.T) {
		other := crypto.PrivateKey{Alg: crypto.Ed25519, Raw: bytes.Repeat([]byte{9}, 32)}
		err := fakeServer(t, func(sc *Conn) SMPServerHello {
			return SMPServerHello{Range: vr(6, 14), SessionID: sc.SessionID(), CertChain: p.cert.Certificate,
				SignedKey: signed(t, other, sessionKey.Public())}
		})
		if !errors.Is(err, ErrBadAuth) || !errors.Is(err, crypto.ErrSignature) {
			t.Fatalf("client: %v", err)
		}
	})
	t.Run("signed key is not X25519", func(t *testing.T) {
		err := fakeServer(t, func(sc *Conn) SMPServerHello {
			return SMPServerHello{Range: vr(6, 14), SessionID: sc.SessionID(), CertChain: p.cert.Certificate,
				SignedKey: signed(t, signKey(p), signKey(p).Public())}
		})
		if !errors.Is(err, ErrBadAuth) {
			t.Fatalf("client: %v", err)
		}
	})
	t.Run("server hello without key", func(t *testing.T) {
		// The reference client proceeds without a key; this one then sends
		// none either, so that neither side turns encryption on.
		sc, cc := tlsPair(t, p, []string{ALPNSMP}, []string{ALPNSMP})
		ss := &Session{Conn: sc, BlockSize: SMPBlockSize}
		b, _ := SMPServerHello{Range: vr(6, 14), SessionID: sc.SessionID()}.Encode()
		go func() { _ = ss.WriteBlock(b) }()
		c, err := SMPClientHandshake(testCtx(t), cc, SMPClientParams{Range: vr(6, 18), KeyHash: kh})
		if err != nil {
			t.Fatal(err)
		}
		if c.Encrypted() || !c.PeerKey.IsZero() || c.SessionKey.Alg != 0 {
			t.Fatalf("client session %+v", c)
		}
		got, err := ss.ReadBlock()
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseSMPClientHello(got)
		if err != nil || !h.ClientKey.IsZero() || h.Version != 14 {
			t.Fatalf("client hello %+v, %v", h, err)
		}
	})
}

// TestSMPHandshakeContext checks that ctx bounds the handshake: a peer that
// never sends its hello makes it fail with the context's error.
func TestSMPHandshakeContext(t *testing.T) {
	p := newTestPKI(t)
	t.Run("deadline", func(t *testing.T) {
		sc, _ := tlsPair(t, p, []string{ALPNSMP}, []string{ALPNSMP})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := SMPServerHandshake(ctx, sc, smpServerParams(p, vr(6, 14)))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		_, cc := tlsPair(t, p, []string{ALPNSMP}, []string{ALPNSMP})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := SMPClientHandshake(ctx, cc, SMPClientParams{Range: vr(6, 18), KeyHash: p.fingerprint[:]})
			errc <- err
		}()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("deadline cleared after success", func(t *testing.T) {
		srv, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(6, 18), KeyHash: p.fingerprint[:]}, []string{ALPNSMP}, p)
		if srv.err != nil || cli.err != nil {
			t.Fatal(srv.err, cli.err)
		}
		roundTrip(t, srv.s, cli.s)
	})
}

// corruptWrite sends payload as the next block of s with one byte flipped:
// the send chain moves as for a good block.
func corruptWrite(s *Session, payload []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	b, err := s.seal(payload)
	if err != nil {
		return err
	}
	b[len(b)/2] ^= 0x80
	return s.Conn.WriteBlock(b)
}

// TestBlockEncryption checks encrypted blocks both ways and the rule that
// a block failing to decrypt still consumes its chain step, so the next
// good block decrypts (CONFORMANCE-NOTES §2.8) [MT tGetBlock].
func TestBlockEncryption(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(6, 18), KeyHash: p.fingerprint[:]}, []string{ALPNSMP}, p)
	if srv.err != nil || cli.err != nil {
		t.Fatal(srv.err, cli.err)
	}
	s, c := srv.s, cli.s
	if !s.Encrypted() || !c.Encrypted() {
		t.Fatal("encryption off")
	}
	roundTrip(t, s, c)

	for _, dir := range [][2]*Session{{c, s}, {s, c}} {
		w, r := dir[0], dir[1]
		errc := make(chan error, 1)
		go func() {
			err := corruptWrite(w, []byte("lost"))
			if err == nil {
				err = w.WriteBlock([]byte("after"))
			}
			errc <- err
		}()
		if _, err := r.ReadBlock(); !errors.Is(err, ErrBadBlock) {
			t.Fatalf("corrupted block: %v", err)
		}
		got, err := r.ReadBlock()
		if err != nil || string(got) != "after" {
			t.Fatalf("next block: %q, %v", got, err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}

	// The largest payload fits exactly: 16384 − 16 (tag) − 2 (length).
	max := bytes.Repeat([]byte{'m'}, SMPBlockSize-18)
	go func() { _ = c.WriteBlock(max) }()
	if got, err := s.ReadBlock(); err != nil || !bytes.Equal(got, max) {
		t.Fatalf("max payload: %d bytes, %v", len(got), err)
	}
	if err := c.WriteBlock(append(max, 'x')); !errors.Is(err, ErrLargeMsg) {
		t.Fatalf("oversized payload: %v", err)
	}
	// The refused payload did not move the chain.
	roundTrip(t, s, c)
}

// TestPlainBlocks checks unencrypted blocks: pad to the block size, a bad
// length prefix is ErrBadBlock and the session goes on (§2.5) [MT
// tPutBlock, tGetBlock].
func TestPlainBlocks(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := smpPair(t, smpServerParams(p, vr(6, 10)), SMPClientParams{Range: vr(6, 18), KeyHash: p.fingerprint[:]}, []string{ALPNSMP}, p)
	if srv.err != nil || cli.err != nil {
		t.Fatal(srv.err, cli.err)
	}
	s, c := srv.s, cli.s
	bad := make([]byte, SMPBlockSize)
	bad[0], bad[1] = 0xff, 0xff
	go func() {
		_ = c.Conn.WriteBlock(bad)
		_ = c.WriteBlock([]byte("ok"))
	}()
	if _, err := s.ReadBlock(); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("bad block: %v", err)
	}
	if got, err := s.ReadBlock(); err != nil || string(got) != "ok" {
		t.Fatalf("next block: %q, %v", got, err)
	}
	if err := c.WriteBlock(make([]byte, SMPBlockSize-1)); !errors.Is(err, ErrLargeMsg) {
		t.Fatalf("oversized: %v", err)
	}
}

// TestSessionSecret checks the proxy session secret on both ends.
func TestSessionSecret(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(6, 18), KeyHash: p.fingerprint[:], ProxyClient: true}, []string{ALPNSMP}, p)
	if srv.err != nil || cli.err != nil {
		t.Fatal(srv.err, cli.err)
	}
	a, err := srv.s.SessionSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := cli.s.SessionSecret()
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("secrets differ: %x %x %v", a, b, err)
	}
	if _, err := (&Session{}).SessionSecret(); !errors.Is(err, ErrNoServerAuth) {
		t.Fatalf("no keys: %v", err)
	}
}

// ntfPair runs both NTF handshakes concurrently.
func ntfPair(t testing.TB, p testPKI, server encoding.VersionRange, client encoding.VersionRange, clientALPN []string) (srv, cli sessResult) {
	t.Helper()
	sc, cc := tlsPair(t, p, []string{ALPNNTF, ALPNH2, ALPNHTTP}, clientALPN)
	ctx := testCtx(t)
	ch := make(chan sessResult, 1)
	go func() {
		s, err := NTFServerHandshake(ctx, sc, NTFServerParams{Range: server, SignKey: signKey(p), KeyHash: p.fingerprint[:]})
		ch <- sessResult{s, err}
	}()
	s, err := NTFClientHandshake(ctx, cc, NTFClientParams{Range: client, KeyHash: p.fingerprint[:]})
	cli = sessResult{s, err}
	if err != nil {
		cc.Close()
	}
	srv = <-ch
	return srv, cli
}

// TestNTFHandshake checks the NTF handshake (CONFORMANCE-NOTES §4.1) [NT]:
// 512-byte blocks, the signed key with no chain, v1 without ALPN (session
// id sent, no batching), v2+ implied and batched, no block encryption.
func TestNTFHandshake(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name   string
		server encoding.VersionRange
		client encoding.VersionRange
		noALPN bool
		wantV  uint16
	}{
		{name: "1..3 both", server: ntf.SupportedServerVRange, client: ntf.SupportedClientVRange, wantV: 3},
		{name: "client 1..2", server: vr(1, 3), client: vr(1, 2), wantV: 2},
		{name: "no ALPN", server: vr(1, 3), client: vr(1, 3), noALPN: true, wantV: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alpn := []string{ALPNNTF}
			if tt.noALPN {
				alpn = nil
			}
			srv, cli := ntfPair(t, p, tt.server, tt.client, alpn)
			if srv.err != nil || cli.err != nil {
				t.Fatalf("server %v, client %v", srv.err, cli.err)
			}
			s, c := srv.s, cli.s
			v2 := tt.wantV >= 2
			for _, x := range []*Session{s, c} {
				if x.Version != tt.wantV || x.BlockSize != NTFBlockSize || x.Encrypted() ||
					x.ImpliedSessionID != v2 || x.Batching != v2 || x.ServiceAuth {
					t.Errorf("server=%v: %+v", x.Server, x)
				}
			}
			if v2 != !c.PeerKey.IsZero() || (v2 && !c.PeerKey.Equal(s.SessionKey.Public())) {
				t.Errorf("client server key %v", c.PeerKey)
			}
			// One transmission each way through the batch layer.
			tr := Transmission{CorrID: []byte("c1"), EntityID: []byte("tok"), Command: []byte("TCHK")}
			enc, err := EncodeTransmission(c, tr)
			if err != nil {
				t.Fatal(err)
			}
			payloads, err := PackBatches(c, [][]byte{enc})
			if err != nil || len(payloads) != 1 {
				t.Fatal(payloads, err)
			}
			go func() { _ = c.WriteBlock(payloads[0]) }()
			got, err := s.ReadBlock()
			if err != nil {
				t.Fatal(err)
			}
			ts, err := ParseBatch(s, got)
			if err != nil || len(ts) != 1 || ts[0].Err != nil || string(ts[0].Command) != "TCHK" ||
				!bytes.Equal(ts[0].SessionID, s.SessionID) {
				t.Fatalf("parsed %+v, %v", ts, err)
			}
		})
	}

	t.Run("server refuses version", func(t *testing.T) {
		sc, cc := tlsPair(t, p, []string{ALPNNTF}, []string{ALPNNTF})
		ch := make(chan error, 1)
		go func() {
			_, err := NTFServerHandshake(testCtx(t), sc, NTFServerParams{Range: vr(1, 3), SignKey: signKey(p), KeyHash: p.fingerprint[:]})
			ch <- err
		}()
		cs, b := rawClient(t, cc, NTFBlockSize)
		if _, err := ntf.ParseServerHandshake(b); err != nil {
			t.Fatal(err)
		}
		hello, _ := ntf.ClientHandshake{Version: 4, KeyHash: p.fingerprint[:]}.Encode()
		if err := cs.WriteBlock(hello); err != nil {
			t.Fatal(err)
		}
		if err := <-ch; !errors.Is(err, ErrVersion) {
			t.Fatalf("server: %v", err)
		}
		expectClosed(t, cs)
	})
	t.Run("server refuses key hash", func(t *testing.T) {
		sc, cc := tlsPair(t, p, []string{ALPNNTF}, []string{ALPNNTF})
		ch := make(chan error, 1)
		go func() {
			_, err := NTFServerHandshake(testCtx(t), sc, NTFServerParams{Range: vr(1, 3), SignKey: signKey(p), KeyHash: p.fingerprint[:]})
			ch <- err
		}()
		cs, _ := rawClient(t, cc, NTFBlockSize)
		hello, _ := ntf.ClientHandshake{Version: 3, KeyHash: []byte("other")}.Encode()
		if err := cs.WriteBlock(hello); err != nil {
			t.Fatal(err)
		}
		if err := <-ch; !errors.Is(err, ErrIdentity) {
			t.Fatalf("server: %v", err)
		}
	})
	t.Run("client refuses session id", func(t *testing.T) {
		sc, cc := tlsPair(t, p, []string{ALPNNTF}, []string{ALPNNTF})
		ss := &Session{Conn: sc, BlockSize: NTFBlockSize}
		hello, _ := ntf.ServerHandshake{VRange: vr(1, 1), SessionID: []byte("other")}.Encode()
		go func() { _ = ss.WriteBlock(hello) }()
		_, err := NTFClientHandshake(testCtx(t), cc, NTFClientParams{Range: vr(1, 3), KeyHash: p.fingerprint[:]})
		if !errors.Is(err, ErrSession) {
			t.Fatalf("client: %v", err)
		}
	})
	t.Run("client refuses bad signed key", func(t *testing.T) {
		sc, cc := tlsPair(t, p, []string{ALPNNTF}, []string{ALPNNTF})
		ss := &Session{Conn: sc, BlockSize: NTFBlockSize}
		hello, _ := ntf.ServerHandshake{VRange: vr(1, 3), SessionID: sc.SessionID(), SignedKey: []byte{0x30, 0}}.Encode()
		go func() { _ = ss.WriteBlock(hello) }()
		_, err := NTFClientHandshake(testCtx(t), cc, NTFClientParams{Range: vr(1, 3), KeyHash: p.fingerprint[:]})
		if !errors.Is(err, ErrBadAuth) {
			t.Fatalf("client: %v", err)
		}
	})
}

// TestTransportErrorOf checks the mapping to the reference's transport
// errors [MT TransportError].
func TestTransportErrorOf(t *testing.T) {
	tests := []struct {
		err  error
		want string
		ok   bool
	}{
		{ErrBadBlock, "BLOCK", true},
		{ErrBadBatch, "BLOCK", true},
		{ErrLargeMsg, "LARGE_MSG", true},
		{ErrVersion, "VERSION", true},
		{ErrSession, "SESSION", true},
		{ErrNoServerAuth, "NO_AUTH", true},
		{ErrHandshakeParse, "HANDSHAKE PARSE", true},
		{ErrIdentity, "HANDSHAKE IDENTITY", true},
		{ErrBadAuth, "HANDSHAKE BAD_AUTH", true},
		{ErrBadService, "HANDSHAKE BAD_SERVICE", true},
		{io.EOF, "", false},
	}
	for _, tt := range tests {
		got, ok := TransportErrorOf(errors.Join(errors.New("ctx"), tt.err))
		if ok != tt.ok || (ok && got.String() != tt.want) {
			t.Errorf("%v: got %v %v", tt.err, got, ok)
		}
	}
}

// TestSMPHandshakeFixtureChain runs the handshake with the reference test
// suite's Ed25519 chain (tests/fixtures) and the default chain check,
// certs.VerifyChain.
func TestSMPHandshakeFixtureChain(t *testing.T) {
	p := fixturePKI(t)
	srv, cli := smpPair(t, smpServerParams(p, smp.SupportedRange), SMPClientParams{Range: smp.ReferenceClientRange, KeyHash: p.fingerprint[:]}, []string{ALPNSMP}, p)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server %v, client %v", srv.err, cli.err)
	}
	if cli.s.Version != smp.SupportedRange.Max || !cli.s.Encrypted() {
		t.Fatalf("version %d, encrypted %v", cli.s.Version, cli.s.Encrypted())
	}
	roundTrip(t, srv.s, cli.s)
}

// TestReadBlockPooled: pooled reads of encrypted blocks return the same
// payloads as ReadBlock, across a bad block (which consumes its chain step
// and returns no buffer to release twice).
func TestReadBlockPooled(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := smpPair(t, smpServerParams(p, vr(6, 14)), SMPClientParams{Range: vr(6, 18), KeyHash: p.fingerprint[:]}, []string{ALPNSMP}, p)
	if srv.err != nil || cli.err != nil {
		t.Fatal(srv.err, cli.err)
	}
	s, c := srv.s, cli.s
	msgs := [][]byte{[]byte("one"), bytes.Repeat([]byte("x"), 16000), []byte("three")}
	errc := make(chan error, 1)
	go func() {
		var err error
		for i, m := range msgs {
			if i == 1 {
				if err = corruptWrite(c, []byte("lost")); err != nil {
					break
				}
			}
			if err = c.WriteBlock(m); err != nil {
				break
			}
		}
		errc <- err
	}()
	for i, want := range msgs {
		if i == 1 {
			if _, release, err := s.ReadBlockPooled(); !errors.Is(err, ErrBadBlock) {
				t.Fatalf("corrupted block: %v", err)
			} else {
				release()
			}
		}
		got, release, err := s.ReadBlockPooled()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("block %d: %d bytes, %v", i, len(got), err)
		}
		release()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
