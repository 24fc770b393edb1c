package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
)

// SMP handshake (CONFORMANCE-NOTES §2.6) [MT smpServerHandshake,
// smpClientHandshake, SMPServerHandshake, SMPClientHandshake]. Both hellos
// are one plain padded block; a receiver ignores bytes after the fields it
// knows [MT getHandshake].
//
//	serverHello  = versionRange short(sessionId) [certKey]   ; certKey iff max ≥ 7
//	certKey      = list(large(certDER)) large(signedKeyDER)   ; chain leaf first
//	clientHello  = w16 version short(keyHash) [clientKey] [proxyFlag] [service]
//	clientKey    = short(X25519 SPKI)     ; v ≥ 7, no maybe tag: parsed optionally
//	proxyFlag    = bool                   ; v ≥ 14
//	service      = maybe(role certKey)    ; v ≥ 16, role 'M' | 'N' | 'P'

// legacySMPRange is what a server offers when no ALPN was negotiated [MT
// legacyServerSMPRelayVRange].
var legacySMPRange = encoding.VersionRange{Min: smp.VersionSubMode, Max: smp.VersionSubMode}

// SMPServerHello is the server's first block [MT SMPServerHandshake].
// CertChain and SignedKey are present together (the reference's Maybe
// CertChainPubKey); they are written only when Range.Max ≥ 7.
type SMPServerHello struct {
	Range     encoding.VersionRange
	SessionID []byte
	CertChain [][]byte // DER certificates, leaf first; nil when absent
	SignedKey []byte   // signedKeyDER of the X25519 session key; nil when absent
}

// Encode returns the hello before padding.
func (h SMPServerHello) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.VersionRange(h.Range).Short(h.SessionID)
	if h.Range.Max >= smp.VersionAuthCmds && h.SignedKey != nil {
		putCertKey(w, h.CertChain, h.SignedKey)
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("transport: encode server hello: %w", err)
	}
	return b, nil
}

// putCertKey writes certKey = list(large(certDER)) large(signedKeyDER); the
// chain is a non-empty list [MP CertChainPubKey, MC encodeCertChain].
func putCertKey(w *encoding.Buffer, chain [][]byte, signedKey []byte) {
	if len(chain) == 0 {
		w.Fail(fmt.Errorf("transport: %w: empty certificate chain", encoding.ErrBadValue))
		return
	}
	w.Count(len(chain))
	for _, c := range chain {
		w.Large(c)
	}
	w.Large(signedKey)
}

// parseCertKey reads certKey; ok is false (and d unchanged in its error
// state) when it does not parse.
func parseCertKey(b []byte) (chain [][]byte, signedKey []byte, n int, ok bool) {
	d := encoding.NewDecoder(b)
	count := d.NonEmptyCount()
	for i := 0; i < count && d.Err() == nil; i++ {
		chain = append(chain, bytes.Clone(d.Large()))
	}
	signedKey = bytes.Clone(d.Large())
	if d.Err() != nil {
		return nil, nil, 0, false
	}
	return chain, signedKey, d.Offset(), true
}

// ParseSMPServerHello parses an unpadded server hello. As in the reference,
// certKey is optional when Range.Max ≥ 7: if the bytes after the session
// id do not form one, the hello carries no key [MT authEncryptCmdsP]. The
// certificates and the signed key are checked by the client handshake, not
// here. Trailing bytes are ignored.
func ParseSMPServerHello(b []byte) (SMPServerHello, error) {
	h, _, err := parseSMPServerHello(b)
	return h, err
}

func parseSMPServerHello(b []byte) (SMPServerHello, int, error) {
	d := encoding.NewDecoder(b)
	h := SMPServerHello{Range: d.VersionRange(), SessionID: bytes.Clone(d.Short())}
	if err := d.Err(); err != nil {
		return SMPServerHello{}, 0, fmt.Errorf("%w: server hello: %w", ErrHandshakeParse, err)
	}
	n := d.Offset()
	if h.Range.Max >= smp.VersionAuthCmds {
		if chain, key, m, ok := parseCertKey(b[n:]); ok {
			h.CertChain, h.SignedKey = chain, key
			n += m
		}
	}
	return h, n, nil
}

