package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/smp-relay/internal/metrics"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// TestRFWD plays the proxy of private routing: it connects as an SMP proxy
// (no block encryption), wraps a sender's SEND for the relay as the
// reference's proxy does, and opens the RRES [CONFORMANCE-NOTES §3.5].
func TestRFWD(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv := dial(t, ts)
	q := rcv.newQueue(true)
	proxy, err := dialParams(t, ts, transport.SMPClientParams{Range: smp.ProxiedRelayRange, ProxyClient: true}, []string{transport.ALPNSMP})
	if err != nil {
		t.Fatal(err)
	}
	if proxy.s.Encrypted() {
		t.Fatal("proxy connection has block encryption")
	}
	const fwdVersion = 14

	forward := func(cmd smp.Command, key *crypto.PrivateKey) smp.Message {
		t.Helper()
		x := newSenderTx(t, fwdVersion, proxy.s.SessionID, proxy.s.PeerKey, q.sid, cmd, key)
		// The proxy's side: box for the relay with the session secret.
		sessSecret, err := proxy.s.SessionSecret()
		if err != nil {
			t.Fatal(err)
		}
		fwd, _ := smp.EncodeFwdTransmission(smp.FwdTransmission{CorrID: x.corrID, Version: fwdVersion, ClientKey: x.clientKey.Public(), EncTransmission: x.encT})
		corrID := make([]byte, 24)
		rand.Read(corrID)
		enc, _ := crypto.Box(sessSecret, crypto.CbNonce(corrID), fwd)
		rfwd, _ := smp.EncodeCommand(proxy.s.Version, smp.RFWD{EncFwdTransmission: enc})
		resp := proxy.wait(proxy.sendRawCorr(corrID, nil, nil, rfwd))
		rres, ok := resp.(smp.RRES)
		if !ok {
			t.Fatalf("want RRES, got %T %+v", resp, resp)
		}
		frB, err := crypto.OpenBox(sessSecret, crypto.ReverseNonce(crypto.CbNonce(corrID)), rres.EncFwdResponse)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := smp.ParseFwdResponse(frB)
		if err != nil || string(fr.CorrID) != string(x.corrID) {
			t.Fatalf("forwarded response: %v", err)
		}
		return x.open(t, fr.EncResponse)
	}

	expectOK(t, forward(smp.SKEY{SndAuthKey: q.sndKey.Public()}, &q.sndKey))
	expectOK(t, forward(smp.SEND{Body: []byte("via proxy")}, &q.sndKey))
	if b := q.decrypt(t, expectMsg(t, rcv.event().msg)); string(b.Body) != "via proxy" {
		t.Fatalf("body %q", b.Body)
	}
	expectErr(t, forward(smp.SEND{Body: []byte("unsigned")}, nil), "AUTH")
	expectErr(t, forward(smp.SUB{}, &q.rcvKey), "CMD PROHIBITED")
	// A garbled RFWD is CRYPTO.
	bad, _ := smp.EncodeCommand(proxy.s.Version, smp.RFWD{EncFwdTransmission: make([]byte, 100)})
	expectErr(t, proxy.wait(proxy.sendRaw(nil, nil, bad)), "CRYPTO")
}

// senderTx is a sender's transmission for a relay reached through a proxy:
// one command at version v bound to the proxy-relay session sid, boxed for
// the relay's session key with a key of its own, nonce = its corrId
// [CONFORMANCE-NOTES §3.5].
type senderTx struct {
	inner        *transport.Session
	corrID       []byte
	clientKey    crypto.PrivateKey
	clientSecret []byte
	encT         []byte
}

