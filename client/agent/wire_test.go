package agent

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seqKey(alg crypto.Algorithm, n int) crypto.PublicKey {
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = byte(i)
	}
	return crypto.PublicKey{Alg: alg, Raw: raw}
}

const (
	// X25519 SPKI of bytes 0..31, with its short() length 0x2c.
	x25519Hex = "2c 302a300506032b656e032100 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	// Ed25519 SPKI of bytes 0..31.
	ed25519Hex = "2c 302a300506032b6570032100 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	// X448 SPKI of bytes 0..55.
	x448Hex = "44 3042300506032b656f033900 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
)

func testServer() address.ServerAddress {
	return address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: []byte{1, 2, 3}, Hosts: []string{"a.b"}, Port: "5223"}
}

// Byte layouts of [MP ClientMsgEnvelope, PubHeader, PrivHeader;
// AP AgentMsgEnvelope, AgentMessage, AMessage, SMPQueueInfo, AMessageReceipt].
func TestWireVectors(t *testing.T) {
	x := seqKey(crypto.X25519, 32)
	ed := seqKey(crypto.Ed25519, 32)
	nonce := [24]byte{}
	nonce[23] = 9
	x448 := seqKey(crypto.X448, 56)
	qi := QueueInfo{ClientVersion: 4, Server: testServer(), SenderID: []byte("sid"), DHKey: x, Mode: address.QueueModeMessaging}
	srvHex := "01 03 612e62 04 35323233 03 010203" // list(short host) short(port) short(keyHash)
	for _, c := range []struct {
		name string
		enc  func() ([]byte, error)
		hex  string
	}{
		{"envelope confirmation", func() ([]byte, error) {
			return ClientMsgEnvelope{Version: 4, E2EPubKey: &x, Nonce: nonce, EncBody: []byte("body")}.Encode(), nil
		}, "0004 31 " + x25519Hex + " 000000000000000000000000000000000000000000000009 626f6479"},
		{"envelope message", func() ([]byte, error) {
			return ClientMsgEnvelope{Version: 4, Nonce: nonce, EncBody: []byte("b")}.Encode(), nil
		}, "0004 30 000000000000000000000000000000000000000000000009 62"},
		{"client message with key", func() ([]byte, error) {
			return ClientMessage{SenderKey: &ed, Body: []byte("m")}.Encode(), nil
		}, "4b " + ed25519Hex + " 6d"},
		{"client message", func() ([]byte, error) { return ClientMessage{Body: []byte("m")}.Encode(), nil }, "5f 6d"},
		{"agent confirmation", func() ([]byte, error) {
			p := ratchet.E2EParams{Version: 3, Key1: x448, Key2: x448}
			return AgentEnvelope{Version: 7, Type: EnvConfirmation, E2E: &p, Body: []byte("enc")}.Encode()
		}, "0007 43 31 0003 " + x448Hex + x448Hex + " 30 656e63"},
		{"agent confirmation reply", func() ([]byte, error) {
			return AgentEnvelope{Version: 7, Type: EnvConfirmation, Body: []byte("enc")}.Encode()
		}, "0007 43 30 656e63"},
		{"agent message envelope", func() ([]byte, error) {
			return AgentEnvelope{Version: 7, Type: EnvMessage, Body: []byte("enc")}.Encode()
		}, "0007 4d 656e63"},
		{"conn info", func() ([]byte, error) { return AgentMessage{Type: MsgConnInfo, Info: []byte("{}")}.Encode() }, "49 7b7d"},
		{"conn info reply", func() ([]byte, error) {
			return AgentMessage{Type: MsgConnInfoReply, Queues: []QueueInfo{qi}, Info: []byte("{}")}.Encode()
		}, "44 01 0004 " + srvHex + " 03 736964 " + x25519Hex + " 4d 7b7d"},
		{"HELLO", func() ([]byte, error) {
			return AgentMessage{Type: MsgAgent, SndMsgID: 2, PrevMsgHash: []byte{0xaa}, Msg: AMessage{Type: AHello}}.Encode()
		}, "4d 0000000000000002 01aa 48"},
		{"A_MSG", func() ([]byte, error) {
			return AgentMessage{Type: MsgAgent, SndMsgID: 3, Msg: AMessage{Type: AMsg, Body: []byte("hi")}}.Encode()
		}, "4d 0000000000000003 00 4d 6869"},
		{"A_RCVD", func() ([]byte, error) {
			r := Receipt{AgentMsgID: 2, MsgHash: []byte{0xbb}, Info: []byte("i")}
			return AgentMessage{Type: MsgAgent, SndMsgID: 4, Msg: AMessage{Type: ARcvd, Receipts: []Receipt{r}}}.Encode()
		}, "4d 0000000000000004 00 56 01 0000000000000002 01bb 000169"},
		{"A_QCONT", func() ([]byte, error) {
			return AgentMessage{Type: MsgAgent, SndMsgID: 5, Msg: AMessage{Type: AQCont, Server: testServer(), SndID: []byte("s")}}.Encode()
		}, "4d 0000000000000005 00 5143 " + srvHex + " 0173"},
	} {
		b, err := c.enc()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := unhex(t, c.hex); !bytes.Equal(b, want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, b, want)
		}
	}
}

