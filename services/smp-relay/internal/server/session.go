package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// serveConn runs the TLS and SMP handshakes, then serves the session.
func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	hctx, cancel := context.WithTimeout(ctx, s.opts.HandshakeTimeout)
	// After a TLS 1.3 handshake the records are read and written by the
	// transport package, which holds no buffer while a connection is idle
	// (crypto/tls keeps one of a full record, 16 KB, per connection).
	tc, err := transport.Server(hctx, nc, s.tlsConf, transport.WithOwnRecords())
	if err != nil {
		cancel()
		s.m.ConnectionsDenied.WithLabelValues("tls").Inc()
		s.log.Debug("TLSHandshakeFailed", "err", err)
		return
	}
	sess, err := transport.SMPServerHandshake(hctx, tc, transport.SMPServerParams{
		Range:     s.opts.Versions,
		CertChain: s.opts.Identity.Chain,
		SignKey:   s.opts.Identity.SignKey,
		KeyHash:   s.opts.Identity.KeyHash,
	})
	cancel()
	if err != nil {
		tc.Close()
		s.m.ConnectionsDenied.WithLabelValues("handshake").Inc()
		s.log.Debug("SMPHandshakeFailed", "err", err)
		return
	}
	c := s.newClient(&sessionWire{s: sess})
	if !s.addClient(c) {
		sess.Close()
		return
	}
	defer s.removeClient(c)
	s.m.ConnectionsTotal.Inc()
	s.m.Connections.Inc()
	defer s.m.Connections.Dec()
	c.run(ctx)
}

// sessionWire adapts a transport.Session to wire.
type sessionWire struct {
	s         *transport.Session
	closeOnce sync.Once
}

func (w *sessionWire) version() uint16                    { return w.s.Version }
func (w *sessionWire) sessionKey() crypto.PrivateKey      { return w.s.SessionKey }
func (w *sessionWire) readBlock() ([]byte, func(), error) { return w.s.ReadBlockPooled() }
func (w *sessionWire) isBadBlock(err error) bool          { return errors.Is(err, transport.ErrBadBlock) }

func (w *sessionWire) setReadDeadline(t time.Time) error {
	return w.s.Conn.SetReadDeadline(t)
}

func (w *sessionWire) close() {
	w.closeOnce.Do(func() { w.s.Close() })
}

func (w *sessionWire) parseBatch(payload []byte) ([]request, error) {
	pts, err := transport.ParseBatch(w.s, payload)
	if err != nil {
		return nil, err
	}
	reqs := make([]request, len(pts))
	for i, pt := range pts {
		reqs[i] = request{
			auth:       pt.Auth,
			corrID:     pt.CorrID,
			entityID:   pt.EntityID,
			command:    pt.Command,
			authorized: pt.Authorized(),
			err:        pt.Err,
		}
		// BLOCK and SESSION errors go back with the corrId and an empty
		// entity [MP tDecodeServer].
	}
	return reqs, nil
}

func (w *sessionWire) appendTransmission(dst, corrID, entityID []byte, m smp.Message) ([]byte, error) {
	start := len(dst)
	dst, err := transport.AppendTransmissionHeader(dst, w.s, transport.Transmission{CorrID: corrID, EntityID: entityID})
	if err == nil {
		dst, err = smp.AppendMessage(dst, w.s.Version, m)
	}
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// writeTransmissions builds each block's payload in one pooled buffer and
// writes the block as soon as the next transmission does not fit.
func (w *sessionWire) writeTransmissions(txs [][]byte, timeout time.Duration) (int, error) {
	bp := payloadPool.Get().(*[]byte)
	defer payloadPool.Put(bp)
	b := transport.NewBatchBuilderBuffer(w.s, *bp)
	n := 0
	flush := func() error {
		p := b.Payload()
		if p == nil {
			return nil
		}
		if cap(p) > cap(*bp) {
			*bp = p[:0]
		}
		if err := w.s.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
		if err := w.s.WriteBlock(p); err != nil {
			return err
		}
		n++
		return nil
	}
	for i, t := range txs {
		err := b.Add(t)
		if errors.Is(err, transport.ErrBatchFull) {
			if err := flush(); err != nil {
				return n, err
			}
			err = b.Add(t)
		}
		if err != nil {
			return n, fmt.Errorf("server: transmission %d: %w", i, err)
		}
	}
	return n, flush()
}

// payloadPool holds block payload buffers for writeTransmissions.
var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, transport.SMPBlockSize); return &b }}
