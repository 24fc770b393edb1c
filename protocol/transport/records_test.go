package transport

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestOwnRecords runs the SMP-like exchange over a server that took over
// the records from crypto/tls and a crypto/tls client: blocks both ways,
// a stream spanning several records, close_notify both ways. TLS 1.2 stays
// with crypto/tls.
func TestOwnRecords(t *testing.T) {
	tests := []struct {
		name    string
		version uint16
		hrr     bool
		own     bool
	}{
		{"TLS 1.3", tls.VersionTLS13, false, true},
		{"TLS 1.3 HelloRetryRequest", tls.VersionTLS13, true, true},
		{"TLS 1.2 stays with crypto/tls", tls.VersionTLS12, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPKI(t)
			scfg := ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP})
			scfg.SessionTicketsDisabled = false // the option turns them off
			ccfg := ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint))
			ccfg.MaxVersion = tt.version
			if tt.hrr {
				ccfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
				scfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
			}
			srv, cli := handshakePair(t, scfg, ccfg, nil, WithOwnRecords())
			if srv.err != nil || cli.err != nil {
				t.Fatalf("server: %v; client: %v", srv.err, cli.err)
			}
			s, c := srv.conn, cli.conn
			if s.OwnRecords() != tt.own || (s.TLSConn() == nil) != tt.own {
				t.Fatalf("OwnRecords %v, TLSConn %v", s.OwnRecords(), s.TLSConn())
			}
			if !bytes.Equal(s.SessionID(), c.SessionID()) {
				t.Fatal("session ids differ")
			}
			exchangeBlocks(t, s, c)
			exchangeStream(t, c, s)
			exchangeStream(t, s, c)
			if tt.own && s.rl.holdsBuffer() {
				t.Fatal("server holds a record buffer with nothing left to read")
			}
			// close_notify from the server: the client reads EOF.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.ReadBlock(make([]byte, 1)); !errors.Is(err, io.EOF) {
				t.Fatalf("client read after server Close: %v", err)
			}
		})
	}
}

// TestOwnRecordsClientClose: the client's close_notify is EOF at the
// server.
func TestOwnRecordsClientClose(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := handshakePair(t, ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP}),
		ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint)), nil, WithOwnRecords())
	if srv.err != nil || cli.err != nil {
		t.Fatalf("server: %v; client: %v", srv.err, cli.err)
	}
	cli.conn.Close()
	if err := srv.conn.ReadBlock(make([]byte, 1)); !errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("server read after client Close: %v", err)
	}
}

// exchangeStream writes a stream of several writes from one side, in
// records of every size up to a full one and beyond, and reads it whole at
// the other.
func exchangeStream(t *testing.T, from, to *Conn) {
	t.Helper()
	var want []byte
	sizes := []int{1, 100, maxPlaintext - 1, maxPlaintext, maxPlaintext + 1, 3*maxPlaintext + 7}
	for i, n := range sizes {
		want = append(want, bytes.Repeat([]byte{byte('a' + i)}, n)...)
	}
	errc := make(chan error, 1)
	go func() {
		off := 0
		for _, n := range sizes {
			if err := from.WriteBlock(want[off : off+n]); err != nil {
				errc <- err
				return
			}
			off += n
		}
		errc <- nil
	}()
	got := make([]byte, len(want))
	if err := to.ReadBlock(got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("stream differs")
	}
}

