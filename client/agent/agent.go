package agent

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
)

// Errors of the agent.
var (
	ErrClosed     = errors.New("agent: closed")
	ErrNoServer   = errors.New("agent: no SMP server configured")
	ErrState      = errors.New("agent: connection in the wrong state")
	ErrVersion    = errors.New("agent: incompatible version")
	ErrProhibited = errors.New("agent: prohibited message")
)

// Versions used by this agent.
var (
	AgentVRange  = address.SupportedSMPAgentVRange  // 2..7
	ClientVRange = address.SupportedSMPClientVRange // 1..4
	E2EVRange    = encoding.VersionRange{Min: 2, Max: 3}
)

// Config configures an Agent.
type Config struct {
	// Servers are the SMP servers for new queues; the first one is used.
	// (The reference picks among several, avoiding the peer's server.)
	Servers []address.ServerAddress
	// Store keeps the connections; nil means a MemStore.
	Store Store
	// Rand is the source of keys and nonces; nil means crypto/rand.
	Rand io.Reader
	// Dial connects to an SMP server; nil means smpclient.DialServer.
	Dial func(ctx context.Context, srv address.ServerAddress) (*smpclient.Client, error)
	// Logger receives diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// NoSenderSecure creates queues that the sender may not secure (NEW
	// without a queue mode), so that peers use the older handshake with
	// KEY and HELLO. For tests and old servers.
	NoSenderSecure bool
	// PrivateRouting sends the sender's commands (SEND, SKEY) for queues
	// on other servers through the first of Servers (PRXY/PFWD), so that
	// those servers never see this client's address [AP private message
	// routing]. Off, they are sent directly.
	PrivateRouting bool
	// RetryInterval is how often queued messages are retried in the
	// background; 0 means 10 s, a negative value disables the retries.
	// Failing retries back off up to 10 times the interval.
	RetryInterval time.Duration
}

// EventType names an agent event [AP AEvent].
type EventType string

// Agent events.
const (
	EvREQ  EventType = "REQ"  // contact request on an address; call AcceptContact
	EvCONF EventType = "CONF" // peer joined; call AllowConnection
	EvINFO EventType = "INFO" // initiator's info received by the joining party
	EvCON  EventType = "CON"  // connection established
	EvMSG  EventType = "MSG"  // message received; call AckMessage
	EvSENT EventType = "SENT" // message accepted by the server
	EvRCVD EventType = "RCVD" // delivery receipt for a sent message
	EvEND  EventType = "END"  // subscription taken over by another client
	EvDOWN EventType = "DOWN" // server connection lost; the agent reconnects
	EvUP   EventType = "UP"   // subscription resumed after DOWN
	EvERR  EventType = "ERR"
)

// Event is something the agent tells its user.
type Event struct {
	ConnID       string
	Type         EventType
	ConnInfo     []byte // REQ, CONF, INFO
	InvitationID string // REQ
	MsgID        int64  // MSG, SENT, RCVD: the agent's internal message id
	SndMsgID     int64  // MSG: the sender's id
	Body         []byte // MSG
	Integrity    error  // MSG: nil, or why the id/hash chain is broken
	ReceiptOK    bool   // RCVD: the receipt's hash matched
	Err          error  // ERR
}

// Agent runs connections for one user. Its methods may be called
// concurrently; they are serialized by one lock.
type Agent struct {
	cfg   Config
	store Store
	rand  io.Reader
	log   *slog.Logger

	mu     sync.Mutex        // guards conns, byRcv and all connection processing
	conns  map[string]*Conn  // loaded connections
	byRcv  map[string]string // server + rcvID -> conn ID
	cmu    sync.Mutex        // guards clients and relays
	cls    map[string]*smpclient.Client
	relays map[string]*smpclient.Relay // destination server -> session through our own server
	wg     sync.WaitGroup
	closed chan struct{}

	evmu   sync.Mutex
	evq    []Event
	evcond *sync.Cond
	events chan Event
}

