package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// TestMessageFlow: recipient creates a subscribed queue, sender sends
// before and after securing it, recipient gets both in order, ACKs, and
// the encrypted body is the official padded size (16106 + 16).
func TestMessageFlow(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv, snd := dial(t, ts), dial(t, ts)
	if rcv.s.Version != 14 || !rcv.s.Encrypted() {
		t.Fatalf("negotiated v%d encrypted=%v, want v14 with block encryption", rcv.s.Version, rcv.s.Encrypted())
	}
	q := rcv.newQueue(true)

	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("hello")}))
	e := rcv.event()
	m := expectMsg(t, e.msg)
	if !bytes.Equal(e.entity, q.rid) {
		t.Fatal("MSG entity is not the recipient id")
	}
	if b := q.decrypt(t, m); string(b.Body) != "hello" || b.Flags.Notification {
		t.Fatalf("body %+v", b)
	}
	// KEY secures the queue; unsigned SEND is then refused.
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.KEY{SndAuthKey: q.sndKey.Public()}))
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.KEY{SndAuthKey: q.sndKey.Public()})) // same key again
	expectErr(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("x")}), "AUTH")
	expectOK(t, snd.cmd(q.sid, &q.sndKey, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: []byte("second")}))

	// The second message waits for the ACK of the first, then comes as the
	// ACK's response.
	rcv.noEvent(50 * time.Millisecond)
	next := expectMsg(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}))
	if b := q.decrypt(t, next); string(b.Body) != "second" || !b.Flags.Notification {
		t.Fatalf("second body %+v", b)
	}
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: next.MsgID}))
	expectErr(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: next.MsgID}), "NO_MSG")

	// QUE reports the state.
	info, ok := rcv.cmd(q.rid, &q.rcvKey, smp.QUE{}).(smp.INFO)
	if !ok || !info.Info.Snd || info.Info.Size != 0 || info.Info.Sub == nil {
		t.Fatalf("QUE %+v", info)
	}
	// OFF: no more messages; DEL removes the queue.
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.OFF{}))
	expectErr(t, snd.cmd(q.sid, &q.sndKey, smp.SEND{Body: []byte("x")}), "AUTH")
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.DEL{}))
	expectErr(t, rcv.cmd(q.rid, &q.rcvKey, smp.SUB{}), "AUTH")
	expectErr(t, snd.cmd(q.sid, &q.sndKey, smp.SEND{Body: []byte("x")}), "AUTH")
}

// TestSenderCanSecure: SKEY from the sender on a messaging-mode queue,
// with the sender key signing it (v9+).
func TestSenderCanSecure(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv, snd := dial(t, ts), dial(t, ts)
	q := rcv.newQueue(false)
	other := newKey(t, crypto.Ed25519)
	// signed by another key than the one installed
	b, _ := smp.EncodeCommand(snd.s.Version, smp.SKEY{SndAuthKey: q.sndKey.Public()})
	expectErr(t, snd.wait(snd.sendRaw(q.sid, &other, b)), "AUTH")
	expectOK(t, snd.cmd(q.sid, &q.sndKey, smp.SKEY{SndAuthKey: q.sndKey.Public()}))
	expectOK(t, snd.cmd(q.sid, &q.sndKey, smp.SKEY{SndAuthKey: q.sndKey.Public()}))
	expectErr(t, snd.cmd(q.sid, &other, smp.SKEY{SndAuthKey: other.Public()}), "AUTH")
	expectOK(t, snd.cmd(q.sid, &q.sndKey, smp.SEND{Body: []byte("m")}))
	m := expectMsg(t, rcv.cmd(q.rid, &q.rcvKey, smp.GET{}))
	if string(q.decrypt(t, m).Body) != "m" {
		t.Fatal("body")
	}
	// GET and SUB cannot be mixed in one connection.
	expectErr(t, rcv.cmd(q.rid, &q.rcvKey, smp.SUB{}), "CMD PROHIBITED")
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}))
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.GET{}))

	// A contact-mode queue (no senderCanSecure) refuses SKEY.
	q2 := &queue{rcvKey: newKey(t, crypto.Ed25519), dhKey: newKey(t, crypto.X25519)}
	ids := rcv.cmd(nil, &q2.rcvKey, smp.NEW{RcvAuthKey: q2.rcvKey.Public(), RcvDHKey: q2.dhKey.Public(),
		QueueReq: &smp.QueueReqData{Mode: smp.QueueModeContact}}).(smp.IDS)
	expectErr(t, snd.cmd(ids.SndID, &q.sndKey, smp.SKEY{SndAuthKey: q.sndKey.Public()}), "AUTH")
}

