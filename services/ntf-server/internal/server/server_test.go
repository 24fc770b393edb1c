package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

const devToken = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

// TestTokenLifecycle runs TNEW → verification push → CONFIRMED → TVFY →
// ACTIVE → repeated TNEW → TCRN → TRPL → TDEL against the fake APNs
// (CONFORMANCE-NOTES §4.2, [NS processCommand]).
func TestTokenLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	if c.S.Version != ntf.CurrentVersion {
		t.Fatalf("negotiated v%d", c.S.Version)
	}
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	r := must[ntf.Response](t)(d.Register(c))
	id, ok := r.(ntf.IDTKN)
	if !ok || len(id.TokenID) != 24 {
		t.Fatalf("TNEW: %T %v", r, r)
	}
	ps := e.waitPushes(1)
	p := ps[0]
	if p.DeviceToken != devToken || p.PushType != "background" || p.Priority != "5" || p.Topic != testTopic {
		t.Fatalf("verification push %+v", p)
	}
	body, code, err := d.Decrypt(p.Body)
	if err != nil || len(code) != 32 {
		t.Fatalf("decrypt verification: %v (%d bytes)", err, len(code))
	}
	if body.APS["content-available"] != float64(1) {
		t.Fatalf("aps = %v", body.APS)
	}
	eventually(t, "CONFIRMED", func() bool { return tokenStatus(t, c, d).Code == ntf.TokenConfirmed })

	// a wrong code is AUTH and changes nothing
	expectErr(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: make([]byte, 32)})), "AUTH")
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: code})))
	if st := tokenStatus(t, c, d); st.Code != ntf.TokenActive {
		t.Fatalf("after TVFY: %v", st)
	}
	// TVFY again is allowed (the client may have missed the response)
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: code})))

	// the same registration again: same token id, the same code pushed again
	r = must[ntf.Response](t)(d.Register(c))
	if id2, ok := r.(ntf.IDTKN); !ok || !bytes.Equal(id2.TokenID, id.TokenID) || !id2.SrvDHKey.Equal(id.SrvDHKey) {
		t.Fatalf("repeated TNEW: %v", r)
	}
	ps = e.waitPushes(2)
	if _, code2, err := d.Decrypt(ps[1].Body); err != nil || !bytes.Equal(code2, code) {
		t.Fatal("repeated TNEW pushed another code")
	}
	if st := tokenStatus(t, c, d); st.Code != ntf.TokenActive {
		t.Fatalf("repeated TNEW changed the status: %v", st)
	}
	// same verify key, another DH key: AUTH
	d2 := *d
	d2.DHKey = must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.X25519, rand.Reader))
	expectErr(t, must[ntf.Response](t)(d2.Register(c)), "AUTH")

	// TCRN: 1..19 QUOTA, 0 and ≥ 20 OK
	expectErr(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 19})), "QUOTA")
	expectErr(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 1})), "QUOTA")
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 0})))
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 20})))

	// TRPL: new device token, REGISTERED, a new code pushed to it
	const newTok = "0a0b0c0d"
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TRPL{Provider: ntf.ProviderAPNSDev, Token: []byte(newTok)})))
	ps = e.waitPushes(3)
	if ps[2].DeviceToken != newTok {
		t.Fatalf("TRPL pushed to %s", ps[2].DeviceToken)
	}
	_, code3, err := d.Decrypt(ps[2].Body)
	if err != nil || bytes.Equal(code3, code) {
		t.Fatalf("TRPL code: %v", err)
	}
	eventually(t, "CONFIRMED after TRPL", func() bool { return tokenStatus(t, c, d).Code == ntf.TokenConfirmed })
	expectErr(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: code})), "AUTH")
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: code3})))

	// TDEL removes the token; its id is then unknown (AUTH)
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TDEL{})))
	expectErr(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCHK{})), "AUTH")
}

// TestNullProvider: apns_null tokens are confirmed without a push.
func TestNullProvider(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSNull, "test_ntf_token"))
	if _, ok := must[ntf.Response](t)(d.Register(c)).(ntf.IDTKN); !ok {
		t.Fatal("TNEW")
	}
	if st := tokenStatus(t, c, d); st.Code != ntf.TokenConfirmed {
		t.Fatalf("status %v", st)
	}
	if n := len(e.fake.Pushes()); n != 0 {
		t.Fatalf("%d pushes for a null token", n)
	}
}