// Service roles of the v16 client hello [MT SMPServiceRole].
const (
	ServiceRoleMessaging byte = 'M'
	ServiceRoleNotifier  byte = 'N'
	ServiceRoleProxy     byte = 'P'
)

// SMPClientService is the v16 client hello's service certificate and key
// [MT SMPClientHandshakeService]. It is parsed and encoded so that hellos
// round-trip; the service handshake itself is not implemented.
type SMPClientService struct {
	Role      byte     // ServiceRoleMessaging, ServiceRoleNotifier or ServiceRoleProxy
	CertChain [][]byte // DER, leaf first
	SignedKey []byte   // signedKeyDER of the service's Ed25519 key
}

// SMPClientHello is the client's reply [MT SMPClientHandshake].
type SMPClientHello struct {
	Version     uint16
	KeyHash     []byte
	ClientKey   crypto.PublicKey  // X25519, v ≥ 7; zero = absent
	ProxyServer bool              // v ≥ 14
	Service     *SMPClientService // v ≥ 16; nil = absent
}

// Encode returns the hello before padding. Fields the version does not
// carry are left out, as the reference does [MT encodeAuthEncryptCmds,
// ifHasProxy, ifHasService].
func (h SMPClientHello) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.Word16(h.Version).Short(h.KeyHash)
	if h.Version >= smp.VersionAuthCmds && !h.ClientKey.IsZero() {
		if h.ClientKey.Alg != crypto.X25519 {
			return nil, fmt.Errorf("transport: encode client hello: %w: client key %v", crypto.ErrKeyAlg, h.ClientKey.Alg)
		}
		w.Short(h.ClientKey.DER())
	}
	if h.Version >= smp.VersionProxyServerHandshake {
		w.Bool(h.ProxyServer)
	}
	if h.Version >= smp.VersionServiceCerts {
		w.Maybe(h.Service != nil)
		if h.Service != nil {
			if !validRole(h.Service.Role) {
				return nil, fmt.Errorf("transport: encode client hello: %w: service role %q", encoding.ErrBadValue, h.Service.Role)
			}
			w.Byte(h.Service.Role)
			putCertKey(w, h.Service.CertChain, h.Service.SignedKey)
		}
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("transport: encode client hello: %w", err)
	}
	return b, nil
}

func validRole(r byte) bool {
	return r == ServiceRoleMessaging || r == ServiceRoleNotifier || r == ServiceRoleProxy
}

// ParseSMPClientHello parses an unpadded client hello. The fields present
// depend on the version the client chose (checked against the server's
// range only after parsing, as in the reference). clientKey has no maybe
// tag: when the next bytes are not short(X25519 SPKI) there is no key and
// parsing goes on from the same place [MT authEncryptCmdsP]. Trailing bytes
// are ignored.
func ParseSMPClientHello(b []byte) (SMPClientHello, error) {
	h, _, err := parseSMPClientHello(b)
	return h, err
}

func parseSMPClientHello(b []byte) (SMPClientHello, int, error) {
	d := encoding.NewDecoder(b)
	h := SMPClientHello{Version: d.Word16(), KeyHash: bytes.Clone(d.Short())}
	if err := d.Err(); err != nil {
		return SMPClientHello{}, 0, fmt.Errorf("%w: client hello: %w", ErrHandshakeParse, err)
	}
	n := d.Offset()
	if h.Version >= smp.VersionAuthCmds {
		kd := encoding.NewDecoder(b[n:])
		if der := kd.Short(); kd.Err() == nil {
			if k, err := crypto.ParsePublicKeyDER(der); err == nil && k.Alg == crypto.X25519 {
				h.ClientKey = k
				n += kd.Offset()
			}
		}
	}
	d = encoding.NewDecoder(b[n:])
	if h.Version >= smp.VersionProxyServerHandshake {
		h.ProxyServer = d.Bool()
	}
	if h.Version >= smp.VersionServiceCerts && d.Maybe() {
		role := d.Byte()
		if d.Err() == nil && !validRole(role) {
			d.Fail(fmt.Errorf("%w: service role %q", encoding.ErrBadValue, role))
		}
		if d.Err() == nil {
			chain, key, m, ok := parseCertKey(b[n+d.Offset():])
			if !ok {
				d.Fail(fmt.Errorf("%w: service certificate key", encoding.ErrBadValue))
			} else {
				d.Raw(m)
				h.Service = &SMPClientService{Role: role, CertChain: chain, SignedKey: key}
			}
		}
	}
	if err := d.Err(); err != nil {
		return SMPClientHello{}, 0, fmt.Errorf("%w: client hello: %w", ErrHandshakeParse, err)
	}
	return h, n + d.Offset(), nil
}

