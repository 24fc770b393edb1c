package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// out is one transmission to send: a response (with the command's corrId)
// or a pushed event (empty corrId).
type out struct {
	corrID   []byte
	entityID []byte
	msg      smp.Message
	sentAt   time.Time // for MSG deliveries after SEND: latency metric
	// release, if set, returns msg's pooled buffer once it is encoded.
	release func()
}

// sub is a recipient subscription of this connection. A "prohibited" sub
// marks a queue read with GET, which cannot be subscribed to in the same
// connection [MS getMessage].
type sub struct {
	prohibit  bool
	delivered []byte // id of the delivered, unacknowledged message; nil = none
}

// client is one SMP connection.
type client struct {
	srv *Server
	w   wire
	v   uint16

	resp chan []out    // responses, in command order; bounded (backpressure on this client's reader)
	kick chan struct{} // wakes the writer for events; cap 1

	mu       sync.Mutex
	subs     map[string]*sub     // recipientId -> subscription; guarded by mu
	ntfSubs  map[string]struct{} // notifierIds subscribed; guarded by mu
	events   []out               // pushed events waiting for the writer; guarded by mu
	closed   bool                // guarded by mu
	writing  bool                // a writer goroutine is running; guarded by mu
	ended    bool                // the last writer has closed the wire; guarded by mu
	draining bool                // closeGracefully ran: no more reads; guarded by mu

	proxySem  chan struct{}            // proxied commands in flight (PRXY, PFWD, RFWD)
	queueSem  chan struct{}            // queued commands in flight (SEND, ACK: queued)
	queueTail map[string]chan struct{} // recipient id -> done of its last queued command; guarded by mu
	async     sync.WaitGroup           // queued commands, RFWD and PFWD in flight: waited for before the last flush

	quit     chan struct{} // closed to stop the writer after it flushes
	quitOnce sync.Once
	dead     chan struct{} // closed when the connection's last writer has stopped
}

// The events queued for one connection are bounded; a client that lets
// the queue fill is dropped as a slow consumer.
const (
	maxNtfEventsPerSub = 8
	minEventQueue      = 1024
)

func (s *Server) newClient(w wire) *client {
	return &client{
		srv:       s,
		w:         w,
		v:         w.version(),
		resp:      make(chan []out, s.opts.SendQueueBlocks),
		kick:      make(chan struct{}, 1),
		subs:      map[string]*sub{},
		ntfSubs:   map[string]struct{}{},
		quit:      make(chan struct{}),
		dead:      make(chan struct{}),
		proxySem:  make(chan struct{}, s.opts.ProxyConcurrency),
		queueSem:  make(chan struct{}, s.opts.QueueConcurrency),
		queueTail: map[string]chan struct{}{},
	}
}

// writerIdle is how long a writer goroutine waits for more to send before
// it exits; an idle connection then has only its reader goroutine, and the
// next response or event starts a writer again.
const writerIdle = 2 * time.Second

// startWriter starts a writer goroutine if none is running. The caller
// holds c.mu.
func (c *client) startWriter() {
	if c.writing || c.ended {
		return
	}
	c.writing = true
	go c.writer()
}

// run serves the connection until it fails or the server shuts down.
func (c *client) run(ctx context.Context) {
	defer c.cleanup()
	for {
		if err := c.setIdleDeadline(); err != nil {
			return
		}
		payload, release, err := c.w.readBlock()
		if err != nil {
			if c.w.isBadBlock(err) {
				c.respond(ctx, []out{{msg: smp.ERR{Err: smp.ErrBlock}}})
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					c.srv.m.ClientsDropped.WithLabelValues("idle").Inc()
				}
			}
			return
		}
		c.srv.m.BlocksReceived.Inc()
		outs := c.processPayload(ctx, payload)
		detach(outs)
		release() // nothing refers to the payload any more
		if !c.respond(ctx, outs) {
			return
		}
	}
}

