package server

import (
	"errors"
	"io"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// Overlapping bodies on one connection: the first corks, the last
// uncorks, the ones between change nothing; a failure is reported.
func TestCorkerCountsBodies(t *testing.T) {
	var calls []bool
	fail := false
	k := &corker{set: func(on bool) error {
		calls = append(calls, on)
		if fail {
			return errors.New("setsockopt")
		}
		return nil
	}}
	for _, step := range []func() error{k.hold, k.hold, k.release, k.hold, k.release, k.release} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []bool{true, false}; !slices.Equal(calls, want) {
		t.Fatalf("set calls %v, want %v", calls, want)
	}
	fail = true
	if err := k.hold(); err == nil {
		t.Fatal("hold: the failure is not reported")
	}
	if err := k.release(); err == nil {
		t.Fatal("release: the failure is not reported")
	}
	if k.n != 0 {
		t.Fatalf("%d bodies counted after all released", k.n)
	}
}

// serverConn returns the server side of the test's only connection.
func serverConn(t *testing.T, srv *Server) *conn {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.conns) != 1 {
		t.Fatalf("%d connections, want 1", len(srv.conns))
	}
	for c := range srv.conns {
		return c
	}
	return nil
}

// An FGET body is sent corked and the socket is uncorked once it has been
// sent, so the next response leaves at once. A 4 MB chunk and its tag
// exceed the client's 4 MB stream window: the body cannot end before the
// client reads, so the cork is seen while it is held.
func TestFGETCorksWhileSending(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, 4<<20, 1)
	upload(t, c, f)
	dh := key(t, crypto.X25519)
	r, err := c.Do(ctx(t), f.rcv[0], f.rids[0], xftp.FGET{RcvDHKey: dh.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var one [1]byte
	if _, err := io.ReadFull(r.Body, one[:]); err != nil {
		t.Fatal(err)
	}
	sc := serverConn(t, ts.srv)
	if runtime.GOOS != "linux" {
		t.Skip("TCP_CORK is Linux's")
	}
	if on, err := transport.Corked(sc.tc.NetConn()); !on || err != nil {
		t.Fatalf("TCP_CORK not set while the body is sent: %v", err)
	}
	rest, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil || len(rest) != 4<<20+16-1 {
		t.Fatalf("body: %d bytes, %v", len(rest)+1, err)
	}
	// The handler releases the cork just after its last write.
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc.cork.mu.Lock()
		n := sc.cork.n
		sc.cork.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bodies still hold the cork", n)
		}
		time.Sleep(time.Millisecond)
	}
	if on, err := transport.Corked(sc.tc.NetConn()); on || err != nil {
		t.Fatalf("TCP_CORK still set after the body: %v", err)
	}
	expect(t, do(t, c, crypto.PrivateKey{}, nil, xftp.PING{}, nil), xftp.PONG{})
}