// SMPServerParams configures SMPServerHandshake.
type SMPServerParams struct {
	// Range is the version range offered when the client negotiated an
	// ALPN protocol (any); without ALPN the server offers 6..6 (§2.2).
	Range encoding.VersionRange
	// CertChain is the TLS chain [leaf, CA], DER, repeated in the hello.
	CertChain [][]byte
	// SignKey is the TLS leaf's private key (Ed25519 or Ed448); it signs
	// the per-connection X25519 session key.
	SignKey crypto.PrivateKey
	// KeyHash is the server identity: SHA-256 of the CA certificate.
	KeyHash []byte
}

// SMPServerHandshake runs the server side of the SMP handshake on c
// (CONFORMANCE-NOTES §2.6) [MT smpServerHandshake, MS runClient]:
//
//  1. Offer p.Range if c negotiated ALPN, else 6..6; make a fresh X25519
//     session key and, when the offer reaches v7, send the certificate
//     chain and the key signed with p.SignKey.
//  2. Read the client hello: a parse failure is ErrHandshakeParse, another
//     key hash ErrIdentity, a version outside the offer ErrVersion. A v16
//     service request is answered "E HANDSHAKE BAD_SERVICE" (not
//     implemented) and fails with ErrBadService.
//  3. Turn block encryption on when v ≥ 11, the client sent its key and is
//     not a proxy (§2.8).
//
// On any error c is closed without sending anything else, as the reference
// server does. ctx bounds the whole exchange (the reference allows 120 s).
func SMPServerHandshake(ctx context.Context, c *Conn, p SMPServerParams) (*Session, error) {
	stop := watchContext(ctx, c)
	s, err := smpServerHandshake(c, p)
	stop()
	if err != nil {
		return nil, handshakeError(ctx, c, "smp server handshake", err)
	}
	return s, nil
}

func smpServerHandshake(c *Conn, p SMPServerParams) (*Session, error) {
	offer := p.Range
	if c.ALPN() == "" {
		offer = legacySMPRange
	}
	sk, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, err
	}
	s := &Session{Conn: c, SessionID: c.SessionID(), BlockSize: SMPBlockSize, ServerRange: offer,
		Server: true, SessionKey: sk, Batching: true}
	hello := SMPServerHello{Range: offer, SessionID: s.SessionID}
	if offer.Max >= smp.VersionAuthCmds {
		signed, err := crypto.SignKeyDER(p.SignKey, sk.Public())
		if err != nil {
			return nil, fmt.Errorf("sign session key: %w", err)
		}
		hello.CertChain, hello.SignedKey = p.CertChain, signed
	}
	if err := writeHello(s, hello.Encode); err != nil {
		return nil, err
	}
	b, err := readHello(s)
	if err != nil {
		return nil, err
	}
	ch, err := ParseSMPClientHello(b)
	if err != nil {
		return nil, err
	}
	if !sameBytes(ch.KeyHash, p.KeyHash) {
		return nil, ErrIdentity
	}
	if !offer.Contains(ch.Version) {
		return nil, fmt.Errorf("%w: client chose %d, server offers %v", ErrVersion, ch.Version, offer)
	}
	if ch.Service != nil {
		reply := []byte("EHANDSHAKE " + string(smp.HandshakeBadService))
		_ = s.WriteBlock(reply)
		return nil, ErrBadService
	}
	s.setVersion(ch.Version)
	s.PeerKey, s.ProxyClient = ch.ClientKey, ch.ProxyServer
	if err := s.startBlockEncryption(); err != nil {
		return nil, err
	}
	return s, nil
}

// setVersion fills the version-dependent parameters of an SMP session [MT
// smpTHandle_].
func (s *Session) setVersion(v uint16) {
	s.Version = v
	s.ImpliedSessionID = v >= smp.VersionAuthCmds
	s.ServiceAuth = v >= smp.VersionServiceCerts
	s.Batching = true
}

