package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// Integrity errors of a received message [AP MsgErrorType, AG checkMsgIntegrity].
var (
	ErrMsgSkipped   = errors.New("agent: messages skipped")
	ErrMsgBadID     = errors.New("agent: bad message id")
	ErrMsgDuplicate = errors.New("agent: duplicate message id")
	ErrMsgBadHash   = errors.New("agent: bad previous message hash")
)

// errQuotaMarker tells processAndAck that the message was the quota marker.
var errQuotaMarker = errors.New("agent: quota marker")

// queueDrained tells the sender that our queue, which was full, is empty
// again [AG queueDrained]. The reference sends A_QCONT before the ACK of
// the marker and relies on the sender's retries; here the ACK comes first,
// so that the sender's immediate retry is accepted.
func (a *Agent) queueDrained(c *Conn) error {
	if c.Snd == nil || c.Status != ConnActive {
		return nil
	}
	srv, err := address.ParseServerAddress(c.Rcv.Server)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	srv.BasicAuth = ""
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := a.sendAMessage(ctx, c, AMessage{Type: AQCont, Server: srv, SndID: c.Rcv.SndID}); err != nil && !errors.Is(err, ErrPending) {
		return err
	}
	return nil
}

// opTimeout bounds the server commands the agent sends on its own
// (acknowledgements, HELLO) while processing received messages.
const opTimeout = 30 * time.Second

// receive handles a MSG pushed by the server for one of our queues, and
// the messages that follow as responses to its ACK.
func (a *Agent) receive(server string, rcvID []byte, m smp.MSG) {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, ok := a.byRcv[rcvKey(server, rcvID)]
	if !ok {
		a.log.Warn("message for an unknown queue")
		return
	}
	c := a.conns[id]
	a.processAndAck(c, m)
}

// processAndAck processes m and, unless the user must acknowledge it,
// acknowledges it; an ACK may return the next message. Callers hold mu.
func (a *Agent) processAndAck(c *Conn, m smp.MSG) {
	for {
		ackNow, err := a.process(c, m)
		quota := errors.Is(err, errQuotaMarker)
		if quota {
			err = nil
		}
		if err != nil {
			a.emit(Event{ConnID: c.ID, Type: EvERR, Err: err})
			ackNow = true
		}
		if err := a.save(c); err != nil {
			a.emit(Event{ConnID: c.ID, Type: EvERR, Err: err})
		}
		if !ackNow {
			return
		}
		next, err := a.ack(c, m.MsgID)
		if err != nil {
			a.emit(Event{ConnID: c.ID, Type: EvERR, Err: err})
			return
		}
		if quota {
			// only now, with the marker acknowledged, will the server
			// accept the sender's messages again
			if err := a.queueDrained(c); err != nil {
				a.emit(Event{ConnID: c.ID, Type: EvERR, Err: err})
			}
		}
		if next == nil {
			return
		}
		m = *next
	}
}

// ack acknowledges a message; the response may be the next message.
func (a *Agent) ack(c *Conn, msgID []byte) (*smp.MSG, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	r, err := a.send(ctx, c.Rcv.Server, c.Rcv.RcvID, &c.Rcv.RcvKey, smp.ACK{MsgID: msgID})
	if err != nil {
		if errors.Is(err, smp.ErrNoMsg) {
			return nil, nil
		}
		return nil, err
	}
	if next, ok := r.(smp.MSG); ok {
		return &next, nil
	}
	return nil, nil
}

// process decrypts and handles one message [AG processSMP MSG]; ackNow is
// false for A_MSG, which the user acknowledges with AckMessage.
func (a *Agent) process(c *Conn, m smp.MSG) (ackNow bool, err error) {
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], m.MsgID)
	plain, err := crypto.OpenBoxPadded(c.Rcv.RcvDHSecret, nonce, m.EncBody)
	if err != nil {
		return true, fmt.Errorf("agent: server encryption: %w", err)
	}
	rb, err := smp.ParseRcvMessageBody(plain)
	if err != nil {
		return true, fmt.Errorf("agent: %w", err)
	}
	if rb.Quota {
		return true, errQuotaMarker
	}
	env, err := ParseClientMsgEnvelope(rb.Body)
	if err != nil {
		return true, err
	}
	if c.Contact {
		return true, a.contactRequest(c, env)
	}
	switch {
	case c.Rcv.E2EDHSecret == nil && env.E2EPubKey != nil:
		secret, err := crypto.DH(c.Rcv.E2EKey, *env.E2EPubKey)
		if err != nil {
			return true, fmt.Errorf("agent: e2e key: %w", err)
		}
		cm, ae, err := openClientMessage(secret, env)
		if err != nil {
			return true, err
		}
		if ae.Type != EnvConfirmation {
			return true, fmt.Errorf("%w: handshake: %q envelope", ErrProhibited, ae.Type)
		}
		if cm.SenderKey == nil && c.Rcv.Mode != address.QueueModeMessaging {
			return true, fmt.Errorf("%w: handshake: missing sender key", ErrProhibited)
		}
		return true, a.confirmation(c, secret, env.Version, cm.SenderKey, ae)
	case c.Rcv.E2EDHSecret != nil && env.E2EPubKey == nil:
		_, ae, err := openClientMessage(c.Rcv.E2EDHSecret, env)
		if err != nil {
			return true, err
		}
		if ae.Type != EnvMessage {
			// ratchet re-synchronisation ('R') is not supported
			return true, fmt.Errorf("%w: %q envelope", ErrProhibited, ae.Type)
		}
		return a.agentMessage(c, ae.Body, m.MsgID)
	case c.Rcv.E2EDHSecret != nil:
		// a repeated confirmation, delivered again because its ACK failed
		return true, nil
	}
	return true, fmt.Errorf("%w: message without e2e keys", ErrProhibited)
}