// TestReRegistrationReplacesOthers: a TNEW for the same device with another
// verify key makes a second token; verifying it deletes the first with its
// subscriptions [NST setTokenActive].
func TestReRegistrationReplacesOthers(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d1 := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d1, 0)
	nkey := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	if _, ok := must[ntf.Response](t)(d1.Subscribe(c, testSMP(t), []byte("notifier-0000000000000000"), nkey)).(ntf.IDSUB); !ok {
		t.Fatal("SNEW")
	}
	d2 := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	e.activate(c, d2, n)
	expectErr(t, must[ntf.Response](t)(d1.Cmd(c, ntf.TCHK{})), "AUTH")
	if len(e.sub.unsub) != 1 {
		t.Fatalf("unsubscribed %d", len(e.sub.unsub))
	}
}

// TestTokenInvalidation: APNs 410 Unregistered and 400 BadDeviceToken make
// the token INVALID with the reason (v3 wire form); a repeated TNEW resets
// it to REGISTERED [APNS result, NS TNEW].
func TestTokenInvalidation(t *testing.T) {
	for _, tc := range []struct {
		r    apnsfake.Response
		want string
	}{
		{apnsfake.Response{Status: 410, Reason: "Unregistered"}, "INVALID,UNREGISTERED"},
		{apnsfake.Response{Status: 410, Reason: "ExpiredToken"}, "INVALID,EXPIRED"},
		{apnsfake.Response{Status: 400, Reason: "BadDeviceToken"}, "INVALID,BAD"},
		{apnsfake.Response{Status: 400, Reason: "DeviceTokenNotForTopic"}, "INVALID,TOPIC"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			e := newEnv(t)
			c := e.dial()
			d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
			e.fake.ScriptOnce(devToken, tc.r)
			must[ntf.Response](t)(d.Register(c))
			eventually(t, tc.want, func() bool { return tokenStatus(t, c, d).String() == tc.want })
			// the server goes on: TNEW again → REGISTERED, then CONFIRMED
			must[ntf.Response](t)(d.Register(c))
			eventually(t, "CONFIRMED", func() bool { return tokenStatus(t, c, d).Code == ntf.TokenConfirmed })
		})
	}
}

// TestInvalidOnMessagePush: a 410 on a message push invalidates an ACTIVE
// token; subscription commands stay allowed (INVALID allows them).
func TestInvalidOnMessagePush(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d, 0)
	srv := testSMP(t)
	nid := []byte("notifier-1111111111111111")
	nkey := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	subID := must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey)).(ntf.IDSUB).SubID
	e.fake.Script(devToken, apnsfake.Response{Status: 410, Reason: "Unregistered"})
	e.srv.HandleNMSG(srv, nid, [24]byte{1}, make([]byte, 144))
	e.waitPushes(n + 1)
	eventually(t, "INVALID", func() bool { return tokenStatus(t, c, d).Code == ntf.TokenInvalid })
	if r := must[ntf.Response](t)(d.SubCmd(c, subID, ntf.SCHK{})); r.(ntf.SUB).Status.Code != ntf.SubNew {
		t.Fatalf("SCHK %v", r)
	}
	// an INVALID token gets no more message pushes
	e.srv.HandleNMSG(srv, nid, [24]byte{2}, make([]byte, 144))
	time.Sleep(50 * time.Millisecond)
	if len(e.fake.Pushes()) != n+1 {
		t.Fatal("pushed to an invalid token")
	}
}

// TestRetryLater: 429 and 500 are retried; the push arrives.
func TestRetryLater(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	e.fake.ScriptOnce(devToken, apnsfake.Response{Status: 429, Reason: "TooManyRequests"}, apnsfake.Response{Status: 500, Reason: "InternalServerError"})
	must[ntf.Response](t)(d.Register(c))
	ps := e.waitPushes(3)
	if ps[0].Status != 429 || ps[1].Status != 500 || ps[2].Status != 200 {
		t.Fatalf("statuses %d %d %d", ps[0].Status, ps[1].Status, ps[2].Status)
	}
	eventually(t, "CONFIRMED", func() bool { return tokenStatus(t, c, d).Code == ntf.TokenConfirmed })
}

