package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
)

// memWire is a wire over a hand-built session with no connection: the
// fuzz target feeds block payloads straight to the command handler.
type memWire struct{ s *transport.Session }

func (w *memWire) version() uint16                    { return w.s.Version }
func (w *memWire) sessionKey() crypto.PrivateKey      { return w.s.SessionKey }
func (w *memWire) readBlock() ([]byte, func(), error) { select {} }
func (w *memWire) isBadBlock(error) bool              { return false }
func (w *memWire) setReadDeadline(time.Time) error    { return nil }
func (w *memWire) close()                             {}
func (w *memWire) writeTransmissions(txs [][]byte, _ time.Duration) (int, error) {
	return len(txs), nil
}
func (w *memWire) parseBatch(p []byte) ([]request, error) {
	return (&sessionWire{s: w.s}).parseBatch(p)
}
func (w *memWire) appendTransmission(dst, corrID, entityID []byte, m smp.Message) ([]byte, error) {
	return (&sessionWire{s: w.s}).appendTransmission(dst, corrID, entityID, m)
}

// FuzzHandlePayload drives the command handler with arbitrary block
// payloads at v14 against a real store: it must never panic, and every
// response must encode as a transmission that fits a block.
func FuzzHandlePayload(f *testing.F) {
	sk, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	sess := &transport.Session{Version: 14, SessionID: make([]byte, 32), BlockSize: transport.SMPBlockSize,
		ImpliedSessionID: true, Batching: true, Server: true, SessionKey: sk}
	rk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	dk, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	seed := func(auth, corr, ent []byte, cmd smp.Command) []byte {
		b, _ := smp.EncodeCommand(14, cmd)
		tx, _ := transport.EncodeTransmission(sess, transport.Transmission{Auth: auth, CorrID: corr, EntityID: ent, Command: b})
		p, _ := transport.PackBatches(sess, [][]byte{tx})
		return p[0]
	}
	corr := make([]byte, 24)
	newB, _ := smp.EncodeCommand(14, smp.NEW{RcvAuthKey: rk.Public(), RcvDHKey: dk.Public(), Subscribe: true})
	sig, _ := transport.SignTransmission(sess, rk, corr, nil, newB)
	f.Add(seed(sig, corr, nil, smp.NEW{RcvAuthKey: rk.Public(), RcvDHKey: dk.Public(), Subscribe: true}))
	f.Add(seed(nil, corr, []byte("0123456789abcdef01234567"), smp.SEND{Body: []byte("hi")}))
	f.Add(seed(nil, corr, nil, smp.PING{}))
	f.Add(seed(make([]byte, 64), corr, []byte("q"), smp.SUB{}))
	f.Add([]byte{2, 0, 1, 0, 0, 1})
	f.Add(seed(nil, corr, nil, smp.PRXY{Server: smp.SMPServer{Hosts: []string{"relay.example.com"}, Port: "5223", KeyHash: make([]byte, 32)}}))
	f.Add(seed(nil, corr, make([]byte, 32), smp.PFWD{Version: 14, ClientKey: dk.Public(), EncTransmission: make([]byte, 100)}))

	st, err := bolt.Open(filepath.Join(f.TempDir(), "smp.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	// PRXY is exercised without the network: every destination refuses.
	noNet := func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("fuzz: no network") }
	srv, err := New(Options{Identity: testIdentity(f), Store: st, NewQueues: true, Logger: slog.New(slog.DiscardHandler), ProxyDial: noNet})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		payload := bytes.Clone(input)
		c := srv.newClient(&memWire{s: sess})
		outs := c.processPayload(context.Background(), payload)
		var txs [][]byte
		for _, o := range outs {
			tx, err := c.w.appendTransmission(nil, o.corrID, o.entityID, o.msg)
			if err != nil {
				t.Fatalf("response %T does not encode: %v", o.msg, err)
			}
			if _, err := transport.PackBatches(sess, [][]byte{tx}); err != nil {
				t.Fatalf("response %T does not fit a block: %v", o.msg, err)
			}
			txs = append(txs, tx)
		}
		// The block's buffer is reused once detach has run (the relay reads
		// into pooled buffers): responses must not change when it is.
		detach(outs)
		for i := range payload {
			payload[i] = 0xa5
		}
		for i, o := range outs {
			if tx, err := c.w.appendTransmission(nil, o.corrID, o.entityID, o.msg); err != nil || !bytes.Equal(tx, txs[i]) {
				t.Fatalf("response %d (%T) changed with the block's buffer: %v", i, o.msg, err)
			}
		}
		c.cleanup()
	})
}