// New starts an agent and loads the stored connections (without
// subscribing them; see SubscribeAll).
func New(cfg Config) (*Agent, error) {
	a := &Agent{
		cfg:    cfg,
		store:  cfg.Store,
		rand:   cfg.Rand,
		log:    cfg.Logger,
		conns:  map[string]*Conn{},
		byRcv:  map[string]string{},
		cls:    map[string]*smpclient.Client{},
		closed: make(chan struct{}),
		events: make(chan Event),
	}
	if a.store == nil {
		a.store = NewMemStore()
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.evcond = sync.NewCond(&a.evmu)
	ids, err := a.store.List()
	if err != nil {
		return nil, fmt.Errorf("agent: list connections: %w", err)
	}
	for _, id := range ids {
		b, err := a.store.Get(id)
		if err != nil {
			return nil, fmt.Errorf("agent: load connection: %w", err)
		}
		c, err := decodeConn(b)
		if err != nil {
			return nil, err
		}
		a.index(c)
	}
	a.wg.Add(1)
	go a.pumpEvents()
	if cfg.RetryInterval >= 0 {
		a.wg.Add(1)
		go a.retryLoop(cmp.Or(cfg.RetryInterval, 10*time.Second))
	}
	return a, nil
}

// retryLoop retries queued messages in the background, backing off while
// they keep failing [AG runSmpQueueMsgDelivery retries, simplified].
func (a *Agent) retryLoop(interval time.Duration) {
	defer a.wg.Done()
	delay := interval
	for {
		select {
		case <-a.closed:
			return
		case <-time.After(delay):
		}
		if !a.hasPending() {
			delay = interval
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		err := a.RetryPending(ctx)
		cancel()
		if err == nil {
			delay = interval
		} else {
			delay = min(2*delay, 10*interval)
		}
	}
}

func (a *Agent) hasPending() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.conns {
		if len(c.Pending) > 0 {
			return true
		}
	}
	return false
}

// Events returns the channel of agent events. It is closed by Close.
func (a *Agent) Events() <-chan Event { return a.events }

// Close disconnects from all servers and stops the agent.
func (a *Agent) Close() error {
	select {
	case <-a.closed:
		return nil
	default:
	}
	close(a.closed)
	a.cmu.Lock()
	for _, c := range a.cls {
		c.Close()
	}
	a.cls = map[string]*smpclient.Client{}
	a.cmu.Unlock()
	a.evmu.Lock()
	a.evcond.Broadcast()
	a.evmu.Unlock()
	a.wg.Wait()
	return nil
}

// emit queues an event; it never blocks.
func (a *Agent) emit(e Event) {
	a.evmu.Lock()
	a.evq = append(a.evq, e)
	a.evcond.Signal()
	a.evmu.Unlock()
}

func (a *Agent) pumpEvents() {
	defer a.wg.Done()
	defer close(a.events)
	for {
		a.evmu.Lock()
		for len(a.evq) == 0 && !a.isClosed() {
			a.evcond.Wait()
		}
		if a.isClosed() {
			a.evmu.Unlock()
			return
		}
		e := a.evq[0]
		a.evq = a.evq[1:]
		a.evmu.Unlock()
		select {
		case a.events <- e:
		case <-a.closed:
			return
		}
	}
}

func (a *Agent) isClosed() bool {
	select {
	case <-a.closed:
		return true
	default:
		return false
	}
}

func rcvKey(server string, rcvID []byte) string { return server + "#" + string(rcvID) }

// index adds c to the in-memory maps; callers hold mu (or are New).
func (a *Agent) index(c *Conn) {
	a.conns[c.ID] = c
	if c.Rcv != nil {
		a.byRcv[rcvKey(c.Rcv.Server, c.Rcv.RcvID)] = c.ID
	}
}

// save persists c; callers hold mu.
func (a *Agent) save(c *Conn) error {
	b, err := c.encode()
	if err != nil {
		return fmt.Errorf("agent: encode connection: %w", err)
	}
	if err := a.store.Put(c.ID, b); err != nil {
		return fmt.Errorf("agent: store connection: %w", err)
	}
	a.index(c)
	return nil
}

// conn returns a loaded connection; callers hold mu.
func (a *Agent) conn(id string) (*Conn, error) {
	c, ok := a.conns[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return c, nil
}

// Conn returns a copy of a connection's status fields (for display).
func (a *Agent) Conn(id string) (ConnStatus, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(id)
	if err != nil {
		return "", false, err
	}
	return c.Status, c.Initiator, nil
}

// Conns lists the connection ids.
func (a *Agent) Conns() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]string, 0, len(a.conns))
	for id := range a.conns {
		ids = append(ids, id)
	}
	return ids
}

