// Package subscriber is the NTF server's SMP side [NS ntfSubscriber,
// subscribeNtfs, resubscribe]: one smpclient connection per SMP server,
// shared by all the subscriptions to its queues; NSUB sent in batches
// (many per block); reconnection with exponential backoff, after which
// every subscription of that server is subscribed again; NMSG handed to a
// callback; END and DELD and NSUB errors recorded as subscription statuses
// as the reference does:
//
//	NSUB sent            → PENDING (reference: runSMPSubscriber)
//	OK / SOK             → ACTIVE  (CASubscribed)
//	connection lost      → INACTIVE (CADisconnected), then resubscribed
//	ERR AUTH             → AUTH, ERR SERVICE → SERVICE, other ERR → "ERR SMP error <e>" (queueSubErrorStatus)
//	END                  → END, DELD → DELETED (not resubscribed)
package subscriber

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// NMSGFunc receives notifications that arrived together (from one read
// of a connection), in order: each with its queue (the server is any
// address of the subscription's server, the notifier id), NMSG nonce and
// encrypted metadata; Timestamp is left for the receiver to set. The
// slice and what it holds are the callee's to keep.
type NMSGFunc func(ms []ntf.PNMessageData)

// eventBatch bounds the events handled together: what the reader has
// queued when the handler wakes up, so that the NMSGs of one block
// reach OnNMSG (and the store, in one transaction) together.
const eventBatch = 256

// Options configure a Subscriber.
type Options struct {
	Store  store.Store
	OnNMSG NMSGFunc
	// Dial connects to an SMP server; default smpclient.DialServer.
	Dial       func(ctx context.Context, srv address.ServerAddress) (*smpclient.Client, error)
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
	MinBackoff time.Duration // first reconnect delay; default 1 s
	MaxBackoff time.Duration // default 30 s
	BatchSize  int           // NSUB per SendBatch; default 900 [NSM subsBatchSize]
	Timeout    time.Duration // dial and NSUB batch timeout; default 30 s
}

// Subscriber manages the SMP connections.
type Subscriber struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	servers map[string]*server // by store.ServerKey
}

// New returns a Subscriber; Start resubscribes the stored subscriptions.
func New(o Options) *Subscriber {
	if o.Dial == nil {
		o.Dial = func(ctx context.Context, srv address.ServerAddress) (*smpclient.Client, error) {
			return smpclient.DialServer(ctx, srv, smpclient.Options{})
		}
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 900
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{o: o, ctx: ctx, cancel: cancel, servers: map[string]*server{}}
}

// Start subscribes every stored subscription whose status calls for it
// [NS resubscribe]; it returns how many.
func (s *Subscriber) Start() (int, error) {
	n := 0
	// Subscribe touches no store, so the subscriptions are added as they
	// are read, without holding all of them in a list first.
	err := s.o.Store.ForEachSubscription(func(sub store.Subscription) error {
		if sub.Status.ShouldSubscribe() {
			s.Subscribe(sub)
			n++
		}
		return nil
	})
	return n, err
}

// Close disconnects from every server and waits for the goroutines.
func (s *Subscriber) Close() {
	s.cancel()
	s.wg.Wait()
}

// Subscribe adds a subscription to its server's connection, connecting if
// needed.
func (s *Subscriber) Subscribe(sub store.Subscription) {
	key := store.ServerKey(sub.Server)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	srv, ok := s.servers[key]
	if !ok {
		srv = &server{s: s, key: key, addr: sub.Server, subs: map[string]wanted{}, kick: make(chan struct{}, 1)}
		s.servers[key] = srv
		s.wg.Add(1)
		go srv.run()
	}
	srv.add(wanted{nid: sub.NotifierID, key: sub.NotifierKey})
}

// Unsubscribe forgets subscriptions; no SMP command is sent [NS TDEL, SDEL
// removeActiveSubs].
func (s *Subscriber) Unsubscribe(subs ...store.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range subs {
		if srv, ok := s.servers[store.ServerKey(sub.Server)]; ok {
			srv.remove(sub.NotifierID)
		}
	}
}

// ServerByKeyHash returns the address of a subscribed SMP server with this
// identity (for the NATS fast path, whose events name servers by key hash).
func (s *Subscriber) ServerByKeyHash(keyHash []byte) (address.ServerAddress, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		if bytes.Equal(srv.addr.KeyHash, keyHash) {
			return srv.addr, true
		}
	}
	return address.ServerAddress{}, false
}

