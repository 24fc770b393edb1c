package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/store/bolt"
)

// FuzzServeHTTP drives a connection's request handler (handshake state
// machine and commands, with a real store and chunk directory) with
// arbitrary request bodies. The first input byte picks the connection's
// ALPN (bits 0-1), web mode (2), handshake state (3-4), the web headers
// (5-6) and whether the rest is padded to a block (7); the rest is the
// body. Every answer
// must be 200 with either an empty body (handshake accepted, or an h2
// connection without web), a padded handshake block, or a padded response
// head that parses as one transmission (followed, for FGET, by the
// encrypted chunk).
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range handlerSeeds() {
		f.Add(seed)
	}

	dir := f.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "xftp.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Options{Identity: testIdentity(f), Store: st, FilesPath: filepath.Join(dir, "files"),
		AllowNewFiles: true, Logger: slog.New(slog.DiscardHandler), Web: true})
	if err != nil {
		f.Fatal(err)
	}
	sessKey := crypto.PrivateKey{Alg: crypto.X25519, Raw: bytes.Repeat([]byte{2}, 32)}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		mode, body := in[0], in[1:]
		if mode&0x80 != 0 {
			body = fuzzHead(body)
		}
		alpns := []string{transport.ALPNXFTP, transport.ALPNHTTP, "", transport.ALPNH2}
		c := &conn{s: srv, sessionID: fuzzSession().SessionID, alpn: alpns[mode&3], web: mode&4 != 0, cork: newCorker(nil)}
		switch (mode >> 3) & 3 {
		case 1:
			c.state, c.key = hsSent, sessKey
		case 2, 3:
			c.state, c.key = hsAccepted, sessKey
			c.sess = fuzzSession()
			c.sess.SessionKey = sessKey
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if mode&0x20 != 0 {
			req.Header.Set(hdrWebHello, "1")
		}
		if mode&0x40 != 0 {
			req.Header.Set(hdrWebHandshake, "1")
		}
		w := httptest.NewRecorder()
		c.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		out := w.Body.Bytes()
		if len(out) == 0 {
			return
		}
		if len(out) < xftp.BlockSize {
			t.Fatalf("answer of %d bytes", len(out))
		}
		p, err := encoding.Unpad(out[:xftp.BlockSize])
		if err != nil {
			t.Fatalf("answer head: %v", err)
		}
		if _, err := xftp.ParseErrorType(p); err == nil {
			return // handshake error word
		}
		if _, err := xftp.ParseServerHandshake(p); err == nil {
			return // server hello
		}
		ts, err := transport.ParseBatch(fuzzSession(), p)
		if err != nil || len(ts) != 1 || ts[0].Err != nil {
			t.Fatalf("answer is not one transmission: %v", err)
		}
		if _, err := xftp.ParseResponse(xftp.CurrentVersion, ts[0].Command); err != nil {
			t.Fatalf("response %q: %v", ts[0].Command, err)
		}
	})
}

// handlerSeeds are FuzzServeHTTP inputs: every command on an accepted
// connection and on a connection without ALPN, handshake steps, garbage.
func handlerSeeds() [][]byte {
	var out [][]byte
	for _, s := range fuzzSeeds() {
		out = append(out, append([]byte{0x80 | 2<<3}, s...), append([]byte{0x80 | 2}, s...))
	}
	ch, _ := xftp.ClientHandshake{Version: 3, KeyHash: bytes.Repeat([]byte{0}, 32)}.Encode()
	hello, _ := xftp.ClientHello{WebChallenge: bytes.Repeat([]byte{1}, 32)}.Encode()
	return append(out,
		[]byte{0},                                     // hello
		append([]byte{0x80 | 1<<3}, ch...),            // client handshake (wrong key hash)
		append([]byte{0x80 | 0x20 | 4}, hello...),     // web hello with challenge
		append([]byte{0x80 | 0x40 | 2<<3 | 4}, ch...), // web re-handshake
		[]byte{0x80 | 3, 1, 2, 3},                     // h2 without web
		[]byte{0x80 | 7, 1, 2, 3},                     // h2 web, no hello
	)
}