// processPayload handles one block's batch of transmissions.
func (c *client) processPayload(ctx context.Context, payload []byte) []out {
	reqs, err := c.w.parseBatch(payload)
	if err != nil {
		return []out{{msg: smp.ERR{Err: smp.ErrBlock}}}
	}
	c.preverify(ctx, reqs)
	var outs []out
	for i := range reqs {
		outs = append(outs, c.handle(ctx, &reqs[i])...)
	}
	return outs
}

// detach copies the corrId and entity id of each response out of the
// block they came from (the only references a response keeps to its
// request: every message body is built anew), so that the block's buffer
// can be reused before the writer encodes them.
func detach(outs []out) {
	for i := range outs {
		outs[i].corrID = bytes.Clone(outs[i].corrID)
		outs[i].entityID = bytes.Clone(outs[i].entityID)
	}
}

// setIdleDeadline lets a connection with no subscriptions idle for
// IdleTimeout at most (the reference's inactive-client expiry).
// It fails once the connection is draining, so that a deadline set by
// closeGracefully is never pushed back (both run under c.mu).
func (c *client) setIdleDeadline() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining {
		return errDraining
	}
	if c.srv.opts.IdleTimeout <= 0 {
		return nil
	}
	var t time.Time
	if len(c.subs) == 0 && len(c.ntfSubs) == 0 {
		t = time.Now().Add(c.srv.opts.IdleTimeout)
	}
	return c.w.setReadDeadline(t)
}

var errDraining = errors.New("server: connection draining")

// respond queues responses for the writer, blocking while the queue is
// full: a client that does not read its responses stops being read.
func (c *client) respond(ctx context.Context, outs []out) bool {
	if len(outs) == 0 {
		return true
	}
	select {
	case c.resp <- outs:
	default:
		// Full: a writer is running (it exits only when nothing is queued).
		c.mu.Lock()
		c.startWriter()
		c.mu.Unlock()
		select {
		case c.resp <- outs:
		case <-c.dead:
			return false
		case <-ctx.Done():
			return false
		}
	}
	// Queued: make sure a writer takes it (one that was about to exit
	// sees the queue under c.mu and stays).
	c.mu.Lock()
	c.startWriter()
	c.mu.Unlock()
	return true
}

// pushLocked queues a server event (MSG after SEND, END, DELD, NMSG); the
// caller holds c.mu. It never blocks; an overfull queue drops the
// connection as a slow consumer.
func (c *client) pushLocked(o out) {
	if c.closed {
		return
	}
	// MSG events are at most one per subscription; NMSG can come in bursts
	// for one notifier, so notifier subscriptions get more room.
	limit := len(c.subs) + maxNtfEventsPerSub*len(c.ntfSubs) + minEventQueue
	if len(c.events) >= limit {
		c.srv.m.ClientsDropped.WithLabelValues("slow").Inc()
		c.closed = true
		go c.abort()
		return
	}
	c.events = append(c.events, o)
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.startWriter()
}

func (c *client) takeEvents() []out {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := c.events
	c.events = nil
	return ev
}

// writer encodes and writes everything queued, packing transmissions into
// as few blocks as fit.
func (c *client) writer() {
	final := true // false when exiting only because the connection is idle
	defer func() {
		if final {
			c.mu.Lock()
			c.writing, c.ended = false, true
			c.mu.Unlock()
			c.w.close()
			close(c.dead)
		}
	}()
	idle := time.NewTimer(writerIdle)
	defer idle.Stop()
	var batch []out
	for {
		// Drop references to sent transmissions (they alias read buffers).
		clear(batch)
		batch = batch[:0]
		idle.Reset(writerIdle)
		select {
		case o := <-c.resp:
			batch = append(batch, o...)
		case <-c.kick:
		case <-idle.C:
			c.mu.Lock()
			if len(c.resp) == 0 && len(c.events) == 0 {
				c.writing = false
				c.mu.Unlock()
				final = false
				return
			}
			c.mu.Unlock()
			continue
		case <-c.quit:
			// flush what is queued, then stop
			for {
				select {
				case o := <-c.resp:
					batch = append(batch, o...)
					continue
				default:
				}
				break
			}
			batch = append(batch, c.takeEvents()...)
			_ = c.write(batch)
			return
		}
	drain:
		for len(batch) < 255 {
			select {
			case o := <-c.resp:
				batch = append(batch, o...)
			default:
				break drain
			}
		}
		batch = append(batch, c.takeEvents()...)
		if err := c.write(batch); err != nil {
			return
		}
	}
}

