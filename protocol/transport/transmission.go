package transport

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Transmissions (CONFORMANCE-NOTES §2.7) [MP transmissionP,
// encodeTransmissionForAuth, tEncodeAuth, decodeTAuthBytes]:
//
//	transmission = short(authorization) [serviceSig] [short(sessionId)]
//	               short(corrId) short(entityId) command
//	serviceSig   = maybe(short(Ed25519 signature))   ; SMP v ≥ 16 and
//	                                                 ; authorization non-empty
//	sessionId    : sent only when not implied (SMP v6, NTF v1)
//	authorized   = short(sessionId) short(corrId) short(entityId) command
//
// The authorized bytes are what the entity key signs (or authenticates):
// everything after the authorization and the service signature, with
// short(sessionId) prepended when it is not sent. Authorization lengths:
// 0 (none), 64 (Ed25519 signature), 114 (Ed448), 80 (authenticator,
// crypto.Authenticate); anything else is ERR BLOCK.

// Authorization sizes [MC decodeSignature, cbAuthenticatorSize].
const (
	Ed25519SignatureSize = 64
	Ed448SignatureSize   = 114
	AuthenticatorSize    = crypto.AuthenticatorSize // 80
)

// Transmission is one transmission of a block, as sent or received.
// Parsed fields alias the block payload.
type Transmission struct {
	// Auth is the authorization: empty, a signature or an authenticator.
	Auth []byte
	// ServiceSig is the v16 service signature (64 bytes); nil = absent.
	// It is only on the wire when the session has ServiceAuth and Auth is
	// not empty.
	ServiceSig []byte
	// SessionID is the session id the transmission is bound to. A parser
	// sets it to the id sent (SMP v6, NTF v1) or, when implied, to the
	// session's; encoders ignore it and use the session's.
	SessionID []byte
	CorrID    []byte
	EntityID  []byte
	// Command is the command or message, see packages smp and ntf.
	Command []byte
}

// Authorized returns the bytes the authorization covers: short(SessionID)
// short(CorrID) short(EntityID) Command [MP encodeTransmissionForAuth]. It
// returns nil if a field is longer than 255 bytes (never for parsed
// transmissions).
func (t Transmission) Authorized() []byte {
	b, err := authorized(t.SessionID, t.CorrID, t.EntityID, t.Command)
	if err != nil {
		return nil
	}
	return b
}

func authorized(sessionID, corrID, entityID, command []byte) ([]byte, error) {
	w := encoding.NewBuffer(make([]byte, 0, 3+len(sessionID)+len(corrID)+len(entityID)+len(command)))
	w.Short(sessionID).Short(corrID).Short(entityID).Raw(command)
	return w.Bytes()
}

// EncodeTransmission returns the wire form of t for session s: the
// authorization, the service-signature slot when s.ServiceAuth and t.Auth
// is not empty, s.SessionID unless implied, then corrId, entityId and the
// command [MP tEncode, encodeTransmission]. Use SignTransmission for
// t.Auth.
func EncodeTransmission(s *Session, t Transmission) ([]byte, error) {
	b, err := AppendTransmissionHeader(make([]byte, 0, 6+len(t.Auth)+len(t.ServiceSig)+len(s.SessionID)+
		len(t.CorrID)+len(t.EntityID)+len(t.Command)), s, t)
	if err != nil {
		return nil, err
	}
	return append(b, t.Command...), nil
}

// AppendTransmissionHeader appends the wire form of t for session s up to
// its command, which the caller appends (t.Command is ignored): encoding a
// message straight after its header saves a copy of it.
func AppendTransmissionHeader(dst []byte, s *Session, t Transmission) ([]byte, error) {
	w := encoding.NewBuffer(dst)
	w.Short(t.Auth)
	if s.ServiceAuth && len(t.Auth) > 0 {
		w.Maybe(t.ServiceSig != nil)
		if t.ServiceSig != nil {
			w.Short(t.ServiceSig)
		}
	}
	if !s.ImpliedSessionID {
		w.Short(s.SessionID)
	}
	w.Short(t.CorrID).Short(t.EntityID)
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("transport: encode transmission: %w", err)
	}
	return b, nil
}

// ParseTransmission parses one transmission of session s without judging
// it (see ParseBatch for the error classification) [MP transmissionP]. A
// v16 service signature must be 64 bytes. The whole input is consumed: the
// command is the rest.
func ParseTransmission(s *Session, b []byte) (Transmission, error) {
	d := encoding.NewDecoder(b)
	var t Transmission
	t.Auth = d.Short()
	if s.ServiceAuth && len(t.Auth) > 0 && d.Maybe() {
		t.ServiceSig = d.Short()
		if d.Err() == nil && len(t.ServiceSig) != Ed25519SignatureSize {
			d.Fail(fmt.Errorf("%w: service signature of %d bytes", encoding.ErrBadValue, len(t.ServiceSig)))
		}
	}
	if s.ImpliedSessionID {
		t.SessionID = s.SessionID
	} else {
		t.SessionID = d.Short()
	}
	t.CorrID = d.Short()
	t.EntityID = d.Short()
	t.Command = d.Tail()
	if err := d.Err(); err != nil {
		return Transmission{}, fmt.Errorf("transport: transmission: %w", err)
	}
	return t, nil
}