// TestKeyUpdate checks KeyUpdate both against this package's record layer
// and against crypto/tls's (so that our derivation and message are what
// crypto/tls expects): a client-side record layer, built from the
// client's key log, asks for an update, sends data under its new key, and
// must read the server's reply under the server's new key.
func TestKeyUpdate(t *testing.T) {
	for _, own := range []bool{true, false} {
		name := "crypto/tls server"
		if own {
			name = "own records server"
		}
		t.Run(name, func(t *testing.T) {
			p := newTestPKI(t)
			ccfg := ClientTLSConfig([]string{ALPNSMP}, verifyKeyHash(p.fingerprint))
			var kl keyLogBuf
			ccfg.KeyLogWriter = &kl
			var opts []ServerOption
			if own {
				opts = append(opts, WithOwnRecords())
			}
			srv, cli := handshakePair(t, ServerTLSConfig([]tls.Certificate{p.cert}, []string{ALPNSMP}), ccfg, nil, opts...)
			if srv.err != nil || cli.err != nil {
				t.Fatalf("server: %v; client: %v", srv.err, cli.err)
			}
			s := srv.conn
			crl, err := newRecordLayer(cli.conn.NetConn(), cli.conn.ConnectionState().CipherSuite,
				kl.secret(t, keyLogLabelServerTraffic), kl.secret(t, keyLogLabelClientTraffic))
			if err != nil {
				t.Fatal(err)
			}
			serverSecret := crl.in.secret
			for i, req := range []byte{keyUpdateRequested, keyUpdateNotRequested, keyUpdateRequested} {
				if err := crl.sendKeyUpdate(req); err != nil {
					t.Fatal(err)
				}
				msg := []byte(strings.Repeat("x", 10+i))
				if _, err := crl.Write(msg); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(msg))
				if err := s.ReadBlock(got); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("server read %q, %v", got, err)
				}
				reply := []byte("reply")
				errc := make(chan error, 1)
				go func() { errc <- s.WriteBlock(reply) }()
				got = make([]byte, len(reply))
				if _, err := io.ReadFull(crl, got); err != nil || !bytes.Equal(got, reply) {
					t.Fatalf("client read %q, %v", got, err)
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
				updated := !bytes.Equal(crl.in.secret, serverSecret)
				if updated != (req == keyUpdateRequested) {
					t.Fatalf("request %d: server key updated = %v", req, updated)
				}
				serverSecret = crl.in.secret
			}
		})
	}
}

