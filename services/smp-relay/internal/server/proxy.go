package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/protocol/transport"
)

// Private routing, proxy side [MS processProxiedCmd, MC
// forwardSMPTransmission, CONFORMANCE-NOTES §3.5]. A client asks this
// relay (its own server) to reach a destination relay:
//
//	PRXY server auth  →  PKEY destSessionId versionRange certChain signedKey
//	PFWD v key encT   →  PRES encResponse        (entity = destSessionId)
//
// The relay keeps one connection per destination, shared by all its
// clients, opened as an SMP proxy client (v14 proxyServer flag: no block
// encryption, the forwarded transmissions are encrypted end to end), and
// forwards each PFWD as RFWD on it. The client's transmission stays
// encrypted for the destination: this relay learns which relay the client
// sends to, not to which queue or what.

// Proxy defaults: the reference's client_concurrency, and how long a
// failed connection attempt is answered from memory [MS persistErrorInterval].
const (
	defaultProxyConcurrency = 32
	defaultProxyMaxRelays   = 10_000
	defaultProxyTimeout     = 30 * time.Second
	proxyErrorMemory        = 30 * time.Second
	proxyIdleClose          = 30 * time.Minute
)

// proxyAgent holds the connections to destination relays.
type proxyAgent struct {
	srv *Server

	mu     sync.Mutex
	byAddr map[string]*proxyConn // destination "host:port keyhash"
	bySess map[string]*proxyConn // destination session id
	closed bool
}

// proxyConn is one destination connection, or the attempt to open it.
type proxyConn struct {
	key   string
	ready chan struct{} // closed when the attempt has finished
	c     *smpclient.Client
	err   error     // the attempt's error; kept proxyErrorMemory
	at    time.Time // when the attempt finished
	used  time.Time // last PRXY or PFWD; guarded by proxyAgent.mu
}

func (a *proxyAgent) init(s *Server) {
	a.srv = s
	a.byAddr = map[string]*proxyConn{}
	a.bySess = map[string]*proxyConn{}
}

// errOnionOnly: the destination has no host this relay can reach (it
// does not use Tor).
var errOnionOnly = errors.New("server: proxy: only onion hosts")

// errTooManyRelays: ProxyMaxRelays destinations are connected already.
var errTooManyRelays = errors.New("server: proxy: too many destination connections")

// errNotPublic: the destination resolves to an address that is not on the
// public internet.
var errNotPublic = errors.New("server: proxy: destination address is not public")

// proxyDialer dials destinations. A client chooses the destination, so
// unless allowPrivate the relay refuses addresses that are not public
// (loopback, private, link-local, unspecified, multicast, CGNAT): it must
// not be a way into the operator's own network (its admin and metrics
// ports included). The check runs on the resolved address of every
// attempt, so a name that resolves to such an address is refused too.
func proxyDialer(allowPrivate bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !isPublic(ap.Addr()) {
				return errNotPublic
			}
			return nil
		}
	}
	return d.DialContext
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !cgnat.Contains(a)
}