// client returns the connection to server, dialling it if needed.
func (a *Agent) client(ctx context.Context, server string) (*smpclient.Client, error) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.isClosed() {
		return nil, ErrClosed
	}
	if c, ok := a.cls[server]; ok {
		select {
		case <-c.Done():
			delete(a.cls, server)
		default:
			return c, nil
		}
	}
	srv, err := address.ParseServerAddress(server)
	if err != nil {
		return nil, fmt.Errorf("agent: server %q: %w", server, err)
	}
	dial := a.cfg.Dial
	if dial == nil {
		dial = func(ctx context.Context, srv address.ServerAddress) (*smpclient.Client, error) {
			return smpclient.DialServer(ctx, srv, smpclient.Options{EventBuffer: 1024})
		}
	}
	c, err := dial(ctx, srv)
	if err != nil {
		return nil, fmt.Errorf("agent: connect to SMP server: %w", err)
	}
	a.cls[server] = c
	a.wg.Add(1)
	go a.readEvents(server, c)
	return c, nil
}

// readEvents processes the messages the server pushes on one connection.
func (a *Agent) readEvents(server string, c *smpclient.Client) {
	defer a.wg.Done()
	for ev := range c.Events() {
		if ev.Err != nil {
			a.log.Warn("smp event error", "err", ev.Err)
			continue
		}
		switch m := ev.Msg.(type) {
		case smp.MSG:
			a.receive(server, ev.EntityID, m)
		case smp.END, smp.DELD:
			a.mu.Lock()
			id, ok := a.byRcv[rcvKey(server, ev.EntityID)]
			a.mu.Unlock()
			if ok {
				a.emit(Event{ConnID: id, Type: EvEND})
			}
		}
	}
	// The connection ended: forget it and, unless the agent is closing,
	// reconnect and resubscribe the queues on this server.
	a.cmu.Lock()
	if a.cls[server] == c {
		delete(a.cls, server)
	}
	a.cmu.Unlock()
	if a.isClosed() {
		return
	}
	var ids []string
	a.mu.Lock()
	for id, cn := range a.conns {
		if cn.Rcv != nil && cn.Rcv.Server == server {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	for _, id := range ids {
		a.emit(Event{ConnID: id, Type: EvDOWN, Err: c.Err()})
	}
	a.wg.Add(1)
	go a.resubscribe(server, ids)
}

// Reconnection delays: the first attempt is immediate, then doubling.
const (
	minRetryDelay = 500 * time.Millisecond
	maxRetryDelay = 30 * time.Second
)

// resubscribe reconnects to server and subscribes the queues of ids
// [AC reconnectServer, resubscribeSMPSession].
func (a *Agent) resubscribe(server string, ids []string) {
	defer a.wg.Done()
	var delay time.Duration
	for {
		select {
		case <-a.closed:
			return
		case <-time.After(delay):
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		_, err := a.client(ctx, server)
		if err == nil {
			for _, id := range ids {
				if err := a.Subscribe(ctx, id); err != nil {
					a.emit(Event{ConnID: id, Type: EvERR, Err: err})
				} else {
					a.emit(Event{ConnID: id, Type: EvUP})
				}
			}
			if err := a.RetryPending(ctx); err != nil {
				a.log.Debug("retry after reconnect", "err", err)
			}
			cancel()
			return
		}
		cancel()
		a.log.Debug("reconnect failed", "err", err)
		delay = min(max(2*delay, minRetryDelay), maxRetryDelay)
	}
}

// send sends one command to a server: directly, or for a sender's command
// with PrivateRouting, through our own server.
func (a *Agent) send(ctx context.Context, server string, entity []byte, key *crypto.PrivateKey, cmd smp.Command) (smp.Message, error) {
	if a.cfg.PrivateRouting && len(a.cfg.Servers) > 0 {
		switch cmd.(type) {
		case smp.SEND, smp.SKEY:
			if own := a.cfg.Servers[0]; own.String() != server {
				return a.sendProxied(ctx, own, server, entity, key, cmd)
			}
		}
	}
	c, err := a.client(ctx, server)
	if err != nil {
		return nil, err
	}
	m, err := c.Send(ctx, entity, key, cmd)
	if err != nil {
		return m, fmt.Errorf("agent: %s: %w", cmd.Tag(), err)
	}
	return m, nil
}
