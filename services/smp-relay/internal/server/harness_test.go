package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/smp-relay/internal/store"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
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

type testServer struct {
	t      testing.TB
	srv    *Server
	st     store.Store
	addr   string
	id     Identity
	cancel context.CancelFunc
	done   chan struct{}
	clock  *testClock
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

// startServer runs a server on 127.0.0.1 with a bbolt store in dir
// (a new temp dir if empty).
func startServer(t testing.TB, dir string, id *Identity, mod func(*Options)) *testServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := bolt.Open(filepath.Join(dir, "smp.db"))
	if err != nil {
		t.Fatal(err)
	}
	if id == nil {
		i := testIdentity(t)
		id = &i
	}
	clock := &testClock{now: time.Now()}
	o := Options{
		Identity:  *id,
		Store:     st,
		NewQueues: true,
		Logger:    slog.New(slog.DiscardHandler),
		Now:       clock.Now,
	}
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
	ts := &testServer{t: t, srv: srv, st: st, addr: ln.Addr().String(), id: *id, cancel: cancel, done: make(chan struct{}), clock: clock}
	go func() { srv.Serve(ctx, ln); close(ts.done) }()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	select {
	case <-ts.done:
		return
	default:
	}
	ts.cancel()
	<-ts.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.srv.Shutdown(ctx)
	ts.st.Close()
}

// tclient is a minimal SMP client over the protocol library.
type tclient struct {
	t      testing.TB
	s      *transport.Session
	mu     sync.Mutex
	resps  map[string]chan smp.Message
	events chan event
	wmu    sync.Mutex
}

type event struct {
	entity []byte
	msg    smp.Message
}

func dialRange(t testing.TB, ts *testServer, r encoding.VersionRange, alpn []string) (*tclient, error) {
	return dialParams(t, ts, transport.SMPClientParams{Range: r}, alpn)
}

func dialParams(t testing.TB, ts *testServer, p transport.SMPClientParams, alpn []string) (*tclient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		return nil, err
	}
	keyHash := ts.id.KeyHash
	tc, err := transport.Client(ctx, nc, transport.ClientTLSConfig(alpn, func(raw [][]byte) error {
		return certs.VerifyChain(raw, keyHash)
	}))
	if err != nil {
		return nil, err
	}
	p.KeyHash = keyHash
	s, err := transport.SMPClientHandshake(ctx, tc, p)
	if err != nil {
		tc.Close()
		return nil, err
	}
	c := &tclient{t: t, s: s, resps: map[string]chan smp.Message{}, events: make(chan event, 1024)}
	go c.reader()
	t.Cleanup(func() { s.Close() })
	return c, nil
}

