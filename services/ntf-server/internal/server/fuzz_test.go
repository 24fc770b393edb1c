package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
)

// nopPusher accepts every push.
type nopPusher struct{}

func (nopPusher) Push(context.Context, push.Notification) error { return nil }

// FuzzProcessBlock drives the command path (batch parsing, command
// parsing, credentials, authorization, handlers, store) with arbitrary
// block payloads on a v3 session and a v1 session. It asserts that every
// reply block fits the 512-byte block and parses back as NTF responses,
// one per transmission.
func FuzzProcessBlock(f *testing.F) {
	ident, _ := newIdentity(f)
	st, err := bolt.Open(f.TempDir() + "/ntf.db")
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	disp := push.NewDispatcher(nopPusher{}, push.DispatcherOptions{Workers: 1, QueueSize: 1 << 16})
	defer disp.Close(context.Background())
	srv, err := New(Options{Identity: ident, Store: st, Pushes: disp, Now: func() time.Time { return time.Unix(1e9, 0) }})
	if err != nil {
		f.Fatal(err)
	}
	sid := bytes.Repeat([]byte{5}, 32)
	sk, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	v3 := &transport.Session{SessionID: sid, BlockSize: ntf.BlockSize, Version: 3, ImpliedSessionID: true, Batching: true, Server: true, SessionKey: sk}
	v1 := &transport.Session{SessionID: sid, BlockSize: ntf.BlockSize, Version: 1, Server: true, SessionKey: sk}
	for _, seed := range fuzzSeeds(f, v3) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, s := range []*transport.Session{v3, v1} {
			blocks, err := srv.processBlock(s, payload)
			if err != nil {
				t.Fatalf("processBlock: %v", err)
			}
			if len(blocks) == 0 {
				t.Fatal("no reply")
			}
			for _, b := range blocks {
				if len(b) > ntf.BlockSize-2 {
					t.Fatalf("reply payload of %d bytes", len(b))
				}
				ts, err := transport.ParseBatch(s, b)
				if err != nil {
					t.Fatalf("reply does not parse: %v", err)
				}
				for _, tr := range ts {
					if tr.Err != nil {
						t.Fatalf("reply transmission: %v", tr.Err)
					}
					if _, err := ntf.ParseResponse(s.Version, tr.Command); err != nil {
						t.Fatalf("reply %q: %v", tr.Command, err)
					}
				}
			}
		}
	})
}

// fuzzSeeds are well-formed batches of every command (signed TNEW, PING,
// token and subscription commands) and some broken ones.
func fuzzSeeds(f *testing.F, s *transport.Session) [][]byte {
	vk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	dk, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	enc := func(key *crypto.PrivateKey, entity []byte, c ntf.Command) []byte {
		cmd, err := ntf.EncodeCommand(3, c)
		if err != nil {
			f.Fatal(err)
		}
		corr := bytes.Repeat([]byte{1}, 24)
		var auth []byte
		if key != nil {
			auth, _ = transport.SignTransmission(s, *key, corr, entity, cmd)
		}
		t, err := transport.EncodeTransmission(s, transport.Transmission{Auth: auth, CorrID: corr, EntityID: entity, Command: cmd})
		if err != nil {
			f.Fatal(err)
		}
		bs, err := transport.PackBatches(s, [][]byte{t})
		if err != nil {
			f.Fatal(err)
		}
		return bs[0]
	}
	tid := bytes.Repeat([]byte{2}, 24)
	return [][]byte{
		enc(&vk, nil, ntf.TNEW{Provider: ntf.ProviderAPNSTest, Token: []byte("abcd"), VerifyKey: vk.Public(), DHKey: dk.Public()}),
		enc(nil, nil, ntf.PING{}),
		enc(&vk, tid, ntf.TCHK{}),
		enc(&vk, tid, ntf.TVFY{Code: make([]byte, 32)}),
		enc(&vk, tid, ntf.TCRN{Minutes: 20}),
		enc(&vk, tid, ntf.TDEL{}),
		enc(&vk, tid, ntf.SCHK{}),
		enc(&vk, tid, ntf.SDEL{}),
		{0}, {1, 0, 0}, {2, 0, 1, 'x'},
	}
}