// TestEndOnSecondSubscriber: a SUB from another connection moves the
// subscription; the first connection gets END and messages go to the new one.
func TestEndOnSecondSubscriber(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	c1, c2, snd := dial(t, ts), dial(t, ts), dial(t, ts)
	q := c1.newQueue(true)
	expectOK(t, c2.cmd(q.rid, &q.rcvKey, smp.SUB{}))
	e := c1.event()
	if _, ok := e.msg.(smp.END); !ok || !bytes.Equal(e.entity, q.rid) {
		t.Fatalf("want END for the queue, got %T", e.msg)
	}
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("to c2")}))
	m := expectMsg(t, c2.event().msg)
	if string(q.decrypt(t, m).Body) != "to c2" {
		t.Fatal("body")
	}
	c1.noEvent(50 * time.Millisecond)
	// SUB again re-delivers the unacknowledged message.
	expectOK(t, c2.cmd(q.rid, &q.rcvKey, smp.SUB{}))
	if again := expectMsg(t, c2.event().msg); !bytes.Equal(again.MsgID, m.MsgID) {
		t.Fatal("re-delivery of another message")
	}
	// Deleting the queue from c1 (not subscribed) gives c2 DELD.
	expectOK(t, c1.cmd(q.rid, &q.rcvKey, smp.DEL{}))
	if e := c2.event(); !bytes.Equal(e.entity, q.rid) {
		t.Fatal("DELD entity")
	} else if _, ok := e.msg.(smp.DELD); !ok {
		t.Fatalf("want DELD, got %T", e.msg)
	}
}

// TestQuota: 128 messages fit, the next SEND gets QUOTA and stores the
// marker, delivered after the last message; sending works again once
// everything is acknowledged.
func TestQuota(t *testing.T) {
	const quota = 5
	ts := startServer(t, "", nil, func(o *Options) { o.Quota = quota })
	rcv, snd := dial(t, ts), dial(t, ts)
	q := rcv.newQueue(false)
	for i := range quota {
		expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: fmt.Appendf(nil, "m%d", i)}))
	}
	expectErr(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("over")}), "QUOTA")
	expectErr(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("over2")}), "QUOTA")
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.SUB{}))
	m := expectMsg(t, rcv.event().msg)
	for i := range quota {
		if b := q.decrypt(t, m); string(b.Body) != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d: %q", i, b.Body)
		}
		expectErr(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("still over")}), "QUOTA")
		m = expectMsg(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}))
	}
	if b := q.decrypt(t, m); !b.Quota {
		t.Fatalf("want the quota marker, got %+v", b)
	}
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}))
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("again")}))
	if b := q.decrypt(t, expectMsg(t, rcv.event().msg)); string(b.Body) != "again" {
		t.Fatal("after recovery")
	}
}