func testSMP(t *testing.T) address.ServerAddress {
	a, err := address.ParseServer("smp://"+address.B64(bytes.Repeat([]byte{7}, 32))+"@smp1.example.com,smp2.example.com:5223", address.SchemeSMP)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSubscriptions: SNEW / SCHK / SDEL, repeated SNEW, foreign keys and
// tokens, and token status rules (CONFORMANCE-NOTES §4.2).
func TestSubscriptions(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	must[ntf.Response](t)(d.Register(c))
	srv, nid := testSMP(t), []byte("notifier-2222222222222222")
	nkey := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	// REGISTERED/CONFIRMED tokens cannot subscribe
	expectErr(t, must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey)), "AUTH")
	ps := e.waitPushes(1)
	_, code, _ := d.Decrypt(ps[0].Body)
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TVFY{Code: code})))

	r := must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey))
	sid, ok := r.(ntf.IDSUB)
	if !ok || len(sid.SubID) != 24 {
		t.Fatalf("SNEW: %v", r)
	}
	if len(e.sub.subs) != 1 || !bytes.Equal(e.sub.subs[0].NotifierID, nid) {
		t.Fatal("not handed to the subscriber")
	}
	// same queue, same key: same id; another key: AUTH
	if r := must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey)); !bytes.Equal(r.(ntf.IDSUB).SubID, sid.SubID) {
		t.Fatal("repeated SNEW gave another id")
	}
	other := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	expectErr(t, must[ntf.Response](t)(d.Subscribe(c, srv, nid, other)), "AUTH")
	// another token cannot take the queue
	d2 := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, "abcd"))
	e.activate(c, d2, 1)
	expectErr(t, must[ntf.Response](t)(d2.Subscribe(c, srv, nid, nkey)), "AUTH")
	// nor check it
	expectErr(t, must[ntf.Response](t)(d2.SubCmd(c, sid.SubID, ntf.SCHK{})), "AUTH")

	r = must[ntf.Response](t)(d.SubCmd(c, sid.SubID, ntf.SCHK{}))
	if s, ok := r.(ntf.SUB); !ok || s.Status.Code != ntf.SubNew {
		t.Fatalf("SCHK: %v", r)
	}
	// the status the subscriber records is reported
	if _, err := e.st.SetSubStatus(srv, [][]byte{nid}, ntf.SubStatus{Code: ntf.SubErr, Err: []byte("SMP error QUOTA")}); err != nil {
		t.Fatal(err)
	}
	if r := must[ntf.Response](t)(d.SubCmd(c, sid.SubID, ntf.SCHK{})); r.(ntf.SUB).Status.String() != "ERR SMP error QUOTA" {
		t.Fatalf("SCHK: %v", r)
	}
	expectOK(t, must[ntf.Response](t)(d.SubCmd(c, sid.SubID, ntf.SDEL{})))
	expectErr(t, must[ntf.Response](t)(d.SubCmd(c, sid.SubID, ntf.SCHK{})), "AUTH")
	// TDEL deletes the token's subscriptions
	sid2 := must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey)).(ntf.IDSUB)
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TDEL{})))
	if _, err := e.st.GetSubscription(sid2.SubID); err == nil {
		t.Fatal("subscription survived TDEL")
	}
	if len(e.sub.unsub) != 2 {
		t.Fatalf("unsubscribed %d", len(e.sub.unsub))
	}
}

// TestMessagePush: NMSG for a subscription pushes the token's last
// notifications (newest per subscription, at most 6, oldest first) as an
// alert with mutable-content; the list decrypts and parses as the app does
// [NS receiveSMP, NST addTokenLastNtf, NP PNMessageData].
func TestMessagePush(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d, 0)
	srv := testSMP(t)
	var nids [][]byte
	for i := range 7 {
		nid := bytes.Repeat([]byte{byte('a' + i)}, 24)
		nids = append(nids, nid)
		nkey := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
		must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey))
	}
	for i, nid := range nids {
		e.clk.advance(time.Second)
		meta := bytes.Repeat([]byte{byte(i)}, 144)
		e.srv.HandleNMSG(srv, nid, [24]byte{byte(i)}, meta)
		ps := e.waitPushes(n + i + 1)
		p := ps[n+i]
		if p.PushType != "alert" || p.Priority != "" {
			t.Fatalf("message push %+v", p)
		}
		body, plain, err := d.Decrypt(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		if body.APS["mutable-content"] != float64(1) || body.APS["alert"] != ntf.MessageAlert || body.APS["category"] != ntf.MessageCategory {
			t.Fatalf("aps %v", body.APS)
		}
		list, err := ntf.ParsePNMessages(string(plain))
		if err != nil {
			t.Fatalf("parse %q: %v", plain, err)
		}
		if want := min(i+1, 6); len(list) != want {
			t.Fatalf("after %d NMSG: %d entries", i+1, len(list))
		}
		last := list[len(list)-1]
		if !bytes.Equal(last.Queue.NotifierID, nid) || !last.Queue.Server.SameServer(srv) ||
			last.Nonce != [24]byte{byte(i)} || !bytes.Equal(last.EncMeta, meta) || last.Timestamp != e.clk.now().Unix() {
			t.Fatalf("newest entry %+v", last)
		}
		if len(p.Body) > apnsfake.MaxPayload {
			t.Fatalf("payload %d bytes", len(p.Body))
		}
	}
	// NMSG for an unknown queue is ignored
	e.srv.HandleNMSG(srv, []byte("unknown"), [24]byte{}, nil)
	var raw map[string]any
	json.Unmarshal(e.fake.Pushes()[n].Body, &raw)
	if _, ok := raw["notificationData"]; !ok {
		t.Fatal("no notificationData")
	}
}

