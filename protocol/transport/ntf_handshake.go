package transport

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/ntf"
)

// NTF handshake (CONFORMANCE-NOTES §4.1) [NT ntfServerHandshake,
// ntfClientHandshake]. It is the SMP handshake in 512-byte blocks with
// the hellos of package ntf:
//
//	serverHello = versionRange short(sessionId) [large(signedKeyDER)]  ; key iff max ≥ 2
//	clientHello = w16 version short(keyHash)
//
// The signed key has no certificate chain (the client checks it with the
// TLS leaf key and requires it when the server's range reaches v2); there
// is no client key and no block encryption. v1 sends the session id in
// every transmission and does not batch; v2+ implies the session id and
// batches. Without ALPN the server offers 1..1.

// NTFServerParams configures NTFServerHandshake.
type NTFServerParams struct {
	// Range is offered when the client negotiated ALPN; else 1..1.
	Range encoding.VersionRange
	// SignKey is the TLS leaf's private key; it signs the session key.
	SignKey crypto.PrivateKey
	// KeyHash is the server identity (SHA-256 of the CA certificate).
	KeyHash []byte
}

// NTFServerHandshake runs the server side of the NTF handshake on c. Errors
// are as for SMPServerHandshake (ErrHandshakeParse, ErrIdentity,
// ErrVersion); on error c is closed.
func NTFServerHandshake(ctx context.Context, c *Conn, p NTFServerParams) (*Session, error) {
	stop := watchContext(ctx, c)
	s, err := ntfServerHandshake(c, p)
	stop()
	if err != nil {
		return nil, handshakeError(ctx, c, "ntf server handshake", err)
	}
	return s, nil
}

func ntfServerHandshake(c *Conn, p NTFServerParams) (*Session, error) {
	offer := p.Range
	if c.ALPN() == "" {
		offer = ntf.LegacyServerVRange
	}
	sk, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, err
	}
	s := &Session{Conn: c, SessionID: c.SessionID(), BlockSize: NTFBlockSize, ServerRange: offer,
		Server: true, SessionKey: sk}
	hello := ntf.ServerHandshake{VRange: offer, SessionID: s.SessionID}
	if offer.Max >= ntf.AuthBatchCmdsVersion {
		if hello.SignedKey, err = crypto.SignKeyDER(p.SignKey, sk.Public()); err != nil {
			return nil, fmt.Errorf("sign session key: %w", err)
		}
	}
	if err := writeHello(s, hello.Encode); err != nil {
		return nil, err
	}
	b, err := readHello(s)
	if err != nil {
		return nil, err
	}
	ch, err := ntf.ParseClientHandshake(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshakeParse, err)
	}
	if !sameBytes(ch.KeyHash, p.KeyHash) {
		return nil, ErrIdentity
	}
	if !offer.Contains(ch.Version) {
		return nil, fmt.Errorf("%w: client chose %d, server offers %v", ErrVersion, ch.Version, offer)
	}
	s.setNTFVersion(ch.Version)
	return s, nil
}

// setNTFVersion fills the version-dependent parameters of an NTF session
// [NT ntfThHandle_].
func (s *Session) setNTFVersion(v uint16) {
	s.Version = v
	s.ImpliedSessionID = v >= ntf.AuthBatchCmdsVersion
	s.Batching = v >= ntf.AuthBatchCmdsVersion
}

// NTFClientParams configures NTFClientHandshake.
type NTFClientParams struct {
	// Range is the client's range, e.g. ntf.SupportedClientVRange.
	Range encoding.VersionRange
	// KeyHash is the server identity from its address.
	KeyHash []byte
}

// NTFClientHandshake runs the client side of the NTF handshake on c: the
// hello's session id must equal c's (ErrSession), a common version must
// exist (ErrVersion), and the signed key, mandatory when the server's range
// reaches v2, must verify with the TLS leaf key (ErrBadAuth). The server's
// key ends up in Session.PeerKey. On error c is closed.
func NTFClientHandshake(ctx context.Context, c *Conn, p NTFClientParams) (*Session, error) {
	stop := watchContext(ctx, c)
	s, err := ntfClientHandshake(c, p)
	stop()
	if err != nil {
		return nil, handshakeError(ctx, c, "ntf client handshake", err)
	}
	return s, nil
}

func ntfClientHandshake(c *Conn, p NTFClientParams) (*Session, error) {
	s := &Session{Conn: c, SessionID: c.SessionID(), BlockSize: NTFBlockSize}
	b, err := readHello(s)
	if err != nil {
		return nil, err
	}
	sh, err := ntf.ParseServerHandshake(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshakeParse, err)
	}
	if !sameBytes(sh.SessionID, s.SessionID) {
		return nil, ErrSession
	}
	v, ok := sh.VRange.Compatible(p.Range)
	if !ok {
		return nil, fmt.Errorf("%w: server offers %v, client supports %v", ErrVersion, sh.VRange, p.Range)
	}
	s.ServerRange = sh.VRange
	if sh.SignedKey != nil {
		if s.PeerKey, err = verifySignedSessionKey(c, sh.SignedKey); err != nil {
			return nil, err
		}
	}
	ch := ntf.ClientHandshake{Version: v, KeyHash: slices.Clone(p.KeyHash)}
	if err := writeHello(s, ch.Encode); err != nil {
		return nil, err
	}
	s.setNTFVersion(v)
	return s, nil
}
