package agent

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
)

func (a *Agent) newKey(alg crypto.Algorithm) (crypto.PrivateKey, error) {
	k, err := crypto.GenerateKey(alg, a.rand)
	if err != nil {
		return k, fmt.Errorf("agent: %w", err)
	}
	return k, nil
}

func (a *Agent) newID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		return "", fmt.Errorf("agent: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newRcvQueue creates a messaging queue on the first configured server
// [AC newRcvQueue_]: Ed25519 recipient key, X25519 key for the server's
// MSG encryption and another X25519 key for the per-queue e2e encryption.
func (a *Agent) newRcvQueue(ctx context.Context, mode smp.QueueMode) (*RcvQueue, error) {
	if len(a.cfg.Servers) == 0 {
		return nil, ErrNoServer
	}
	srv := a.cfg.Servers[0]
	server := srv.String()
	rk, err := a.newKey(crypto.Ed25519)
	if err != nil {
		return nil, err
	}
	dh, err := a.newKey(crypto.X25519)
	if err != nil {
		return nil, err
	}
	e2e, err := a.newKey(crypto.X25519)
	if err != nil {
		return nil, err
	}
	cmd := smp.NEW{RcvAuthKey: rk.Public(), RcvDHKey: dh.Public(), Subscribe: true,
		QueueReq: &smp.QueueReqData{Mode: mode}}
	if a.cfg.NoSenderSecure && mode == smp.QueueModeMessaging {
		cmd.QueueReq = nil
	}
	if srv.BasicAuth != "" {
		cmd.BasicAuth = []byte(srv.BasicAuth)
	}
	m, err := a.send(ctx, server, nil, &rk, cmd)
	if err != nil {
		return nil, err
	}
	ids, ok := m.(smp.IDS)
	if !ok {
		return nil, fmt.Errorf("agent: NEW: unexpected response %s", m.Tag())
	}
	secret, err := crypto.DH(dh, ids.SrvDHKey)
	if err != nil {
		return nil, fmt.Errorf("agent: server DH key: %w", err)
	}
	q := &RcvQueue{Server: server, RcvID: ids.RcvID, SndID: ids.SndID, RcvKey: rk, RcvDHSecret: secret,
		E2EKey: e2e, ClientVersion: ClientVRange.Max, Status: QueueNew}
	switch ids.QueueMode {
	case smp.QueueModeMessaging:
		q.Mode = address.QueueModeMessaging
	case smp.QueueModeContact:
		q.Mode = address.QueueModeContact
	}
	return q, nil
}

func (q *RcvQueue) address(vr encoding.VersionRange) address.QueueURI {
	srv, _ := address.ParseServerAddress(q.Server)
	srv.BasicAuth = ""
	return address.QueueURI{ClientVRange: vr, Server: srv, SenderID: q.SndID, DHKey: q.E2EKey.Public(), Mode: q.Mode}
}

// CreateConnection creates a one-time invitation: a new receiving queue
// and X448 keys for the X3DH agreement. It returns the connection id and
// the invitation link "simplex:/invitation#/?v=…&smp=…&e2e=…"
// [AG newRcvConnSrv, createConnReq].
func (a *Agent) CreateConnection(ctx context.Context) (connID, link string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.createInvitation(ctx)
}

// createInvitation is CreateConnection; callers hold mu.
func (a *Agent) createInvitation(ctx context.Context) (connID, link string, err error) {
	rq, err := a.newRcvQueue(ctx, smp.QueueModeMessaging)
	if err != nil {
		return "", "", err
	}
	pk1, pk2, e2e, err := ratchet.GenerateE2EKeys(E2EVRange.Max, a.rand)
	if err != nil {
		return "", "", fmt.Errorf("agent: %w", err)
	}
	id, err := a.newID()
	if err != nil {
		return "", "", err
	}
	c := &Conn{ID: id, Initiator: true, Status: ConnNew, Rcv: rq, X3DHKey1: &pk1, X3DHKey2: &pk2}
	if err := a.save(c); err != nil {
		return "", "", err
	}
	req := address.ConnectionRequest{
		Mode:        address.ModeInvitation,
		Scheme:      address.SimplexScheme,
		AgentVRange: AgentVRange,
		Queues:      []address.QueueURI{rq.address(ClientVRange)},
		E2E:         &address.E2EParams{VRange: E2EVRange, Key1: e2e.Key1, Key2: e2e.Key2},
	}
	return id, req.String(), nil
}

// JoinConnection accepts an invitation link or a contact address. With
// an invitation link it makes the sending ratchet,
// secures the inviter's queue with SKEY (when the queue allows it),
// creates the reply queue and sends the confirmation with connInfo
// [AG startJoinInvitation, joinConnSrv, secureConfirmQueue]. With a
// contact address it creates a new invitation and sends it, with
// connInfo, to the address (see joinContact).
func (a *Agent) JoinConnection(ctx context.Context, link string, connInfo []byte) (string, error) {
	req, err := address.ParseConnectionRequest(link)
	if err != nil {
		return "", fmt.Errorf("agent: %w", err)
	}
	if req.Mode == address.ModeContact {
		return a.joinContact(ctx, req, connInfo)
	}
	if req.E2E == nil {
		return "", fmt.Errorf("%w: invitation without e2e parameters", ErrState)
	}
	qu := req.Queues[0]
	clientV, ok1 := qu.ClientVRange.Compatible(ClientVRange)
	e2eV, ok2 := req.E2E.VRange.Compatible(E2EVRange)
	agentV, ok3 := req.AgentVRange.Compatible(AgentVRange)
	if !ok1 || !ok2 || !ok3 || clientV < address.SrvHostnamesSMPClientVersion {
		return "", ErrVersion
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	linkHash := crypto.SHA256([]byte(link))
	var c *Conn
	for _, old := range a.conns {
		if old.Status == ConnJoining && bytes.Equal(old.JoinLink, linkHash) {
			c = old // a previous attempt failed: resume it with the same keys
		}
	}
	if c == nil {
		if c, err = a.newJoin(req, clientV, e2eV, agentV); err != nil {
			return "", err
		}
		c.JoinLink = linkHash
		if err := a.save(c); err != nil {
			return "", err
		}
	}
	if err := a.continueJoin(ctx, c, connInfo); err != nil {
		return c.ID, fmt.Errorf("%w (joining again with the same link resumes connection %s)", err, c.ID)
	}
	return c.ID, nil
}

// newJoin makes the joining party's connection: X3DH reply keys, the
// sending ratchet and the send queue [AG startJoinInvitation, createRatchet_].
func (a *Agent) newJoin(req address.ConnectionRequest, clientV, e2eV, agentV uint16) (*Conn, error) {
	// KEM: a proposed KEM key in the invitation (req.E2E.KEMKey) would be
	// accepted here with sntrup761 encapsulation [R replyKEM_]; without
	// PQ support it is ignored, as the reference does with PQ off.
	spk1, spk2, sndParams, err := ratchet.GenerateE2EKeys(e2eV, a.rand)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	ip, err := ratchet.X3DHSnd(spk1, spk2, req.E2E.Key1, req.E2E.Key2)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	dhRs, err := a.newKey(crypto.X448)
	if err != nil {
		return nil, err
	}
	rc, err := ratchet.InitSnd(ratchet.Versions{Current: e2eV, MaxSupported: E2EVRange.Max}, req.E2E.Key2, dhRs, ip)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	sq, err := a.newSndQueue(queueInfoOf(req.Queues[0], clientV))
	if err != nil {
		return nil, err
	}
	id, err := a.newID()
	if err != nil {
		return nil, err
	}
	return &Conn{ID: id, Status: ConnJoining, AgentVersion: agentV, E2EVersion: e2eV, Snd: sq, Ratchet: rc,
		JoinE2E: &sndParams}, nil
}

// continueJoin runs the network steps of joining, saving c after each, so
// that a failed attempt can be resumed [AG joinConnSrv, secureConfirmQueue].
func (a *Agent) continueJoin(ctx context.Context, c *Conn, connInfo []byte) error {
	sq := c.Snd
	// SKEY first, so that nobody else can secure the queue [AG agentSecureSndQueue].
	if sq.Mode == address.QueueModeMessaging && sq.Status == QueueNew {
		if _, err := a.send(ctx, sq.Server, sq.SndID, &sq.SndKey, smp.SKEY{SndAuthKey: sq.SndKey.Public()}); err != nil {
			return err
		}
		sq.Status = QueueSecured
		if err := a.save(c); err != nil {
			return err
		}
	}
	if c.Rcv == nil {
		rq, err := a.newRcvQueue(ctx, smp.QueueModeMessaging)
		if err != nil {
			return err
		}
		c.Rcv = rq
		if err := a.save(c); err != nil {
			return err
		}
	}
	rq := c.Rcv
	srv, _ := address.ParseServerAddress(rq.Server)
	srv.BasicAuth = ""
	reply := QueueInfo{ClientVersion: sq.ClientVersion, Server: srv, SenderID: rq.SndID, DHKey: rq.E2EKey.Public(), Mode: rq.Mode}
	msg := AgentMessage{Type: MsgConnInfoReply, Queues: []QueueInfo{reply}, Info: connInfo}
	err := a.sendConfirmation(ctx, c, msg, c.JoinE2E)
	if err == nil {
		c.Status, c.JoinE2E, c.JoinLink = ConnJoined, nil, nil
	}
	// saved either way: the ratchet has advanced
	if serr := a.save(c); err == nil {
		err = serr
	}
	return err
}

func queueInfoOf(q address.QueueURI, v uint16) QueueInfo {
	return QueueInfo{ClientVersion: v, Server: q.Server, SenderID: q.SenderID, DHKey: q.DHKey, Mode: q.Mode}
}

// newSndQueue prepares sending to a peer's queue [AG newSndQueue].
func (a *Agent) newSndQueue(q QueueInfo) (*SndQueue, error) {
	sk, err := a.newKey(crypto.Ed25519)
	if err != nil {
		return nil, err
	}
	e2e, err := a.newKey(crypto.X25519)
	if err != nil {
		return nil, err
	}
	secret, err := crypto.DH(e2e, q.DHKey)
	if err != nil {
		return nil, fmt.Errorf("agent: queue e2e key: %w", err)
	}
	srv := q.Server
	srv.Scheme = address.SchemeSMP
	return &SndQueue{Server: srv.String(), SndID: q.SenderID, SndKey: sk, E2EPubKey: e2e.Public(),
		E2EDHSecret: secret, Mode: q.Mode, ClientVersion: q.ClientVersion, Status: QueueNew}, nil
}

// sendConfirmation ratchet-encrypts an AgentConnInfo(Reply), wraps it in a
// confirmation envelope and sends it [AG secureConfirmQueue mkConfirmation,
// AC sendConfirmation]. It counts as the connection's first sent message:
// its hash is the previous-message hash of the next one.
func (a *Agent) sendConfirmation(ctx context.Context, c *Conn, m AgentMessage, e2e *ratchet.E2EParams) error {
	body, err := m.Encode()
	if err != nil {
		return err
	}
	enc, err := c.Ratchet.Encrypt(body, E2EEncConnInfoLength)
	if err != nil {
		return fmt.Errorf("agent: confirmation: %w", err)
	}
	env, err := AgentEnvelope{Version: c.AgentVersion, Type: EnvConfirmation, E2E: e2e, Body: enc}.Encode()
	if err != nil {
		return err
	}
	sq := c.Snd
	cm := ClientMessage{Body: env}
	var key *crypto.PrivateKey
	if sq.Mode == address.QueueModeMessaging {
		key = &sq.SndKey // the queue is secured: SEND must be authorized
	} else {
		pub := sq.SndKey.Public() // the recipient secures the queue with KEY
		cm.SenderKey = &pub
	}
	pub := sq.E2EPubKey
	wire, err := a.cbEncrypt(sq.E2EDHSecret, sq.ClientVersion, &pub, cm.Encode())
	if err != nil {
		return err
	}
	if _, err := a.send(ctx, sq.Server, sq.SndID, key, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: wire}); err != nil {
		return err
	}
	c.LastInternalID++
	c.LastSndMsgID++
	c.LastSndHash = crypto.SHA256(body)
	sq.Status = QueueConfirmed
	if key != nil {
		sq.Status = QueueSecured
	}
	return nil
}

// cbEncrypt is the per-queue e2e encryption [AC agentCbEncrypt]: a random
// nonce, crypto_box of the padded message, in a ClientMsgEnvelope.
func (a *Agent) cbEncrypt(secret []byte, version uint16, pub *crypto.PublicKey, msg []byte) ([]byte, error) {
	var nonce [crypto.NonceSize]byte
	if _, err := io.ReadFull(a.rand, nonce[:]); err != nil {
		return nil, fmt.Errorf("agent: nonce: %w", err)
	}
	padded := E2EEncMessageLength
	if pub != nil {
		padded = E2EEncConfirmationLength
	}
	body, err := crypto.BoxPadded(secret, nonce, msg, padded)
	if err != nil {
		return nil, fmt.Errorf("agent: e2e encrypt: %w", err)
	}
	return ClientMsgEnvelope{Version: version, E2EPubKey: pub, Nonce: nonce, EncBody: body}.Encode(), nil
}

// AllowConnection continues a connection after its CONF event: it
// secures the peer's reply queue (SKEY, or KEY on our own queue in the
// legacy procedure) and sends our confirmation with connInfo
// [AG allowConnection', ICAllowSecure, connectReplyQueues]. In the fast
// procedure the connection is then established (CON).
func (a *Agent) AllowConnection(ctx context.Context, connID string, connInfo []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(connID)
	if err != nil {
		return err
	}
	if c.Status != ConnConfirmed || len(c.PeerQueues) == 0 {
		return fmt.Errorf("%w: %s", ErrState, c.Status)
	}
	if k := c.PeerSenderKey; k != nil { // legacy: secure our queue for the peer
		if _, err := a.send(ctx, c.Rcv.Server, c.Rcv.RcvID, &c.Rcv.RcvKey, smp.KEY{SndAuthKey: *k}); err != nil {
			return err
		}
		c.Rcv.Status = QueueSecured
	}
	q := c.PeerQueues[0]
	v, ok := encoding.VersionRange{Min: q.ClientVersion, Max: q.ClientVersion}.Compatible(ClientVRange)
	if !ok {
		return ErrVersion
	}
	q.ClientVersion = v
	sq, err := a.newSndQueue(q)
	if err != nil {
		return err
	}
	c.Snd = sq
	if sq.Mode == address.QueueModeMessaging {
		if _, err := a.send(ctx, sq.Server, sq.SndID, &sq.SndKey, smp.SKEY{SndAuthKey: sq.SndKey.Public()}); err != nil {
			return err
		}
		sq.Status = QueueSecured
	}
	if err := a.sendConfirmation(ctx, c, AgentMessage{Type: MsgConnInfo, Info: connInfo}, nil); err != nil {
		return err
	}
	c.PeerQueues, c.PeerSenderKey = nil, nil
	c.Status = ConnAllowed
	if sq.Mode == address.QueueModeMessaging {
		// [AG runSmpQueueMsgDelivery AM_CONN_INFO senderCanSecure -> CON]
		c.Status = ConnActive
		sq.Status = QueueActive
		a.emit(Event{ConnID: c.ID, Type: EvCON})
	}
	return a.save(c)
}
