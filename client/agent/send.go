package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// ErrPending wraps the error of a SEND that failed temporarily: the
// message is kept and sent again, in order, by the next send on the
// connection, by the background retries (Config.RetryInterval), by
// RetryPending, after a reconnection or when the peer says its queue has
// room again (A_QCONT).
var ErrPending = errors.New("agent: message queued for retry")

// sendAMessage encrypts one agent message, queues it and sends the
// connection's queued messages; it returns the message's internal id
// [AG enqueueMessage, encodeAgentMsgStr, AC sendAgentMessage]:
//
//	SEND( ClientMsgEnvelope( "_" AgentEnvelope("M", ratchet(AgentMessage("M" id prevHash msg))) ) )
//
// Simplification: the reference delivers from a per-queue worker that
// retries with backoff until the message expires (and reports MWARN/MERR);
// here retries happen on the events listed at ErrPending, and queued
// messages never expire.
func (a *Agent) sendAMessage(ctx context.Context, c *Conn, msg AMessage) (int64, error) {
	if c.Snd == nil || c.Ratchet == nil {
		return 0, fmt.Errorf("%w: no send queue", ErrState)
	}
	sndID := c.LastSndMsgID + 1
	am := AgentMessage{Type: MsgAgent, SndMsgID: sndID, PrevMsgHash: c.LastSndHash, Msg: msg}
	body, err := am.Encode()
	if err != nil {
		return 0, err
	}
	enc, err := c.Ratchet.Encrypt(body, E2EEncAgentMsgLength)
	if err != nil {
		return 0, fmt.Errorf("agent: %w", err)
	}
	// The envelope carries the maximum supported agent version [AG runSmpQueueMsgDelivery].
	env, err := AgentEnvelope{Version: AgentVRange.Max, Type: EnvMessage, Body: enc}.Encode()
	if err != nil {
		return 0, err
	}
	wire, err := a.cbEncrypt(c.Snd.E2EDHSecret, c.Snd.ClientVersion, nil, ClientMessage{Body: env}.Encode())
	if err != nil {
		return 0, err
	}
	hash := crypto.SHA256(body)
	c.LastSndMsgID = sndID
	c.LastSndHash = hash
	c.LastInternalID++
	id := c.LastInternalID
	c.rememberSent(sndID, id, hash)
	// receipts are sent without notification flag [AG ackMessage']
	c.Pending = append(c.Pending, pendingMsg{InternalID: id, Type: msg.Type, Notify: msg.Type != ARcvd, Wire: wire})
	// saved before sending: a crash after the SEND repeats it, which the
	// peer's ratchet rejects as a duplicate, rather than losing the state
	if err := a.save(c); err != nil {
		return id, err
	}
	return id, a.flush(ctx, c)
}

// flush sends the queued messages of c in order and saves c. A message
// the server rejects with AUTH (the queue is gone) is dropped with an ERR
// event; any other error stops the flush with ErrPending.
func (a *Agent) flush(ctx context.Context, c *Conn) error {
	for len(c.Pending) > 0 {
		p := c.Pending[0]
		_, err := a.send(ctx, c.Snd.Server, c.Snd.SndID, &c.Snd.SndKey, smp.SEND{Flags: smp.MsgFlags{Notification: p.Notify}, Body: p.Wire})
		if err != nil && !errors.Is(err, smp.ErrAuth) {
			return fmt.Errorf("%w: %w", ErrPending, err)
		}
		c.Pending = c.Pending[1:]
		switch {
		case err != nil:
			a.emit(Event{ConnID: c.ID, Type: EvERR, MsgID: p.InternalID, Err: err})
		case p.Type == AMsg:
			a.emit(Event{ConnID: c.ID, Type: EvSENT, MsgID: p.InternalID})
		}
		if err := a.save(c); err != nil {
			return err
		}
	}
	return nil
}