// startBlockEncryption turns SMP block encryption on when the reference
// does [MT blockEncryption]: v ≥ 11, both session keys known (the client
// sent its key), and the client is not a proxy.
func (s *Session) startBlockEncryption() error {
	if s.Version < smp.VersionEncryptedBlock || s.ProxyClient || s.SessionKey.Alg == 0 || s.PeerKey.IsZero() {
		return nil
	}
	secret, err := crypto.DH(s.SessionKey, s.PeerKey)
	if err != nil {
		return fmt.Errorf("%w: session key agreement: %w", ErrBadAuth, err)
	}
	if s.Server {
		s.setChains(crypto.NewServerSbChain(s.SessionID, secret))
	} else {
		s.setChains(crypto.NewClientSbChain(s.SessionID, secret))
	}
	return nil
}

// writeHello sends one plain handshake block.
func writeHello(s *Session, encode func() ([]byte, error)) error {
	b, err := encode()
	if err != nil {
		return err
	}
	return s.WriteBlock(b)
}

// readHello reads one plain handshake block; a block that does not unpad
// is a parse error [MT getHandshake].
func readHello(s *Session) ([]byte, error) {
	b, err := s.ReadBlock()
	if errors.Is(err, ErrBadBlock) {
		return nil, fmt.Errorf("%w: %w", ErrHandshakeParse, err)
	}
	return b, err
}

// ChainVerifier checks the certificate chain of a server hello against the
// key hash of the server address, e.g. certs.VerifyChain.
type ChainVerifier func(chain [][]byte, keyHash []byte) error

// SMPClientParams configures SMPClientHandshake.
type SMPClientParams struct {
	// Range is the client's version range, e.g. smp.ReferenceClientRange.
	Range encoding.VersionRange
	// KeyHash is the server identity from its address.
	KeyHash []byte
	// NoKey disables sending the client's X25519 session key. Official
	// clients always send it [MCl agreeSecret]; without it there is no
	// block encryption.
	NoKey bool
	// ProxyClient declares the client an SMP proxy (v ≥ 14): no block
	// encryption, and against a server whose range ends below 14 the
	// version is capped at 10 [MT smpClientHandshake].
	ProxyClient bool
	// VerifyChain checks the hello's certificate chain; nil uses
	// certs.VerifyChain (length 2..4, identity fingerprint, X.509 path),
	// what official clients check [MTC validateCertificateChain].
	VerifyChain ChainVerifier
}

// ErrChain is returned by VerifyKeyHash.
var ErrChain = errors.New("transport: certificate chain does not match the key hash")

// VerifyKeyHash is the check the reference client runs on a server
// hello's chain [MT smpClientHandshake chainIdCaCerts]: 2 to 4
// certificates, and the SHA-256 of the second (the identity certificate)
// equals keyHash. (The TLS chain itself gets full path validation,
// certs.VerifyChain, the SMPClientParams default.)
func VerifyKeyHash(chain [][]byte, keyHash []byte) error {
	if len(chain) < 2 || len(chain) > 4 {
		return fmt.Errorf("%w: %d certificates", ErrChain, len(chain))
	}
	if !sameBytes(crypto.SHA256(chain[1]), keyHash) {
		return fmt.Errorf("%w: identity fingerprint", ErrChain)
	}
	return nil
}

// SMPClientHandshake runs the client side of the SMP handshake on c
// (CONFORMANCE-NOTES §2.6) [MT smpClientHandshake]:
//
//  1. Read the server hello; its session id must equal c's (ErrSession).
//  2. Pick the highest common version (ErrVersion if none).
//  3. If the hello has a key: check its chain with p.VerifyChain and its
//     signature with the TLS leaf's public key; the key must be X25519
//     (ErrBadAuth otherwise).
//  4. Send the client hello with a fresh X25519 key (unless p.NoKey, or
//     the server sent no key: then encryption could not be agreed on both
//     sides, so the key is left out).
//  5. Turn block encryption on as the server will (§2.8).
//
// On error c is closed.
func SMPClientHandshake(ctx context.Context, c *Conn, p SMPClientParams) (*Session, error) {
	stop := watchContext(ctx, c)
	s, err := smpClientHandshake(c, p)
	stop()
	if err != nil {
		return nil, handshakeError(ctx, c, "smp client handshake", err)
	}
	return s, nil
}