// TestPayloadSize: the largest message push (6 entries with long onion
// host lists) stays within Apple's 4096 bytes (CONFORMANCE-NOTES §4.3).
func TestPayloadSize(t *testing.T) {
	host := strings.Repeat("x", 56) + ".onion"
	srv, err := address.ParseServer("smp://"+address.B64(make([]byte, 32))+"@smp.example.com,"+host+":65535", address.SchemeSMP)
	if err != nil {
		t.Fatal(err)
	}
	var list []ntf.PNMessageData
	for range 6 {
		list = append(list, ntf.PNMessageData{Queue: ntf.QueueNtf{Server: srv, NotifierID: make([]byte, 24)},
			Timestamp: 1 << 40, EncMeta: make([]byte, 144)})
	}
	data := fitMessages(ntf.AppendPNMessages(nil, list), DefaultPaddedLen)
	box, err := crypto.BoxPadded(make([]byte, 32), [24]byte{}, data, DefaultPaddedLen)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ntf.MessagePayload([24]byte{}, box)); n > apnsfake.MaxPayload {
		t.Fatalf("message push %d bytes", n)
	}
	if n := len(ntf.VerificationPayload([24]byte{}, box)); n > apnsfake.MaxPayload {
		t.Fatalf("verification push %d bytes", n)
	}
}

// TestPeriodic: with an injected clock, TCRN 20 schedules the first
// checkMessages push 20 minutes later and the next 20 minutes after it was
// delivered; TCRN 0 stops them; only ACTIVE tokens get them.
func TestPeriodic(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d, 0)
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 20})))
	once := func() int {
		k, err := e.srv.PeriodicOnce()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if once() != 0 {
		t.Fatal("periodic push before the interval")
	}
	e.clk.advance(19 * time.Minute)
	if once() != 0 {
		t.Fatal("periodic push at 19 minutes")
	}
	e.clk.advance(time.Minute)
	if once() != 1 {
		t.Fatal("no periodic push at 20 minutes")
	}
	ps := e.waitPushes(n + 1)
	p := ps[n]
	if p.PushType != "background" || p.Priority != "5" || !bytes.Equal(p.Body, ntf.CheckMessagesPayload()) {
		t.Fatalf("periodic push %+v %s", p, p.Body)
	}
	eventually(t, "cron recorded", func() bool {
		tk, _ := e.st.GetToken(d.TokenID)
		e.srv.cronMu.Lock()
		inFlight := e.srv.cronInFlight[string(d.TokenID)]
		e.srv.cronMu.Unlock()
		// the push's callback records the time, then clears in-flight
		return tk.CronSentAt == e.clk.now().Unix() && !inFlight
	})
	if once() != 0 {
		t.Fatal("pushed twice in one interval")
	}
	e.clk.advance(20 * time.Minute)
	if once() != 1 {
		t.Fatal("no second periodic push")
	}
	e.waitPushes(n + 2)
	eventually(t, "cron recorded", func() bool {
		tk, _ := e.st.GetToken(d.TokenID)
		e.srv.cronMu.Lock()
		inFlight := e.srv.cronInFlight[string(d.TokenID)]
		e.srv.cronMu.Unlock()
		// the push's callback records the time, then clears in-flight
		return tk.CronSentAt == e.clk.now().Unix() && !inFlight
	})
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 0})))
	e.clk.advance(time.Hour)
	if once() != 0 {
		t.Fatal("periodic push after TCRN 0")
	}
	// RunPeriodic drives PeriodicOnce on a ticker
	expectOK(t, must[ntf.Response](t)(d.Cmd(c, ntf.TCRN{Minutes: 20})))
	e.clk.advance(21 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.srv.RunPeriodic(ctx, 5*time.Millisecond)
	e.waitPushes(n + 3)
}

