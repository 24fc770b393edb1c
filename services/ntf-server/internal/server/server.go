// Package server is the NTF protocol server: it serves NTF sessions (TLS,
// the NTF handshake, 512-byte blocks) on listeners the caller owns, keeps
// tokens and subscriptions in a store.Store, sends pushes through a
// push.Dispatcher, hands subscriptions to a Subscriber (the SMP side) and
// turns the notifications it reports into message pushes. It never opens
// ports, reads flags or exits (cmd/ntf-server does).
//
// Concurrency: one goroutine per connection reads a block, runs its
// commands in order and writes the responses (the NTF server never pushes
// events to its clients, so there is no writer goroutine). Push results
// come back on the dispatcher's workers; NMSG on the subscriber's.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Identity is the server's TLS identity.
type Identity struct {
	Certificate tls.Certificate   // chain [leaf, CA], leaf key Ed25519
	SignKey     crypto.PrivateKey // the leaf's key, signs the per-session key
	KeyHash     []byte            // SHA-256 of the CA certificate
}

// Subscriber is the SMP side: it subscribes to queues' notifications with
// NSUB and reports NMSG to Server.HandleNMSG.
type Subscriber interface {
	// Subscribe starts (or keeps) the subscription of s's queue.
	Subscribe(s store.Subscription)
	// Unsubscribe forgets the subscriptions (deleted ones); as the
	// reference, no SMP command is sent.
	Unsubscribe(subs ...store.Subscription)
}

type nopSubscriber struct{}

func (nopSubscriber) Subscribe(store.Subscription)      {}
func (nopSubscriber) Unsubscribe(...store.Subscription) {}

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	Identity   Identity
	Store      store.Store
	Pushes     *push.Dispatcher // required
	Subscriber Subscriber       // default: none (SetSubscriber later)
	Metrics    *metrics.Metrics // default metrics.New()
	Logger     *slog.Logger     // default slog.Default()
	Now        func() time.Time // default time.Now; tests inject a clock

	Versions         encoding.VersionRange // default ntf.SupportedServerVRange
	HandshakeTimeout time.Duration         // default 2 min
	IdleTimeout      time.Duration         // 0 = never (reference: disconnect = off)
	// PaddedLen is the length push data is padded to before encryption;
	// default DefaultPaddedLen.
	PaddedLen int
}

// DefaultPaddedLen is the padded length of encrypted push data. The
// reference pads to 3072 [APNS paddedNtfLength], which makes a message
// push about 4.3 KB, over Apple's documented 4096-byte limit
// (CONFORMANCE-NOTES §4.3); 2900 keeps every push within it (checked in
// TestPayloadSize). The app unpads whatever the length: unPad only reads
// the 2-byte length prefix and needs that many bytes after it [MC unPad,
// cbDecrypt].
const DefaultPaddedLen = 2900

// Server is an NTF server.
type Server struct {
	opts    Options
	log     *slog.Logger
	m       *metrics.Metrics
	st      store.Store
	tlsConf *tls.Config

	subMu sync.RWMutex
	sub   Subscriber

	cronMu       sync.Mutex
	cronInFlight map[string]bool
	seen         *recent // notifications already handled (NSUB and NATS)

	// NMSG writer: HandleNMSG queues, runNMSGWriter records and pushes.
	nmsgs    chan []ntf.PNMessageData
	nmsgOnce sync.Once
	nmsgStop chan struct{} // closed by Shutdown
	nmsgDone chan struct{} // closed when the writer has finished

	mu      sync.Mutex
	conns   map[*transport.Session]struct{}
	closing bool
	wg      sync.WaitGroup
}

// serverALPN are the names the reference ntf-server lists [NSM].
var serverALPN = []string{ntf.ALPN, transport.ALPNH2, transport.ALPNHTTP}