// TestNotifications: NKEY gives a notifier; NSUB on another connection
// receives NMSG for SENDs with the notification flag; the meta decrypts to
// the message id and timestamp; a second NSUB ends the first with END;
// NDEL gives DELD.
func TestNotifications(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv, snd, ntf1, ntf2 := dial(t, ts), dial(t, ts), dial(t, ts), dial(t, ts)
	q := rcv.newQueue(true)
	nKey, nDH := newKey(t, crypto.Ed25519), newKey(t, crypto.X25519)
	nid, ok := rcv.cmd(q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: nKey.Public(), RcvNtfDHKey: nDH.Public()}).(smp.NID)
	if !ok {
		t.Fatal("NKEY")
	}
	expectOK(t, ntf1.cmd(nid.NotifierID, &nKey, smp.NSUB{}))
	expectErr(t, ntf2.cmd(nid.NotifierID, &q.rcvKey, smp.NSUB{}), "AUTH")

	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("silent")}))
	msg1 := expectMsg(t, rcv.event().msg)
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: []byte("loud")}))
	e := ntf1.event()
	nm, ok := e.msg.(smp.NMSG)
	if !ok || !bytes.Equal(e.entity, nid.NotifierID) {
		t.Fatalf("want NMSG for the notifier, got %T", e.msg)
	}
	secret, _ := crypto.DH(nDH, nid.SrvNtfDHKey)
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], nm.Nonce)
	if len(nm.EncMeta) != smp.NotificationMetaPaddedSize+16 {
		t.Fatalf("encrypted meta %d bytes", len(nm.EncMeta))
	}
	plain, err := crypto.OpenBoxPadded(secret, nonce, nm.EncMeta)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := smp.ParseNotificationMeta(plain)
	if err != nil {
		t.Fatal(err)
	}
	msg2 := expectMsg(t, rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: msg1.MsgID}))
	if !bytes.Equal(meta.MsgID, msg2.MsgID) {
		t.Fatal("notification names another message")
	}
	ntf1.noEvent(20 * time.Millisecond) // only one NMSG: "silent" had no flag

	expectOK(t, ntf2.cmd(nid.NotifierID, &nKey, smp.NSUB{}))
	if e := ntf1.event(); !bytes.Equal(e.entity, nid.NotifierID) {
		t.Fatal("END entity")
	} else if _, ok := e.msg.(smp.END); !ok {
		t.Fatalf("want END, got %T", e.msg)
	}
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.NDEL{}))
	if _, ok := ntf2.event().msg.(smp.DELD); !ok {
		t.Fatal("want DELD after NDEL")
	}
	expectErr(t, ntf2.cmd(nid.NotifierID, &nKey, smp.NSUB{}), "AUTH")
}

// TestNotificationsWaitForSubscriber: NMSG created while no notifier is
// subscribed are delivered after NSUB.
func TestNotificationsWaitForSubscriber(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv, snd, ntf := dial(t, ts), dial(t, ts), dial(t, ts)
	q := rcv.newQueue(false)
	nKey, nDH := newKey(t, crypto.Ed25519), newKey(t, crypto.X25519)
	nid := rcv.cmd(q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: nKey.Public(), RcvNtfDHKey: nDH.Public()}).(smp.NID)
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: []byte("x")}))
	expectOK(t, ntf.cmd(nid.NotifierID, &nKey, smp.NSUB{}))
	if _, ok := ntf.event().msg.(smp.NMSG); !ok {
		t.Fatal("stored notification not delivered")
	}
}