// connect returns the connection to srv, opening it if needed; concurrent
// callers for one destination share one attempt.
func (a *proxyAgent) connect(ctx context.Context, srv smp.SMPServer) (*smpclient.Client, error) {
	host := ""
	for _, h := range srv.Hosts {
		if !strings.HasSuffix(strings.ToLower(h), ".onion") {
			host = h
			break
		}
	}
	if host == "" {
		return nil, errOnionOnly
	}
	port := srv.Port
	if port == "" {
		port = "5223"
	}
	addr := net.JoinHostPort(host, port)
	key := addr + " " + hex.EncodeToString(srv.KeyHash)
	now := a.srv.opts.Now()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, smpclient.ErrClosed
	}
	a.closeIdleLocked(now)
	pc := a.byAddr[key]
	if pc != nil {
		select {
		case <-pc.ready:
			if pc.err == nil && isOpen(pc.c) {
				pc.used = now
				a.mu.Unlock()
				return pc.c, nil
			}
			if pc.err != nil && now.Sub(pc.at) < proxyErrorMemory {
				a.mu.Unlock()
				return nil, pc.err
			}
			a.dropLocked(pc)
			pc = nil
		default: // being opened
		}
	}
	if pc == nil {
		// Clients choose the destinations: bound how many connections they
		// can make the relay hold.
		if len(a.byAddr) >= a.srv.opts.ProxyMaxRelays {
			a.mu.Unlock()
			return nil, errTooManyRelays
		}
		pc = &proxyConn{key: key, ready: make(chan struct{}), used: now}
		a.byAddr[key] = pc
		go a.open(pc, addr, srv.KeyHash)
	}
	a.mu.Unlock()
	select {
	case <-pc.ready:
		return pc.c, pc.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func isOpen(c *smpclient.Client) bool {
	select {
	case <-c.Done():
		return false
	default:
		return true
	}
}

// open dials a destination as an SMP proxy client.
func (a *proxyAgent) open(pc *proxyConn, addr string, keyHash []byte) {
	o := a.srv.opts
	ctx, cancel := context.WithTimeout(context.Background(), o.ProxyTimeout)
	defer cancel()
	c, err := smpclient.Dial(ctx, addr, keyHash, smpclient.Options{
		Range: smp.SupportedRange, ProxyClient: true, DialContext: o.ProxyDial,
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	pc.c, pc.err, pc.at = c, err, a.srv.opts.Now()
	close(pc.ready)
	if err != nil {
		a.srv.log.Debug("ProxyConnectFailed", "err", err)
		return
	}
	if a.closed {
		c.Close()
		pc.err = smpclient.ErrClosed
		return
	}
	a.bySess[string(c.Session().SessionID)] = pc
	go func() {
		<-c.Done()
		a.mu.Lock()
		if a.byAddr[pc.key] == pc {
			a.dropLocked(pc)
		}
		a.mu.Unlock()
	}()
}

// dropLocked forgets pc and closes its connection.
func (a *proxyAgent) dropLocked(pc *proxyConn) {
	if a.byAddr[pc.key] == pc {
		delete(a.byAddr, pc.key)
	}
	if pc.c != nil {
		sid := string(pc.c.Session().SessionID)
		if a.bySess[sid] == pc {
			delete(a.bySess, sid)
		}
		pc.c.Close()
	}
}

// session returns the open connection whose session id is sid, or nil.
func (a *proxyAgent) session(sid []byte) *smpclient.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	pc := a.bySess[string(sid)]
	if pc == nil || !isOpen(pc.c) {
		return nil
	}
	pc.used = a.srv.opts.Now()
	return pc.c
}

// closeIdleLocked closes connections unused for proxyIdleClose and forgets
// failed attempts older than proxyErrorMemory, so that neither counts
// against ProxyMaxRelays (connect runs it: there is nothing to close
// before a connection is asked for).
func (a *proxyAgent) closeIdleLocked(now time.Time) {
	for _, pc := range a.byAddr {
		select {
		case <-pc.ready:
			if now.Sub(pc.used) > proxyIdleClose || (pc.err != nil && now.Sub(pc.at) >= proxyErrorMemory) {
				a.dropLocked(pc)
			}
		default:
		}
	}
}

// close closes every connection; later PRXY fail.
func (a *proxyAgent) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	for _, pc := range a.byAddr {
		select {
		case <-pc.ready:
			a.dropLocked(pc)
		default: // open closes it when it finishes
		}
	}
}

// proxyRelay handles PRXY: allowed when proxying is on and, if this relay
// has a queue-creation password, the client gives it [MS processProxiedCmd
// allowProxy]. The answer comes later, from another goroutine.
func (h *handlerCtx) proxyRelay(ctx context.Context, cmd smp.PRXY) []out {
	s := h.c.srv
	pw := s.opts.CreatePassword
	if s.opts.ProxyOff || (pw != nil && (cmd.BasicAuth == nil || subtle.ConstantTimeCompare(cmd.BasicAuth, pw) != 1)) {
		return h.proxyErr(smp.ProxyError{Code: smp.ProxyBasicAuth})
	}
	// The command's fields may alias the block's pooled buffer, which is
	// reused once this returns: the goroutine gets copies.
	dest := smp.SMPServer{Hosts: slices.Clone(cmd.Server.Hosts), Port: cmd.Server.Port, KeyHash: bytes.Clone(cmd.Server.KeyHash)}
	return h.proxyAsync(ctx, false, func(ctx context.Context) smp.Message {
		c, err := s.proxy.connect(ctx, dest)
		if err != nil {
			s.m.ProxyRequests.WithLabelValues("prxy", "error").Inc()
			return smp.ERR{Err: proxyClientError(err)}
		}
		sess := c.Session()
		// The destination's range, capped to what proxied clients may use,
		// so that it does not tell a client's version [MT proxiedSMPRelayVersion].
		if _, ok := sess.ServerRange.Compatible(smp.ProxiedRelayRange); !ok || sess.Version < smp.VersionSendingProxy {
			s.m.ProxyRequests.WithLabelValues("prxy", "error").Inc()
			return smp.ERR{Err: brokerTransport(smp.TransportError{Code: smp.TransportVersion})}
		}
		if sess.ServerSignedKey == nil {
			s.m.ProxyRequests.WithLabelValues("prxy", "error").Inc()
			return smp.ERR{Err: brokerTransport(smp.TransportError{Code: smp.TransportNoAuth})}
		}
		s.m.ProxyRequests.WithLabelValues("prxy", "ok").Inc()
		return smp.PKEY{SessionID: sess.SessionID, VRange: intersect(sess.ServerRange, smp.ProxiedRelayRange),
			CertChain: sess.ServerCertChain, SignedKey: sess.ServerSignedKey}
	})
}

// proxyForward handles PFWD: the entity is the destination session id
// from PKEY [MS processProxiedCmd PFWD].
func (h *handlerCtx) proxyForward(ctx context.Context, cmd smp.PFWD) []out {
	s := h.c.srv
	c := s.proxy.session(h.r.entityID)
	if c == nil {
		s.m.ProxyRequests.WithLabelValues("pfwd", "error").Inc()
		return h.proxyErr(smp.ProxyError{Code: smp.ProxyNoSession})
	}
	if c.Session().Version < smp.VersionSendingProxy {
		s.m.ProxyRequests.WithLabelValues("pfwd", "error").Inc()
		return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: smp.ERR{Err: brokerTransport(smp.TransportError{Code: smp.TransportVersion})}}}
	}
	// Copies, as in proxyRelay.
	fwd := smp.FwdTransmission{CorrID: bytes.Clone(h.r.corrID), Version: cmd.Version,
		ClientKey:       crypto.PublicKey{Alg: cmd.ClientKey.Alg, Raw: bytes.Clone(cmd.ClientKey.Raw)},
		EncTransmission: bytes.Clone(cmd.EncTransmission)}
	return h.proxyAsync(ctx, true, func(ctx context.Context) smp.Message {
		r, err := c.Forward(ctx, fwd)
		if err != nil {
			s.m.ProxyRequests.WithLabelValues("pfwd", "error").Inc()
			return smp.ERR{Err: proxyClientError(err)}
		}
		s.m.ProxyRequests.WithLabelValues("pfwd", "ok").Inc()
		return smp.PRES{EncResponse: r}
	})
}

