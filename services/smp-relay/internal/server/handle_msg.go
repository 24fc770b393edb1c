package server

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// addSub registers this connection as the queue's subscriber; the previous
// subscriber (another connection) gets END [MS subscribeRcvQueue].
func (c *client) addSub(rid []byte) *sub {
	c.mu.Lock()
	sb := &sub{}
	c.subs[string(rid)] = sb
	prev := c.srv.hub.set(c.srv.hub.rcv, rid, c)
	c.mu.Unlock()
	if prev != nil {
		prev.endSub(rid)
	} else {
		c.srv.m.Subscriptions.Inc()
	}
	return sb
}

// endSub ends this connection's subscription to rid with END, unless it
// has become the subscriber again meanwhile.
func (c *client) endSub(rid []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv.hub.get(c.srv.hub.rcv, rid) == c {
		return
	}
	if sb, ok := c.subs[string(rid)]; ok && !sb.prohibit {
		delete(c.subs, string(rid))
		c.pushLocked(out{entityID: rid, msg: smp.END{}})
	}
}

// subscribe handles SUB: subscribe (or re-subscribe, which re-delivers the
// unacknowledged message), then deliver the first message, if any, as an
// event after the OK [MS subscribeQueueAndDeliver].
func (h *handlerCtx) subscribe(ctx context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	c, rid := h.c, h.q.RecipientID
	c.mu.Lock()
	sb, ok := c.subs[string(rid)]
	c.mu.Unlock()
	if ok && sb.prohibit {
		return h.err(smp.ErrCmdProhibited)
	}
	if !ok {
		sb = c.addSub(rid)
	}
	resp := out{corrID: h.r.corrID, entityID: rid, msg: smp.OK{}}
	if c.v >= smp.VersionServiceCerts {
		resp.msg = smp.SOK{}
	}
	m, err := c.srv.st.PeekMessage(ctx, rid)
	if err != nil {
		return h.storeErr(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sb.delivered = nil
	if m == nil || c.subs[string(rid)] != sb {
		return []out{resp}
	}
	sb.delivered = m.ID
	o, err := encryptMsg(h.q, m)
	if err != nil {
		return h.err(smp.ErrInternal)
	}
	o.entityID = rid
	return []out{resp, o}
}

// get handles GET: the first message as the response, or OK when empty. A
// queue read with GET cannot be subscribed in the same connection, nor the
// reverse [MS getMessage].
func (h *handlerCtx) get(ctx context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	c, rid := h.c, h.q.RecipientID
	c.mu.Lock()
	sb, ok := c.subs[string(rid)]
	if !ok {
		sb = &sub{prohibit: true}
		c.subs[string(rid)] = sb
	}
	c.mu.Unlock()
	if !sb.prohibit {
		return h.err(smp.ErrCmdProhibited)
	}
	m, err := c.srv.st.PeekMessage(ctx, rid)
	if err != nil {
		return h.storeErr(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m == nil {
		sb.delivered = nil
		return h.ok()
	}
	sb.delivered = m.ID
	o, err := encryptMsg(h.q, m)
	if err != nil {
		return h.err(smp.ErrInternal)
	}
	o.corrID, o.entityID = h.r.corrID, rid
	return []out{o}
}

// ack handles ACK: msgId must be the delivered one (empty matches any).
// On a subscription the response is the next message or OK; after GET it
// is always OK [MS acknowledgeMsg].
func (h *handlerCtx) ack(ctx context.Context, msgID []byte) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	c, rid := h.c, h.q.RecipientID
	c.mu.Lock()
	sb, ok := c.subs[string(rid)]
	if !ok || sb.delivered == nil || (len(msgID) > 0 && string(sb.delivered) != string(msgID)) {
		c.mu.Unlock()
		return h.err(smp.ErrNoMsg)
	}
	sb.delivered = nil
	c.mu.Unlock()
	deleted, next, err := c.srv.st.DeleteMessage(ctx, rid, msgID)
	if err != nil {
		return h.storeErr(err)
	}
	if deleted {
		c.srv.m.MsgAcked.Inc()
	}
	if sb.prohibit || next == nil {
		return h.ok()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[string(rid)] != sb || sb.delivered != nil {
		return h.ok()
	}
	sb.delivered = next.ID
	o, err := encryptMsg(h.q, next)
	if err != nil {
		return h.err(smp.ErrInternal)
	}
	o.corrID, o.entityID = h.r.corrID, rid
	return []out{o}
}

// Commands that wait for a bbolt commit (SEND, ACK) run off the
// connection's reader, at most QueueConcurrency at once per connection, and
// queue their answer when done: handled in line, a client's SENDs to many
// queues (a group message, which the official agent pipelines) or its ACKs
// of messages from many contacts would each wait for their own commit,
// ~3–4 ms (`go test -bench 'FanOut|FanIn'`), where concurrent ones share
// one. The commands of one queue still run one after the other, in the
// order they came, and any other command of the connection on that queue
// waits for them (waitQueue), so the connection behaves as if handled in
// order.

// sendAsync is send, off the reader.
func (h *handlerCtx) sendAsync(ctx context.Context, cmd smp.SEND) []out {
	// The body may alias the block's pooled buffer, reused once this
	// returns.
	cmd.Body = bytes.Clone(cmd.Body)
	cmd.Flags.Reserved = bytes.Clone(cmd.Flags.Reserved)
	return h.queued(ctx, func(hh *handlerCtx) []out { return hh.send(ctx, cmd) })
}

// ackAsync is ack, off the reader.
func (h *handlerCtx) ackAsync(ctx context.Context, msgID []byte) []out {
	msgID = bytes.Clone(msgID)
	return h.queued(ctx, func(hh *handlerCtx) []out { return hh.ack(ctx, msgID) })
}

// queued runs handle in a goroutine after the connection's earlier queued
// commands on the same queue, and pushes its answers.
func (h *handlerCtx) queued(ctx context.Context, handle func(*handlerCtx) []out) []out {
	c := h.c
	// The request may alias the block's pooled buffer.
	r := *h.r
	r.corrID, r.entityID = bytes.Clone(h.r.corrID), bytes.Clone(h.r.entityID)
	hh := &handlerCtx{c: c, v: h.v, r: &r, q: h.q}
	select {
	case c.queueSem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	key := string(h.q.RecipientID)
	done := make(chan struct{})
	c.mu.Lock()
	prev := c.queueTail[key]
	c.queueTail[key] = done
	c.mu.Unlock()
	c.async.Add(1)
	go func() {
		defer c.async.Done()
		defer func() { <-c.queueSem }()
		if prev != nil {
			<-prev
		}
		outs := handle(hh)
		c.mu.Lock()
		if c.queueTail[key] == done {
			delete(c.queueTail, key)
		}
		for _, o := range outs {
			c.pushLocked(o)
		}
		c.mu.Unlock()
		close(done)
	}()
	return nil
}

// waitQueue waits for this connection's queued commands on the queue.
func (c *client) waitQueue(rid []byte) {
	c.mu.Lock()
	ch := c.queueTail[string(rid)]
	c.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// send handles SEND [MS sendMessage]: size and status checks, store (the
// OK leaves only after the store has synced it), delivery to a waiting
// subscriber, and the notification.
func (h *handlerCtx) send(ctx context.Context, cmd smp.SEND) []out {
	s := h.c.srv
	if len(cmd.Body) > smp.MaxMessageLength(h.v) {
		return h.err(smp.ErrLargeMsg)
	}
	switch h.q.Status {
	case store.StatusOff:
		return h.err(smp.ErrAuth)
	case store.StatusBlocked:
		o, _ := h.blocked()
		return o
	}
	m := &store.Message{
		ID:    randomID(),
		Ts:    s.opts.Now().UTC().Truncate(time.Second),
		Flags: encodeFlags(cmd.Flags),
		Body:  cmd.Body,
	}
	res, err := s.st.WriteMessage(ctx, h.q.RecipientID, m, s.opts.Quota)
	if err != nil {
		return h.storeErr(err)
	}
	if !res.Stored {
		s.m.MsgSentQuota.Inc()
		return h.err(smp.ErrQuota)
	}
	s.m.MsgSent.Inc()
	if res.WasEmpty {
		s.deliver(ctx, h.q, time.Now())
	}
	if cmd.Flags.Notification && h.q.Notifier != nil {
		s.notify(h.q.Notifier, m)
	}
	return h.ok()
}

// deliver sends the queue's first message to its subscriber if nothing is
// in flight on that subscription [MS tryDeliverMessage].
func (s *Server) deliver(ctx context.Context, q *store.Queue, sentAt time.Time) {
	rc := s.hub.get(s.hub.rcv, q.RecipientID)
	if rc == nil {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	sb, ok := rc.subs[string(q.RecipientID)]
	if !ok || sb.prohibit || sb.delivered != nil {
		return
	}
	m, err := s.st.PeekMessage(ctx, q.RecipientID)
	if err != nil || m == nil {
		return
	}
	o, err := encryptMsg(q, m)
	if err != nil {
		return
	}
	sb.delivered = m.ID
	o.entityID, o.sentAt = q.RecipientID, sentAt
	rc.pushLocked(o)
}

// encryptMsg makes the MSG for a stored message: the received-message body
// padded to 16106 bytes, boxed with the queue's DH secret, nonce = msgId
// [MS encryptMsg, CONFORMANCE-NOTES §3.2].
//
// The box is built in a pooled buffer: the out's release returns it once
// the writer has copied the transmission.
func encryptMsg(q *store.Queue, m *store.Message) (out, error) {
	body := smp.RcvMessageBody{Timestamp: m.Ts, Quota: m.Quota}
	if !m.Quota {
		body.Flags = decodeFlags(m.Flags)
		body.Body = m.Body
	}
	pp := msgBufPool.Get().(*[]byte)
	defer msgBufPool.Put(pp)
	plain, err := smp.AppendRcvMessageBody((*pp)[:0], body)
	if err != nil {
		return out{}, err
	}
	*pp = plain[:0]
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], m.ID)
	bp := msgBufPool.Get().(*[]byte)
	enc, err := crypto.AppendBoxPadded((*bp)[:0], q.RcvDhSecret, nonce, plain, smp.RcvMessagePaddedSize)
	if err != nil {
		msgBufPool.Put(bp)
		return out{}, err
	}
	*bp = enc[:0]
	return out{msg: smp.MSG{MsgID: m.ID, EncBody: enc}, release: func() { msgBufPool.Put(bp) }}, nil
}

// msgBufPool holds buffers for encryptMsg: encoded bodies and boxes.
var msgBufPool = sync.Pool{New: func() any { b := make([]byte, 0, smp.RcvMessagePaddedSize+crypto.TagSize); return &b }}

// Flags are stored as the notification bool only: like the reference, the
// reserved flag bytes a sender may add are dropped [MP MsgFlags parser].
func encodeFlags(f smp.MsgFlags) []byte {
	if f.Notification {
		return []byte{'T'}
	}
	return []byte{'F'}
}

func decodeFlags(b []byte) smp.MsgFlags {
	if len(b) == 0 {
		return smp.MsgFlags{}
	}
	f := smp.MsgFlags{Notification: b[0] == 'T'}
	if len(b) > 1 {
		f.Reserved = b[1:]
	}
	return f
}
