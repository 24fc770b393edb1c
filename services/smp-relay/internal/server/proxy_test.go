package server

import (
	"crypto/rand"
	"testing"

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
		// The sender's side: one transmission at fwdVersion bound to the
		// proxy-relay session, boxed for the relay's session key.
		inner := &transport.Session{Version: fwdVersion, SessionID: proxy.s.SessionID, BlockSize: transport.SMPBlockSize,
			ImpliedSessionID: true, Batching: true, PeerKey: proxy.s.PeerKey}
		cmdBytes, _ := smp.EncodeCommand(fwdVersion, cmd)
		innerCorr := make([]byte, 24)
		rand.Read(innerCorr)
		var auth []byte
		if key != nil {
			if auth, err = transport.SignTransmission(inner, *key, innerCorr, q.sid, cmdBytes); err != nil {
				t.Fatal(err)
			}
		}
		tx, _ := transport.EncodeTransmission(inner, transport.Transmission{Auth: auth, CorrID: innerCorr, EntityID: q.sid, Command: cmdBytes})
		batch, _ := transport.PackBatches(inner, [][]byte{tx})
		clientKey := newKey(t, crypto.X25519)
		clientSecret, _ := crypto.DH(clientKey, proxy.s.PeerKey)
		clientNonce := crypto.CbNonce(innerCorr)
		encT, err := crypto.BoxPadded(clientSecret, clientNonce, batch[0], smp.PaddedProxiedTLength)
		if err != nil {
			t.Fatal(err)
		}
		fwd, _ := smp.EncodeFwdTransmission(smp.FwdTransmission{CorrID: innerCorr, Version: fwdVersion, ClientKey: clientKey.Public(), EncTransmission: encT})
		// The proxy's side: box for the relay with the session secret.
		sessSecret, err := proxy.s.SessionSecret()
		if err != nil {
			t.Fatal(err)
		}
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
		if err != nil || string(fr.CorrID) != string(innerCorr) {
			t.Fatalf("forwarded response: %v", err)
		}
		rb, err := crypto.OpenBoxPadded(clientSecret, crypto.ReverseNonce(clientNonce), fr.EncResponse)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := transport.ParseBatch(inner, rb)
		if err != nil || len(pts) != 1 || string(pts[0].CorrID) != string(innerCorr) {
			t.Fatalf("inner response batch: %v", err)
		}
		m, err := smp.ParseMessage(fwdVersion, pts[0].Command)
		if err != nil {
			t.Fatal(err)
		}
		return m
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