// TestOpenSSLOwnRecords: `openssl s_client` as the official clients
// configure it (ChaCha20-Poly1305) talks to a server on its own record
// layer, and asks it for a KeyUpdate ("K" on a line of its own) between
// two lines. Skipped when openssl is not installed.
func TestOpenSSLOwnRecords(t *testing.T) {
	c, stdin, out, wait := openSSLClient(t, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
	// Lines go one at a time after the handshake, so that each is its own
	// record and "K" is read alone, as a command.
	go func() {
		time.Sleep(200 * time.Millisecond)
		for _, l := range []string{"hello\n", "K\n", "world\n"} {
			stdin.Write([]byte(l))
			time.Sleep(100 * time.Millisecond)
		}
	}()
	sc, err := Server(t.Context(), c, ServerTLSConfig([]tls.Certificate{newTestPKI(t).cert}, []string{ALPNSMP}), WithOwnRecords())
	if err != nil {
		t.Fatalf("server: %v\n%s", err, out())
	}
	defer sc.Close()
	if !sc.OwnRecords() || sc.ConnectionState().CipherSuite != tls.TLS_CHACHA20_POLY1305_SHA256 {
		t.Fatalf("own %v suite %x", sc.OwnRecords(), sc.ConnectionState().CipherSuite)
	}
	want := "hello\nworld\n"
	got := make([]byte, len(want))
	if err := sc.ReadBlock(got); err != nil || string(got) != want {
		t.Fatalf("read %q, %v\n%s", got, err, out())
	}
	if err := sc.WriteBlock([]byte("from the server\n")); err != nil {
		t.Fatal(err)
	}
	sc.Close()
	_ = wait()
	o := out()
	if !strings.Contains(o, "from the server") {
		t.Fatalf("openssl did not print the server's line:\n%s", o)
	}
	// openssl traces the KeyUpdate it sent (>>>) and the server's answer
	// (<<<), which it could only read under the server's next key.
	var sent, received bool
	for _, l := range strings.Split(o, "\n") {
		sent = sent || strings.HasPrefix(l, ">>> ") && strings.HasSuffix(l, "KeyUpdate")
		received = received || strings.HasPrefix(l, "<<< ") && strings.HasSuffix(l, "KeyUpdate")
	}
	if !sent || !received {
		t.Fatalf("KeyUpdate sent %v, answered %v; openssl trace:\n%s", sent, received, o)
	}
}

// layerPair returns a record layer reading what a peer layer writes, in
// memory, with fixed secrets of the suite.
func layerPair(t testing.TB, suite uint16) (peer *recordLayer, wire *bytes.Buffer, reader func() *recordLayer) {
	t.Helper()
	s, err := lookupSuite13(suite)
	if err != nil {
		t.Fatal(err)
	}
	n := s.hash().Size()
	cs, ss := bytes.Repeat([]byte{1}, n), bytes.Repeat([]byte{2}, n)
	wire = new(bytes.Buffer)
	peer, err = newRecordLayer(&memConn{w: wire}, suite, ss, cs)
	if err != nil {
		t.Fatal(err)
	}
	return peer, wire, func() *recordLayer {
		r, err := newRecordLayer(&memConn{r: bytes.NewReader(wire.Bytes())}, suite, cs, ss)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// sealRaw appends a record of outer type typ whose inner plaintext is
// inner, exactly as given (content, type and padding), protected by t.
func sealRaw(ts *trafficState, typ byte, inner []byte) []byte {
	rec := make([]byte, recordHeaderLen, recordHeaderLen+len(inner)+ts.aead.Overhead())
	rec[0] = typ
	binary.BigEndian.PutUint16(rec[1:3], tls.VersionTLS12)
	binary.BigEndian.PutUint16(rec[3:5], uint16(len(inner)+ts.aead.Overhead()))
	return ts.aead.Seal(rec, ts.nextNonce(), inner, rec[:recordHeaderLen])
}

// TestRecordLayerRead drives the read side with crafted record streams.
func TestRecordLayerRead(t *testing.T) {
	keyUpdate := func(req byte) []byte { return []byte{handshakeKeyUpdate, 0, 0, 1, req, recordHandshake} }
	tests := []struct {
		name  string
		write func(p *recordLayer, w *bytes.Buffer) // produces the stream
		want  string
		err   error // after want
	}{
		{"data then EOF", func(p *recordLayer, w *bytes.Buffer) { p.Write([]byte("hello")) }, "hello", io.EOF},
		{"close_notify", func(p *recordLayer, w *bytes.Buffer) {
			p.Write([]byte("bye"))
			p.Close()
		}, "bye", io.EOF},
		{"padding and empty records", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{recordApplicationData}))
			w.Write(sealRaw(p.out, recordApplicationData, append([]byte("hi"), recordApplicationData, 0, 0, 0, 0)))
		}, "hi", io.EOF},
		{"fatal alert", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{2, 40, recordAlert}))
		}, "", ErrRemoteAlert},
		{"alert of 3 bytes", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{2, 40, 0, recordAlert}[:3]))
		}, "", ErrRecordLayer},
		{"tampered", func(p *recordLayer, w *bytes.Buffer) {
			p.Write([]byte("hello"))
			w.Bytes()[7] ^= 1
		}, "", ErrRecordLayer},
		{"plaintext alert after the handshake", func(p *recordLayer, w *bytes.Buffer) {
			w.Write([]byte{recordAlert, 3, 3, 0, 2, 2, 40})
		}, "", ErrRecordLayer},
		{"change_cipher_spec after the handshake", func(p *recordLayer, w *bytes.Buffer) {
			w.Write([]byte{recordChangeCipherSpec, 3, 3, 0, 1, 1})
		}, "", ErrRecordLayer},
		{"legacy version", func(p *recordLayer, w *bytes.Buffer) {
			p.Write([]byte("hello"))
			w.Bytes()[2] = 4
		}, "", ErrRecordLayer},
		{"record too long", func(p *recordLayer, w *bytes.Buffer) {
			w.Write([]byte{recordApplicationData, 3, 3, 0x41, 0x01})
		}, "", ErrRecordLayer},
		{"record shorter than its tag", func(p *recordLayer, w *bytes.Buffer) {
			w.Write([]byte{recordApplicationData, 3, 3, 0, 16})
		}, "", ErrRecordLayer},
		{"inner plaintext too long", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, append(make([]byte, maxPlaintext+1), recordApplicationData)))
		}, "", ErrRecordLayer},
		{"no content type", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{0, 0, 0}))
		}, "", ErrRecordLayer},
		{"unknown content type", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{'x', 99}))
		}, "", ErrRecordLayer},
		{"EOF inside a header", func(p *recordLayer, w *bytes.Buffer) {
			p.Write([]byte("hello"))
			w.Write([]byte{recordApplicationData, 3})
		}, "hello", io.ErrUnexpectedEOF},
		{"EOF inside a record", func(p *recordLayer, w *bytes.Buffer) {
			p.Write([]byte("hello"))
			w.Truncate(w.Len() - 1)
		}, "", io.ErrUnexpectedEOF},
		{"KeyUpdate then data under the next key", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, keyUpdate(keyUpdateNotRequested)))
			p.out.update()
			p.Write([]byte("updated"))
		}, "updated", io.EOF},
		{"KeyUpdate split over two records", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{handshakeKeyUpdate, 0, recordHandshake}))
			w.Write(sealRaw(p.out, recordApplicationData, []byte{0, 1, 0, recordHandshake}))
			p.out.update()
			p.Write([]byte("updated"))
		}, "updated", io.EOF},
		{"two KeyUpdates in one record", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, append(keyUpdate(0)[:5], keyUpdate(0)...)))
			p.out.update()
			p.out.update()
			p.Write([]byte("twice"))
		}, "twice", io.EOF},
		{"data inside a split KeyUpdate", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{handshakeKeyUpdate, 0, recordHandshake}))
			p.Write([]byte("x"))
		}, "", ErrRecordLayer},
		{"KeyUpdate request 2", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, keyUpdate(2)))
		}, "", ErrRecordLayer},
		{"KeyUpdate of length 2", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{handshakeKeyUpdate, 0, 0, 2, 0, 0, recordHandshake}))
		}, "", ErrRecordLayer},
		{"NewSessionTicket to a server", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{4, 0, 0, 1, 0, recordHandshake}))
		}, "", ErrRecordLayer},
		{"empty handshake fragment", func(p *recordLayer, w *bytes.Buffer) {
			w.Write(sealRaw(p.out, recordApplicationData, []byte{recordHandshake}))
		}, "", ErrRecordLayer},
	}
	for _, suite := range []uint16{tls.TLS_CHACHA20_POLY1305_SHA256, tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384} {
		for _, tt := range tests {
			t.Run(tls.CipherSuiteName(suite)+"/"+tt.name, func(t *testing.T) {
				peer, wire, reader := layerPair(t, suite)
				tt.write(peer, wire)
				r := reader()
				got := make([]byte, len(tt.want))
				if _, err := io.ReadFull(r, got); err != nil || string(got) != tt.want {
					t.Fatalf("read %q, %v; want %q", got, err, tt.want)
				}
				_, err := r.Read(make([]byte, 1))
				if !errors.Is(err, tt.err) || (tt.err == io.EOF && errors.Is(err, io.ErrUnexpectedEOF)) {
					t.Fatalf("then %v, want %v", err, tt.err)
				}
				if _, again := r.Read(make([]byte, 1)); again == nil || again.Error() != err.Error() {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				if r.holdsBuffer() {
					t.Fatal("buffer held after the stream failed")
				}
			})
		}
	}
}

