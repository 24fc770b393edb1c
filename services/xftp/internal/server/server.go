//lint:file-ignore SA1019 net/http cannot serve HTTP/2 on a connection whose ALPN is xftp/1 (CONFORMANCE-NOTES, Go notes); x/net/http2 ServeConn/NewClientConn can

// Package server is the XFTP file relay: it accepts TLS connections, serves
// HTTP/2 on them with the XFTP handshake and commands, stores chunk records
// in a store.Store and chunk bytes in a directory [FS].
//
// Protocol flow (CONFORMANCE-NOTES §5):
//
//	client                                   server
//	TLS (ALPN xftp/1), HTTP/2 prior knowledge
//	POST / (empty body)              →
//	                                 ←       200 pad(serverHandshake, 16384)
//	POST / pad(w16 v ‖ short(keyHash))→
//	                                 ←       200 (empty)
//	POST / pad(batch1(signed cmd)) [‖ chunk] →
//	                                 ←       200 pad(batch1(response)) [‖ encrypted chunk ‖ tag]
//
// The server never listens on its own: Serve takes a listener, and the
// command (cmd/xftp-server) owns flags, certificates and ports.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/metrics"
	"github.com/simplexgo/services/xftp/internal/store"
)

// Identity is the server's TLS identity.
type Identity struct {
	Certificate tls.Certificate   // TLS chain [leaf, CA] with the Ed25519 leaf key
	Chain       [][]byte          // the same chain, DER, sent in the handshake
	SignKey     crypto.PrivateKey // leaf key: signs session keys and web proofs
	KeyHash     []byte            // SHA-256 of the CA certificate
}

// Options configure a Server.
type Options struct {
	Identity Identity
	Store    store.Store
	// FilesPath is the directory of chunk files.
	FilesPath string
	// Quota bounds the bytes of committed and in-progress chunks (QUOTA);
	// 0 means no limit.
	Quota int64
	// AllowNewFiles: FNEW is refused with AUTH when false.
	AllowNewFiles bool
	// CreatePassword, when non-nil, must be sent with FNEW.
	CreatePassword []byte
	// FileExpiration is how long a file lives (reference 48 h).
	FileExpiration time.Duration
	// ChunkTimeout bounds receiving one FPUT body (reference 5 min).
	ChunkTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake.
	HandshakeTimeout time.Duration
	// IdleTimeout closes connections without requests for this long (0 = never).
	IdleTimeout time.Duration
	// MaxConnections bounds open connections (0 = no limit).
	MaxConnections int
	// Web enables browser support: connections that send SNI get the web
	// handshake and CORS headers [FS, WHS].
	Web bool
	// VRange is the offered version range (default xftp.SupportedVRange).
	VRange encoding.VersionRange
	// Now is the clock (default time.Now); tests inject one.
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is an XFTP relay.
type Server struct {
	opts   Options
	log    *slog.Logger
	st     store.Store
	chunks *chunkDir
	m      *metrics.Metrics
	tlsCfg *tls.Config
	h2     *http2.Server
	base   *http.Server // carries the graceful shutdown to h2's connections
	now    func() time.Time
	usedMu sync.Mutex
	used   int64 // guarded by usedMu: committed + reserved chunk bytes
	putMu  idLocks
	// spareKeys holds fresh X25519 keys for FGET (see dhKey).
	spareKeys chan crypto.PrivateKey
	closing   atomic.Bool
	// testHookReceiving, when set (tests only), runs when an FPUT starts
	// reading its chunk.
	testHookReceiving atomic.Pointer[func()]

	mu    sync.Mutex
	conns map[*conn]struct{} // guarded by mu
	wg    sync.WaitGroup     // connection goroutines
}

// ErrClosed is returned by Serve after Shutdown.
var ErrClosed = errors.New("server: closed")

// New creates a server over an open store. It removes temporary and
// orphaned chunk files and computes the used storage.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.FilesPath == "" || len(o.Identity.Chain) == 0 {
		return nil, errors.New("server: store, files path and identity are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.VRange == (encoding.VersionRange{}) {
		o.VRange = xftp.SupportedVRange
	}
	if o.ChunkTimeout <= 0 {
		o.ChunkTimeout = 5 * time.Minute
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 2 * time.Minute
	}
	if o.FileExpiration <= 0 {
		o.FileExpiration = 48 * time.Hour
	}
	cd, err := newChunkDir(o.FilesPath)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: o.Logger, st: o.Store, chunks: cd, m: metrics.New(), now: o.Now,
		conns: map[*conn]struct{}{}, spareKeys: make(chan crypto.PrivateKey, spareDHKeys)}
	if err := s.restore(context.Background()); err != nil {
		return nil, err
	}
	s.tlsCfg = transport.ServerTLSConfig([]tls.Certificate{o.Identity.Certificate},
		[]string{transport.ALPNXFTP, transport.ALPNH2, transport.ALPNHTTP})
	// Flow-control windows of 256 KB per upload (1 MB per connection) let
	// a 4 MB chunk arrive without waiting for a window update every 64 KB.
	s.h2 = &http2.Server{IdleTimeout: o.IdleTimeout, MaxReadFrameSize: 1 << 16,
		MaxUploadBufferPerStream: 256 << 10, MaxUploadBufferPerConnection: 1 << 20}
	s.base = &http.Server{}
	if err := http2.ConfigureServer(s.base, s.h2); err != nil {
		return nil, fmt.Errorf("server: http2: %w", err)
	}
	return s, nil
}

