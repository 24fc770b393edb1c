package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/internal/relaytest"
	"github.com/simplexgo/protocol/address"
)

func waitEvent(b *testing.B, a *agent.Agent, typ agent.EventType) agent.Event {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-a.Events():
			if e.Type == agent.EvERR {
				b.Fatalf("ERR waiting for %s: %v", typ, e.Err)
			}
			if e.Type == typ {
				return e
			}
		case <-timeout:
			b.Fatalf("no %s event", typ)
		}
	}
}

// BenchmarkHandshake measures the setup of one duplex connection between
// two agents over a local smp-relay process (TCP, TLS already up): NEW,
// link, JoinConnection (SKEY, NEW, confirmation), CONF, AllowConnection
// (SKEY, confirmation), until both sides have CON.
func BenchmarkHandshake(b *testing.B) {
	srv := relaytest.Start(b)
	newA := func() *agent.Agent {
		a, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}, RetryInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { a.Close() })
		return a
	}
	alice, bob := newA(), newA()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	handshake := func() {
		aConn, link, err := alice.CreateConnection(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bob.JoinConnection(ctx, link, []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
		waitEvent(b, alice, agent.EvCONF)
		if err := alice.AllowConnection(ctx, aConn, []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
		waitEvent(b, alice, agent.EvCON)
		waitEvent(b, bob, agent.EvCON)
	}
	handshake() // connects both agents to the relay
	for b.Loop() {
		handshake()
	}
}

// BenchmarkSendReceive measures one message from send to the peer's MSG
// event over an established connection and a local relay.
func BenchmarkSendReceive(b *testing.B) {
	srv := relaytest.Start(b)
	newA := func() *agent.Agent {
		a, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}, RetryInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { a.Close() })
		return a
	}
	alice, bob := newA(), newA()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	aConn, link, err := alice.CreateConnection(ctx)
	if err != nil {
		b.Fatal(err)
	}
	bConn, err := bob.JoinConnection(ctx, link, []byte(`{}`))
	if err != nil {
		b.Fatal(err)
	}
	waitEvent(b, alice, agent.EvCONF)
	if err := alice.AllowConnection(ctx, aConn, []byte(`{}`)); err != nil {
		b.Fatal(err)
	}
	waitEvent(b, alice, agent.EvCON)
	waitEvent(b, bob, agent.EvCON)
	msg := []byte("hello")
	for b.Loop() {
		if _, err := alice.SendMessage(ctx, aConn, msg); err != nil {
			b.Fatal(err)
		}
		m := waitEvent(b, bob, agent.EvMSG)
		if err := bob.AckMessage(ctx, bConn, m.MsgID, false); err != nil {
			b.Fatal(err)
		}
	}
}
