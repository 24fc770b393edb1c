package smpclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// Private routing, sender side [MC connectSMPProxiedRelay,
// proxySMPCommand, CONFORMANCE-NOTES §3.5]: the sender's commands for a
// destination relay go through a proxy (usually the sender's own server),
// encrypted end to end for the destination, so that the destination
// never sees the sender's address and the proxy never sees the queue.

// ErrProxiedRelay: the PKEY of a proxy does not prove the destination's
// identity (certificate chain or signed key).
var ErrProxiedRelay = errors.New("smpclient: proxied relay identity")

// Relay is a destination relay reached through a proxy, as PKEY described
// it.
type Relay struct {
	Proxy *Client
	// SessionID is the proxy's session with the relay: the entity of PFWD,
	// and the session the forwarded transmissions are bound to.
	SessionID []byte
	// Version is the version of the forwarded transmissions: the highest
	// both the relay (as capped by the proxy) and this client support.
	Version uint16
	// Key is the relay's X25519 session key, verified against its
	// identity.
	Key crypto.PublicKey
}

// ConnectRelay asks proxy for a session with srv (PRXY, with the proxy's
// password if it has one) and checks the answer as the official client
// does: the chain is [leaf, CA] with the CA's SHA-256 equal to srv's key
// hash, the leaf signs the X25519 session key, and a version is common
// to the relay's range and this client's.
func ConnectRelay(ctx context.Context, proxy *Client, srv address.ServerAddress, auth []byte) (*Relay, error) {
	if proxy.s.Version < smp.VersionSendingProxy {
		return nil, fmt.Errorf("smpclient: proxy at v%d: %w", proxy.s.Version, transport.ErrVersion)
	}
	m, err := proxy.Send(ctx, nil, nil, smp.PRXY{
		Server:    smp.SMPServer{Hosts: srv.Hosts, Port: srv.Port, KeyHash: srv.KeyHash},
		BasicAuth: auth,
	})
	if err != nil {
		return nil, err
	}
	switch m := m.(type) {
	case smp.PKEY:
		v, ok := m.VRange.Compatible(encoding.VersionRange{Min: smp.VersionSendingProxy, Max: smp.SupportedRange.Max})
		if !ok {
			return nil, fmt.Errorf("smpclient: relay range %v: %w", m.VRange, transport.ErrVersion)
		}
		key, err := relayKey(m.CertChain, m.SignedKey, srv.KeyHash)
		if err != nil {
			return nil, err
		}
		return &Relay{Proxy: proxy, SessionID: m.SessionID, Version: v, Key: key}, nil
	}
	return nil, fmt.Errorf("%w: %s to PRXY", ErrUnexpected, m.Tag())
}

// relayKey verifies a PKEY's identity [MC connectSMPProxiedRelay
// validateRelay].
func relayKey(chain [][]byte, signedKey, keyHash []byte) (crypto.PublicKey, error) {
	if len(chain) != 2 || !bytes.Equal(certs.Fingerprint(chain[1]), keyHash) {
		return crypto.PublicKey{}, fmt.Errorf("%w: certificate chain", ErrProxiedRelay)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return crypto.PublicKey{}, fmt.Errorf("%w: %w", ErrProxiedRelay, err)
	}
	lk, err := crypto.ParsePublicKeyDER(leaf.RawSubjectPublicKeyInfo)
	if err != nil {
		return crypto.PublicKey{}, fmt.Errorf("%w: leaf key: %w", ErrProxiedRelay, err)
	}
	k, err := crypto.VerifySignedKeyDER(lk, signedKey)
	if err != nil || k.Alg != crypto.X25519 {
		return crypto.PublicKey{}, fmt.Errorf("%w: signed session key", ErrProxiedRelay)
	}
	return k, nil
}

// Send sends a sender's command (SEND, SKEY) for entityID through the
// proxy (PFWD) and returns the relay's response; the relay's ERR and the
// proxy's (ERR PROXY ...) come back as their smp.ErrorType
// [MC proxySMPCommand]:
//
//	PFWD (corrId = nonce, entity = SessionID) w16(Version) key(cmdKey)
//	     tail(box(DH(relay key, cmdKey), nonce, pad(batch of one, 16226)))
//	PRES tail(box(the same secret, reverse(nonce), pad(response batch)))
//
// The inner transmission is bound to SessionID, signed with key if given,
// and has the nonce as its corrId.
func (r *Relay) Send(ctx context.Context, entityID []byte, key *crypto.PrivateKey, cmd smp.Command) (smp.Message, error) {
	inner := &transport.Session{Version: r.Version, SessionID: r.SessionID, BlockSize: transport.SMPBlockSize,
		ImpliedSessionID: r.Version >= smp.VersionAuthCmds, Batching: true, PeerKey: r.Key}
	cmdBytes, err := smp.EncodeCommand(r.Version, cmd)
	if err != nil {
		return nil, fmt.Errorf("smpclient: %w", err)
	}
	var nonce [crypto.NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("smpclient: nonce: %w", err)
	}
	t := transport.Transmission{CorrID: nonce[:], EntityID: entityID, Command: cmdBytes}
	if key != nil {
		if t.Auth, err = transport.SignTransmission(inner, *key, t.CorrID, entityID, cmdBytes); err != nil {
			return nil, fmt.Errorf("smpclient: %w", err)
		}
	}
	tx, err := transport.EncodeTransmission(inner, t)
	if err != nil {
		return nil, fmt.Errorf("smpclient: %w", err)
	}
	batch, err := transport.PackBatches(inner, [][]byte{tx})
	if err != nil {
		return nil, fmt.Errorf("smpclient: %w", err)
	}
	cmdKey, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, err
	}
	secret, err := crypto.DH(cmdKey, r.Key)
	if err != nil {
		return nil, err
	}
	encT, err := crypto.BoxPadded(secret, nonce, batch[0], smp.PaddedProxiedTLength)
	if err != nil {
		return nil, fmt.Errorf("smpclient: %w", err)
	}
	res := r.Proxy.SendBatch(ctx, []Request{{EntityID: r.SessionID, CorrID: nonce[:],
		Cmd: smp.PFWD{Version: r.Version, ClientKey: cmdKey.Public(), EncTransmission: encT}}})[0]
	if res.Err != nil {
		return nil, res.Err
	}
	switch m := res.Msg.(type) {
	case smp.PRES:
		rb, err := crypto.OpenBoxPadded(secret, crypto.ReverseNonce(nonce), m.EncResponse)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		pts, err := transport.ParseBatch(inner, rb)
		if err != nil || len(pts) != 1 || pts[0].Err != nil {
			return nil, fmt.Errorf("%w: response batch", ErrBadResponse)
		}
		resp, err := smp.ParseMessage(r.Version, pts[0].Command)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		if e, ok := resp.(smp.ERR); ok {
			return resp, e.Err
		}
		return resp, nil
	}
	return nil, fmt.Errorf("%w: %s to PFWD", ErrUnexpected, res.Msg.Tag())
}
