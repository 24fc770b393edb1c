package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/store/bolt"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// testIdentity makes a CA and an Ed25519 TLS certificate like `init` does.
func testIdentity(t testing.TB) Identity {
	t.Helper()
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "test CA", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Identity{Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint}
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type testServer struct {
	t     testing.TB
	srv   *Server
	st    *bolt.Store
	dir   string
	addr  string
	id    Identity
	clock *testClock
	stop  func()
}

// startServer runs a server on 127.0.0.1 with a bbolt store and the files
// under dir (a new temp dir if empty).
func startServer(t testing.TB, dir string, id *Identity, clock *testClock, mod func(*Options)) *testServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if id == nil {
		i := testIdentity(t)
		id = &i
	}
	if clock == nil {
		clock = &testClock{now: time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC)}
	}
	st, err := bolt.Open(filepath.Join(dir, "xftp.db"))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Identity: *id, Store: st, FilesPath: filepath.Join(dir, "files"), AllowNewFiles: true,
		Now: clock.Now, Logger: slog.New(slog.DiscardHandler), HandshakeTimeout: 5 * time.Second}
	if mod != nil {
		mod(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	ts := &testServer{t: t, srv: srv, st: st, dir: dir, addr: ln.Addr().String(), id: *id, clock: clock}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			srv.Shutdown(sctx)
			c()
			st.Close()
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

// dial connects and runs the standard handshake.
func (ts *testServer) dial(o xftptest.Options) *xftptest.Client {
	ts.t.Helper()
	o.KeyHash = ts.id.KeyHash
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := xftptest.Dial(ctx, ts.addr, o)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return c
}

func (ts *testServer) client() *xftptest.Client {
	ts.t.Helper()
	c := ts.dial(xftptest.Options{})
	if err := c.Handshake(ctx(ts.t)); err != nil {
		ts.t.Fatal(err)
	}
	return c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func key(t testing.TB, a crypto.Algorithm) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(a, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chunk is random data of n bytes and its SHA-256.
func chunk(n int) ([]byte, []byte) {
	b := make([]byte, n)
	rand.Read(b)
	h := sha256.Sum256(b)
	return b, h[:]
}

// file is a created file: its keys and ids.
type file struct {
	snd    crypto.PrivateKey
	rcv    []crypto.PrivateKey
	sid    []byte
	rids   [][]byte
	data   []byte
	digest []byte
}

// do runs a command and fails the test on transport errors; the body is
// drained and closed.
func do(t testing.TB, c *xftptest.Client, k crypto.PrivateKey, id []byte, cmd xftp.Command, body io.Reader) xftptest.Reply {
	t.Helper()
	r, err := c.Do(ctx(t), k, id, cmd, body)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Tag(), err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r
}

// newFile runs FNEW for a chunk of size bytes with nRcp recipients.
func newFile(t testing.TB, c *xftptest.Client, size int, nRcp int) *file {
	t.Helper()
	f := &file{snd: key(t, crypto.Ed25519)}
	f.data, f.digest = chunk(size)
	var rks []crypto.PublicKey
	for range nRcp {
		k := key(t, crypto.Ed25519)
		f.rcv = append(f.rcv, k)
		rks = append(rks, k.Public())
	}
	r := do(t, c, f.snd, nil, xftp.FNEW{SndKey: f.snd.Public(), Size: uint32(size), Digest: f.digest, RcvKeys: rks}, nil)
	sids, ok := r.Resp.(xftp.SIDS)
	if !ok {
		t.Fatalf("FNEW: %#v", r.Resp)
	}
	f.sid, f.rids = sids.SenderID, sids.RecipientIDs
	return f
}

func expect(t testing.TB, r xftptest.Reply, want xftp.Response) {
	t.Helper()
	switch w := want.(type) {
	case xftp.ERR:
		if r.Err() != w.Err.Code {
			t.Fatalf("got %#v, want ERR %s", r.Resp, w.Err.Code)
		}
	default:
		if r.Resp == nil || r.Resp.Tag() != want.Tag() {
			t.Fatalf("got %#v, want %s", r.Resp, want.Tag())
		}
	}
}

func errResp(c xftp.ErrorCode) xftp.ERR { return xftp.ERR{Err: xftp.ErrorType{Code: c}} }

func upload(t testing.TB, c *xftptest.Client, f *file) {
	t.Helper()
	expect(t, do(t, c, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(f.data)), xftp.OK{})
}

func readDir(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names, err
}

func xftptestNoALPN() xftptest.Options { return xftptest.Options{ALPN: []string{}} }