// TestErrors: the error paths answer as the reference does.
func TestErrors(t *testing.T) {
	ts := startServer(t, "", nil, func(o *Options) { o.CreatePassword = []byte("secret") })
	c := dial(t, ts)
	k, dh := newKey(t, crypto.Ed25519), newKey(t, crypto.X25519)
	newCmd := func(pwd []byte) smp.NEW {
		return smp.NEW{RcvAuthKey: k.Public(), RcvDHKey: dh.Public(), BasicAuth: pwd, QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}}
	}
	expectErr(t, c.cmd(nil, &k, newCmd(nil)), "AUTH")
	expectErr(t, c.cmd(nil, &k, newCmd([]byte("wrong"))), "AUTH")
	ids, ok := c.cmd(nil, &k, newCmd([]byte("secret"))).(smp.IDS)
	if !ok {
		t.Fatal("NEW with the password failed")
	}
	other := newKey(t, crypto.Ed25519)
	unknown := make([]byte, 24)
	rand.Read(unknown)

	tests := []struct {
		name   string
		entity []byte
		key    *crypto.PrivateKey
		cmd    []byte
		want   string
	}{
		{"unknown queue", unknown, &k, []byte("SUB"), "AUTH"},
		{"wrong key", ids.RcvID, &other, []byte("SUB"), "AUTH"},
		{"no auth", ids.RcvID, nil, []byte("SUB"), "CMD NO_AUTH"},
		{"SUB without entity", nil, &k, []byte("SUB"), "CMD NO_AUTH"},
		{"SEND without entity", nil, nil, []byte("SEND F x"), "CMD NO_ENTITY"},
		{"NEW with entity", ids.RcvID, &k, mustEncode(t, newCmd(nil)), "CMD HAS_AUTH"},
		{"unknown command", ids.RcvID, &k, []byte("HELLO"), "CMD UNKNOWN"},
		{"bad syntax", ids.RcvID, &k, []byte("ACK"), "CMD SYNTAX"},
		{"send to unknown", unknown, nil, []byte("SEND F x"), "AUTH"},
		{"ack nothing", ids.RcvID, &k, mustEncode(t, smp.ACK{MsgID: []byte("x")}), "NO_MSG"},
		{"large message", ids.SndID, nil, append([]byte("SEND F "), make([]byte, 16049)...), "LARGE_MSG"},
		{"PRXY without the server password", nil, nil, mustEncode(t, smp.PRXY{Server: smp.SMPServer{Hosts: []string{"example.com"}, Port: "5223", KeyHash: make([]byte, 32)}}), "PROXY BASIC_AUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectErr(t, c.wait(c.sendRaw(tt.entity, tt.key, tt.cmd)), tt.want)
		})
	}
	if _, ok := c.cmd(nil, nil, smp.PING{}).(smp.PONG); !ok {
		t.Fatal("PING")
	}
	// A garbage block: ERR BLOCK, and the connection keeps working.
	c.wmu.Lock()
	err := c.s.WriteBlock([]byte{0, 1, 2})
	c.wmu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	e := c.event()
	expectErr(t, e.msg, "BLOCK")
	if _, ok := c.cmd(nil, nil, smp.PING{}).(smp.PONG); !ok {
		t.Fatal("PING after bad block")
	}
}

