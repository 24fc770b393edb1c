package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
)

// ErrNoNotifier is returned for a connection whose receiving queue has no
// notifier credentials (EnableNotifications was not called).
var ErrNoNotifier = errors.New("agent: notifications not enabled for the connection")

// NotifierCreds are what a notification server needs to subscribe to a
// connection's receiving queue (SNEW): the queue's server, its notifier id
// and the private key that authorizes NSUB [AG enableQueueNotifications,
// NtfSubSupervisor].
type NotifierCreds struct {
	Server      address.ServerAddress
	NotifierID  []byte
	NotifierKey crypto.PrivateKey // Ed25519
}

// queueNotifier is kept in RcvQueue once NKEY succeeded.
type queueNotifier struct {
	NotifierID  []byte
	NotifierKey crypto.PrivateKey // Ed25519, given to the NTF server
	DHSecret    []byte            // X25519 secret with the server's srvNtfDh key, opens NMSG metadata
}

// EnableNotifications sends NKEY for the connection's receiving queue
// (a fresh Ed25519 notifier key and X25519 DH key), keeps the notifier id
// and the DH secret the server answers with (NID), and returns the
// credentials for SNEW. When the queue already has them, they are
// returned without a server round trip [AG enableQueueNotifications].
//
//	NKEY key(notifierAuthKey) key(rcvNtfDhKey) -> NID short(notifierId) key(srvNtfDhKey)
func (a *Agent) EnableNotifications(ctx context.Context, connID string) (NotifierCreds, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.conn(connID)
	if err != nil {
		return NotifierCreds{}, err
	}
	if c.Rcv == nil {
		return NotifierCreds{}, fmt.Errorf("%w: no receiving queue", ErrState)
	}
	if c.Rcv.Notifier != nil {
		return notifierCreds(c.Rcv)
	}
	authKey, err := crypto.GenerateKey(crypto.Ed25519, a.rand)
	if err != nil {
		return NotifierCreds{}, fmt.Errorf("agent: notifier key: %w", err)
	}
	dhKey, err := crypto.GenerateKey(crypto.X25519, a.rand)
	if err != nil {
		return NotifierCreds{}, fmt.Errorf("agent: notifier DH key: %w", err)
	}
	m, err := a.send(ctx, c.Rcv.Server, c.Rcv.RcvID, &c.Rcv.RcvKey, smp.NKEY{NtfAuthKey: authKey.Public(), RcvNtfDHKey: dhKey.Public()})
	if err != nil {
		return NotifierCreds{}, err
	}
	nid, ok := m.(smp.NID)
	if !ok {
		return NotifierCreds{}, fmt.Errorf("agent: NKEY: unexpected response %s", m.Tag())
	}
	secret, err := crypto.DH(dhKey, nid.SrvNtfDHKey)
	if err != nil {
		return NotifierCreds{}, fmt.Errorf("agent: notifier DH: %w", err)
	}
	c.Rcv.Notifier = &queueNotifier{NotifierID: nid.NotifierID, NotifierKey: authKey, DHSecret: secret}
	if err := a.save(c); err != nil {
		return NotifierCreds{}, err
	}
	return notifierCreds(c.Rcv)
}

func notifierCreds(q *RcvQueue) (NotifierCreds, error) {
	srv, err := address.ParseServerAddress(q.Server)
	if err != nil {
		return NotifierCreds{}, fmt.Errorf("agent: server %q: %w", q.Server, err)
	}
	srv.BasicAuth = ""
	return NotifierCreds{Server: srv, NotifierID: bytes.Clone(q.Notifier.NotifierID),
		NotifierKey: q.Notifier.NotifierKey}, nil
}

// NotificationConn finds the connection whose receiving queue on the
// server with key hash keyHash has notifier id notifierID: what a push's
// message entry names [AG getNtfConnIdAndMeta]. Hosts are not compared,
// the key hash identifies the server.
func (a *Agent) NotificationConn(keyHash, notifierID []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, c := range a.conns {
		if c.Rcv == nil || c.Rcv.Notifier == nil || !bytes.Equal(c.Rcv.Notifier.NotifierID, notifierID) {
			continue
		}
		srv, err := address.ParseServerAddress(c.Rcv.Server)
		if err == nil && bytes.Equal(srv.KeyHash, keyHash) {
			return id, nil
		}
	}
	return "", fmt.Errorf("%w: no connection for notifier %s", ErrNotFound, encoding.B64URL(notifierID))
}

// DecryptNotificationMeta opens the metadata of a message notification
// for the connection: box(rcvNtfDhSecret, nonce, pad(NMsgMeta, 128)) ->
// short(msgId) i64(ts) [AG decryptNMsgMeta / MP NMsgMeta].
func (a *Agent) DecryptNotificationMeta(connID string, nonce [24]byte, encMeta []byte) (smp.NotificationMeta, error) {
	a.mu.Lock()
	c, err := a.conn(connID)
	var secret []byte
	if err == nil {
		if c.Rcv == nil || c.Rcv.Notifier == nil {
			err = ErrNoNotifier
		} else {
			secret = c.Rcv.Notifier.DHSecret
		}
	}
	a.mu.Unlock()
	if err != nil {
		return smp.NotificationMeta{}, err
	}
	plain, err := crypto.OpenBoxPadded(secret, nonce, encMeta)
	if err != nil {
		return smp.NotificationMeta{}, fmt.Errorf("agent: notification metadata: %w", err)
	}
	return smp.ParseNotificationMeta(plain)
}