// restore sums the committed chunks and removes chunk files the store does
// not name (temporary uploads, or a crash between rename and commit).
func (s *Server) restore(ctx context.Context) error {
	names := map[string]bool{}
	var used int64
	err := s.st.Uploaded(ctx, func(_ []byte, path string, size uint32) error {
		names[path] = true
		used += int64(size)
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: restore: %w", err)
	}
	n, err := s.chunks.cleanup(func(name string) bool { return names[name] })
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("ChunkFilesCleaned", "count", n)
	}
	s.used = used
	s.m.UsedBytes.Set(float64(used))
	return nil
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.m }

// Store returns the server's store.
func (s *Server) Store() store.Store { return s.st }

// Draining reports whether Shutdown has started.
func (s *Server) Draining() bool { return s.closing.Load() }

// UsedStorage returns the bytes of committed and reserved chunks.
func (s *Server) UsedStorage() int64 {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	return s.used
}

// reserve adds n bytes to the used storage unless that exceeds the quota.
func (s *Server) reserve(n int64) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	if s.opts.Quota > 0 && s.used+n > s.opts.Quota {
		return false
	}
	s.used += n
	s.m.UsedBytes.Set(float64(s.used))
	return true
}

// release subtracts n bytes from the used storage.
func (s *Server) release(n int64) {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	s.used -= n
	s.m.UsedBytes.Set(float64(s.used))
}

// Serve accepts connections on ln until ctx ends or Shutdown is called; it
// closes ln. It returns nil after ctx ends or Shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || s.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		if s.closing.Load() {
			nc.Close()
			return nil
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, nc)
		}()
	}
}

// Shutdown stops accepting requests, waits for in-flight requests until
// ctx ends, then closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	// GOAWAY on every connection; each closes when its streams end.
	s.base.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// idLocks serializes the commit of uploads to one file id.
type idLocks struct {
	mu sync.Mutex
	m  map[string]*idLock // guarded by mu
}

type idLock struct {
	mu   sync.Mutex
	refs int // guarded by idLocks.mu
}

// lock locks id and returns the unlock function.
func (l *idLocks) lock(id []byte) func() {
	k := string(id)
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*idLock{}
	}
	e, ok := l.m[k]
	if !ok {
		e = &idLock{}
		l.m[k] = e
	}
	e.refs++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(l.m, k)
		}
		l.mu.Unlock()
	}
}
