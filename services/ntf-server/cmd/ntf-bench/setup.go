package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

// pair is one device token with one subscription to one queue: the
// recipient (subscribed, ACKs every MSG), the sender (SKEY-secured
// SENDs with the notification flag) and the app's side of the token.
type pair struct {
	dev       *ntftest.Device
	subID     []byte
	rcv, snd  *smpclient.Client
	rk, sk    crypto.PrivateKey
	rid, sid  []byte
	nk        crypto.PrivateKey
	nid       []byte
	ntfSecret []byte        // decrypts the NMSG metadata in the push
	window    chan struct{} // messages sent whose push has not arrived

	// Matching a push to its SEND: the queue is FIFO, so the k-th MSG the
	// recipient gets is the k-th SEND; the recipient pairs its msgId with
	// the SEND time, and the push (whose encrypted metadata names the
	// msgId) finds it, or leaves its arrival time if it came first.
	mu    sync.Mutex
	sent  []time.Time          // SEND times not yet matched to a MSG
	byID  map[string]time.Time // msgId → SEND time, push not yet seen
	early map[string]time.Time // msgId → push arrival, MSG not yet seen
}

// tokenHex is device token i: 32 bytes as lower-case hex.
func tokenHex(i int) string { return fmt.Sprintf("%064x", i+1) }

// registerToken runs TNEW, reads the verification push from the fake and
// sends TVFY, leaving the token ACTIVE. verif receives the pushes for this
// device token.
func registerToken(c *ntftest.Client, i int, verif <-chan []byte) (*ntftest.Device, error) {
	d, err := ntftest.NewDevice(ntf.ProviderAPNSTest, tokenHex(i))
	if err != nil {
		return nil, err
	}
	r, err := d.Register(c)
	if err != nil {
		return nil, fmt.Errorf("TNEW: %w", err)
	}
	if _, ok := r.(ntf.IDTKN); !ok {
		return nil, fmt.Errorf("TNEW: %v", r)
	}
	var body []byte
	select {
	case body = <-verif:
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("no verification push for token %d", i)
	}
	_, code, err := d.Decrypt(body)
	if err != nil {
		return nil, fmt.Errorf("verification push: %w", err)
	}
	if r, err = d.Cmd(c, ntf.TVFY{Code: code}); err != nil {
		return nil, fmt.Errorf("TVFY: %w", err)
	}
	if _, ok := r.(ntf.OK); !ok {
		return nil, fmt.Errorf("TVFY: %v", r)
	}
	return d, nil
}

// newPair creates a queue on the relay (recipient subscribed, queue
// secured by the sender, notifier key set) and subscribes token d to it.
func newPair(ctx context.Context, r *relay, c *ntftest.Client, d *ntftest.Device, window int) (*pair, error) {
	p := &pair{dev: d, window: make(chan struct{}, window), byID: map[string]time.Time{}, early: map[string]time.Time{}}
	var err error
	if p.rcv, err = r.dial(ctx, smpclient.Options{EventBuffer: 256}); err != nil {
		return nil, err
	}
	if p.snd, err = r.dial(ctx, smpclient.Options{}); err != nil {
		return nil, err
	}
	p.rk, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	dh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	m, err := p.rcv.Send(ctx, nil, &p.rk, smp.NEW{RcvAuthKey: p.rk.Public(), RcvDHKey: dh.Public(), Subscribe: true,
		QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}})
	if err != nil {
		return nil, fmt.Errorf("NEW: %w", err)
	}
	ids := m.(smp.IDS)
	p.rid, p.sid = ids.RcvID, ids.SndID
	p.sk, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	if _, err := p.snd.Send(ctx, p.sid, &p.sk, smp.SKEY{SndAuthKey: p.sk.Public()}); err != nil {
		return nil, fmt.Errorf("SKEY: %w", err)
	}
	p.nk, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	ndh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if m, err = p.rcv.Send(ctx, p.rid, &p.rk, smp.NKEY{NtfAuthKey: p.nk.Public(), RcvNtfDHKey: ndh.Public()}); err != nil {
		return nil, fmt.Errorf("NKEY: %w", err)
	}
	nid := m.(smp.NID)
	p.nid = nid.NotifierID
	if p.ntfSecret, err = crypto.DH(ndh, nid.SrvNtfDHKey); err != nil {
		return nil, err
	}
	resp, err := d.Subscribe(c, r.addr, p.nid, p.nk)
	if err != nil {
		return nil, fmt.Errorf("SNEW: %w", err)
	}
	sub, ok := resp.(ntf.IDSUB)
	if !ok {
		return nil, fmt.Errorf("SNEW: %v", resp)
	}
	p.subID = sub.SubID
	return p, nil
}

// subStatus asks the NTF server for a subscription's status (SCHK).
func subStatus(c *ntftest.Client, d *ntftest.Device, subID []byte) (ntf.SubStatusCode, error) {
	r, err := d.SubCmd(c, subID, ntf.SCHK{})
	if err != nil {
		return "", err
	}
	st, ok := r.(ntf.SUB)
	if !ok {
		return "", fmt.Errorf("SCHK: %v", r)
	}
	return st.Status.Code, nil
}

// waitActive polls SCHK until every pair's subscription is ACTIVE.
func waitActive(c *ntftest.Client, pairs []*pair) error {
	deadline := time.Now().Add(60 * time.Second)
	for _, p := range pairs {
		for {
			code, err := subStatus(c, p.dev, p.subID)
			if err != nil {
				return err
			}
			if code == ntf.SubActive {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("subscription not ACTIVE: status %v", code)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// startBenchNTF starts an ntf-server in dir, pushing to fake, and connects
// a client to it; stop closes both.
func startBenchNTF(o options, dir string, fake *fakeAPNs) (ns *ntfServer, c *ntftest.Client, stop func(), err error) {
	if ns, err = initNTF(o.ntf, dir, fake, o.workers); err != nil {
		return nil, nil, nil, err
	}
	if _, err := ns.start(); err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c, err = ns.dial(ctx); err != nil {
		ns.stop()
		return nil, nil, nil, err
	}
	return ns, c, func() { c.Close(); ns.stop() }, nil
}

// registerTokens registers n ACTIVE tokens (tokenHex(0..n-1)), routing the
// fake's verification pushes to the registering token, and calls each for
// every token once it is ACTIVE.
func registerTokens(c *ntftest.Client, fake *fakeAPNs, n int, each func(i int, d *ntftest.Device) error) error {
	var mu sync.Mutex
	verif := map[string]chan []byte{}
	fake.setOnPush(func(tok string, body []byte, _ time.Time) {
		mu.Lock()
		ch := verif[tok]
		mu.Unlock()
		if ch != nil {
			select {
			case ch <- body:
			default:
			}
		}
	})
	defer fake.setOnPush(nil)
	for i := range n {
		ch := make(chan []byte, 4)
		mu.Lock()
		verif[tokenHex(i)] = ch
		mu.Unlock()
		d, err := registerToken(c, i, ch)
		if err != nil {
			return fmt.Errorf("token %d: %w", i, err)
		}
		if err := each(i, d); err != nil {
			return fmt.Errorf("token %d: %w", i, err)
		}
	}
	return nil
}