func smpClientHandshake(c *Conn, p SMPClientParams) (*Session, error) {
	s := &Session{Conn: c, SessionID: c.SessionID(), BlockSize: SMPBlockSize, Batching: true}
	b, err := readHello(s)
	if err != nil {
		return nil, err
	}
	sh, err := ParseSMPServerHello(b)
	if err != nil {
		return nil, err
	}
	if !sameBytes(sh.SessionID, s.SessionID) {
		return nil, ErrSession
	}
	r := p.Range
	if p.ProxyClient && sh.Range.Max < smp.VersionProxyServerHandshake {
		r.Max = max(r.Min, smp.VersionDeletedEvent)
	}
	v, ok := sh.Range.Compatible(r)
	if !ok {
		return nil, fmt.Errorf("%w: server offers %v, client supports %v", ErrVersion, sh.Range, r)
	}
	s.ServerRange = sh.Range
	if sh.SignedKey != nil {
		key, err := verifyServerKey(c, sh, p)
		if err != nil {
			return nil, err
		}
		s.PeerKey, s.ServerCertChain, s.ServerSignedKey = key, sh.CertChain, sh.SignedKey
	}
	ch := SMPClientHello{Version: v, KeyHash: slices.Clone(p.KeyHash), ProxyServer: p.ProxyClient}
	if !p.NoKey && !s.PeerKey.IsZero() && v >= smp.VersionAuthCmds {
		ck, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
		if err != nil {
			return nil, err
		}
		s.SessionKey, ch.ClientKey = ck, ck.Public()
	}
	if err := writeHello(s, ch.Encode); err != nil {
		return nil, err
	}
	s.setVersion(v)
	s.ProxyClient = p.ProxyClient
	if err := s.startBlockEncryption(); err != nil {
		return nil, err
	}
	return s, nil
}

// verifyServerKey checks a server hello's certificate chain and signed
// session key [MT smpClientHandshake, getServerVerifyKey].
func verifyServerKey(c *Conn, sh SMPServerHello, p SMPClientParams) (crypto.PublicKey, error) {
	verify := p.VerifyChain
	if verify == nil {
		verify = certs.VerifyChain
	}
	if err := verify(sh.CertChain, p.KeyHash); err != nil {
		return crypto.PublicKey{}, fmt.Errorf("%w: %w", ErrBadAuth, err)
	}
	return verifySignedSessionKey(c, sh.SignedKey)
}

// verifySignedSessionKey checks signedKeyDER with the TLS leaf's public key
// and requires an X25519 key [MT getServerVerifyKey, MC verifyX509].
func verifySignedSessionKey(c *Conn, signedKey []byte) (crypto.PublicKey, error) {
	leaf, err := leafKey(c)
	if err != nil {
		return crypto.PublicKey{}, fmt.Errorf("%w: %w", ErrBadAuth, err)
	}
	key, err := crypto.VerifySignedKeyDER(leaf, signedKey)
	if err != nil {
		return crypto.PublicKey{}, fmt.Errorf("%w: signed session key: %w", ErrBadAuth, err)
	}
	if key.Alg != crypto.X25519 {
		return crypto.PublicKey{}, fmt.Errorf("%w: session key is %v, not X25519", ErrBadAuth, key.Alg)
	}
	return key, nil
}

// leafKey returns the TLS leaf certificate's public key. Go's TLS stack
// only accepts Ed25519 leaves (ClientTLSConfig), so that is the only kind
// handled.
func leafKey(c *Conn) (crypto.PublicKey, error) {
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return crypto.PublicKey{}, ErrNoPeerCertificate
	}
	return certKey(certs[0])
}

func certKey(cert *x509.Certificate) (crypto.PublicKey, error) {
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return crypto.PublicKey{}, fmt.Errorf("%w: got %v", ErrLeafNotEd25519, cert.PublicKeyAlgorithm)
	}
	return crypto.PublicKey{Alg: crypto.Ed25519, Raw: slices.Clone([]byte(pub))}, nil
}
