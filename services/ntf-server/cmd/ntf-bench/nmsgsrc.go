package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// nmsgSource is an SMP server for the ntf-server alone: real TLS, the SMP
// handshake and block encryption of an smp-relay, NSUB answered OK, and
// then NMSG sent on demand (send) with no queue, message or SEND behind
// it. It isolates the NTF server's cost per notification (receive the
// NMSG, record it, encrypt and push) from a relay's cost per message,
// which on this machine's two shared cores is several times larger.
type nmsgSource struct {
	ln   net.Listener
	addr address.ServerAddress
	id   *certs.ServerIdentity
	conf *tls.Config

	mu    sync.Mutex
	conns map[*transport.Session]*sourceConn
	subs  map[string]*sourceConn // notifier id → the connection that subscribed it
	ready chan struct{}          // closed when subsWanted NSUBs are answered
	want  int
}

type sourceConn struct {
	s   *transport.Session
	wmu sync.Mutex
}

// startNMSGSource listens on 127.0.0.1; ready closes once want notifier
// ids are subscribed.
func startNMSGSource(want int) (*nmsgSource, error) {
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "ntf-bench NMSG source", "127.0.0.1", rand.Reader)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	src := &nmsgSource{
		ln:    ln,
		addr:  address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: id.Fingerprint, Hosts: []string{"127.0.0.1"}, Port: port},
		id:    id,
		conf:  transport.ServerTLSConfig([]tls.Certificate{id.TLS}, []string{transport.ALPNSMP, transport.ALPNH2, transport.ALPNHTTP}),
		conns: map[*transport.Session]*sourceConn{},
		subs:  map[string]*sourceConn{},
		ready: make(chan struct{}),
		want:  want,
	}
	go src.accept()
	return src, nil
}

func (src *nmsgSource) close() {
	src.ln.Close()
	src.mu.Lock()
	for s := range src.conns {
		s.Close()
	}
	src.mu.Unlock()
}

func (src *nmsgSource) accept() {
	for {
		nc, err := src.ln.Accept()
		if err != nil {
			return
		}
		go src.serve(nc)
	}
}

func (src *nmsgSource) serve(nc net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tc, err := transport.Server(ctx, nc, src.conf)
	if err != nil {
		cancel()
		nc.Close()
		return
	}
	s, err := transport.SMPServerHandshake(ctx, tc, transport.SMPServerParams{
		Range: smp.SupportedRange, CertChain: src.id.Chain, SignKey: src.id.LeafKey, KeyHash: src.id.Fingerprint,
	})
	cancel()
	if err != nil {
		tc.Close()
		return
	}
	c := &sourceConn{s: s}
	src.mu.Lock()
	src.conns[s] = c
	src.mu.Unlock()
	defer func() {
		src.mu.Lock()
		delete(src.conns, s)
		src.mu.Unlock()
		s.Close()
	}()
	for {
		block, err := s.ReadBlock()
		if err != nil {
			return
		}
		pts, err := transport.ParseBatch(s, block)
		if err != nil {
			return
		}
		var resps [][]byte
		for _, pt := range pts {
			var m smp.Message = smp.ERR{Err: smp.ErrCmdProhibited}
			if pt.Err == nil {
				cmd, err := smp.ParseCommand(s.Version, pt.Command)
				switch cmd.(type) {
				case smp.NSUB:
					m = smp.OK{}
					src.subscribed(string(pt.EntityID), c)
				case smp.PING:
					m = smp.PONG{}
				default:
					if err != nil {
						m = smp.ERR{Err: smp.ErrorTypeOf(err)}
					}
				}
			}
			b, err := encodeMsg(s, pt.CorrID, pt.EntityID, m)
			if err != nil {
				return
			}
			resps = append(resps, b)
		}
		if err := c.write(resps); err != nil {
			return
		}
	}
}

func (src *nmsgSource) subscribed(nid string, c *sourceConn) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if _, ok := src.subs[nid]; ok {
		return
	}
	src.subs[nid] = c
	if len(src.subs) == src.want {
		close(src.ready)
	}
}

func encodeMsg(s *transport.Session, corrID, entityID []byte, m smp.Message) ([]byte, error) {
	cmd, err := smp.EncodeMessage(s.Version, m)
	if err != nil {
		return nil, err
	}
	return transport.EncodeTransmission(s, transport.Transmission{CorrID: corrID, EntityID: entityID, Command: cmd})
}

func (c *sourceConn) write(txs [][]byte) error {
	if len(txs) == 0 {
		return nil
	}
	blocks, err := transport.PackBatches(c.s, txs)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for _, b := range blocks {
		if err := c.s.WriteBlock(b); err != nil {
			return err
		}
	}
	return nil
}

// send delivers NMSG to the subscribers of these notifier ids, batched in
// as few blocks as fit. The metadata is 144 random bytes, the size of the
// relay's encrypted NMsgMeta [handle_ntf.go]; the NTF server forwards it
// without opening it. nonces[i] goes with nids[i].
func (src *nmsgSource) send(nids [][]byte, nonces [][]byte) error {
	src.mu.Lock()
	byConn := map[*sourceConn][]int{}
	for i, nid := range nids {
		c := src.subs[string(nid)]
		if c == nil {
			src.mu.Unlock()
			return errors.New("NMSG for a notifier id nobody subscribed")
		}
		byConn[c] = append(byConn[c], i)
	}
	src.mu.Unlock()
	meta := make([]byte, 144)
	rand.Read(meta)
	for c, idx := range byConn {
		txs := make([][]byte, 0, len(idx))
		for _, i := range idx {
			b, err := encodeMsg(c.s, nil, nids[i], smp.NMSG{Nonce: nonces[i], EncMeta: meta})
			if err != nil {
				return err
			}
			txs = append(txs, b)
		}
		if err := c.write(txs); err != nil {
			return fmt.Errorf("NMSG: %w", err)
		}
	}
	return nil
}