func TestWireRoundTrip(t *testing.T) {
	x := seqKey(crypto.X25519, 32)
	qi := QueueInfo{ClientVersion: 4, Server: testServer(), SenderID: []byte("sid"), DHKey: x, Mode: address.QueueModeMessaging}
	for _, m := range []AgentMessage{
		{Type: MsgConnInfo, Info: []byte("x")},
		{Type: MsgConnInfoReply, Queues: []QueueInfo{qi, qi}, Info: []byte("{}")},
		{Type: MsgAgent, SndMsgID: 9, PrevMsgHash: bytes.Repeat([]byte{1}, 32), Msg: AMessage{Type: AMsg, Body: []byte("hello")}},
		{Type: MsgAgent, SndMsgID: 10, Msg: AMessage{Type: AEReady, MsgID: 7}},
	} {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseAgentMessage(b)
		if err != nil {
			t.Fatalf("%x: %v", b, err)
		}
		b2, err := p.Encode()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip %x -> %x (%v)", b, b2, err)
		}
	}
	// v3 queue info: the sender-can-secure flag instead of the mode
	qi3 := qi
	qi3.ClientVersion = 3
	b, _ := AgentMessage{Type: MsgConnInfoReply, Queues: []QueueInfo{qi3}}.Encode()
	if b[len(b)-1] != 'T' {
		t.Fatalf("v3 queue info %x", b)
	}
	p, err := ParseAgentMessage(b)
	if err != nil || p.Queues[0].Mode != address.QueueModeMessaging {
		t.Fatalf("v3 parse: %+v %v", p, err)
	}
}

func TestWireErrors(t *testing.T) {
	for _, b := range []string{"", "5a", "4d00", "4d 0000000000000001 00 5a", "44 00", "4d 0000000000000001 00 56 00"} {
		if _, err := ParseAgentMessage(unhex(t, b)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: %v", b, err)
		}
	}
	for _, b := range []string{"", "0007", "0007 5a", "0007 43 32"} {
		if _, err := ParseAgentEnvelope(unhex(t, b)); err == nil {
			t.Errorf("envelope %s parsed", b)
		}
	}
	if _, err := ParseClientMsgEnvelope(unhex(t, "0004 31 "+ed25519Hex)); err == nil {
		t.Error("Ed25519 e2e key accepted")
	}
	if _, err := ParseClientMessage(unhex(t, "41")); err == nil {
		t.Error("bad private header accepted")
	}
}

func TestCheckIntegrity(t *testing.T) {
	h := []byte{1}
	for _, c := range []struct {
		prev, id int64
		got      []byte
		want     error
	}{
		{1, 2, h, nil},
		{1, 2, []byte{2}, ErrMsgBadHash},
		{5, 3, h, ErrMsgBadID},
		{5, 5, h, ErrMsgDuplicate},
		{1, 4, h, ErrMsgSkipped},
	} {
		if err := checkIntegrity(c.prev, c.id, h, c.got); !errors.Is(err, c.want) && err != c.want {
			t.Errorf("%d->%d: %v, want %v", c.prev, c.id, err, c.want)
		}
	}
}
