package agent

import (
	"bytes"
	"context"
	"errors"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
)

// processFixture is an agent with one initiator connection waiting for a
// confirmation, with deterministic keys, and no network.
type processFixture struct {
	a        *Agent
	c        *Conn
	rcvDH    []byte            // server encryption of MSG bodies
	e2eKey   crypto.PrivateKey // the sender's per-queue key
	queueKey crypto.PublicKey  // the queue's e2e key
}

func newProcessFixture(t testing.TB) *processFixture {
	rnd := mrand.NewChaCha8([32]byte{9})
	a, err := New(Config{Rand: rnd, Dial: func(context.Context, address.ServerAddress) (*smpclient.Client, error) {
		return nil, errors.New("no network in this test")
	}})
	if err != nil {
		t.Fatal(err)
	}
	key := func(alg crypto.Algorithm) crypto.PrivateKey {
		k, err := crypto.GenerateKey(alg, rnd)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	pk1, pk2 := key(crypto.X448), key(crypto.X448)
	f := &processFixture{a: a, rcvDH: bytes.Repeat([]byte{1}, 32), e2eKey: key(crypto.X25519)}
	q := &RcvQueue{Server: "smp://AQID@127.0.0.1:1", RcvID: []byte("r"), SndID: []byte("s"), RcvKey: key(crypto.Ed25519),
		RcvDHSecret: f.rcvDH, E2EKey: key(crypto.X25519), Mode: address.QueueModeMessaging, ClientVersion: 4, Status: QueueNew}
	f.queueKey = q.E2EKey.Public()
	f.c = &Conn{ID: "c", Initiator: true, Status: ConnNew, Rcv: q, X3DHKey1: &pk1, X3DHKey2: &pk2}
	a.index(f.c)
	return f
}

// msg wraps an inner ClientMessage as the server would deliver it.
func (f *processFixture) msg(t testing.TB, inner []byte) smp.MSG {
	secret, err := crypto.DH(f.e2eKey, f.queueKey)
	if err != nil {
		t.Fatal(err)
	}
	var n [24]byte
	body, err := crypto.BoxPadded(secret, n, inner, E2EEncConfirmationLength)
	if err != nil {
		t.Skip("too large")
	}
	pub := f.e2eKey.Public()
	env := ClientMsgEnvelope{Version: 4, E2EPubKey: &pub, EncBody: body}.Encode()
	rb, err := smp.EncodeRcvMessageBody(smp.RcvMessageBody{Timestamp: time.Unix(0, 0), Body: env})
	if err != nil {
		t.Skip("too large")
	}
	msgID := []byte("msg-id-1")
	var nonce [24]byte
	copy(nonce[:], msgID)
	enc, err := crypto.BoxPadded(f.rcvDH, nonce, rb, smp.RcvMessagePaddedSize)
	if err != nil {
		t.Fatal(err)
	}
	return smp.MSG{MsgID: msgID, EncBody: enc}
}

// A well-formed confirmation is processed (CONF) through the fixture.
func TestProcessConfirmation(t *testing.T) {
	f := newProcessFixture(t)
	defer f.a.Close()
	rnd := mrand.NewChaCha8([32]byte{10})
	spk1, spk2, p, err := ratchet.GenerateE2EKeys(3, rnd)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := ratchet.X3DHSnd(spk1, spk2, f.c.X3DHKey1.Public(), f.c.X3DHKey2.Public())
	if err != nil {
		t.Fatal(err)
	}
	dhRs, _ := crypto.GenerateKey(crypto.X448, rnd)
	rc, err := ratchet.InitSnd(ratchet.Versions{Current: 3, MaxSupported: 3}, f.c.X3DHKey2.Public(), dhRs, ip)
	if err != nil {
		t.Fatal(err)
	}
	qi := QueueInfo{ClientVersion: 4, Server: testServer(), SenderID: []byte("sid"), DHKey: seqKey(crypto.X25519, 32), Mode: address.QueueModeMessaging}
	body, _ := AgentMessage{Type: MsgConnInfoReply, Queues: []QueueInfo{qi}, Info: []byte("bob")}.Encode()
	enc, err := rc.Encrypt(body, E2EEncConnInfoLength)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := AgentEnvelope{Version: 7, Type: EnvConfirmation, E2E: &p, Body: enc}.Encode()
	if _, err := f.a.process(f.c, f.msg(t, ClientMessage{Body: env}.Encode())); err != nil {
		t.Fatal(err)
	}
	if f.c.Status != ConnConfirmed || len(f.c.PeerQueues) != 1 || f.c.Ratchet == nil {
		t.Fatalf("after confirmation: %s %d", f.c.Status, len(f.c.PeerQueues))
	}
	e := <-f.a.Events()
	if e.Type != EvCONF || string(e.ConnInfo) != "bob" {
		t.Fatalf("event %+v", e)
	}
}

// FuzzProcessConfirmation feeds arbitrary plaintext to the confirmation
// path (inside valid server and per-queue encryption): it must not panic,
// and a rejected message leaves the connection waiting.
func FuzzProcessConfirmation(f *testing.F) {
	addSeeds(f, "FuzzProcessConfirmation")
	fx := newProcessFixture(f)
	defer fx.a.Close()
	f.Fuzz(func(t *testing.T, inner []byte) {
		c := *fx.c
		if _, err := fx.a.process(&c, fx.msg(t, inner)); err != nil && c.Status != ConnNew {
			t.Fatalf("status %s after error %v", c.Status, err)
		}
	})
}
