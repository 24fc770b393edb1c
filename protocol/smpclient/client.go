package smpclient

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// Errors of this package.
var (
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("smpclient: client closed")
	// ErrNotSMP: DialServer was given an address of another scheme.
	ErrNotSMP = errors.New("smpclient: not an SMP server address")
	// ErrNoHost: the server address has no host.
	ErrNoHost = errors.New("smpclient: server address has no host")
)

// CorrIDSize is the size of the random correlation ids [MCl
// mkTransmission_].
const CorrIDSize = 24

const (
	defaultEventBuffer = 64
	queueSize          = 256
)

// Options configures Dial, DialServer and New. The zero value gives the
// official client's behaviour.
type Options struct {
	// Range is the client's version range; zero means
	// smp.ReferenceClientRange (6..18).
	Range encoding.VersionRange
	// ALPN lists the protocol names to offer; nil means {"smp/1"}. Use
	// NoALPN to offer none (the server then offers v6 only).
	ALPN   []string
	NoALPN bool
	// NoKey does not send the client's session key (no block encryption).
	NoKey bool
	// ProxyClient declares the connection an SMP proxy's (v14+).
	ProxyClient bool
	// VerifyChain checks the server's certificate chain against the key
	// hash, in TLS and in the server hello; nil means certs.VerifyChain.
	VerifyChain transport.ChainVerifier
	// DialContext opens the TCP connection; nil means a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// EventBuffer is the capacity of the Events channel; 0 means 64. When
	// it is full the reader waits, which also holds back responses.
	EventBuffer int
}

// Event is a server message that is not the response to a pending Send:
// an event with an empty corrId (MSG after SUB, END, DELD, NMSG, ...), a
// late response to a command whose context ended (CorrID set), or a block
// or transmission that could not be read (Err set, Msg nil).
type Event struct {
	CorrID   []byte
	EntityID []byte
	Msg      smp.Message
	Err      error
}

// Request is one command of SendBatch.
type Request struct {
	EntityID []byte
	Key      *crypto.PrivateKey // nil = unsigned
	Cmd      smp.Command
	// CorrID is the transmission's corrId; nil = random. RFWD needs its
	// own: the corrId is the nonce of the forwarded transmission.
	CorrID []byte
}

// Result is the outcome of one command of SendBatch, as Send returns it.
type Result struct {
	Msg smp.Message
	Err error
}

// Client is one SMP connection. Its methods may be called concurrently.
type Client struct {
	s      *transport.Session
	queue  chan []*request
	events chan Event

	mu      sync.Mutex
	pending map[string]*request // guarded by mu; nil once shut down
	err     error               // guarded by mu; why the client stopped
	done    chan struct{}       // closed by shutdown

	wg sync.WaitGroup

	// writeGate, when set (tests), is received from after the writer takes
	// its first queued item and before it drains the rest.
	writeGate chan struct{}
}

// request is one command in flight.
type request struct {
	ctx    context.Context
	corrID []byte
	wire   []byte
	resp   chan Result // capacity 1, written at most once
}

// Dial connects to the SMP server at addr (host:port) whose identity is
// keyHash: TCP, TLS with the official parameters, then the SMP handshake
// (transport.SMPClientHandshake). ctx bounds the whole setup.
func Dial(ctx context.Context, addr string, keyHash []byte, opts Options) (*Client, error) {
	s, err := dialSession(ctx, addr, keyHash, opts)
	if err != nil {
		return nil, err
	}
	return New(s, opts), nil
}

// dialSession opens the connection and runs the handshakes.
func dialSession(ctx context.Context, addr string, keyHash []byte, opts Options) (*transport.Session, error) {
	dial := opts.DialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	verify := opts.VerifyChain
	if verify == nil {
		verify = certs.VerifyChain
	}
	alpn := opts.ALPN
	if alpn == nil {
		alpn = []string{transport.ALPNSMP}
	}
	if opts.NoALPN {
		alpn = nil
	}
	r := opts.Range
	if r == (encoding.VersionRange{}) {
		r = smp.ReferenceClientRange
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smpclient: dial %s: %w", addr, err)
	}
	cfg := transport.ClientTLSConfig(alpn, func(raw [][]byte) error { return verify(raw, keyHash) })
	tc, err := transport.Client(ctx, nc, cfg)
	if err != nil {
		return nil, fmt.Errorf("smpclient: %s: %w", addr, err)
	}
	s, err := transport.SMPClientHandshake(ctx, tc, transport.SMPClientParams{
		Range: r, KeyHash: keyHash, NoKey: opts.NoKey, ProxyClient: opts.ProxyClient, VerifyChain: verify,
	})
	if err != nil {
		return nil, fmt.Errorf("smpclient: %s: %w", addr, err)
	}
	return s, nil
}

// DialServer dials the first host of an smp:// server address, on its
// port or 5223. (Choosing among several hosts, e.g. onion or not, is the
// caller's policy.)
func DialServer(ctx context.Context, srv address.ServerAddress, opts Options) (*Client, error) {
	if srv.Scheme != address.SchemeSMP {
		return nil, fmt.Errorf("%w: %q", ErrNotSMP, srv.Scheme)
	}
	if len(srv.Hosts) == 0 {
		return nil, ErrNoHost
	}
	return Dial(ctx, net.JoinHostPort(srv.Hosts[0], srv.ServerPort()), srv.KeyHash, opts)
}