func (c *client) write(batch []out) error {
	if len(batch) == 0 {
		return nil
	}
	ap := arenaPool.Get().(*[]byte)
	defer func() {
		if cap(*ap) <= maxPooledArena {
			arenaPool.Put(ap)
		}
	}()
	arena := (*ap)[:0]
	ends := make([]int, 0, len(batch))
	now := time.Now()
	for _, o := range batch {
		if e, ok := o.msg.(smp.ERR); ok {
			c.srv.m.Errors.WithLabelValues(string(e.Err.Code)).Inc()
		}
		if _, ok := o.msg.(smp.MSG); ok {
			c.srv.m.MsgDelivered.Inc()
			if !o.sentAt.IsZero() {
				c.srv.m.SendToDeliver.Observe(now.Sub(o.sentAt).Seconds())
			}
		}
		var err error
		arena, err = c.w.appendTransmission(arena, o.corrID, o.entityID, o.msg)
		if o.release != nil {
			o.release()
		}
		if err != nil {
			c.srv.log.Error("EncodeResponseFailed", "command", o.msg.Tag(), "err", err)
			continue
		}
		ends = append(ends, len(arena))
	}
	*ap = arena[:0]
	txs := make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		txs[i], start = arena[start:end:end], end
	}
	n, err := c.w.writeTransmissions(txs, c.srv.opts.WriteTimeout)
	c.srv.m.BlocksSent.Add(float64(n))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.srv.m.ClientsDropped.WithLabelValues("slow").Inc()
		}
		return err
	}
	return nil
}

// arenaPool holds the buffers write encodes a batch's transmissions into,
// one after the other; one that grew past maxPooledArena (a batch of many
// messages) is left to the GC.
var arenaPool = sync.Pool{New: func() any { b := make([]byte, 0, 2*transport.SMPBlockSize); return &b }}

const maxPooledArena = 1 << 20

// closeGracefully stops reading; the reader's cleanup then waits for the
// SENDs in flight and lets a writer flush everything, then close.
func (c *client) closeGracefully() {
	c.mu.Lock()
	c.draining = true
	_ = c.w.setReadDeadline(time.Now())
	c.mu.Unlock()
}

// abort closes the connection at once.
func (c *client) abort() {
	c.quitOnce.Do(func() { close(c.quit) })
	c.w.close()
	c.mu.Lock()
	c.startWriter() // to close dead
	c.mu.Unlock()
}

// cleanup runs when the reader stops: it waits for the commands still
// being stored (their answers go out with the last flush), removes the
// connection's subscriptions from the hub, and lets a writer flush and
// close.
func (c *client) cleanup() {
	c.async.Wait()
	c.mu.Lock()
	c.closed = true
	subs := c.subs
	ntfSubs := c.ntfSubs
	c.subs, c.ntfSubs = map[string]*sub{}, map[string]struct{}{}
	c.mu.Unlock()
	h := &c.srv.hub
	for id, s := range subs {
		if !s.prohibit && h.remove(h.rcv, []byte(id), c) != nil {
			c.srv.m.Subscriptions.Dec()
		}
	}
	for id := range ntfSubs {
		if h.remove(h.ntf, []byte(id), c) != nil {
			c.srv.m.NtfSubscriptions.Dec()
		}
	}
	c.quitOnce.Do(func() { close(c.quit) })
	c.mu.Lock()
	c.startWriter()
	c.mu.Unlock()
	<-c.dead
}