func newSenderTx(t testing.TB, v uint16, sid []byte, relayKey crypto.PublicKey, entity []byte, cmd smp.Command, key *crypto.PrivateKey) *senderTx {
	t.Helper()
	x := &senderTx{inner: &transport.Session{Version: v, SessionID: sid, BlockSize: transport.SMPBlockSize,
		ImpliedSessionID: true, Batching: true, PeerKey: relayKey}}
	cmdBytes, err := smp.EncodeCommand(v, cmd)
	if err != nil {
		t.Fatal(err)
	}
	x.corrID = make([]byte, 24)
	rand.Read(x.corrID)
	var auth []byte
	if key != nil {
		if auth, err = transport.SignTransmission(x.inner, *key, x.corrID, entity, cmdBytes); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := transport.EncodeTransmission(x.inner, transport.Transmission{Auth: auth, CorrID: x.corrID, EntityID: entity, Command: cmdBytes})
	batch, _ := transport.PackBatches(x.inner, [][]byte{tx})
	x.clientKey = newKey(t, crypto.X25519)
	if x.clientSecret, err = crypto.DH(x.clientKey, relayKey); err != nil {
		t.Fatal(err)
	}
	if x.encT, err = crypto.BoxPadded(x.clientSecret, crypto.CbNonce(x.corrID), batch[0], smp.PaddedProxiedTLength); err != nil {
		t.Fatal(err)
	}
	return x
}

// open decrypts the relay's response to x and returns its message.
func (x *senderTx) open(t testing.TB, encR []byte) smp.Message {
	t.Helper()
	rb, err := crypto.OpenBoxPadded(x.clientSecret, crypto.ReverseNonce(crypto.CbNonce(x.corrID)), encR)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := transport.ParseBatch(x.inner, rb)
	if err != nil || len(pts) != 1 || string(pts[0].CorrID) != string(x.corrID) {
		t.Fatalf("inner response batch: %v", err)
	}
	m, err := smp.ParseMessage(x.inner.Version, pts[0].Command)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestProxy runs private routing end to end over TCP: a sender's client
// asks relay A (its own server) for a session with relay B (PRXY), checks
// B's key in PKEY as an official client does, and sends through A (PFWD)
// a SKEY and a SEND that only B can read; the recipient on B gets the
// message.
func TestProxy(t *testing.T) {
	b := startServer(t, "", nil, nil)
	a := startServer(t, "", nil, allowPrivate)
	rcv := dial(t, b)
	q := rcv.newQueue(true)
	snd := dial(t, a)
	bSrv := smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: portOf(t, b.addr), KeyHash: b.id.KeyHash}

	pk, ok := snd.cmd(nil, nil, smp.PRXY{Server: bSrv}).(smp.PKEY)
	if !ok {
		t.Fatalf("PRXY: %+v", pk)
	}
	// What the client checks: the chain is B's, the key is signed by its
	// leaf, and the range is B's capped to the proxied range.
	if len(pk.CertChain) != len(b.id.Chain) || !bytes.Equal(pk.CertChain[1], b.id.Chain[1]) {
		t.Fatal("PKEY chain is not B's")
	}
	if pk.VRange != (encoding.VersionRange{Min: smp.VersionSendingProxy, Max: smp.SupportedRange.Max}) {
		t.Fatalf("PKEY range %v", pk.VRange)
	}
	leaf, err := x509.ParseCertificate(pk.CertChain[0])
	if err != nil {
		t.Fatal(err)
	}
	relayKey, err := crypto.VerifySignedKeyDER(crypto.PublicKey{Alg: crypto.Ed25519, Raw: leaf.PublicKey.(ed25519.PublicKey)}, pk.SignedKey)
	if err != nil || relayKey.Alg != crypto.X25519 {
		t.Fatalf("PKEY signed key: %v", err)
	}
	send := func(cmd smp.Command, key *crypto.PrivateKey) smp.Message {
		t.Helper()
		const v = 14
		x := newSenderTx(t, v, pk.SessionID, relayKey, q.sid, cmd, key)
		pfwd, _ := smp.EncodeCommand(snd.s.Version, smp.PFWD{Version: v, ClientKey: x.clientKey.Public(), EncTransmission: x.encT})
		resp := snd.wait(snd.sendRawCorr(x.corrID, pk.SessionID, nil, pfwd))
		pres, ok := resp.(smp.PRES)
		if !ok {
			t.Fatalf("PFWD: %T %+v", resp, resp)
		}
		return x.open(t, pres.EncResponse)
	}
	expectOK(t, send(smp.SKEY{SndAuthKey: q.sndKey.Public()}, &q.sndKey))
	expectOK(t, send(smp.SEND{Body: []byte("routed privately")}, &q.sndKey))
	if body := q.decrypt(t, expectMsg(t, rcv.event().msg)); string(body.Body) != "routed privately" {
		t.Fatalf("body %q", body.Body)
	}
	// B's own answers come back inside PRES.
	expectErr(t, send(smp.SEND{Body: []byte("unsigned")}, nil), "AUTH")
	// A second PRXY reuses the connection: same session.
	if pk2, ok := snd.cmd(nil, nil, smp.PRXY{Server: bSrv}).(smp.PKEY); !ok || !bytes.Equal(pk2.SessionID, pk.SessionID) {
		t.Fatal("second PRXY opened another session")
	}
	if got := metrics.Value(a.srv.m.ProxyRequests); got < 4 {
		t.Fatalf("proxy_requests_total %v", got)
	}
}

// TestProxyErrors: the errors a proxy answers, as the reference does.
func TestProxyErrors(t *testing.T) {
	b := startServer(t, "", nil, nil)
	bSrv := smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: portOf(t, b.addr), KeyHash: b.id.KeyHash}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := portOf(t, closed.Addr().String())
	closed.Close()

	a := startServer(t, "", nil, func(o *Options) { o.CreatePassword = []byte("secret"); o.ProxyAllowPrivate = true })
	c := dial(t, a)
	expectErr(t, c.cmd(nil, nil, smp.PRXY{Server: bSrv}), "PROXY BASIC_AUTH")
	expectErr(t, c.cmd(nil, nil, smp.PRXY{Server: bSrv, BasicAuth: []byte("wrong")}), "PROXY BASIC_AUTH")
	if _, ok := c.cmd(nil, nil, smp.PRXY{Server: bSrv, BasicAuth: []byte("secret")}).(smp.PKEY); !ok {
		t.Fatal("PRXY with the password refused")
	}
	expectErr(t, c.cmd(nil, nil, smp.PRXY{Server: smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: deadPort, KeyHash: b.id.KeyHash}, BasicAuth: []byte("secret")}),
		"PROXY BROKER NETWORK")
	expectErr(t, c.cmd(nil, nil, smp.PRXY{Server: smp.SMPServer{Hosts: []string{"abcdefghijklmnop.onion"}, Port: "5223", KeyHash: b.id.KeyHash}, BasicAuth: []byte("secret")}),
		"PROXY BROKER HOST")
	wrongKey := smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: portOf(t, b.addr), KeyHash: make([]byte, 32)}
	expectErr(t, c.cmd(nil, nil, smp.PRXY{Server: wrongKey, BasicAuth: []byte("secret")}), "PROXY BROKER NETWORK")
	pfwd, _ := smp.EncodeCommand(c.s.Version, smp.PFWD{Version: 14, ClientKey: newKey(t, crypto.X25519).Public(), EncTransmission: []byte("x")})
	expectErr(t, c.wait(c.sendRaw([]byte("no such session"), nil, pfwd)), "PROXY NO_SESSION")

	off := startServer(t, "", nil, func(o *Options) { o.ProxyOff = true })
	expectErr(t, dial(t, off).cmd(nil, nil, smp.PRXY{Server: bSrv}), "PROXY BASIC_AUTH")
	// A proxy at its limit of destination connections refuses new ones.
	one := startServer(t, "", nil, func(o *Options) { o.ProxyAllowPrivate = true; o.ProxyMaxRelays = 1 })
	oc := dial(t, one)
	if _, ok := oc.cmd(nil, nil, smp.PRXY{Server: bSrv}).(smp.PKEY); !ok {
		t.Fatal("first destination refused")
	}
	c2 := startServer(t, "", nil, nil)
	expectErr(t, oc.cmd(nil, nil, smp.PRXY{Server: smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: portOf(t, c2.addr), KeyHash: c2.id.KeyHash}}),
		"PROXY BROKER NETWORK")
	if _, ok := oc.cmd(nil, nil, smp.PRXY{Server: bSrv}).(smp.PKEY); !ok {
		t.Fatal("the connected destination refused at the limit")
	}
	// A failed attempt is answered from memory, and counts against the
	// limit, only for a while.
	dead := smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: deadPort, KeyHash: b.id.KeyHash}
	lim := startServer(t, "", nil, func(o *Options) { o.ProxyAllowPrivate = true; o.ProxyMaxRelays = 1 })
	lc := dial(t, lim)
	expectErr(t, lc.cmd(nil, nil, smp.PRXY{Server: dead}), "PROXY BROKER NETWORK")
	expectErr(t, lc.cmd(nil, nil, smp.PRXY{Server: bSrv}), "PROXY BROKER NETWORK") // the limit
	lim.clock.Add(proxyErrorMemory)
	if _, ok := lc.cmd(nil, nil, smp.PRXY{Server: bSrv}).(smp.PKEY); !ok {
		t.Fatal("a failed attempt still held the only destination slot")
	}
	// By default the proxy does not reach into private networks.
	def := startServer(t, "", nil, nil)
	expectErr(t, dial(t, def).cmd(nil, nil, smp.PRXY{Server: bSrv}), "PROXY BROKER HOST")
}

