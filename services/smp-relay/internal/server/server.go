// Package server is the SMP relay: it serves SMP sessions on listeners the
// caller owns, keeps queues in a store.Store and delivers messages and
// notifications to subscribed connections. It never opens ports, reads
// flags or exits (cmd/smp-relay does).
//
// Concurrency. Each connection has a reader goroutine (which also runs the
// command handlers, so one connection's commands are processed in order)
// and a writer goroutine. The hub maps queue and notifier ids to the one
// connection subscribed to each. Lock order: client.mu before hub.mu;
// neither is held while writing to the network.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/smp-relay/internal/events"
	"github.com/simplexgo/services/smp-relay/internal/metrics"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// Identity is the server's TLS identity.
type Identity struct {
	Certificate tls.Certificate   // chain [leaf, CA], leaf key Ed25519
	Chain       [][]byte          // DER of the chain, as sent in the SMP hello
	SignKey     crypto.PrivateKey // the leaf's key, signs per-session DH keys
	KeyHash     []byte            // SHA-256 of the CA certificate: the address fingerprint
}

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	Identity Identity
	Store    store.Store
	Events   events.Publisher // default events.Nop
	Metrics  *metrics.Metrics // default metrics.New()
	Logger   *slog.Logger     // default slog.Default()
	Now      func() time.Time // default time.Now; tests inject a clock

	Versions         encoding.VersionRange // default smp.SupportedRange
	NewQueues        bool
	CreatePassword   []byte // nil = no password needed
	Quota            int    // default 128
	MsgExpiration    time.Duration
	NtfExpiration    time.Duration
	HandshakeTimeout time.Duration // default 2 min
	IdleTimeout      time.Duration // connections with no subscriptions and no traffic are closed; 0 = never
	MaxConnections   int           // default 100000
	SendQueueBlocks  int           // per-connection outgoing queue bound; default 64
	WriteTimeout     time.Duration // a block that cannot be written in this time drops the connection; default 30 s
	MaxPendingNtfs   int           // notifications kept per notifier without a subscriber; default 128
	QueueConcurrency int           // SENDs and ACKs of one connection being stored at once; default 64

	// Private routing, proxy side (PRXY/PFWD): on unless ProxyOff, as in
	// the reference; off, PRXY is refused with ERR PROXY BASIC_AUTH.
	ProxyOff         bool
	ProxyConcurrency int           // proxied commands in flight per connection; default 32
	ProxyTimeout     time.Duration // connecting to a destination, and each forwarded command; default 30 s
	ProxyMaxRelays   int           // destination connections open or opening at once; default 10000
	// ProxyDial opens the TCP connections to destinations; default a
	// net.Dialer that refuses loopback, private, link-local and other
	// non-public addresses unless ProxyAllowPrivate.
	ProxyDial         func(ctx context.Context, network, addr string) (net.Conn, error)
	ProxyAllowPrivate bool
}

// Server is an SMP relay.
type Server struct {
	opts    Options
	log     *slog.Logger
	m       *metrics.Metrics
	st      store.Store
	ev      events.Publisher
	tlsConf *tls.Config
	hub     hub
	ntfs    ntfStore
	proxy   proxyAgent

	sem      chan struct{} // connection slots
	mu       sync.Mutex    // guards clients, listeners, closing
	clients  map[*client]struct{}
	closing  bool
	wg       sync.WaitGroup
	draining atomic.Bool
}

// New returns a Server; call Serve for each listener.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("server: no store")
	}
	if len(o.Identity.Chain) < 2 || len(o.Identity.KeyHash) == 0 || o.Identity.SignKey.Alg != crypto.Ed25519 {
		return nil, errors.New("server: identity needs a [leaf, CA] chain, an Ed25519 leaf key and a key hash")
	}
	if o.Events == nil {
		o.Events = events.Nop{}
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
		o.Versions = smp.SupportedRange
	}
	setDefault(&o.Quota, 128)
	setDefault(&o.MaxConnections, 100_000)
	setDefault(&o.SendQueueBlocks, 64)
	setDefault(&o.MaxPendingNtfs, 128)
	setDefault(&o.QueueConcurrency, 64)
	setDefault(&o.ProxyConcurrency, defaultProxyConcurrency)
	setDefault(&o.ProxyMaxRelays, defaultProxyMaxRelays)
	if o.ProxyTimeout <= 0 {
		o.ProxyTimeout = defaultProxyTimeout
	}
	if o.ProxyDial == nil {
		o.ProxyDial = proxyDialer(o.ProxyAllowPrivate)
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 2 * time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.MsgExpiration <= 0 {
		o.MsgExpiration = 21 * 24 * time.Hour
	}
	if o.NtfExpiration <= 0 {
		o.NtfExpiration = 24 * time.Hour
	}
	s := &Server{
		opts:    o,
		log:     o.Logger,
		m:       o.Metrics,
		st:      o.Store,
		ev:      o.Events,
		tlsConf: transport.ServerTLSConfig([]tls.Certificate{o.Identity.Certificate}, serverALPN),
		sem:     make(chan struct{}, o.MaxConnections),
		clients: map[*client]struct{}{},
	}
	s.hub.init()
	s.proxy.init(s)
	s.ntfs.init(o.MaxPendingNtfs)
	return s, nil
}

// serverALPN are the names the reference smp-server lists [MSM].
var serverALPN = []string{transport.ALPNSMP, transport.ALPNH2, transport.ALPNHTTP}

func setDefault(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.m }

// Store returns the server's store (for the admin API).
func (s *Server) Store() store.Store { return s.st }

// Serve accepts connections on ln until ctx is done or ln fails. It does not
// close ln's connections on return; Shutdown does.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || s.isClosing() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		backoff = 0
		select {
		case s.sem <- struct{}{}:
		default:
			s.m.ConnectionsDenied.WithLabelValues("limit").Inc()
			nc.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			s.serveConn(ctx, nc)
		}()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops serving: connections get their queued responses written
// (until ctx ends), then are closed. Listeners are closed by cancelling the
// context given to Serve.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	s.closing = true
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.closeGracefully()
	}
	defer s.proxy.close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.clients {
			c.abort()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// Draining reports whether Shutdown has started (readiness fails then).
func (s *Server) Draining() bool { return s.draining.Load() }

func (s *Server) addClient(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.clients[c] = struct{}{}
	return true
}

func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

// randomID returns a fresh 24-byte id (queue, notifier and message ids).
func randomID() []byte {
	b, err := crypto.RandomBytes(24)
	if err != nil {
		panic(fmt.Sprintf("server: system randomness failed: %v", err))
	}
	return b
}