// New runs a client on an established SMP session (client side) and
// starts its reader and writer.
func New(s *transport.Session, opts Options) *Client {
	c := newClient(s, opts)
	c.start()
	return c
}

// newClient builds a client without starting its goroutines.
func newClient(s *transport.Session, opts Options) *Client {
	n := opts.EventBuffer
	if n <= 0 {
		n = defaultEventBuffer
	}
	return &Client{
		s:       s,
		queue:   make(chan []*request, queueSize),
		events:  make(chan Event, n),
		pending: make(map[string]*request),
		done:    make(chan struct{}),
	}
}

func (c *Client) start() {
	c.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
}

// Session returns the underlying session (version, session id, keys).
func (c *Client) Session() *transport.Session { return c.s }

// Events returns the channel of server events. It is closed when the
// connection ends.
func (c *Client) Events() <-chan Event { return c.events }

// Done is closed when the client stops (Close or a connection error).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the client stopped, nil while it runs.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection, fails pending commands with ErrClosed and
// waits for the reader and writer to stop.
func (c *Client) Close() error {
	c.shutdown(ErrClosed)
	c.wg.Wait()
	return nil
}

// shutdown stops the client once: records err, closes the connection
// (which ends the reader) and fails every pending command.
func (c *Client) shutdown(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	_ = c.s.Close()
	for _, r := range pending {
		r.resp <- Result{Err: err}
	}
}

// Send sends cmd for entityID, signed with key unless key is nil, and
// waits for its response. An ERR response is returned as the message and,
// as the error, its smp.ErrorType (errors.Is(err, smp.ErrAuth) works).
// A transmission that does not fit in a block is transport.ErrLargeMsg.
func (c *Client) Send(ctx context.Context, entityID []byte, key *crypto.PrivateKey, cmd smp.Command) (smp.Message, error) {
	res := c.SendBatch(ctx, []Request{{EntityID: entityID, Key: key, Cmd: cmd}})
	return res[0].Msg, res[0].Err
}

// SendBatch sends several commands together: they are queued at once and
// so travel in as few blocks as fit. It waits for every response (or for
// ctx) and returns one Result per request, in order.
func (c *Client) SendBatch(ctx context.Context, reqs []Request) []Result {
	out := make([]Result, len(reqs))
	var batch []*request
	idx := make([]int, 0, len(reqs))
	for i, q := range reqs {
		r, err := c.prepare(ctx, q)
		if err != nil {
			out[i].Err = err
			continue
		}
		batch = append(batch, r)
		idx = append(idx, i)
	}
	if len(batch) == 0 {
		return out
	}
	if err := c.register(batch); err != nil {
		for _, i := range idx {
			out[i].Err = err
		}
		return out
	}
	select {
	case c.queue <- batch:
	case <-ctx.Done():
		c.forget(batch)
		for _, i := range idx {
			out[i].Err = ctx.Err()
		}
		return out
	case <-c.done:
		// shutdown has failed the registered requests; collect below.
	}
	for j, r := range batch {
		out[idx[j]] = c.wait(ctx, r)
	}
	return out
}

// prepare encodes and signs one command.
func (c *Client) prepare(ctx context.Context, q Request) (*request, error) {
	v := c.s.Version
	cmd, err := smp.EncodeCommand(v, q.Cmd)
	if err != nil {
		return nil, fmt.Errorf("smpclient: %w", err)
	}
	corrID := q.CorrID
	if corrID == nil {
		corrID = make([]byte, CorrIDSize)
		if _, err := rand.Read(corrID); err != nil {
			return nil, fmt.Errorf("smpclient: corrId: %w", err)
		}
	}
	t := transport.Transmission{CorrID: corrID, EntityID: q.EntityID, Command: cmd}
	if q.Key != nil {
		if t.Auth, err = transport.SignTransmission(c.s, *q.Key, corrID, q.EntityID, cmd); err != nil {
			return nil, fmt.Errorf("smpclient: %w", err)
		}
	}
	wire, err := transport.EncodeTransmission(c.s, t)
	if err != nil {
		return nil, fmt.Errorf("smpclient: %w", err)
	}
	if max := transport.MaxTransmissionSize(c.s); len(wire) > max {
		return nil, fmt.Errorf("smpclient: %s: %w: %d bytes, at most %d", q.Cmd.Tag(), transport.ErrLargeMsg, len(wire), max)
	}
	return &request{ctx: ctx, corrID: corrID, wire: wire, resp: make(chan Result, 1)}, nil
}

// register adds requests to the pending table before they are queued, so
// that a fast response always finds them.
func (c *Client) register(rs []*request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		return c.err
	}
	for _, r := range rs {
		c.pending[string(r.corrID)] = r
	}
	return nil
}

// forget removes requests whose caller gave up.
func (c *Client) forget(rs []*request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rs {
		delete(c.pending, string(r.corrID))
	}
}

// take removes and returns the pending request for corrID.
func (c *Client) take(corrID []byte) *request {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.pending[string(corrID)]
	delete(c.pending, string(corrID))
	return r
}

// wait waits for r's response, ctx or the end of the client.
func (c *Client) wait(ctx context.Context, r *request) Result {
	select {
	case res := <-r.resp:
		return res
	case <-ctx.Done():
		c.forget([]*request{r})
		// A response may have been delivered in between.
		select {
		case res := <-r.resp:
			return res
		default:
		}
		return Result{Err: ctx.Err()}
	}
}