func allowPrivate(o *Options) { o.ProxyAllowPrivate = true }

func TestIsPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"1.1.1.1": true, "2606:4700::1111": true, "::ffff:8.8.8.8": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "::": false,
		"224.0.0.1": false, "100.64.0.1": false, "::ffff:127.0.0.1": false,
	} {
		if got := isPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("isPublic(%s) = %v", addr, got)
		}
	}
}

func portOf(t testing.TB, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestProxyClientLibrary: the sender side of private routing in
// protocol/smpclient (ConnectRelay, Relay.Send) against two relays.
func TestProxyClientLibrary(t *testing.T) {
	b := startServer(t, "", nil, nil)
	a := startServer(t, "", nil, allowPrivate)
	rcv := dial(t, b)
	q := rcv.newQueue(true)
	ctx := context.Background()
	proxy, err := smpclient.Dial(ctx, a.addr, a.id.KeyHash, smpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	bAddr := address.ServerAddress{Scheme: address.SchemeSMP, Hosts: []string{"127.0.0.1"}, Port: portOf(t, b.addr), KeyHash: b.id.KeyHash}
	relay, err := smpclient.ConnectRelay(ctx, proxy, bAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if relay.Version != smp.SupportedRange.Max {
		t.Fatalf("forwarded version %d", relay.Version)
	}
	if _, err := relay.Send(ctx, q.sid, &q.sndKey, smp.SKEY{SndAuthKey: q.sndKey.Public()}); err != nil {
		t.Fatal(err)
	}
	if _, err := relay.Send(ctx, q.sid, &q.sndKey, smp.SEND{Body: []byte("through the library")}); err != nil {
		t.Fatal(err)
	}
	if body := q.decrypt(t, expectMsg(t, rcv.event().msg)); string(body.Body) != "through the library" {
		t.Fatalf("body %q", body.Body)
	}
	// The relay's own error, and the proxy's, as smp.ErrorType.
	var se smp.ErrorType
	if _, err := relay.Send(ctx, q.sid, nil, smp.SEND{Body: []byte("x")}); !errors.As(err, &se) || se.String() != "AUTH" {
		t.Fatalf("unsigned SEND: %v", err)
	}
	gone := *relay
	gone.SessionID = []byte("no such session")
	if _, err := gone.Send(ctx, q.sid, &q.sndKey, smp.SEND{Body: []byte("x")}); !errors.As(err, &se) || se.String() != "PROXY NO_SESSION" {
		t.Fatalf("unknown session: %v", err)
	}
}

// TestProxyConcurrentSenders: many senders share the proxy's one
// connection to the destination, which handles their RFWDs concurrently;
// every message arrives, and each queue's in the order it was sent.
func TestProxyConcurrentSenders(t *testing.T) {
	b := startServer(t, "", nil, nil)
	a := startServer(t, "", nil, allowPrivate)
	ctx := context.Background()
	bAddr := address.ServerAddress{Scheme: address.SchemeSMP, Hosts: []string{"127.0.0.1"}, Port: portOf(t, b.addr), KeyHash: b.id.KeyHash}
	const queues, perQueue = 8, 6
	type qc struct {
		rcv *tclient
		q   *queue
	}
	var qs []qc
	for range queues {
		rcv := dial(t, b)
		qs = append(qs, qc{rcv, rcv.newQueue(true)})
	}
	errs := make(chan error, queues)
	for _, x := range qs {
		go func() {
			proxy, err := smpclient.Dial(ctx, a.addr, a.id.KeyHash, smpclient.Options{})
			if err != nil {
				errs <- err
				return
			}
			defer proxy.Close()
			relay, err := smpclient.ConnectRelay(ctx, proxy, bAddr, nil)
			if err != nil {
				errs <- err
				return
			}
			if _, err := relay.Send(ctx, x.q.sid, &x.q.sndKey, smp.SKEY{SndAuthKey: x.q.sndKey.Public()}); err != nil {
				errs <- err
				return
			}
			for i := range perQueue {
				if _, err := relay.Send(ctx, x.q.sid, &x.q.sndKey, smp.SEND{Body: []byte{byte(i)}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range queues {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range qs {
		m := expectMsg(t, x.rcv.event().msg)
		for i := range perQueue {
			if body := x.q.decrypt(t, m); len(body.Body) != 1 || body.Body[0] != byte(i) {
				t.Fatalf("message %d: %v", i, body.Body)
			}
			// The ACK's answer is the next message, or OK and the next one
			// comes as an event.
			switch resp := x.rcv.cmd(x.q.rid, &x.q.rcvKey, smp.ACK{MsgID: m.MsgID}).(type) {
			case smp.MSG:
				m = resp
			case smp.OK:
				if i < perQueue-1 {
					m = expectMsg(t, x.rcv.event().msg)
				}
			default:
				t.Fatalf("ACK: %T", resp)
			}
		}
	}
}

// TestProxySlowAndVanishedDestination: a destination that accepts TCP and
// never answers costs a PRXY its timeout (PROXY BROKER TIMEOUT), and a
// destination that goes away after PKEY makes the next PFWD fail with a
// PROXY error; the proxy's client connection keeps working throughout.
func TestProxySlowAndVanishedDestination(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	a := startServer(t, "", nil, func(o *Options) { o.ProxyAllowPrivate = true; o.ProxyTimeout = 300 * time.Millisecond })
	c := dial(t, a)
	expectErr(t, c.cmd(nil, nil, smp.PRXY{Server: smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: portOf(t, silent.Addr().String()), KeyHash: make([]byte, 32)}}),
		"PROXY BROKER TIMEOUT")

	b := startServer(t, "", nil, nil)
	rcv := dial(t, b)
	q := rcv.newQueue(true)
	bSrv := smp.SMPServer{Hosts: []string{"127.0.0.1"}, Port: portOf(t, b.addr), KeyHash: b.id.KeyHash}
	pk, ok := c.cmd(nil, nil, smp.PRXY{Server: bSrv}).(smp.PKEY)
	if !ok {
		t.Fatal("PRXY to a live destination failed")
	}
	leaf, _ := x509.ParseCertificate(pk.CertChain[0])
	relayKey, _ := crypto.VerifySignedKeyDER(crypto.PublicKey{Alg: crypto.Ed25519, Raw: leaf.PublicKey.(ed25519.PublicKey)}, pk.SignedKey)
	b.stop()
	x := newSenderTx(t, 14, pk.SessionID, relayKey, q.sid, smp.SEND{Body: []byte("lost")}, nil)
	pfwd, _ := smp.EncodeCommand(c.s.Version, smp.PFWD{Version: 14, ClientKey: x.clientKey.Public(), EncTransmission: x.encT})
	resp := c.wait(c.sendRawCorr(x.corrID, pk.SessionID, nil, pfwd))
	if e, ok := resp.(smp.ERR); !ok || !strings.HasPrefix(e.Err.String(), "PROXY ") {
		t.Fatalf("PFWD to a vanished destination: %T %+v", resp, resp)
	}
	if _, ok := c.cmd(nil, nil, smp.PING{}).(smp.PONG); !ok {
		t.Fatal("the client connection did not survive")
	}
}
