package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
)

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

var fuzzSeeds = map[string]func(testing.TB) [][]byte{
	"FuzzParseAgentMessage": func(t testing.TB) [][]byte {
		qi := QueueInfo{ClientVersion: 4, Server: testServer(), SenderID: []byte("sid"), DHKey: seqKey(crypto.X25519, 32), Mode: address.QueueModeMessaging}
		return [][]byte{
			must(AgentMessage{Type: MsgConnInfo, Info: []byte("{}")}.Encode()),
			must(AgentMessage{Type: MsgConnInfoReply, Queues: []QueueInfo{qi}, Info: []byte("{}")}.Encode()),
			must(AgentMessage{Type: MsgAgent, SndMsgID: 2, PrevMsgHash: []byte{1}, Msg: AMessage{Type: AHello}}.Encode()),
			must(AgentMessage{Type: MsgAgent, SndMsgID: 3, Msg: AMessage{Type: AMsg, Body: []byte("hi")}}.Encode()),
			must(AgentMessage{Type: MsgAgent, SndMsgID: 4, Msg: AMessage{Type: ARcvd, Receipts: []Receipt{{AgentMsgID: 1, MsgHash: []byte{2}}}}}.Encode()),
			must(AgentMessage{Type: MsgAgent, SndMsgID: 5, Msg: AMessage{Type: AQCont, Server: testServer(), SndID: []byte("s")}}.Encode()),
			must(AgentMessage{Type: MsgAgent, SndMsgID: 6, Msg: AMessage{Type: AEReady, MsgID: 5}}.Encode()),
		}
	},
	"FuzzParseAgentEnvelope": func(t testing.TB) [][]byte {
		p := ratchet.E2EParams{Version: 3, Key1: seqKey(crypto.X448, 56), Key2: seqKey(crypto.X448, 56)}
		return [][]byte{
			must(AgentEnvelope{Version: 7, Type: EnvConfirmation, E2E: &p, Body: []byte("enc")}.Encode()),
			must(AgentEnvelope{Version: 7, Type: EnvConfirmation, Body: []byte("enc")}.Encode()),
			must(AgentEnvelope{Version: 7, Type: EnvMessage, Body: []byte("enc")}.Encode()),
			must(AgentEnvelope{Version: 7, Type: EnvInvitation, ConnReq: []byte("simplex:/"), Body: []byte("i")}.Encode()),
			must(AgentEnvelope{Version: 7, Type: EnvRatchetKey, E2E: &p, Body: []byte("r")}.Encode()),
		}
	},
	"FuzzParseClientMsgEnvelope": func(t testing.TB) [][]byte {
		x := seqKey(crypto.X25519, 32)
		return [][]byte{
			ClientMsgEnvelope{Version: 4, E2EPubKey: &x, EncBody: []byte("body")}.Encode(),
			ClientMsgEnvelope{Version: 4, EncBody: []byte("b")}.Encode(),
			ClientMessage{Body: []byte("m")}.Encode(),
		}
	},
	"FuzzProcessConfirmation": func(t testing.TB) [][]byte {
		p := ratchet.E2EParams{Version: 3, Key1: seqKey(crypto.X448, 56), Key2: seqKey(crypto.X448, 56)}
		conf := must(AgentEnvelope{Version: 7, Type: EnvConfirmation, E2E: &p, Body: []byte("enc")}.Encode())
		msg := must(AgentEnvelope{Version: 7, Type: EnvMessage, Body: []byte("enc")}.Encode())
		return [][]byte{ClientMessage{Body: conf}.Encode(), ClientMessage{Body: msg}.Encode(), {'_'}, {}}
	},
	"FuzzParseClientMessage": func(t testing.TB) [][]byte {
		ed := seqKey(crypto.Ed25519, 32)
		return [][]byte{ClientMessage{SenderKey: &ed, Body: []byte("m")}.Encode(), ClientMessage{Body: []byte("m")}.Encode(), {}}
	},
}

// TestFuzzCorpus checks the committed seed corpora; WRITE_FUZZ_CORPUS=1
// rewrites them.
func TestFuzzCorpus(t *testing.T) {
	write := os.Getenv("WRITE_FUZZ_CORPUS") != ""
	for name, seeds := range fuzzSeeds {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, b := range seeds(t) {
			data := []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b))
			path := filepath.Join(dir, fmt.Sprintf("seed%02d", i))
			if write {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s: stale or missing seed (WRITE_FUZZ_CORPUS=1 to update): %v", path, err)
			}
		}
	}
}

func addSeeds(f *testing.F, name string) {
	for _, b := range fuzzSeeds[name](f) {
		f.Add(b)
	}
}

// FuzzParseAgentMessage: a parsed message re-encodes to its input, except
// that server hosts are canonicalized; then re-encoding is idempotent.
func FuzzParseAgentMessage(f *testing.F) {
	addSeeds(f, "FuzzParseAgentMessage")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseAgentMessage(b)
		if err != nil {
			return
		}
		out, err := m.Encode()
		if err != nil {
			t.Fatalf("encode of parsed %x: %v", b, err)
		}
		if bytes.Equal(out, b) {
			return
		}
		if m.Type != MsgConnInfoReply && m.Msg.Type != AQCont {
			t.Fatalf("re-encode of %x: %x", b, out)
		}
		m2, err := ParseAgentMessage(out)
		if err != nil {
			t.Fatalf("re-parse of %x: %v", out, err)
		}
		if out2, _ := m2.Encode(); !bytes.Equal(out, out2) {
			t.Fatalf("re-encode not idempotent: %x, %x", out, out2)
		}
	})
}

func FuzzParseAgentEnvelope(f *testing.F) {
	addSeeds(f, "FuzzParseAgentEnvelope")
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseAgentEnvelope(b)
		if err != nil {
			return
		}
		if out, err := e.Encode(); err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-encode of %x: %x %v", b, out, err)
		}
	})
}

func FuzzParseClientMsgEnvelope(f *testing.F) {
	addSeeds(f, "FuzzParseClientMsgEnvelope")
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseClientMsgEnvelope(b)
		if err != nil {
			return
		}
		if out := e.Encode(); !bytes.Equal(out, b) {
			t.Fatalf("re-encode of %x: %x", b, out)
		}
	})
}

func FuzzParseClientMessage(f *testing.F) {
	addSeeds(f, "FuzzParseClientMessage")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseClientMessage(b)
		if err != nil {
			return
		}
		if out := m.Encode(); !bytes.Equal(out, b) {
			t.Fatalf("re-encode of %x: %x", b, out)
		}
	})
}