// validAuthSize reports whether n is a length decodeTAuthBytes accepts.
func validAuthSize(n int) bool {
	return n == 0 || n == Ed25519SignatureSize || n == Ed448SignatureSize || n == AuthenticatorSize
}

// SignTransmission returns the authorization of a transmission with the
// entity's private key [MCl authTransmission]: an Ed25519 (64 bytes) or
// Ed448 (114) signature of the authorized bytes, or for an X25519 key the
// 80-byte authenticator under DH(key, server session key) with nonce
// corrId, which needs s.PeerKey from the server hello (ErrNoServerAuth
// otherwise).
func SignTransmission(s *Session, key crypto.PrivateKey, corrID, entityID, command []byte) ([]byte, error) {
	auth, err := authorized(s.SessionID, corrID, entityID, command)
	if err != nil {
		return nil, fmt.Errorf("transport: sign transmission: %w", err)
	}
	switch key.Alg {
	case crypto.Ed25519, crypto.Ed448:
		return crypto.Sign(key, auth)
	case crypto.X25519:
		if s.PeerKey.Alg != crypto.X25519 {
			return nil, ErrNoServerAuth
		}
		return crypto.Authenticate(key, s.PeerKey, corrID, auth)
	}
	return nil, fmt.Errorf("transport: sign transmission: %w: %v", crypto.ErrKeyAlg, key.Alg)
}

// Dummy keys of the reference, used to spend the same time on a failed
// verification whatever the key type [MS dummyKeyEd25519, dummyKeyEd448,
// dummyKeyX25519]. They are public keys with no known private half.
var (
	dummyEd25519 = mustDummyKey("MCowBQYDK2VwAyEA139Oqs4QgpqbAmB0o7rZf6T19ryl7E65k4AYe0kE3Qs=")
	dummyEd448   = mustDummyKey("MEMwBQYDK2VxAzoA6ibQc9XpkSLtwrf7PLvp81qW/etiumckVFImCMRdftcG/XopbOSaq9qyLhrgJWKOLyNrQPNVvpMA")
	dummyX25519  = mustDummyKey("MCowBQYDK2VuAyEA4JGSMYht18H4mas/jHeBwfcM7jLwNYJNOAhi2/g4RXg=")
)

func mustDummyKey(s string) crypto.PublicKey {
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err) // program constant
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil {
		panic(err) // program constant
	}
	return k
}

// VerifyAuth checks a transmission's authorization auth of authorized (see
// Transmission.Authorized) with the entity's public key on a server session
// [MS verifyCmdAuthorization, verifyCmdAuth]: a signature must match key's
// algorithm, an 80-byte authenticator needs an X25519 key and the session
// key. When the kinds do not match, the check still runs against a dummy
// key so that it costs the same time, and fails. An empty or odd-sized
// auth is false. A zero key verifies against the dummy key of auth's kind
// (the reference's dummyVerifyCmd, for missing queues).
func VerifyAuth(s *Session, key crypto.PublicKey, corrID, auth, authorized []byte) bool {
	switch len(auth) {
	case AuthenticatorSize:
		k, ok := key, key.Alg == crypto.X25519
		if !ok {
			k = dummyX25519
		}
		if s.SessionKey.Alg != crypto.X25519 {
			return false
		}
		return crypto.VerifyAuthenticator(s.SessionKey, k, corrID, auth, authorized) && ok
	case ed25519.SignatureSize, Ed448SignatureSize:
		alg := crypto.Ed25519
		dummy := dummyEd25519
		if len(auth) == Ed448SignatureSize {
			alg, dummy = crypto.Ed448, dummyEd448
		}
		k, ok := key, key.Alg == alg
		if !ok {
			k = dummy
		}
		return crypto.Verify(k, authorized, auth) && ok
	}
	return false
}

// VerifyTransmission is VerifyAuth on a parsed transmission.
func VerifyTransmission(s *Session, key crypto.PublicKey, t Transmission) bool {
	return VerifyAuth(s, key, t.CorrID, t.Auth, t.Authorized())
}

// sameSession reports whether a v6 transmission's session id is the
// session's.
func sameSession(s *Session, t Transmission) bool { return bytes.Equal(t.SessionID, s.SessionID) }