// New returns a Server; call Serve for each listener.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Pushes == nil {
		return nil, errors.New("server: store and push dispatcher are required")
	}
	if len(o.Identity.Certificate.Certificate) < 2 || len(o.Identity.KeyHash) == 0 || o.Identity.SignKey.Alg != crypto.Ed25519 {
		return nil, errors.New("server: identity needs a [leaf, CA] chain, an Ed25519 leaf key and a key hash")
	}
	if o.Subscriber == nil {
		o.Subscriber = nopSubscriber{}
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Versions == (encoding.VersionRange{}) {
		o.Versions = ntf.SupportedServerVRange
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 2 * time.Minute
	}
	if o.PaddedLen <= 0 {
		o.PaddedLen = DefaultPaddedLen
	}
	return &Server{
		opts: o, log: o.Logger, m: o.Metrics, st: o.Store, sub: o.Subscriber,
		tlsConf:      transport.ServerTLSConfig([]tls.Certificate{o.Identity.Certificate}, serverALPN),
		cronInFlight: map[string]bool{},
		seen:         newRecent(8192),
		nmsgs:        make(chan []ntf.PNMessageData, nmsgQueueLen),
		nmsgStop:     make(chan struct{}),
		nmsgDone:     make(chan struct{}),
		conns:        map[*transport.Session]struct{}{},
	}, nil
}

// SetSubscriber installs the subscriber (it needs the server for NMSG, so
// it is usually built after New).
func (s *Server) SetSubscriber(sub Subscriber) {
	s.subMu.Lock()
	s.sub = sub
	s.subMu.Unlock()
}

func (s *Server) subscriber() Subscriber {
	s.subMu.RLock()
	defer s.subMu.RUnlock()
	return s.sub
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.m }

// Store returns the server's store.
func (s *Server) Store() store.Store { return s.st }

// Serve accepts connections on ln until ctx is done or ln fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || s.isClosing() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, nc)
		}()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// nmsgQueueLen bounds the groups of notifications received and not yet
// recorded (a group is what one read of an SMP connection delivered, at
// most 256 NMSGs; one, from NATS).
const nmsgQueueLen = 512

// Shutdown closes every connection, records the notifications already
// queued (their pushes go to the dispatcher, which the caller closes
// next) and waits for all of it (until ctx ends). Listeners close when
// Serve's context is cancelled; stop the subscriber first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	wasClosing := s.closing
	s.closing = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if !wasClosing {
		close(s.nmsgStop)
	}
	s.nmsgOnce.Do(func() { close(s.nmsgDone) }) // no writer was started
	done := make(chan struct{})
	go func() { s.wg.Wait(); <-s.nmsgDone; close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	hctx, cancel := context.WithTimeout(ctx, s.opts.HandshakeTimeout)
	defer cancel()
	tc, err := transport.Server(hctx, nc, s.tlsConf)
	if err != nil {
		nc.Close()
		s.log.Debug("TLSHandshakeFailed", "err", err)
		return
	}
	sess, err := transport.NTFServerHandshake(hctx, tc, transport.NTFServerParams{
		Range: s.opts.Versions, SignKey: s.opts.Identity.SignKey, KeyHash: s.opts.Identity.KeyHash,
	})
	if err != nil {
		s.log.Debug("NTFHandshakeFailed", "err", err)
		return
	}
	cancel()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		sess.Close()
		return
	}
	s.conns[sess] = struct{}{}
	s.mu.Unlock()
	s.m.ConnectionsAccepted.Inc()
	s.m.ConnectionsOpen.Inc()
	defer func() {
		s.mu.Lock()
		delete(s.conns, sess)
		s.mu.Unlock()
		s.m.ConnectionsOpen.Dec()
		sess.Close()
	}()
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	defer stop()
	for {
		if s.opts.IdleTimeout > 0 {
			if err := tc.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout)); err != nil {
				return
			}
		}
		payload, err := sess.ReadBlock()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("ConnectionClosed", "err", err)
			}
			return
		}
		blocks, err := s.processBlock(sess, payload)
		if err != nil {
			s.log.Warn("EncodeFailed", "err", err)
			return
		}
		for _, b := range blocks {
			if err := sess.WriteBlock(b); err != nil {
				return
			}
		}
	}
}
