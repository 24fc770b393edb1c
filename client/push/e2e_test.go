package push_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/internal/relaytest"
	"github.com/simplexgo/client/push"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/ntf"
)

func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func newAgent(t *testing.T, srv address.ServerAddress) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func next(t *testing.T, a *agent.Agent, typ agent.EventType) agent.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-a.Events():
			if e.Type == agent.EvERR {
				t.Fatalf("ERR waiting for %s: %v", typ, e.Err)
			}
			if e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}

// connect makes a duplex connection between two agents.
func connect(t *testing.T, alice, bob *agent.Agent) (aConn, bConn string) {
	t.Helper()
	ctx := testCtx(t)
	aConn, link, err := alice.CreateConnection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bConn, err = bob.JoinConnection(ctx, link, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	next(t, alice, agent.EvCONF)
	if err := alice.AllowConnection(ctx, aConn, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	next(t, alice, agent.EvCON)
	next(t, bob, agent.EvCON)
	return aConn, bConn
}

// TestEndToEndPush runs the official client's notification flow against
// smp-relay and ntf-server processes: token registration verified with
// the code from the fake APNs, NKEY on Bob's receiving queue, SNEW, and a
// message push that opens to Bob's queue and the message's metadata.
func TestEndToEndPush(t *testing.T) {
	smpSrv := relaytest.Start(t)
	ntfSrv := relaytest.StartNTF(t)
	ctx := testCtx(t)
	alice, bob := newAgent(t, smpSrv), newAgent(t, smpSrv)
	aConn, bConn := connect(t, alice, bob)

	c, err := push.Dial(ctx, ntfSrv.Server)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Version() != ntf.CurrentVersion {
		t.Fatalf("NTF version %d", c.Version())
	}
	const token = "0123456789abcdef0123456789abcdef"
	d, err := push.NewDevice(rand.Reader, ntfSrv.Server, ntf.ProviderAPNSTest, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RegisterToken(ctx, c, push.FakeCodeSource(ntfSrv.FakeURL)); err != nil {
		t.Fatal(err)
	}
	if d.Status != "ACTIVE" {
		t.Fatalf("token status %s", d.Status)
	}

	creds, err := bob.EnableNotifications(ctx, bConn)
	if err != nil {
		t.Fatal(err)
	}
	again, err := bob.EnableNotifications(ctx, bConn)
	if err != nil || string(again.NotifierID) != string(creds.NotifierID) {
		t.Fatalf("EnableNotifications twice: %v", err)
	}
	subID, err := d.Subscribe(ctx, c, creds.Server, creds.NotifierID, creds.NotifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitSubscriptionActive(ctx, c, subID); err != nil {
		t.Fatal(err)
	}
	before, err := push.FetchFakePushes(ctx, ntfSrv.FakeURL, token, 0, 0)
	if err != nil {
		t.Fatal(err)
	}

	sent := time.Now().Add(-2 * time.Second)
	if _, err := alice.SendMessage(ctx, aConn, []byte("pushed hello")); err != nil {
		t.Fatal(err)
	}
	p, err := push.WaitFakePush(ctx, ntfSrv.FakeURL, token, len(before))
	if err != nil {
		t.Fatal(err)
	}
	n, err := push.Open(d.DHSecret, p.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != push.KindMessages || len(n.Messages) != 1 {
		t.Fatalf("push %+v", n)
	}
	m := n.Messages[0]
	connID, err := bob.NotificationConn(m.Queue.Server.KeyHash, m.Queue.NotifierID)
	if err != nil || connID != bConn {
		t.Fatalf("NotificationConn %q %v, want %q", connID, err, bConn)
	}
	meta, err := bob.DecryptNotificationMeta(connID, m.Nonce, m.EncMeta)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.MsgID) == 0 || meta.Timestamp.Before(sent) || meta.Timestamp.After(time.Now().Add(2*time.Second)) {
		t.Fatalf("meta %+v", meta)
	}
	// the message is there to fetch
	msg := next(t, bob, agent.EvMSG)
	if msg.ConnID != bConn || string(msg.Body) != "pushed hello" {
		t.Fatalf("MSG %+v", msg)
	}
	if _, err := alice.NotificationConn(m.Queue.Server.KeyHash, m.Queue.NotifierID); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("Alice maps Bob's notifier: %v", err)
	}
	if _, err := bob.NotificationConn([]byte("another server"), m.Queue.NotifierID); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("notifier on another server: %v", err)
	}
	if _, err := alice.DecryptNotificationMeta(aConn, m.Nonce, m.EncMeta); !errors.Is(err, agent.ErrNoNotifier) {
		t.Fatalf("meta without notifier: %v", err)
	}
	m.EncMeta[0] ^= 1
	if _, err := bob.DecryptNotificationMeta(bConn, m.Nonce, m.EncMeta); err == nil {
		t.Fatal("tampered metadata opened")
	}
	// the subscription is reported, and the token can be deleted
	if st, err := d.CheckSubscription(ctx, c, subID); err != nil || st.Code != ntf.SubActive {
		t.Fatalf("SCHK %v %v", st, err)
	}
	if err := d.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Check(ctx, c); !errors.Is(err, push.ErrServer) {
		t.Fatalf("TCHK after TDEL: %v", err)
	}
}