func (h *handlerCtx) proxyErr(p smp.ProxyError) []out {
	return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: smp.ERR{Err: smp.NewProxyError(p)}}}
}

// proxyAsync runs a proxied command in its own goroutine, at most
// ProxyConcurrency per connection (a client over it waits, as with the
// reference), and queues its response with the command's corrId and
// entity when it is done. With wait (PFWD: the destination may have
// stored the message), the connection's graceful close waits for the
// answer before its last flush; a PRXY still connecting is not waited for.
func (h *handlerCtx) proxyAsync(ctx context.Context, wait bool, run func(context.Context) smp.Message) []out {
	c := h.c
	corrID, entityID := bytes.Clone(h.r.corrID), bytes.Clone(h.r.entityID)
	select {
	case c.proxySem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	if wait {
		c.async.Add(1)
	}
	go func() {
		if wait {
			defer c.async.Done()
		}
		defer func() { <-c.proxySem }()
		rctx, cancel := context.WithTimeout(ctx, c.srv.opts.ProxyTimeout)
		defer cancel()
		m := run(rctx)
		c.mu.Lock()
		c.pushLocked(out{corrID: corrID, entityID: entityID, msg: m})
		c.mu.Unlock()
	}()
	return nil
}

// proxyClientError is the reference's smpProxyError: what a client of the
// proxy gets when talking to the destination failed.
func proxyClientError(err error) smp.ErrorType {
	var se smp.ErrorType
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return smp.NewProxyError(smp.ProxyError{Code: smp.ProxyProtocol, Protocol: &se})
	case errors.Is(err, smpclient.ErrBadResponse):
		return smp.ErrCrypto
	case errors.Is(err, smpclient.ErrUnexpected):
		return broker(smp.BrokerError{Code: smp.BrokerUnexpected, Text: "unexpected response"})
	case errors.Is(err, errOnionOnly), errors.Is(err, errNotPublic):
		return broker(smp.BrokerError{Code: smp.BrokerHost})
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return broker(smp.BrokerError{Code: smp.BrokerTimeout})
	case errors.Is(err, transport.ErrVersion):
		return brokerTransport(smp.TransportError{Code: smp.TransportVersion})
	case errors.Is(err, transport.ErrBadAuth):
		return brokerTransport(smp.TransportError{Code: smp.TransportHandshake, Handshake: smp.HandshakeIdentity})
	case errors.Is(err, transport.ErrNoServerAuth):
		return brokerTransport(smp.TransportError{Code: smp.TransportNoAuth})
	}
	// Connection refused, DNS, TLS: the reference's network errors, sent
	// as bare NETWORK.
	return broker(smp.BrokerError{Code: smp.BrokerNetwork})
}

func broker(b smp.BrokerError) smp.ErrorType {
	return smp.NewProxyError(smp.ProxyError{Code: smp.ProxyBroker, Broker: &b})
}

func brokerTransport(t smp.TransportError) smp.ErrorType {
	return broker(smp.BrokerError{Code: smp.BrokerTransport, Transport: &t})
}

// intersect is the common part of two compatible version ranges [MV
// compatibleVRange].
func intersect(a, b encoding.VersionRange) encoding.VersionRange {
	return encoding.VersionRange{Min: max(a.Min, b.Min), Max: min(a.Max, b.Max)}
}
