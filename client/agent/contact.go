package agent

import (
	"context"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// invitation is a connection request received on a contact address.
type invitation struct {
	Link     string
	ConnInfo []byte
}

// maxInvitations bounds the unanswered requests kept per address.
const maxInvitations = 1000

// CreateContactAddress creates a long-term contact address: a contact-mode
// queue that anyone may send connection requests to. The link is
// "simplex:/contact#/?v=…&smp=…" [AG newRcvConnSrv SCMContact].
func (a *Agent) CreateContactAddress(ctx context.Context) (connID, link string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rq, err := a.newRcvQueue(ctx, smp.QueueModeContact)
	if err != nil {
		return "", "", err
	}
	id, err := a.newID()
	if err != nil {
		return "", "", err
	}
	c := &Conn{ID: id, Contact: true, Status: ConnActive, Rcv: rq}
	if err := a.save(c); err != nil {
		return "", "", err
	}
	req := address.ConnectionRequest{
		Mode:        address.ModeContact,
		Scheme:      address.SimplexScheme,
		AgentVRange: AgentVRange,
		Queues:      []address.QueueURI{rq.address(ClientVRange)},
	}
	return id, req.String(), nil
}

// joinContact asks to connect through a contact address: it creates a new
// invitation of its own and sends it with connInfo to the address, only
// encrypted with a one-time per-queue key [AG joinConnSrv CRContactUri,
// AC sendInvitation, agentCbEncryptOnce]:
//
//	SEND( ClientMsgEnvelope(v, ephemeralKey, "_" AgentEnvelope("I", large(invitation link), connInfo)) )
//
// The returned connection continues like one made by CreateConnection:
// the address owner joins the invitation, and a CONF event follows.
func (a *Agent) joinContact(ctx context.Context, req address.ConnectionRequest, connInfo []byte) (string, error) {
	qu := req.Queues[0]
	clientV, ok1 := qu.ClientVRange.Compatible(ClientVRange)
	agentV, ok2 := req.AgentVRange.Compatible(AgentVRange)
	if !ok1 || !ok2 || clientV < address.SrvHostnamesSMPClientVersion {
		return "", ErrVersion
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id, link, err := a.createInvitation(ctx)
	if err != nil {
		return "", err
	}
	env, err := AgentEnvelope{Version: agentV, Type: EnvInvitation, ConnReq: []byte(link), Body: connInfo}.Encode()
	if err != nil {
		return "", err
	}
	eph, err := a.newKey(crypto.X25519)
	if err != nil {
		return "", err
	}
	secret, err := crypto.DH(eph, qu.DHKey)
	if err != nil {
		return "", fmt.Errorf("agent: contact address key: %w", err)
	}
	pub := eph.Public()
	wire, err := a.cbEncrypt(secret, clientV, &pub, ClientMessage{Body: env}.Encode())
	if err != nil {
		return "", err
	}
	srv := qu.Server
	srv.Scheme = address.SchemeSMP
	if _, err := a.send(ctx, srv.String(), qu.SenderID, nil, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: wire}); err != nil {
		return "", err
	}
	return id, nil
}

// contactRequest handles a message on a contact address: an invitation
// is kept and reported as REQ [AG smpInvitation].
func (a *Agent) contactRequest(c *Conn, env ClientMsgEnvelope) error {
	if env.E2EPubKey == nil {
		return fmt.Errorf("%w: contact address message without key", ErrProhibited)
	}
	secret, err := crypto.DH(c.Rcv.E2EKey, *env.E2EPubKey)
	if err != nil {
		return fmt.Errorf("agent: e2e key: %w", err)
	}
	_, ae, err := openClientMessage(secret, env)
	if err != nil {
		return err
	}
	if ae.Type != EnvInvitation {
		return fmt.Errorf("%w: %q on a contact address", ErrProhibited, ae.Type)
	}
	req, err := address.ParseConnectionRequest(string(ae.ConnReq))
	if err != nil || req.Mode != address.ModeInvitation {
		return fmt.Errorf("%w: contact request without an invitation", ErrProhibited)
	}
	if len(c.Invitations) >= maxInvitations {
		return fmt.Errorf("%w: too many pending contact requests", ErrProhibited)
	}
	invID, err := a.newID()
	if err != nil {
		return err
	}
	if c.Invitations == nil {
		c.Invitations = map[string]invitation{}
	}
	c.Invitations[invID] = invitation{Link: string(ae.ConnReq), ConnInfo: ae.Body}
	a.emit(Event{ConnID: c.ID, Type: EvREQ, InvitationID: invID, ConnInfo: ae.Body})
	return nil
}

// AcceptContact accepts a contact request (REQ) by joining its invitation
// with connInfo; it returns the new connection's id [AG acceptContact'].
func (a *Agent) AcceptContact(ctx context.Context, addressID, invID string, connInfo []byte) (string, error) {
	a.mu.Lock()
	c, err := a.conn(addressID)
	var inv invitation
	if err == nil {
		var ok bool
		if inv, ok = c.Invitations[invID]; !ok {
			err = fmt.Errorf("%w: invitation %q", ErrNotFound, invID)
		}
	}
	a.mu.Unlock()
	if err != nil {
		return "", err
	}
	id, err := a.JoinConnection(ctx, inv.Link, connInfo)
	if err != nil {
		return "", err
	}
	return id, a.RejectContact(addressID, invID)
}

// RejectContact forgets a contact request [AG rejectContact'].
func (a *Agent) RejectContact(addressID, invID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(addressID)
	if err != nil {
		return err
	}
	delete(c.Invitations, invID)
	return a.save(c)
}