func openClientMessage(secret []byte, env ClientMsgEnvelope) (ClientMessage, AgentEnvelope, error) {
	p, err := crypto.OpenBoxPadded(secret, env.Nonce, env.EncBody)
	if err != nil {
		return ClientMessage{}, AgentEnvelope{}, fmt.Errorf("agent: e2e decryption: %w", err)
	}
	cm, err := ParseClientMessage(p)
	if err != nil {
		return cm, AgentEnvelope{}, err
	}
	ae, err := ParseAgentEnvelope(cm.Body)
	return cm, ae, err
}

// confirmation handles the peer's confirmation [AG smpConfirmation].
func (a *Agent) confirmation(c *Conn, secret []byte, clientV uint16, senderKey *crypto.PublicKey, ae AgentEnvelope) error {
	if !AgentVRange.Contains(ae.Version) && ae.Version > c.AgentVersion {
		return ErrVersion
	}
	switch {
	case c.Initiator && c.Status == ConnNew:
		// The initiator makes its ratchet now, from the reply's keys
		// (agent v7 ratchetOnConf) [AG smpConfirmation, R pqX3dhRcv].
		if ae.E2E == nil || c.X3DHKey1 == nil {
			return fmt.Errorf("%w: conf: no e2e parameters", ErrProhibited)
		}
		if !E2EVRange.Contains(ae.E2E.Version) {
			return ErrVersion
		}
		if ae.E2E.KEM != nil && ae.E2E.KEM.Ciphertext != nil {
			return fmt.Errorf("agent: %w", ratchet.ErrKEMState) // we proposed no KEM key
		}
		ip, err := ratchet.X3DHRcv(*c.X3DHKey1, *c.X3DHKey2, ae.E2E.Key1, ae.E2E.Key2)
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		rc := ratchet.InitRcv(ratchet.Versions{Current: ae.E2E.Version, MaxSupported: E2EVRange.Max}, *c.X3DHKey2, ip)
		body, err := rc.Decrypt(ae.Body)
		if err != nil {
			return fmt.Errorf("agent: conf: %w", err)
		}
		am, err := ParseAgentMessage(body)
		if err != nil {
			return err
		}
		if am.Type != MsgConnInfoReply {
			return fmt.Errorf("%w: conf: not AgentConnInfoReply", ErrProhibited)
		}
		c.Ratchet, c.X3DHKey1, c.X3DHKey2 = rc, nil, nil
		c.AgentVersion, c.E2EVersion = ae.Version, ae.E2E.Version
		c.Rcv.E2EDHSecret = secret
		c.Rcv.ClientVersion = min(c.Rcv.ClientVersion, clientV)
		c.Rcv.Status = QueueConfirmed
		c.PeerQueues, c.PeerSenderKey = am.Queues, senderKey
		c.LastExtSndID, c.LastRcvHash = 1, crypto.SHA256(body)
		c.Status = ConnConfirmed
		a.emit(Event{ConnID: c.ID, Type: EvCONF, ConnInfo: am.Info})
		return nil
	case !c.Initiator && c.Status == ConnJoined:
		if ae.E2E != nil {
			return fmt.Errorf("%w: conf: unexpected e2e parameters", ErrProhibited)
		}
		body, err := c.Ratchet.Decrypt(ae.Body)
		if err != nil {
			return fmt.Errorf("agent: conf: %w", err)
		}
		am, err := ParseAgentMessage(body)
		if err != nil {
			return err
		}
		if am.Type != MsgConnInfo {
			return fmt.Errorf("%w: conf: not AgentConnInfo", ErrProhibited)
		}
		c.Rcv.E2EDHSecret = secret
		c.Rcv.ClientVersion = min(c.Rcv.ClientVersion, clientV)
		c.LastExtSndID, c.LastRcvHash = 1, crypto.SHA256(body)
		a.emit(Event{ConnID: c.ID, Type: EvINFO, ConnInfo: am.Info})
		if senderKey == nil {
			c.Status, c.Rcv.Status, c.Snd.Status = ConnActive, QueueActive, QueueActive
			a.emit(Event{ConnID: c.ID, Type: EvCON})
			return nil
		}
		// Legacy procedure: secure our queue, then HELLO [AG ICDuplexSecure].
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if _, err := a.send(ctx, c.Rcv.Server, c.Rcv.RcvID, &c.Rcv.RcvKey, smp.KEY{SndAuthKey: *senderKey}); err != nil {
			return err
		}
		c.Rcv.Status = QueueSecured
		if _, err := a.sendAMessage(ctx, c, AMessage{Type: AHello}); err != nil {
			return err
		}
		c.Snd.Status = QueueActive
		c.Status = ConnAllowed
		return nil
	}
	return fmt.Errorf("%w: conf: connection %s", ErrProhibited, c.Status)
}

