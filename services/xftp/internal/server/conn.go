//lint:file-ignore SA1019 net/http cannot serve HTTP/2 on a connection whose ALPN is xftp/1 (CONFORMANCE-NOTES, Go notes); x/net/http2 ServeConn/NewClientConn can

package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// conn is one client connection: TLS, then HTTP/2 with prior knowledge.
// Its handshake state is keyed by the connection (the reference keys it by
// the tls-unique session id [FS xftpServer]).
type conn struct {
	s         *Server
	tc        *transport.Conn
	sessionID []byte
	alpn      string
	cork      *corker // held while an FGET body is sent
	web       bool    // SNI connection on a server with web support (reference: sniUsed)

	mu    sync.Mutex
	state hsState            // guarded by mu
	key   crypto.PrivateKey  // guarded by mu: the session key sent in the hello
	sess  *transport.Session // guarded by mu: set once the handshake is accepted
}

type hsState int

const (
	hsNone hsState = iota
	hsSent
	hsAccepted
)

// serveConn runs the TLS handshake and serves HTTP/2 on nc.
func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	s.mu.Lock()
	over := s.opts.MaxConnections > 0 && len(s.conns) >= s.opts.MaxConnections
	s.mu.Unlock()
	if over {
		s.m.ConnectionsDenied.WithLabelValues("limit").Inc()
		nc.Close()
		return
	}
	hctx, cancel := context.WithTimeout(ctx, s.opts.HandshakeTimeout)
	nc.SetDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	tc, err := transport.Server(hctx, nc, s.tlsCfg)
	cancel()
	if err != nil {
		s.m.ConnectionsDenied.WithLabelValues("tls").Inc()
		s.log.Debug("TLSHandshakeFailed", "err", err)
		return
	}
	nc.SetDeadline(time.Time{})
	c := &conn{s: s, tc: tc, sessionID: tc.SessionID(), alpn: tc.ALPN(), cork: newCorker(tc.NetConn()),
		web: s.opts.Web && tc.ConnectionState().ServerName != ""}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.m.ConnectionsTotal.Inc()
	s.m.Connections.Inc()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.m.Connections.Dec()
		tc.Close()
	}()
	// Requests outlive ctx: Shutdown drains them, then closes connections.
	s.h2.ServeConn(tc.TLSConn(), &http2.ServeConnOpts{Context: context.WithoutCancel(ctx), Handler: c, BaseConfig: s.base})
}

// close closes the connection at once.
func (c *conn) close() { c.tc.Close() }

// corsHeaders are added to responses on web connections [FS corsHeaders].
func (c *conn) cors(h http.Header) {
	if c.web {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "*")
	}
}

// ServeHTTP handles one request: POST / with the XFTP framing.
func (c *conn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions && c.web {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path != "/" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	// A client that stalls inside the head loses the request after the
	// handshake timeout (the chunk has its own timeout).
	t := time.AfterFunc(c.s.opts.HandshakeTimeout, func() { r.Body.Close() })
	head := make([]byte, xftp.BlockSize)
	n, err := io.ReadFull(r.Body, head)
	if !t.Stop() {
		return // timed out: the body is closed, the stream is reset
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return // the stream failed; nothing can be answered
	}
	head = head[:n]
	switch c.alpn {
	case "":
		// No ALPN: no handshake, commands at v1 [FS runServer].
		s := &transport.Session{Version: xftp.InitialVersion, SessionID: c.sessionID, BlockSize: xftp.BlockSize,
			Batching: true, Server: true}
		c.s.processRequest(c, w, r, s, head)
	case transport.ALPNXFTP, transport.ALPNHTTP:
		if s := c.handshake(w, r, head); s != nil {
			c.s.processRequest(c, w, r, s, head)
		}
	case transport.ALPNH2:
		if c.web {
			if s := c.handshake(w, r, head); s != nil {
				c.s.processRequest(c, w, r, s, head)
			}
			return
		}
		fallthrough
	default:
		c.cors(w.Header())
		w.WriteHeader(http.StatusOK)
	}
}