// Connected reports whether the server of addr has a live connection (tests).
func (s *Subscriber) Connected(addr address.ServerAddress) bool {
	s.mu.Lock()
	srv, ok := s.servers[store.ServerKey(addr)]
	s.mu.Unlock()
	if !ok {
		return false
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.client != nil
}

// server is one SMP server's connection and subscriptions.
type server struct {
	s    *Subscriber
	key  string
	addr address.ServerAddress
	kick chan struct{}

	mu     sync.Mutex
	subs   map[string]wanted // by notifier id
	queue  []wanted          // to NSUB on the current connection
	client *smpclient.Client
}

// wanted is what the subscriber keeps of a subscription: its notifier id
// and key, not the whole record (100 000 subscriptions of one server share
// its address).
type wanted struct {
	nid []byte
	key crypto.PrivateKey
}

func (c *server) add(w wanted) {
	c.mu.Lock()
	c.subs[string(w.nid)] = w
	if c.client != nil {
		c.queue = append(c.queue, w)
	}
	c.mu.Unlock()
	c.wake()
}

func (c *server) remove(nid []byte) {
	c.mu.Lock()
	delete(c.subs, string(nid))
	c.mu.Unlock()
	c.wake() // the connection closes when nothing is left
}

func (c *server) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs) == 0
}

func (c *server) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// detachIfEmpty removes the server from the map when it has nothing to
// subscribe; the caller then stops.
func (c *server) detachIfEmpty() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.subs) > 0 {
		return false
	}
	delete(c.s.servers, c.key)
	return true
}

func (c *server) notifierIDs() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([][]byte, 0, len(c.subs))
	for _, w := range c.subs {
		ids = append(ids, w.nid)
	}
	return ids
}

// run keeps the connection up while there are subscriptions.
func (c *server) run() {
	defer c.s.wg.Done()
	ctx := c.s.ctx
	m, log := c.s.o.Metrics, c.s.o.Logger
	backoff := c.s.o.MinBackoff
	for ctx.Err() == nil {
		if c.detachIfEmpty() {
			return
		}
		dctx, cancel := context.WithTimeout(ctx, c.s.o.Timeout)
		cl, err := c.s.o.Dial(dctx, c.addr)
		cancel()
		if err != nil {
			m.SMPConnects.WithLabelValues("error").Inc()
			log.Warn("SMPConnectFailed", "server", hostOf(c.addr), "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, c.s.o.MaxBackoff)
			continue
		}
		m.SMPConnects.WithLabelValues("ok").Inc()
		m.SMPConnections.Inc()
		log.Info("SMPConnected", "server", hostOf(c.addr))
		c.serve(ctx, cl)
		m.SMPConnections.Dec()
		if ctx.Err() == nil && c.detachIfEmpty() {
			log.Info("SMPClosed", "server", hostOf(c.addr), "reason", "no subscriptions")
			return
		}
		// every subscription of this session is now inactive, also when
		// shutting down [NS CADisconnected]
		if _, err := c.s.o.Store.SetSubStatus(c.addr, c.notifierIDs(), ntf.SubStatus{Code: ntf.SubInactive}); err != nil {
			log.Error("SubStatusUpdateFailed", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("SMPDisconnected", "server", hostOf(c.addr), "err", cl.Err(), "retry_in", c.s.o.MinBackoff)
		backoff = c.s.o.MinBackoff
		if !sleep(ctx, backoff) {
			return
		}
	}
}

// serve subscribes everything on cl and handles its events until it ends.
func (c *server) serve(ctx context.Context, cl *smpclient.Client) {
	c.mu.Lock()
	c.client = cl
	c.queue = c.queue[:0]
	for _, sub := range c.subs {
		c.queue = append(c.queue, sub)
	}
	c.mu.Unlock()
	c.wake()
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		evs := make([]smpclient.Event, 0, eventBatch)
		for ev := range cl.Events() {
			evs = append(evs[:0], ev)
		drain:
			for len(evs) < eventBatch {
				select {
				case ev, ok := <-cl.Events():
					if !ok {
						break drain
					}
					evs = append(evs, ev)
				default:
					break drain
				}
			}
			c.events(evs)
		}
	}()
	defer func() {
		c.mu.Lock()
		c.client = nil
		c.queue = nil
		c.mu.Unlock()
		cl.Close()
		<-evDone
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.Done():
			return
		case <-c.kick:
			if c.empty() {
				return
			}
			c.mu.Lock()
			batch := c.queue
			c.queue = nil
			c.mu.Unlock()
			// Several NSUB batches in flight: the relay answers one while
			// the next is signed and sent, so resubscribing many
			// subscriptions is not a sequence of round trips.
			var wg sync.WaitGroup
			sem := make(chan struct{}, nsubBatchesInFlight)
			for len(batch) > 0 {
				n := min(len(batch), c.s.o.BatchSize)
				part := batch[:n]
				batch = batch[n:]
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					c.nsub(ctx, cl, part)
				}()
			}
			wg.Wait()
		}
	}
}