// RetryPending sends the queued messages of all connections.
func (a *Agent) RetryPending(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for _, c := range a.conns {
		if len(c.Pending) > 0 && c.Snd != nil {
			if err := a.flush(ctx, c); err != nil {
				errs = append(errs, fmt.Errorf("connection %s: %w", c.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// SendMessage sends a user message (A_MSG) and returns its internal id; a
// SENT event follows when the server accepted it [AG sendMessage']. An
// error wrapping ErrPending means the message is kept for a retry.
func (a *Agent) SendMessage(ctx context.Context, connID string, body []byte) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(connID)
	if err != nil {
		return 0, err
	}
	if c.Status != ConnActive {
		return 0, fmt.Errorf("%w: %s", ErrState, c.Status)
	}
	return a.sendAMessage(ctx, c, AMessage{Type: AMsg, Body: body})
}

// deliveryRcptsVersion is the agent version that added A_RCVD.
const deliveryRcptsVersion = 4

// AckMessage acknowledges a received message to the server, which then
// delivers the next one; with receipt set it also sends a delivery
// receipt (A_RCVD) to the peer, if the peer's agent version has them
// [AG ackMessage'].
func (a *Agent) AckMessage(ctx context.Context, connID string, msgID int64, receipt bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(connID)
	if err != nil {
		return err
	}
	r, ok := c.Received[msgID]
	if !ok {
		return fmt.Errorf("%w: message %d", ErrNotFound, msgID)
	}
	// receipts exist from agent version 4 [AP deliveryRcptsSMPAgentVersion]
	if receipt && c.AgentVersion >= deliveryRcptsVersion {
		rc := Receipt{AgentMsgID: r.SndMsgID, MsgHash: r.Hash}
		if _, err := a.sendAMessage(ctx, c, AMessage{Type: ARcvd, Receipts: []Receipt{rc}}); err != nil && !errors.Is(err, ErrPending) {
			return err
		}
	}
	delete(c.Received, msgID)
	if err := a.save(c); err != nil {
		return err
	}
	next, err := a.ack(c, r.SrvMsgID)
	if err != nil {
		return err
	}
	if next != nil {
		a.processAndAck(c, *next)
	}
	return nil
}

// SubscribeAll subscribes to the receiving queues of all connections, as
// after a restart [AG subscribeConnections']. A waiting message is
// delivered as an event. A connection that fails gets an ERR event and
// the others are still subscribed; the errors are returned joined.
func (a *Agent) SubscribeAll(ctx context.Context) error {
	a.mu.Lock()
	var ids []string
	for id, c := range a.conns {
		if c.Rcv != nil {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	var errs []error
	for _, id := range ids {
		if err := a.Subscribe(ctx, id); err != nil {
			a.emit(Event{ConnID: id, Type: EvERR, Err: err})
			errs = append(errs, fmt.Errorf("connection %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// Subscribe subscribes to one connection's receiving queue.
func (a *Agent) Subscribe(ctx context.Context, connID string) error {
	a.mu.Lock()
	c, err := a.conn(connID)
	if err != nil {
		a.mu.Unlock()
		return err
	}
	rq := *c.Rcv
	a.mu.Unlock()
	// Not under mu: the SUB response may follow a MSG that readEvents
	// processes with mu held.
	_, err = a.send(ctx, rq.Server, rq.RcvID, &rq.RcvKey, smp.SUB{})
	return err
}

// DeleteConnection deletes the connection's receiving queue on its server
// and forgets the connection [AG deleteConnection'].
func (a *Agent) DeleteConnection(ctx context.Context, connID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(connID)
	if err != nil {
		return err
	}
	if c.Rcv != nil {
		if _, err := a.send(ctx, c.Rcv.Server, c.Rcv.RcvID, &c.Rcv.RcvKey, smp.DEL{}); err != nil {
			return err
		}
		delete(a.byRcv, rcvKey(c.Rcv.Server, c.Rcv.RcvID))
	}
	delete(a.conns, connID)
	return a.store.Delete(connID)
}