func mustEncode(t testing.TB, c smp.Command) []byte {
	b, err := smp.EncodeCommand(14, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBlockedQueue: an operator block answers BLOCKED (AUTH below v12).
func TestBlockedQueue(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	c := dial(t, ts)
	q := c.newQueue(false)
	if err := ts.srv.BlockQueue(context.Background(), q.sid, smp.BlockedContent); err != nil {
		t.Fatal(err)
	}
	expectErr(t, c.cmd(q.rid, &q.rcvKey, smp.SUB{}), "BLOCKED reason=content")
	expectErr(t, c.cmd(q.sid, nil, smp.SEND{Body: []byte("x")}), "BLOCKED reason=content")
	old, err := dialRange(t, ts, encoding.VersionRange{Min: 6, Max: 11}, []string{transport.ALPNSMP})
	if err != nil {
		t.Fatal(err)
	}
	expectErr(t, old.cmd(q.rid, &q.rcvKey, smp.SUB{}), "AUTH")
	if err := ts.srv.UnblockQueue(context.Background(), q.sid); err != nil {
		t.Fatal(err)
	}
	expectOK(t, c.cmd(q.rid, &q.rcvKey, smp.SUB{}))
}

// TestVersions: the negotiated version is the highest common one; a client
// without ALPN gets v6; a client above our range is refused.
func TestVersions(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	for _, tt := range []struct {
		r    encoding.VersionRange
		alpn []string
		want uint16
	}{
		{encoding.VersionRange{Min: 6, Max: 18}, []string{transport.ALPNSMP}, 14},
		{encoding.VersionRange{Min: 6, Max: 9}, []string{transport.ALPNSMP}, 9},
		{encoding.VersionRange{Min: 6, Max: 18}, nil, 6},
	} {
		c, err := dialRange(t, ts, tt.r, tt.alpn)
		if err != nil {
			t.Fatalf("%v: %v", tt.r, err)
		}
		if c.s.Version != tt.want {
			t.Errorf("%v alpn %v: v%d, want v%d", tt.r, tt.alpn, c.s.Version, tt.want)
		}
		// the whole flow works at that version
		q := c.newQueue(true)
		expectOK(t, c.cmd(q.sid, nil, smp.SEND{Body: []byte("v")}))
		if string(q.decrypt(t, expectMsg(t, c.event().msg)).Body) != "v" {
			t.Fatal("body")
		}
	}
	if _, err := dialRange(t, ts, encoding.VersionRange{Min: 15, Max: 18}, []string{transport.ALPNSMP}); err == nil {
		t.Fatal("client above the server's range was accepted")
	}
}

// TestExpiry: messages older than the expiration are deleted by the
// expiry pass (injected clock).
func TestExpiry(t *testing.T) {
	ts := startServer(t, "", nil, func(o *Options) { o.MsgExpiration = time.Hour })
	rcv, snd := dial(t, ts), dial(t, ts)
	q := rcv.newQueue(false)
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("old")}))
	ts.clock.Add(2 * time.Hour)
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Body: []byte("new")}))
	ts.srv.ExpireOnce(context.Background())
	m := expectMsg(t, rcv.cmd(q.rid, &q.rcvKey, smp.GET{}))
	if string(q.decrypt(t, m).Body) != "new" {
		t.Fatal("old message not expired")
	}
}

// TestRestartPersistence: queues, keys and messages survive a restart.
func TestRestartPersistence(t *testing.T) {
	dir := t.TempDir()
	id := testIdentity(t)
	ts := startServer(t, dir, &id, nil)
	rcv, snd := dial(t, ts), dial(t, ts)
	q := rcv.newQueue(false)
	expectOK(t, rcv.cmd(q.rid, &q.rcvKey, smp.KEY{SndAuthKey: q.sndKey.Public()}))
	expectOK(t, snd.cmd(q.sid, &q.sndKey, smp.SEND{Body: []byte("persisted")}))
	ts.stop()

	ts2 := startServer(t, dir, &id, nil)
	rcv2, snd2 := dial(t, ts2), dial(t, ts2)
	expectOK(t, rcv2.cmd(q.rid, &q.rcvKey, smp.SUB{}))
	if string(q.decrypt(t, expectMsg(t, rcv2.event().msg)).Body) != "persisted" {
		t.Fatal("message lost")
	}
	expectErr(t, snd2.cmd(q.sid, nil, smp.SEND{Body: []byte("x")}), "AUTH") // still secured
}

// TestConcurrentLoad: many sender/recipient pairs at once (run with -race);
// every message arrives once, in order.
func TestConcurrentLoad(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	const pairs, msgs = 8, 30
	var wg sync.WaitGroup
	for p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rcv, snd := dial(t, ts), dial(t, ts)
			q := rcv.newQueue(true)
			go func() {
				for i := range msgs {
					if _, ok := snd.cmd(q.sid, nil, smp.SEND{Body: fmt.Appendf(nil, "%d-%d", p, i)}).(smp.OK); !ok {
						t.Error("SEND failed")
						return
					}
				}
			}()
			m := expectMsg(t, rcv.event().msg)
			for i := range msgs {
				if got := string(q.decrypt(t, m).Body); got != fmt.Sprintf("%d-%d", p, i) {
					t.Errorf("pair %d: got %q at %d", p, got, i)
					return
				}
				r := rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID})
				if i == msgs-1 {
					break
				}
				if next, ok := r.(smp.MSG); ok {
					m = next
				} else {
					m = expectMsg(t, rcv.event().msg)
				}
			}
		}()
	}
	wg.Wait()
}
