package agent_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/internal/relaytest"
	"github.com/simplexgo/client/store"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/smpclient"
)

func newAgent(t *testing.T, srv address.ServerAddress, st agent.Store) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// next waits for the next event of type typ, failing on ERR events.
func next(t *testing.T, a *agent.Agent, typ agent.EventType) agent.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-a.Events():
			if !ok {
				t.Fatalf("events closed waiting for %s", typ)
			}
			if e.Type == agent.EvERR {
				t.Fatalf("ERR event waiting for %s: %v", typ, e.Err)
			}
			if e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}

// connect runs the whole handshake and returns the two connection ids.
func connect(t *testing.T, alice, bob *agent.Agent) (aConn, bConn string) {
	t.Helper()
	aConn, link, err := alice.CreateConnection(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := address.ParseConnectionRequest(link); err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	bConn, err = bob.JoinConnection(ctx(t), link, []byte(`{"name":"bob"}`))
	if err != nil {
		t.Fatal(err)
	}
	conf := next(t, alice, agent.EvCONF)
	if conf.ConnID != aConn || string(conf.ConnInfo) != `{"name":"bob"}` {
		t.Fatalf("CONF %+v", conf)
	}
	if err := alice.AllowConnection(ctx(t), aConn, []byte(`{"name":"alice"}`)); err != nil {
		t.Fatal(err)
	}
	next(t, alice, agent.EvCON)
	info := next(t, bob, agent.EvINFO)
	if info.ConnID != bConn || string(info.ConnInfo) != `{"name":"alice"}` {
		t.Fatalf("INFO %+v", info)
	}
	next(t, bob, agent.EvCON)
	return aConn, bConn
}

func exchange(t *testing.T, from *agent.Agent, fromConn string, to *agent.Agent, toConn string, n int, receipts bool) {
	t.Helper()
	var ids []int64
	for i := range n {
		id, err := from.SendMessage(ctx(t), fromConn, []byte(fmt.Sprintf("message %d from %s", i, fromConn)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		next(t, from, agent.EvSENT)
	}
	for i := range n {
		m := next(t, to, agent.EvMSG)
		want := fmt.Sprintf("message %d from %s", i, fromConn)
		if m.ConnID != toConn || string(m.Body) != want || m.Integrity != nil {
			t.Fatalf("MSG %d: %q (integrity %v), want %q", i, m.Body, m.Integrity, want)
		}
		if err := to.AckMessage(ctx(t), toConn, m.MsgID, receipts); err != nil {
			t.Fatal(err)
		}
	}
	if receipts {
		for i := range n {
			r := next(t, from, agent.EvRCVD)
			if r.MsgID != ids[i] || !r.ReceiptOK {
				t.Fatalf("RCVD %+v, want id %d", r, ids[i])
			}
		}
	}
}

func TestEndToEnd(t *testing.T) {
	srv := relaytest.Start(t)
	alice := newAgent(t, srv, nil)
	bob := newAgent(t, srv, nil)
	aConn, bConn := connect(t, alice, bob)
	exchange(t, alice, aConn, bob, bConn, 5, true)
	exchange(t, bob, bConn, alice, aConn, 5, true)
	for range 3 { // interleaved
		exchange(t, alice, aConn, bob, bConn, 2, false)
		exchange(t, bob, bConn, alice, aConn, 1, true)
	}
}

func TestEndToEndTwoRelays(t *testing.T) {
	alice := newAgent(t, relaytest.Start(t), nil)
	bob := newAgent(t, relaytest.Start(t), nil)
	aConn, bConn := connect(t, alice, bob)
	exchange(t, bob, bConn, alice, aConn, 3, true)
	exchange(t, alice, aConn, bob, bConn, 3, true)
}

// Bob keeps his state in the encrypted bbolt store, stops, and resumes
// from it: the ratchet, ids and hashes continue.
func TestEndToEndRestart(t *testing.T) {
	srv := relaytest.Start(t)
	path := filepath.Join(t.TempDir(), "bob.db")
	kdf := store.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}
	st, err := store.Open(path, []byte("bob's passphrase"), kdf)
	if err != nil {
		t.Fatal(err)
	}
	alice := newAgent(t, srv, nil)
	bob, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	aConn, bConn := connect(t, alice, bob)
	exchange(t, alice, aConn, bob, bConn, 2, true)
	bob.Close()
	st.Close()

	// messages sent while Bob is away wait in his queue
	for i := range 3 {
		if _, err := alice.SendMessage(ctx(t), aConn, []byte(fmt.Sprintf("offline %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	st, err = store.Open(path, []byte("bob's passphrase"), kdf)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bob = newAgent(t, srv, st)
	if err := bob.SubscribeAll(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m := next(t, bob, agent.EvMSG)
		if want := fmt.Sprintf("offline %d", i); string(m.Body) != want || m.Integrity != nil {
			t.Fatalf("got %q (%v), want %q", m.Body, m.Integrity, want)
		}
		if err := bob.AckMessage(ctx(t), bConn, m.MsgID, false); err != nil {
			t.Fatal(err)
		}
	}
	exchange(t, bob, bConn, alice, aConn, 2, true)
}

// With queues that the sender may not secure, the agents fall back to the
// older handshake: the confirmations carry the sender keys, each side
// secures its own queue with KEY, and HELLOs complete it.
func TestEndToEndLegacyHandshake(t *testing.T) {
	srv := relaytest.Start(t)
	cfg := func() agent.Config {
		return agent.Config{Servers: []address.ServerAddress{srv}, NoSenderSecure: true}
	}
	alice, err := agent.New(cfg())
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob, err := agent.New(cfg())
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	aConn, link, err := alice.CreateConnection(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(link, "k%3Ds") || strings.Contains(link, "q%3Dm") {
		t.Fatalf("link offers sender-secured queue: %s", link)
	}
	bConn, err := bob.JoinConnection(ctx(t), link, []byte("bob"))
	if err != nil {
		t.Fatal(err)
	}
	next(t, alice, agent.EvCONF)
	if err := alice.AllowConnection(ctx(t), aConn, []byte("alice")); err != nil {
		t.Fatal(err)
	}
	next(t, bob, agent.EvINFO)
	next(t, bob, agent.EvCON)
	next(t, alice, agent.EvCON)
	exchange(t, alice, aConn, bob, bConn, 2, true)
	exchange(t, bob, bConn, alice, aConn, 2, true)
}

// After the server connection drops, the agent reconnects and resubscribes
// (DOWN, UP), and messages keep flowing.
func TestEndToEndReconnect(t *testing.T) {
	srv := relaytest.Start(t)
	alice := newAgent(t, srv, nil)
	bob := newAgent(t, srv, nil)
	aConn, bConn := connect(t, alice, bob)
	exchange(t, alice, aConn, bob, bConn, 1, false)
	bob.DropConnections()
	if e := next(t, bob, agent.EvDOWN); e.ConnID != bConn {
		t.Fatalf("DOWN %+v", e)
	}
	next(t, bob, agent.EvUP)
	exchange(t, alice, aConn, bob, bConn, 2, true)
	exchange(t, bob, bConn, alice, aConn, 2, true)
}

// When Bob's queue is full the server answers QUOTA: Alice keeps the
// messages, Bob's agent sends A_QCONT once he has read the queue, and
// Alice's agent then sends the rest, in order [AG queueDrained, continueSending].
func TestEndToEndQuota(t *testing.T) {
	srv := relaytest.Start(t)
	alice := newAgent(t, srv, nil)
	bob := newAgent(t, srv, nil)
	aConn, bConn := connect(t, alice, bob)
	const n = 131 // the relay accepts 128 messages in a queue
	pending := 0
	for i := range n {
		_, err := alice.SendMessage(ctx(t), aConn, []byte(fmt.Sprintf("m%d", i)))
		switch {
		case errors.Is(err, agent.ErrPending):
			pending++
		case err != nil:
			t.Fatal(err)
		}
	}
	if pending == 0 {
		t.Fatal("no message was held back by the quota")
	}
	for i := range n {
		m := next(t, bob, agent.EvMSG)
		if want := fmt.Sprintf("m%d", i); string(m.Body) != want || m.Integrity != nil {
			t.Fatalf("got %q (%v), want %q", m.Body, m.Integrity, want)
		}
		if err := bob.AckMessage(ctx(t), bConn, m.MsgID, false); err != nil {
			t.Fatal(err)
		}
	}
}

// After Bob deletes the connection, Alice's message is rejected by the
// server (AUTH): it is dropped with an ERR event, not retried.
func TestEndToEndDelete(t *testing.T) {
	srv := relaytest.Start(t)
	alice := newAgent(t, srv, nil)
	bob := newAgent(t, srv, nil)
	aConn, bConn := connect(t, alice, bob)
	if err := bob.DeleteConnection(ctx(t), bConn); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.Conn(bConn); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("deleted connection: %v", err)
	}
	id, err := alice.SendMessage(ctx(t), aConn, []byte("anyone?"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-alice.Events():
		if e.Type != agent.EvERR || e.MsgID != id {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no ERR event")
	}
	if err := alice.RetryPending(ctx(t)); err != nil {
		t.Fatalf("message still pending: %v", err)
	}
}

// Bob connects through Alice's long-term contact address: his request
// (REQ) carries a fresh invitation, Alice accepts it by joining, Bob
// allows her confirmation [AG joinConnSrv CRContactUri, acceptContact'].
func TestEndToEndContactAddress(t *testing.T) {
	srv := relaytest.Start(t)
	alice := newAgent(t, srv, nil)
	bob := newAgent(t, srv, nil)
	carol := newAgent(t, srv, nil)
	addrID, link, err := alice.CreateContactAddress(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "simplex:/contact#/?v=2-7&smp=") {
		t.Fatalf("address %q", link)
	}
	for _, peer := range []struct {
		ag   *agent.Agent
		name string
	}{{bob, "bob"}, {carol, "carol"}} {
		pConn, err := peer.ag.JoinConnection(ctx(t), link, []byte(peer.name))
		if err != nil {
			t.Fatal(err)
		}
		req := next(t, alice, agent.EvREQ)
		if req.ConnID != addrID || string(req.ConnInfo) != peer.name {
			t.Fatalf("REQ %+v", req)
		}
		aConn, err := alice.AcceptContact(ctx(t), addrID, req.InvitationID, []byte("alice"))
		if err != nil {
			t.Fatal(err)
		}
		conf := next(t, peer.ag, agent.EvCONF)
		if conf.ConnID != pConn || string(conf.ConnInfo) != "alice" {
			t.Fatalf("CONF %+v", conf)
		}
		if err := peer.ag.AllowConnection(ctx(t), pConn, []byte(peer.name)); err != nil {
			t.Fatal(err)
		}
		next(t, peer.ag, agent.EvCON)
		if info := next(t, alice, agent.EvINFO); string(info.ConnInfo) != peer.name {
			t.Fatalf("INFO %+v", info)
		}
		next(t, alice, agent.EvCON)
		exchange(t, alice, aConn, peer.ag, pConn, 2, true)
		exchange(t, peer.ag, pConn, alice, aConn, 2, true)
	}
}

// A join that fails after SKEY (here: Bob's own server is unreachable at
// first) is resumed by joining again with the same link: the same keys
// are used, so the secured queue still accepts Bob's confirmation.
func TestEndToEndJoinResume(t *testing.T) {
	srvA, srvB := relaytest.Start(t), relaytest.Start(t)
	alice := newAgent(t, srvA, nil)
	failB := true
	bob, err := agent.New(agent.Config{
		Servers: []address.ServerAddress{srvB},
		Dial: func(ctx context.Context, srv address.ServerAddress) (*smpclient.Client, error) {
			if srv.SameServer(srvB) && failB {
				failB = false
				return nil, errors.New("network down")
			}
			return smpclient.DialServer(ctx, srv, smpclient.Options{})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	aConn, link, err := alice.CreateConnection(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	id1, err := bob.JoinConnection(ctx(t), link, []byte("bob"))
	if err == nil || id1 == "" {
		t.Fatalf("first join: %q, %v", id1, err)
	}
	bConn, err := bob.JoinConnection(ctx(t), link, []byte("bob"))
	if err != nil {
		t.Fatalf("resumed join: %v", err)
	}
	if bConn != id1 {
		t.Fatalf("resumed %q, first %q", bConn, id1)
	}
	next(t, alice, agent.EvCONF)
	if err := alice.AllowConnection(ctx(t), aConn, []byte("alice")); err != nil {
		t.Fatal(err)
	}
	next(t, bob, agent.EvCON)
	exchange(t, alice, aConn, bob, bConn, 1, true)
	exchange(t, bob, bConn, alice, aConn, 1, true)
}

// A message that could not be sent (Bob's server unreachable from Alice)
// is sent by the background retry once the server can be reached.
func TestEndToEndBackgroundRetry(t *testing.T) {
	srvA, srvB := relaytest.Start(t), relaytest.Start(t)
	var mu sync.Mutex
	blockB := false
	alice, err := agent.New(agent.Config{
		Servers:       []address.ServerAddress{srvA},
		RetryInterval: 50 * time.Millisecond,
		Dial: func(ctx context.Context, srv address.ServerAddress) (*smpclient.Client, error) {
			mu.Lock()
			defer mu.Unlock()
			if blockB && srv.SameServer(srvB) {
				return nil, errors.New("network down")
			}
			return smpclient.DialServer(ctx, srv, smpclient.Options{})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob := newAgent(t, srvB, nil)
	aConn, bConn := connect(t, alice, bob)
	mu.Lock()
	blockB = true
	mu.Unlock()
	alice.DropConnections()
	if _, err := alice.SendMessage(ctx(t), aConn, []byte("later")); !errors.Is(err, agent.ErrPending) {
		t.Fatalf("send while unreachable: %v", err)
	}
	mu.Lock()
	blockB = false
	mu.Unlock()
	next(t, alice, agent.EvSENT)
	if m := next(t, bob, agent.EvMSG); string(m.Body) != "later" || m.Integrity != nil {
		t.Fatalf("MSG %+v", m)
	}
	_ = bConn
}

// TestEndToEndPrivateRouting: with private routing each agent only ever
// connects to its own relay; what it sends to the other relay (the
// confirmation, SKEY, messages, receipts) goes through its own relay as
// PRXY/PFWD, and arrives.
func TestEndToEndPrivateRouting(t *testing.T) {
	type dialLog struct {
		mu  sync.Mutex
		srv map[string]bool
	}
	newRouted := func(srv address.ServerAddress) (*agent.Agent, *dialLog) {
		l := &dialLog{srv: map[string]bool{}}
		a, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}, PrivateRouting: true,
			Dial: func(ctx context.Context, s address.ServerAddress) (*smpclient.Client, error) {
				l.mu.Lock()
				l.srv[s.String()] = true
				l.mu.Unlock()
				return smpclient.DialServer(ctx, s, smpclient.Options{EventBuffer: 1024})
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a, l
	}
	aSrv, bSrv := relaytest.Start(t), relaytest.Start(t)
	alice, aDials := newRouted(aSrv)
	bob, bDials := newRouted(bSrv)
	aConn, bConn := connect(t, alice, bob)
	exchange(t, alice, aConn, bob, bConn, 3, true)
	exchange(t, bob, bConn, alice, aConn, 3, true)
	for _, c := range []struct {
		l   *dialLog
		own address.ServerAddress
	}{{aDials, aSrv}, {bDials, bSrv}} {
		c.l.mu.Lock()
		if len(c.l.srv) != 1 || !c.l.srv[c.own.String()] {
			t.Errorf("agent of %s connected to %v", c.own.Hosts, c.l.srv)
		}
		c.l.mu.Unlock()
	}
}