// TestRecordLayerBuffer: a buffer is held only while plaintext is unread.
func TestRecordLayerBuffer(t *testing.T) {
	peer, _, reader := layerPair(t, tls.TLS_CHACHA20_POLY1305_SHA256)
	peer.Write([]byte("abcdef"))
	peer.Write([]byte("gh"))
	r := reader()
	if r.holdsBuffer() {
		t.Fatal("buffer before reading")
	}
	b := make([]byte, 4)
	if n, err := r.Read(b); n != 4 || err != nil || !r.holdsBuffer() {
		t.Fatalf("%d %v %v", n, err, r.holdsBuffer())
	}
	// A Read returns what is left of one record only.
	if n, err := r.Read(b); n != 2 || err != nil || string(b[:2]) != "ef" || r.holdsBuffer() {
		t.Fatalf("%d %v %q %v", n, err, b[:n], r.holdsBuffer())
	}
	if n, err := r.Read(b); n != 2 || err != nil || r.holdsBuffer() {
		t.Fatalf("%d %v %v", n, err, r.holdsBuffer())
	}
}

// TestRecordLayerTimeout: a read deadline that passes inside a record
// leaves it to be finished by the next Read.
func TestRecordLayerTimeout(t *testing.T) {
	peer, wire, _ := layerPair(t, tls.TLS_AES_128_GCM_SHA256)
	peer.Write([]byte("resumed"))
	stream := wire.Bytes()
	ln := listen(t)
	done := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		done <- c
	}()
	w, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := <-done
	defer c.Close()
	s, _ := lookupSuite13(tls.TLS_AES_128_GCM_SHA256)
	n := s.hash().Size()
	r, err := newRecordLayer(c, tls.TLS_AES_128_GCM_SHA256, bytes.Repeat([]byte{1}, n), bytes.Repeat([]byte{2}, n))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{3, 10} { // inside the header, inside the body
		if _, err := w.Write(stream[:cut]); err != nil {
			t.Fatal(err)
		}
		stream = stream[cut:]
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var ne net.Error
		if _, err := r.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("want a timeout, got %v", err)
		}
	}
	c.SetReadDeadline(time.Time{})
	if _, err := w.Write(stream); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 7)
	if _, err := io.ReadFull(r, got); err != nil || string(got) != "resumed" {
		t.Fatalf("%q %v", got, err)
	}
}

