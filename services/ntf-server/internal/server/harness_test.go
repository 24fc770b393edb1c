package server

import (
	"context"
	"crypto/rand"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/apns"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/store"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
)

// The APNs test key of the reference's tests (fixtures/AuthKey_H82WD9K9AQ.p8).
const (
	testKeyFile = "../apns/testdata/AuthKey_H82WD9K9AQ.p8"
	testKeyID   = "H82WD9K9AQ"
	testTeam    = "5NN7GUYB6T"
	testTopic   = "chat.simplex.app"
)

// clock is an injectable clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// recSub records Subscribe/Unsubscribe calls.
type recSub struct {
	mu    sync.Mutex
	subs  []store.Subscription
	unsub []store.Subscription
}

func (r *recSub) Subscribe(s store.Subscription) {
	r.mu.Lock()
	r.subs = append(r.subs, s)
	r.mu.Unlock()
}

func (r *recSub) Unsubscribe(s ...store.Subscription) {
	r.mu.Lock()
	r.unsub = append(r.unsub, s...)
	r.mu.Unlock()
}

type env struct {
	t       *testing.T
	srv     *Server
	st      store.Store
	fake    *apnsfake.Server
	disp    *push.Dispatcher
	clk     *clock
	sub     *recSub
	addr    string
	keyHash []byte
}

func newIdentity(t testing.TB) (Identity, *certs.ServerIdentity) {
	id, err := certs.NewEphemeralIdentity(crypto.Ed448, "test CA", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Identity{Certificate: id.TLS, SignKey: id.LeafKey, KeyHash: id.Fingerprint}, id
}

// newEnv starts a server on 127.0.0.1 with a bbolt store, the fake APNs
// and a recording subscriber.
func newEnv(t *testing.T) *env {
	t.Helper()
	key, err := apns.LoadKey(testKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := apnsfake.Start("127.0.0.1:0", apnsfake.Config{Key: &key.PublicKey, KeyID: testKeyID, TeamID: testTeam, Topic: testTopic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	pusher, err := apns.New(apns.Config{Key: key, KeyID: testKeyID, TeamID: testTeam, Topic: testTopic, RootCAs: fake.CertPool(),
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSTest: fake.URL(), ntf.ProviderAPNSDev: fake.URL(), ntf.ProviderAPNSProd: fake.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	disp := push.NewDispatcher(pusher, push.DispatcherOptions{Workers: 4, Backoff: 10 * time.Millisecond})
	t.Cleanup(func() { disp.Close(context.Background()) })
	st, err := bolt.Open(t.TempDir() + "/ntf.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{}
	clk.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	ident, _ := newIdentity(t)
	rs := &recSub{}
	srv, err := New(Options{Identity: ident, Store: st, Pushes: disp, Subscriber: rs, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go srv.Serve(ctx, ln)
	t.Cleanup(func() {
		cancel()
		srv.Shutdown(context.Background())
	})
	return &env{t: t, srv: srv, st: st, fake: fake, disp: disp, clk: clk, sub: rs, addr: ln.Addr().String(), keyHash: ident.KeyHash}
}

func (e *env) dial() *ntftest.Client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ntftest.Dial(ctx, e.addr, e.keyHash, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// waitPushes waits for n pushes at the fake APNs.
func (e *env) waitPushes(n int) []apnsfake.Push {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ps, err := e.fake.Wait(ctx, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// eventually polls cond until it holds (10 s at most).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func expectErr(t *testing.T, r ntf.Response, want string) {
	t.Helper()
	e, ok := r.(ntf.ERR)
	if !ok || e.Err.Error() != want {
		t.Fatalf("got %T %v, want ERR %s", r, r, want)
	}
}

func expectOK(t *testing.T, r ntf.Response) {
	t.Helper()
	if _, ok := r.(ntf.OK); !ok {
		t.Fatalf("got %T %v, want OK", r, r)
	}
}

// tokenStatus sends TCHK.
func tokenStatus(t *testing.T, c *ntftest.Client, d *ntftest.Device) ntf.TokenStatus {
	t.Helper()
	r := must[ntf.Response](t)(d.Cmd(c, ntf.TCHK{}))
	tk, ok := r.(ntf.TKN)
	if !ok {
		t.Fatalf("TCHK: %T %v", r, r)
	}
	return tk.Status
}

// activate registers d and verifies it with the pushed code; it returns
// the number of pushes seen at the fake so far.
func (e *env) activate(c *ntftest.Client, d *ntftest.Device, pushesBefore int) int {
	t := e.t
	t.Helper()
	if _, ok := must[ntf.Response](t)(d.Register(c)).(ntf.IDTKN); !ok {
		t.Fatal("TNEW")
	}
	ps := e.waitPushes(pushesBefore + 1)
	_, code, err := d.Decrypt(ps[pushesBefore].Body)
	if err != nil {
		t.Fatal(err)
	}
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: code})))
	return pushesBefore + 1
}
