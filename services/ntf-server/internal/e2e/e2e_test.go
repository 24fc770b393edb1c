package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/ntf-server/internal/apns"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/server"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
	"github.com/simplexgo/services/ntf-server/internal/subscriber"
)

const (
	testKeyFile = "../apns/testdata/AuthKey_H82WD9K9AQ.p8"
	testKeyID   = "H82WD9K9AQ"
	testTeam    = "5NN7GUYB6T"
	testTopic   = "chat.simplex.app"
	devToken    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// ntfStack is an in-process NTF server (store, fake APNs, dispatcher,
// protocol server, SMP subscriber) that can be restarted on its store.
type ntfStack struct {
	t       *testing.T
	dbPath  string
	ident   server.Identity
	fake    *apnsfake.Server
	pusher  push.Pusher
	addr    string
	srv     *server.Server
	sub     *subscriber.Subscriber
	disp    *push.Dispatcher
	st      *bolt.Store
	cancel  context.CancelFunc
	keyHash []byte
	ln      net.Listener
	m       *metrics.Metrics
}

func newStack(t *testing.T) *ntfStack {
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
	p, err := apns.New(apns.Config{Key: key, KeyID: testKeyID, TeamID: testTeam, Topic: testTopic, RootCAs: fake.CertPool(),
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSTest: fake.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := certs.NewEphemeralIdentity(crypto.Ed448, "ntf CA", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &ntfStack{t: t, dbPath: filepath.Join(t.TempDir(), "ntf.db"), fake: fake, pusher: p, keyHash: id.Fingerprint,
		ident: server.Identity{Certificate: id.TLS, SignKey: id.LeafKey, KeyHash: id.Fingerprint}}
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = s.ln.Addr().String()
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start opens the store and starts everything; the subscriber resubscribes
// what the store holds.
func (s *ntfStack) start() {
	t := s.t
	t.Helper()
	var err error
	if s.ln == nil {
		if s.ln, err = net.Listen("tcp", s.addr); err != nil {
			t.Fatal(err)
		}
	}
	if s.st, err = bolt.Open(s.dbPath); err != nil {
		t.Fatal(err)
	}
	s.disp = push.NewDispatcher(s.pusher, push.DispatcherOptions{Workers: 4, Backoff: 10 * time.Millisecond})
	s.m = metrics.New()
	if s.srv, err = server.New(server.Options{Identity: s.ident, Store: s.st, Pushes: s.disp, Metrics: s.m}); err != nil {
		t.Fatal(err)
	}
	s.sub = subscriber.New(subscriber.Options{Store: s.st, OnNMSG: s.srv.HandleNMSGs, Metrics: s.m, MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Timeout: 5 * time.Second})
	s.srv.SetSubscriber(s.sub)
	if _, err := s.sub.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	ln := s.ln
	go s.srv.Serve(ctx, ln)
}

func (s *ntfStack) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.sub.Close()
	s.srv.Shutdown(context.Background())
	s.disp.Close(context.Background())
	s.st.Close()
	s.cancel, s.ln = nil, nil
}

func (s *ntfStack) dial() *ntftest.Client {
	s.t.Helper()
	c, err := ntftest.Dial(ctxT(s.t), s.addr, s.keyHash, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *ntfStack) waitPushes(n int) []apnsfake.Push {
	s.t.Helper()
	ps, err := s.fake.Wait(ctxT(s.t), n)
	if err != nil {
		s.t.Fatal(err)
	}
	return ps
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func send(t *testing.T, c *ntftest.Client, key *crypto.PrivateKey, entity []byte, cmd ntf.Command) ntf.Response {
	t.Helper()
	r, err := c.Send(key, entity, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// smpQueue is the app's side of one queue on the relay.
type smpQueue struct {
	rcv, snd  *smpclient.Client
	rcvKey    crypto.PrivateKey
	rid, sid  []byte
	nKey, nDH crypto.PrivateKey
	nid       smp.NID
	ntfSecret []byte
}

func dialRelay(t *testing.T, r *relay) *smpclient.Client {
	t.Helper()
	c, err := smpclient.DialServer(ctxT(t), r.addr, smpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newQueue creates a subscribed queue and its notifier (NKEY).
func newQueue(t *testing.T, r *relay) *smpQueue {
	t.Helper()
	q := &smpQueue{rcv: dialRelay(t, r), snd: dialRelay(t, r)}
	q.rcvKey, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	dh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	m, err := q.rcv.Send(ctxT(t), nil, &q.rcvKey, smp.NEW{RcvAuthKey: q.rcvKey.Public(), RcvDHKey: dh.Public(), Subscribe: true,
		QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}})
	if err != nil {
		t.Fatalf("NEW: %v", err)
	}
	ids := m.(smp.IDS)
	q.rid, q.sid = ids.RcvID, ids.SndID
	q.nKey, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	q.nDH, _ = crypto.GenerateKey(crypto.X25519, rand.Reader)
	m, err = q.rcv.Send(ctxT(t), q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: q.nKey.Public(), RcvNtfDHKey: q.nDH.Public()})
	if err != nil {
		t.Fatalf("NKEY: %v", err)
	}
	q.nid = m.(smp.NID)
	if q.ntfSecret, err = crypto.DH(q.nDH, q.nid.SrvNtfDHKey); err != nil {
		t.Fatal(err)
	}
	return q
}

// sendNtf sends a message with the notification flag and returns the id
// of the MSG the recipient gets.
func (q *smpQueue) sendNtf(t *testing.T, body string) []byte {
	t.Helper()
	if _, err := q.snd.Send(ctxT(t), q.sid, nil, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: []byte(body)}); err != nil {
		t.Fatalf("SEND: %v", err)
	}
	for {
		select {
		case ev := <-q.rcv.Events():
			if m, ok := ev.Msg.(smp.MSG); ok {
				if _, err := q.rcv.Send(ctxT(t), q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}); err != nil {
					t.Fatalf("ACK: %v", err)
				}
				return m.MsgID
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no MSG at the recipient")
		}
	}
}

// checkPush decrypts a message push as the app does: the list's newest
// entry names this queue (server address as given in SNEW, notifier id),
// and its metadata decrypts with the notifier DH secret to msgID.
func checkPush(t *testing.T, d *ntftest.Device, q *smpQueue, relayAddr string, p apnsfake.Push, msgID []byte) {
	t.Helper()
	if p.PushType != "alert" || p.DeviceToken != devToken {
		t.Fatalf("push %+v", p)
	}
	_, plain, err := d.Decrypt(p.Body)
	if err != nil {
		t.Fatal(err)
	}
	list, err := ntf.ParsePNMessages(string(plain))
	if err != nil {
		t.Fatalf("%q: %v", plain, err)
	}
	last := list[len(list)-1]
	if last.Queue.Server.String() != relayAddr || !bytes.Equal(last.Queue.NotifierID, q.nid.NotifierID) {
		t.Fatalf("push for %s, want %s/%x", last.Queue.String(), relayAddr, q.nid.NotifierID)
	}
	meta, err := crypto.OpenBoxPadded(q.ntfSecret, last.Nonce, last.EncMeta)
	if err != nil {
		t.Fatalf("meta: %v", err)
	}
	nm, err := smp.ParseNotificationMeta(meta)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(nm.MsgID, msgID) {
		t.Fatalf("notification for message %x, want %x", nm.MsgID, msgID)
	}
	if d := time.Since(nm.Timestamp); d < 0 || d > time.Minute {
		t.Fatalf("message timestamp %v", nm.Timestamp)
	}
}

// TestRelaySubscription: a subscription to a queue on a real smp-relay;
// a SEND with the notification flag produces a push whose payload the app
// decrypts to the right queue and message; the subscription survives a
// relay restart and an NTF server restart (resubscription); END and DELD
// give their statuses.
func TestRelaySubscription(t *testing.T) {
	r := startRelay(t)
	s := newStack(t)
	c := s.dial()
	d, err := ntftest.NewDevice(ntf.ProviderAPNSTest, devToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(c); err != nil {
		t.Fatal(err)
	}
	_, code, err := d.Decrypt(s.waitPushes(1)[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := send(t, c, &d.VerifyKey, d.TokenID, ntf.TVFY{Code: code}).(ntf.OK); !ok {
		t.Fatal("TVFY")
	}
	q := newQueue(t, r)
	relayAddr := r.addr.String()
	r1 := send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: q.nid.NotifierID, NotifierKey: q.nKey})
	sub, ok := r1.(ntf.IDSUB)
	if !ok {
		t.Fatalf("SNEW: %v", r1)
	}
	subStatus := func() ntf.SubStatus {
		r := send(t, c, &d.VerifyKey, sub.SubID, ntf.SCHK{})
		st, ok := r.(ntf.SUB)
		if !ok {
			t.Fatalf("SCHK: %v", r)
		}
		return st.Status
	}
	eventually(t, "ACTIVE", func() bool { return subStatus().Code == ntf.SubActive })

	pushes := 1
	msgID := q.sendNtf(t, "hello")
	pushes++
	checkPush(t, d, q, relayAddr, s.waitPushes(pushes)[pushes-1], msgID)

	outer := t
	t.Run("relay restart", func(t *testing.T) {
		r.stop()
		eventually(t, "INACTIVE", func() bool { return subStatus().Code == ntf.SubInactive })
		r.start()
		eventually(t, "ACTIVE again", func() bool { return subStatus().Code == ntf.SubActive })
		q.rcv, q.snd = dialRelay(outer, r), dialRelay(outer, r)
		if _, err := q.rcv.Send(ctxT(t), q.rid, &q.rcvKey, smp.SUB{}); err != nil {
			t.Fatalf("SUB: %v", err)
		}
		msgID := q.sendNtf(t, "after relay restart")
		pushes++
		checkPush(t, d, q, relayAddr, s.waitPushes(pushes)[pushes-1], msgID)
	})

	t.Run("ntf restart", func(t *testing.T) {
		s.stop()
		s.start()
		c = s.dial()
		eventually(t, "resubscribed", func() bool { return subStatus().Code == ntf.SubActive })
		msgID := q.sendNtf(t, "after ntf restart")
		pushes++
		checkPush(t, d, q, relayAddr, s.waitPushes(pushes)[pushes-1], msgID)
	})

	t.Run("END", func(t *testing.T) {
		other := dialRelay(t, r)
		if _, err := other.Send(ctxT(t), q.nid.NotifierID, &q.nKey, smp.NSUB{}); err != nil {
			t.Fatalf("NSUB: %v", err)
		}
		eventually(t, "END", func() bool { return subStatus().Code == ntf.SubEnd })
		other.Close()
	})

	t.Run("DELD", func(t *testing.T) {
		q2 := newQueue(t, r)
		r2 := send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: q2.nid.NotifierID, NotifierKey: q2.nKey})
		sub2 := r2.(ntf.IDSUB)
		st := func() ntf.SubStatus { return send(t, c, &d.VerifyKey, sub2.SubID, ntf.SCHK{}).(ntf.SUB).Status }
		eventually(t, "ACTIVE", func() bool { return st().Code == ntf.SubActive })
		if _, err := q2.rcv.Send(ctxT(t), q2.rid, &q2.rcvKey, smp.NDEL{}); err != nil {
			t.Fatalf("NDEL: %v", err)
		}
		eventually(t, "DELETED", func() bool { return st().Code == ntf.SubDeleted })
	})

	t.Run("AUTH", func(t *testing.T) {
		// a notifier id the relay does not know: NSUB answers AUTH
		k, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		r3 := send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: bytes.Repeat([]byte{9}, 24), NotifierKey: k})
		sub3 := r3.(ntf.IDSUB)
		eventually(t, "AUTH", func() bool {
			return send(t, c, &d.VerifyKey, sub3.SubID, ntf.SCHK{}).(ntf.SUB).Status.Code == ntf.SubAuth
		})
	})
}

// TestManySubscriptionsOneConnection: the subscriptions of many queues on
// one relay share one SMP connection; their NSUBs travel batched; after a
// restart of the NTF server all are subscribed again over one connection.
func TestManySubscriptionsOneConnection(t *testing.T) {
	r := startRelay(t)
	s := newStack(t)
	c := s.dial()
	d, _ := ntftest.NewDevice(ntf.ProviderAPNSTest, devToken)
	if _, err := d.Register(c); err != nil {
		t.Fatal(err)
	}
	_, code, _ := d.Decrypt(s.waitPushes(1)[0].Body)
	send(t, c, &d.VerifyKey, d.TokenID, ntf.TVFY{Code: code})
	rcv := dialRelay(t, r)
	const n = 40
	var subIDs [][]byte
	for range n {
		rk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		dh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
		m, err := rcv.Send(ctxT(t), nil, &rk, smp.NEW{RcvAuthKey: rk.Public(), RcvDHKey: dh.Public(), QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}})
		if err != nil {
			t.Fatal(err)
		}
		nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		ndh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
		m, err = rcv.Send(ctxT(t), m.(smp.IDS).RcvID, &rk, smp.NKEY{NtfAuthKey: nk.Public(), RcvNtfDHKey: ndh.Public()})
		if err != nil {
			t.Fatal(err)
		}
		r := send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: m.(smp.NID).NotifierID, NotifierKey: nk})
		subIDs = append(subIDs, r.(ntf.IDSUB).SubID)
	}
	allActive := func() bool {
		for _, id := range subIDs {
			if send(t, c, &d.VerifyKey, id, ntf.SCHK{}).(ntf.SUB).Status.Code != ntf.SubActive {
				return false
			}
		}
		return true
	}
	eventually(t, "all ACTIVE", allActive)
	if got := metrics.ByLabel(s.m.SMPConnects, "outcome")["ok"]; got != 1 {
		t.Fatalf("%v SMP connections for one relay", got)
	}
	s.stop()
	s.start()
	c = s.dial()
	eventually(t, "all resubscribed", func() bool { return metrics.ByLabel(s.m.SMPSubscribed, "outcome")["ok"] == n })
	eventually(t, "all ACTIVE after restart", allActive)
	if got := metrics.ByLabel(s.m.SMPConnects, "outcome")["ok"]; got != 1 {
		t.Fatalf("%v SMP connections after restart", got)
	}
	if got := metrics.ByLabel(s.m.SMPSubscribed, "outcome")["ok"]; got != n {
		t.Fatalf("%v NSUB OK after restart, want %d", got, n)
	}
}

// TestLastSubscriptionClosesConnection: deleting the only subscription of
// a relay closes its SMP connection; a new one opens it again.
func TestLastSubscriptionClosesConnection(t *testing.T) {
	r := startRelay(t)
	s := newStack(t)
	c := s.dial()
	d, _ := ntftest.NewDevice(ntf.ProviderAPNSTest, devToken)
	if _, err := d.Register(c); err != nil {
		t.Fatal(err)
	}
	_, code, _ := d.Decrypt(s.waitPushes(1)[0].Body)
	send(t, c, &d.VerifyKey, d.TokenID, ntf.TVFY{Code: code})
	q := newQueue(t, r)
	sub := send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: q.nid.NotifierID, NotifierKey: q.nKey}).(ntf.IDSUB)
	eventually(t, "connected", func() bool { return s.sub.Connected(r.addr) })
	eventually(t, "ACTIVE", func() bool {
		return send(t, c, &d.VerifyKey, sub.SubID, ntf.SCHK{}).(ntf.SUB).Status.Code == ntf.SubActive
	})
	send(t, c, &d.VerifyKey, sub.SubID, ntf.SDEL{})
	eventually(t, "closed", func() bool { return metrics.Value(s.m.SMPConnections) == 0 })
	sub = send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: q.nid.NotifierID, NotifierKey: q.nKey}).(ntf.IDSUB)
	eventually(t, "ACTIVE again", func() bool {
		return send(t, c, &d.VerifyKey, sub.SubID, ntf.SCHK{}).(ntf.SUB).Status.Code == ntf.SubActive
	})
	msgID := q.sendNtf(t, "again")
	checkPush(t, d, q, r.addr.String(), s.waitPushes(2)[1], msgID)
}