// TestStoreSurvivesRestart: a new Server on the same store keeps tokens
// and subscriptions (resubscription itself is tested with a real relay).
func TestStoreSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	e.activate(c, d, 0)
	srv2, err := New(Options{Identity: e.srv.opts.Identity, Store: e.st, Pushes: e.disp})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := srv2.Store().GetToken(d.TokenID)
	if err != nil || tk.Status.Code != ntf.TokenActive {
		t.Fatalf("%v %v", tk.Status, err)
	}
	var _ store.Store = srv2.Store()
}

// TestDuplicateNMSG: the same notification arriving twice (NSUB and NATS)
// is pushed once.
func TestDuplicateNMSG(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d, 0)
	srv, nid := testSMP(t), []byte("notifier-3333333333333333")
	nkey := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey))
	e.srv.HandleNMSG(srv, nid, [24]byte{9}, make([]byte, 144))
	e.srv.HandleNMSG(srv, nid, [24]byte{9}, make([]byte, 144))
	e.srv.HandleNMSG(srv, nid, [24]byte{10}, make([]byte, 144))
	e.waitPushes(n + 2)
	time.Sleep(50 * time.Millisecond)
	if got := len(e.fake.Pushes()); got != n+2 {
		t.Fatalf("%d message pushes, want 2", got-n)
	}
	r := newRecent(2)
	if r.dup("a") || r.dup("b") || !r.dup("a") || r.dup("c") || r.dup("a") {
		t.Fatal("recent set")
	}
}

// TestNMSGBurst: more notifications than one recording batch, queued
// faster than they are written, each give a push; the newest push
// carries the newest notifications; Shutdown returns with the writer done.
func TestNMSGBurst(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d, 0)
	srv, nid := testSMP(t), []byte("notifier-4444444444444444")
	nkey := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	must[ntf.Response](t)(d.Subscribe(c, srv, nid, nkey))
	const burst = nmsgBatch + 44
	for i := range burst {
		e.srv.HandleNMSG(srv, nid, [24]byte{byte(i), byte(i >> 8)}, make([]byte, 144))
	}
	e.waitPushes(n + burst)
	time.Sleep(50 * time.Millisecond)
	if got := len(e.fake.Pushes()); got != n+burst {
		t.Fatalf("%d message pushes, want %d", got-n, burst)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-e.srv.nmsgDone:
	default:
		t.Fatal("NMSG writer still running after Shutdown")
	}
	// after shutdown a notification is dropped, not blocked on
	e.srv.HandleNMSG(srv, nid, [24]byte{0xff, 0xff}, make([]byte, 144))
}

// TestFitMessages: the oldest entries go first, the newest stays even
// when it alone is too long.
func TestFitMessages(t *testing.T) {
	srv, err := address.ParseServer("smp://"+address.B64(make([]byte, 32))+"@smp.example.com", address.SchemeSMP)
	if err != nil {
		t.Fatal(err)
	}
	var list []ntf.PNMessageData
	for i := range 4 {
		list = append(list, ntf.PNMessageData{Queue: ntf.QueueNtf{Server: srv, NotifierID: []byte{byte(i)}}, Timestamp: int64(i), EncMeta: make([]byte, 100)})
	}
	one := len(list[0].String())
	for _, c := range []struct{ paddedLen, keep int }{
		{10000, 4}, {4*one + 3 + 2, 4}, {4*one + 3 + 1, 3}, {2*one + 1 + 2, 2}, {one + 2, 1}, {10, 1},
	} {
		got := string(fitMessages(ntf.AppendPNMessages(nil, list), c.paddedLen))
		if want := ntf.EncodePNMessages(list[4-c.keep:]); got != want {
			t.Errorf("padded length %d: %q, want the newest %d entries", c.paddedLen, got, c.keep)
		}
	}
}

// HandleNMSG handles one notification, as the subscriber hands over a
// group of one.
func (s *Server) HandleNMSG(srv address.ServerAddress, notifierID []byte, nonce [24]byte, encMeta []byte) {
	s.HandleNMSGs([]ntf.PNMessageData{{Queue: ntf.QueueNtf{Server: srv, NotifierID: notifierID}, Nonce: nonce, EncMeta: encMeta}})
}