func dial(t testing.TB, ts *testServer) *tclient {
	t.Helper()
	c, err := dialRange(t, ts, smp.ReferenceClientRange, []string{transport.ALPNSMP})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *tclient) reader() {
	defer close(c.events)
	for {
		p, err := c.s.ReadBlock()
		if err != nil {
			return
		}
		pts, err := transport.ParseBatch(c.s, p)
		if err != nil {
			c.t.Errorf("client: bad batch from server: %v", err)
			return
		}
		for _, pt := range pts {
			m, err := smp.ParseMessage(c.s.Version, pt.Command)
			if err != nil {
				c.t.Errorf("client: bad message %q: %v", pt.Command, err)
				continue
			}
			if len(pt.CorrID) == 0 {
				c.events <- event{entity: bytes.Clone(pt.EntityID), msg: m}
				continue
			}
			c.mu.Lock()
			ch := c.resps[string(pt.CorrID)]
			delete(c.resps, string(pt.CorrID))
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
}

// sendRaw sends one command and returns the channel of its response.
func (c *tclient) sendRaw(entity []byte, key *crypto.PrivateKey, cmdBytes []byte) chan smp.Message {
	c.t.Helper()
	corrID := make([]byte, 24)
	rand.Read(corrID)
	return c.sendRawCorr(corrID, entity, key, cmdBytes)
}

func (c *tclient) sendRawCorr(corrID, entity []byte, key *crypto.PrivateKey, cmdBytes []byte) chan smp.Message {
	c.t.Helper()
	var auth []byte
	if key != nil {
		var err error
		auth, err = transport.SignTransmission(c.s, *key, corrID, entity, cmdBytes)
		if err != nil {
			c.t.Fatal(err)
		}
	}
	tx, err := transport.EncodeTransmission(c.s, transport.Transmission{Auth: auth, CorrID: corrID, EntityID: entity, Command: cmdBytes})
	if err != nil {
		c.t.Fatal(err)
	}
	ch := make(chan smp.Message, 1)
	c.mu.Lock()
	c.resps[string(corrID)] = ch
	c.mu.Unlock()
	blocks, err := transport.PackBatches(c.s, [][]byte{tx})
	if err != nil {
		c.t.Fatal(err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.s.WriteBlock(blocks[0]); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return ch
}

func (c *tclient) cmd(entity []byte, key *crypto.PrivateKey, cmd smp.Command) smp.Message {
	c.t.Helper()
	b, err := smp.EncodeCommand(c.s.Version, cmd)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.wait(c.sendRaw(entity, key, b))
}

func (c *tclient) wait(ch chan smp.Message) smp.Message {
	c.t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatal("timeout waiting for response")
		return nil
	}
}

func (c *tclient) event() event {
	c.t.Helper()
	select {
	case e, ok := <-c.events:
		if !ok {
			c.t.Fatal("connection closed waiting for event")
		}
		return e
	case <-time.After(10 * time.Second):
		c.t.Fatal("timeout waiting for event")
		return event{}
	}
}

func (c *tclient) noEvent(d time.Duration) {
	c.t.Helper()
	select {
	case e := <-c.events:
		c.t.Fatalf("unexpected event %T %+v", e.msg, e.msg)
	case <-time.After(d):
	}
}

// queue is a recipient's view of a queue it created.
type queue struct {
	rid, sid []byte
	rcvKey   crypto.PrivateKey
	dhKey    crypto.PrivateKey
	srvDH    crypto.PublicKey
	sndKey   crypto.PrivateKey
}

func newKey(t testing.TB, a crypto.Algorithm) crypto.PrivateKey {
	k, err := crypto.GenerateKey(a, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (c *tclient) newQueue(subscribe bool) *queue {
	c.t.Helper()
	q := &queue{rcvKey: newKey(c.t, crypto.Ed25519), dhKey: newKey(c.t, crypto.X25519), sndKey: newKey(c.t, crypto.Ed25519)}
	m := c.cmd(nil, &q.rcvKey, smp.NEW{RcvAuthKey: q.rcvKey.Public(), RcvDHKey: q.dhKey.Public(), Subscribe: subscribe,
		QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}})
	ids, ok := m.(smp.IDS)
	if !ok {
		c.t.Fatalf("NEW: %T %+v", m, m)
	}
	q.rid, q.sid, q.srvDH = ids.RcvID, ids.SndID, ids.SrvDHKey
	return q
}

// decrypt opens a MSG as the recipient.
func (q *queue) decrypt(t testing.TB, m smp.MSG) smp.RcvMessageBody {
	t.Helper()
	secret, err := crypto.DH(q.dhKey, q.srvDH)
	if err != nil {
		t.Fatal(err)
	}
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], m.MsgID)
	if len(m.EncBody) != smp.RcvMessagePaddedSize+16 {
		t.Fatalf("encrypted body %d bytes, want %d", len(m.EncBody), smp.RcvMessagePaddedSize+16)
	}
	plain, err := crypto.OpenBoxPadded(secret, nonce, m.EncBody)
	if err != nil {
		t.Fatal(err)
	}
	b, err := smp.ParseRcvMessageBody(plain)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func expectOK(t testing.TB, m smp.Message) {
	t.Helper()
	if _, ok := m.(smp.OK); !ok {
		t.Fatalf("want OK, got %T %+v", m, m)
	}
}

func expectErr(t testing.TB, m smp.Message, want string) {
	t.Helper()
	e, ok := m.(smp.ERR)
	if !ok {
		t.Fatalf("want ERR %s, got %T %+v", want, m, m)
	}
	if got := e.Err.String(); got != want {
		t.Fatalf("want ERR %s, got ERR %s", want, got)
	}
}

func expectMsg(t testing.TB, m smp.Message) smp.MSG {
	t.Helper()
	msg, ok := m.(smp.MSG)
	if !ok {
		t.Fatalf("want MSG, got %T %+v", m, m)
	}
	return msg
}

var _ = fmt.Sprint

// encodeTx encodes one unsigned transmission as a block payload.
func encodeTx(c *tclient, corrID, entity, cmdBytes []byte) ([]byte, error) {
	tx, err := transport.EncodeTransmission(c.s, transport.Transmission{CorrID: corrID, EntityID: entity, Command: cmdBytes})
	if err != nil {
		return nil, err
	}
	blocks, err := transport.PackBatches(c.s, [][]byte{tx})
	if err != nil {
		return nil, err
	}
	return blocks[0], nil
}