// nsubBatchesInFlight bounds the NSUB batches sent before their responses.
const nsubBatchesInFlight = 4

// nsub sends NSUB for subs in one batch and records the results.
func (c *server) nsub(ctx context.Context, cl *smpclient.Client, subs []wanted) {
	st, m, log := c.s.o.Store, c.s.o.Metrics, c.s.o.Logger
	ids := make([][]byte, len(subs))
	reqs := make([]smpclient.Request, len(subs))
	for i := range subs {
		ids[i] = subs[i].nid
		reqs[i] = smpclient.Request{EntityID: subs[i].nid, Key: &subs[i].key, Cmd: smp.NSUB{}}
	}
	if _, err := st.SetSubStatus(c.addr, ids, ntf.SubStatus{Code: ntf.SubPending}); err != nil {
		log.Error("SubStatusUpdateFailed", "err", err)
	}
	rctx, cancel := context.WithTimeout(ctx, c.s.o.Timeout)
	res := cl.SendBatch(rctx, reqs)
	cancel()
	var active [][]byte
	for i, r := range res {
		status, outcome := subStatus(r)
		m.SMPSubscribed.WithLabelValues(outcome).Inc()
		switch {
		case status == nil: // network error or timeout: resubscribed after reconnecting
		case status.Code == ntf.SubActive:
			active = append(active, ids[i])
		default:
			if !status.ShouldSubscribe() {
				c.remove(ids[i])
			}
			if _, err := st.SetSubStatus(c.addr, ids[i:i+1], *status); err != nil {
				log.Error("SubStatusUpdateFailed", "err", err)
			}
		}
	}
	if len(active) > 0 {
		if _, err := st.SetSubStatus(c.addr, active, ntf.SubStatus{Code: ntf.SubActive}); err != nil {
			log.Error("SubStatusUpdateFailed", "err", err)
		}
	}
}

// subStatus maps an NSUB result to a status (nil: leave it) [NS
// queueSubErrorStatus].
func subStatus(r smpclient.Result) (*ntf.SubStatus, string) {
	if r.Err == nil {
		switch r.Msg.(type) {
		case smp.OK, smp.SOK:
			return &ntf.SubStatus{Code: ntf.SubActive}, "ok"
		}
		return &ntf.SubStatus{Code: ntf.SubErr, Err: []byte("UnexpectedResponse " + r.Msg.Tag())}, "unexpected"
	}
	var et smp.ErrorType
	if errors.As(r.Err, &et) {
		switch et.Code {
		case smp.CodeAuth:
			return &ntf.SubStatus{Code: ntf.SubAuth}, "auth"
		case smp.CodeService:
			return &ntf.SubStatus{Code: ntf.SubService}, "service"
		}
		return &ntf.SubStatus{Code: ntf.SubErr, Err: []byte("SMP error " + et.String())}, "error"
	}
	return nil, "network"
}

// events handles pushed messages of the connection in order; runs of
// NMSG go to OnNMSG together.
func (c *server) events(evs []smpclient.Event) {
	var ms []ntf.PNMessageData
	for _, ev := range evs {
		if msg, ok := ev.Msg.(smp.NMSG); ok {
			m := ntf.PNMessageData{Queue: ntf.QueueNtf{Server: c.addr, NotifierID: ev.EntityID}, EncMeta: msg.EncMeta}
			copy(m.Nonce[:], msg.Nonce)
			ms = append(ms, m)
			continue
		}
		if len(ms) > 0 {
			c.nmsgs(ms)
			ms = nil
		}
		c.event(ev)
	}
	if len(ms) > 0 {
		c.nmsgs(ms)
	}
}

func (c *server) nmsgs(ms []ntf.PNMessageData) {
	if c.s.o.OnNMSG != nil {
		c.s.o.OnNMSG(ms)
	}
}

// event handles a pushed message of the connection other than NMSG.
func (c *server) event(ev smpclient.Event) {
	st, log := c.s.o.Store, c.s.o.Logger
	switch msg := ev.Msg.(type) {
	case smp.END, smp.DELD:
		status := ntf.SubStatus{Code: ntf.SubEnd}
		if _, ok := msg.(smp.DELD); ok {
			status.Code = ntf.SubDeleted
		}
		c.remove(ev.EntityID)
		if _, err := st.SetSubStatus(c.addr, [][]byte{ev.EntityID}, status); err != nil {
			log.Error("SubStatusUpdateFailed", "err", err)
		}
	default:
		if ev.Err != nil {
			log.Warn("SMPEventError", "server", hostOf(c.addr), "err", ev.Err)
		}
	}
}

func hostOf(a address.ServerAddress) string {
	if len(a.Hosts) == 0 {
		return ""
	}
	return a.Hosts[0] + ":" + a.ServerPort()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