// TestRecordLayerWriteFailure: a failed write is sticky, and Close during
// a blocked write does not wait for it.
func TestRecordLayerWriteFailure(t *testing.T) {
	a, b := netPipe(t)
	s, _ := lookupSuite13(tls.TLS_CHACHA20_POLY1305_SHA256)
	secret := bytes.Repeat([]byte{3}, s.hash().Size())
	r, err := newRecordLayer(a, tls.TLS_CHACHA20_POLY1305_SHA256, secret, secret)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := r.Write([]byte("nobody reads this")); errc <- err }() // net.Pipe: blocks
	time.Sleep(20 * time.Millisecond)
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a blocked write")
	}
	if err := <-errc; err == nil {
		t.Fatal("write to a closed connection succeeded")
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Fatal("write after a failed write succeeded")
	}
	_ = b
}

// FuzzRecordLayer feeds arbitrary bytes to the read side (keys as in
// layerPair, ChaCha20-Poly1305): it must never panic, return more
// plaintext than it was given, fail with an error other than the ones it
// documents, or keep a buffer once it has failed.
func FuzzRecordLayer(f *testing.F) {
	peer, wire, _ := layerPair(f, tls.TLS_CHACHA20_POLY1305_SHA256)
	peer.Write([]byte("hello"))
	f.Add(bytes.Clone(wire.Bytes()))
	wire.Write(sealRaw(peer.out, recordApplicationData, []byte{handshakeKeyUpdate, 0, 0, 1, 0, recordHandshake}))
	peer.out.update()
	peer.Write(bytes.Repeat([]byte("z"), 300))
	f.Add(bytes.Clone(wire.Bytes()))
	peer.Close()
	f.Add(bytes.Clone(wire.Bytes()))
	f.Add([]byte{recordApplicationData, 3, 3, 0, 17})
	f.Fuzz(func(t *testing.T, stream []byte) {
		_, _, reader := layerPair(t, tls.TLS_CHACHA20_POLY1305_SHA256)
		r := reader()
		r.conn = &memConn{r: bytes.NewReader(stream)}
		var got []byte
		buf := make([]byte, 1000)
		var err error
		for {
			var n int
			n, err = r.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		if len(got) > len(stream) {
			t.Fatalf("%d bytes of plaintext from %d", len(got), len(stream))
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
			!errors.Is(err, ErrRecordLayer) && !errors.Is(err, ErrRemoteAlert) {
			t.Fatalf("undocumented error %v", err)
		}
		if r.holdsBuffer() {
			t.Fatal("buffer held after the end")
		}
	})
}

// memConn is a net.Conn over a reader and a writer, for the record layer
// in memory.
type memConn struct {
	r io.Reader
	w io.Writer
}

func (c *memConn) Read(p []byte) (int, error) {
	if c.r == nil {
		return 0, io.EOF
	}
	return c.r.Read(p)
}

func (c *memConn) Write(p []byte) (int, error) {
	if c.w == nil {
		return 0, net.ErrClosed
	}
	return c.w.Write(p)
}

func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return nil }
func (c *memConn) RemoteAddr() net.Addr             { return nil }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzRecordLayerRoundTrip writes data through one record layer in writes
// of the sizes the fuzzer picks, with a KeyUpdate wherever it asks (a
// write size of 0), and reads it back through another in reads of other
// sizes: the bytes must come back unchanged, and no buffer be held at the
// end.
func FuzzRecordLayerRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), []byte{3, 0, 2}, uint16(1))
	f.Add(bytes.Repeat([]byte{7}, 40000), []byte{255, 0, 255}, uint16(16384))
	f.Add([]byte{}, []byte{0}, uint16(0))
	f.Fuzz(func(t *testing.T, data, sizes []byte, readSize uint16) {
		// Keep an execution short: a few records, and no byte-by-byte
		// reads of long streams.
		if len(data) > 40000 {
			data = data[:40000]
		}
		if len(data) > 4096 && readSize < 64 {
			readSize = 64
		}
		peer, wire, reader := layerPair(t, tls.TLS_CHACHA20_POLY1305_SHA256)
		rest := data
		updates := 0
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(sizes) > 0 {
				n = int(sizes[i%len(sizes)]) * 64
			}
			if n == 0 {
				if updates == 16 {
					n = len(rest) // enough updates: finish
				} else {
					if err := peer.sendKeyUpdate(keyUpdateNotRequested); err != nil {
						t.Fatal(err)
					}
					updates++
					continue
				}
			}
			n = min(n, len(rest))
			if _, err := peer.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		_ = wire
		r := reader()
		got := make([]byte, 0, len(data))
		buf := make([]byte, max(1, int(readSize)))
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, wrote %d", len(got), len(data))
		}
		if r.holdsBuffer() {
			t.Fatal("buffer held at the end")
		}
	})
}