// checkIntegrity compares a message's ids and hash with the previous one
// [AG checkMsgIntegrity].
func checkIntegrity(prevExtID, extID int64, prevHash, gotPrevHash []byte) error {
	switch {
	case extID == prevExtID+1 && bytes.Equal(prevHash, gotPrevHash):
		return nil
	case extID < prevExtID:
		return fmt.Errorf("%w: %d", ErrMsgBadID, extID)
	case extID == prevExtID:
		return ErrMsgDuplicate
	case extID > prevExtID+1:
		return fmt.Errorf("%w: %d..%d", ErrMsgSkipped, prevExtID+1, extID-1)
	}
	return ErrMsgBadHash
}

// agentMessage handles a ratchet-encrypted agent message [AG agentClientMsg].
func (a *Agent) agentMessage(c *Conn, enc, srvMsgID []byte) (ackNow bool, err error) {
	if c.Ratchet == nil {
		return true, fmt.Errorf("%w: message before confirmation", ErrProhibited)
	}
	body, err := c.Ratchet.Decrypt(enc)
	if err != nil {
		return true, fmt.Errorf("agent: %w", err)
	}
	am, err := ParseAgentMessage(body)
	if err != nil {
		return true, err
	}
	if am.Type != MsgAgent {
		return true, fmt.Errorf("%w: %q after confirmation", ErrProhibited, am.Type)
	}
	hash := crypto.SHA256(body)
	integrity := checkIntegrity(c.LastExtSndID, am.SndMsgID, c.LastRcvHash, am.PrevMsgHash)
	c.LastExtSndID, c.LastRcvHash = am.SndMsgID, hash
	c.LastInternalID++
	if c.Rcv.Status != QueueActive {
		c.Rcv.Status = QueueActive
	}
	switch am.Msg.Type {
	case AHello:
		return true, a.hello(c)
	case AMsg:
		if c.Received == nil {
			c.Received = map[int64]rcvMsg{}
		}
		c.Received[c.LastInternalID] = rcvMsg{SrvMsgID: bytes.Clone(srvMsgID), SndMsgID: am.SndMsgID, Hash: hash}
		a.emit(Event{ConnID: c.ID, Type: EvMSG, MsgID: c.LastInternalID, SndMsgID: am.SndMsgID,
			Body: am.Msg.Body, Integrity: integrity})
		return false, nil
	case ARcvd:
		for _, r := range am.Msg.Receipts {
			if s, ok := c.Sent[r.AgentMsgID]; ok {
				a.emit(Event{ConnID: c.ID, Type: EvRCVD, MsgID: s.InternalID, ReceiptOK: bytes.Equal(s.Hash, r.MsgHash)})
			}
		}
	case AQCont:
		// the peer drained its queue: send what waits [AG continueSending]
		if c.Snd != nil && bytes.Equal(am.Msg.SndID, c.Snd.SndID) {
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			defer cancel()
			if err := a.flush(ctx, c); err != nil && !errors.Is(err, ErrPending) {
				return true, err
			}
		}
	}
	// EREADY and queue rotation messages are not acted upon.
	return true, nil
}

// hello handles HELLO in the legacy procedure [AG helloMsg].
func (a *Agent) hello(c *Conn) error {
	if c.Status == ConnActive {
		return fmt.Errorf("%w: hello: active", ErrProhibited)
	}
	if c.Snd != nil && c.Snd.Status == QueueActive { // our HELLO was sent first
		c.Status = ConnActive
		a.emit(Event{ConnID: c.ID, Type: EvCON})
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := a.sendAMessage(ctx, c, AMessage{Type: AHello}); err != nil {
		return err
	}
	c.Snd.Status = QueueActive
	c.Status = ConnActive
	a.emit(Event{ConnID: c.ID, Type: EvCON})
	return nil
}
