package crypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x448"
	"github.com/cloudflare/circl/sign/ed448"
)

// Algorithm names a key algorithm.
type Algorithm uint8

// The four algorithms of the protocols. Signing keys are Ed25519/Ed448; DH
// keys are X25519/X448.
const (
	Ed25519 Algorithm = iota + 1
	Ed448
	X25519
	X448
)

func (a Algorithm) String() string {
	switch a {
	case Ed25519:
		return "Ed25519"
	case Ed448:
		return "Ed448"
	case X25519:
		return "X25519"
	case X448:
		return "X448"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// IsSign reports whether a is a signature algorithm.
func (a Algorithm) IsSign() bool { return a == Ed25519 || a == Ed448 }

// IsDH reports whether a is a key-agreement algorithm.
func (a Algorithm) IsDH() bool { return a == X25519 || a == X448 }

// Errors returned by key parsing and use.
var (
	ErrKeyEncoding = errors.New("crypto: bad key encoding")
	ErrKeyAlg      = errors.New("crypto: wrong key algorithm")
	ErrSignature   = errors.New("crypto: bad signature")
)

// algorithm parameters: raw public/private key sizes and the DER prefixes.
//
// Public keys are X.509 SubjectPublicKeyInfo (RFC 8410):
//
//	30 len  30 05 06 03 2b 65 <oid>  03 len+1 00 <raw public key>
//
// Private keys are PKCS#8 v1 (RFC 8410), as crypton-x509 writes them:
//
//	30 len  02 01 00  30 05 06 03 2b 65 <oid>  04 len+2 04 len <raw private key>
//
// OIDs: X25519 1.3.101.110 (0x6e), X448 .111 (0x6f), Ed25519 .112 (0x70),
// Ed448 .113 (0x71).
type algParams struct {
	oid       byte
	pubSize   int
	privSize  int
	pubPrefix []byte
	prvPrefix []byte
}

func params(a Algorithm) (*algParams, bool) {
	switch a {
	case Ed25519:
		return &ed25519Params, true
	case Ed448:
		return &ed448Params, true
	case X25519:
		return &x25519Params, true
	case X448:
		return &x448Params, true
	}
	return nil, false
}

func newParams(oid byte, pub, priv int) algParams {
	algID := []byte{0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, oid}
	pubPrefix := append([]byte{0x30, byte(len(algID) + 3 + pub)}, algID...)
	pubPrefix = append(pubPrefix, 0x03, byte(pub+1), 0x00)
	prvPrefix := append([]byte{0x30, byte(3 + len(algID) + 4 + priv), 0x02, 0x01, 0x00}, algID...)
	prvPrefix = append(prvPrefix, 0x04, byte(priv+2), 0x04, byte(priv))
	return algParams{oid: oid, pubSize: pub, privSize: priv, pubPrefix: pubPrefix, prvPrefix: prvPrefix}
}

var (
	x25519Params  = newParams(0x6e, 32, 32)
	x448Params    = newParams(0x6f, 56, 56)
	ed25519Params = newParams(0x70, ed25519.PublicKeySize, ed25519.SeedSize)
	ed448Params   = newParams(0x71, ed448.PublicKeySize, ed448.SeedSize)
	allAlgs       = []Algorithm{Ed25519, Ed448, X25519, X448}
)

// PublicKey is a public key of one of the four algorithms.
type PublicKey struct {
	Alg Algorithm
	Raw []byte // raw key bytes (32, 57 or 56 bytes)
}

// PrivateKey is a private key of one of the four algorithms.
type PrivateKey struct {
	Alg Algorithm
	Raw []byte // Ed25519/Ed448 seed or X25519/X448 scalar

	// ed25519 is seed || public key, set by WithPublic: signing with it
	// skips deriving the public half, a base-point multiplication that
	// costs as much as the signature itself.
	ed25519 ed25519.PrivateKey
	// x25519 is the X25519 key as crypto/ecdh holds it, with its public
	// half, set by GenerateKey: DH and Public use it, where a new
	// ecdh.PrivateKey would derive the public half again (a base-point
	// multiplication as costly as the DH itself).
	x25519 *ecdh.PrivateKey
}

// WithPublic returns k with its public half attached, so that Sign and
// Public do not derive it again (it only matters for Ed25519, the key
// type of every SMP command signature). pub must be k's own public key,
// as returned by Public and stored next to k: an Ed25519 signature made
// with a wrong public half is invalid and, over a message also signed with
// the right one, reveals the private key. A pub of another algorithm or
// size is ignored.
func (k PrivateKey) WithPublic(pub PublicKey) PrivateKey {
	if k.Alg == Ed25519 && pub.Alg == Ed25519 && len(k.Raw) == ed25519.SeedSize && len(pub.Raw) == ed25519.PublicKeySize {
		k.ed25519 = append(append(make(ed25519.PrivateKey, 0, ed25519.PrivateKeySize), k.Raw...), pub.Raw...)
	}
	return k
}

// ParsePublicKeyDER parses a SubjectPublicKeyInfo of any of the four
// algorithms.
func ParsePublicKeyDER(der []byte) (PublicKey, error) {
	for _, a := range allAlgs {
		p, _ := params(a)
		if len(der) == len(p.pubPrefix)+p.pubSize && bytes.HasPrefix(der, p.pubPrefix) {
			return PublicKey{Alg: a, Raw: bytes.Clone(der[len(p.pubPrefix):])}, nil
		}
	}
	return PublicKey{}, fmt.Errorf("%w: public key of %d bytes", ErrKeyEncoding, len(der))
}

// DER returns the SubjectPublicKeyInfo encoding of k.
func (k PublicKey) DER() []byte {
	p, ok := params(k.Alg)
	if !ok {
		return nil
	}
	return append(bytes.Clone(p.pubPrefix), k.Raw...)
}

// Equal reports whether k and o are the same key.
func (k PublicKey) Equal(o PublicKey) bool { return k.Alg == o.Alg && bytes.Equal(k.Raw, o.Raw) }

// IsZero reports whether k is unset.
func (k PublicKey) IsZero() bool { return k.Alg == 0 }

// ParsePrivateKeyDER parses a PKCS#8 private key of any of the four
// algorithms.
func ParsePrivateKeyDER(der []byte) (PrivateKey, error) {
	for _, a := range allAlgs {
		p, _ := params(a)
		if len(der) == len(p.prvPrefix)+p.privSize && bytes.HasPrefix(der, p.prvPrefix) {
			return PrivateKey{Alg: a, Raw: bytes.Clone(der[len(p.prvPrefix):])}, nil
		}
	}
	return PrivateKey{}, fmt.Errorf("%w: private key of %d bytes", ErrKeyEncoding, len(der))
}

// DER returns the PKCS#8 encoding of k.
func (k PrivateKey) DER() []byte {
	p, ok := params(k.Alg)
	if !ok {
		return nil
	}
	return append(bytes.Clone(p.prvPrefix), k.Raw...)
}

// Public returns the public half of k.
func (k PrivateKey) Public() PublicKey {
	switch k.Alg {
	case Ed25519:
		if k.ed25519 != nil {
			return PublicKey{Alg: k.Alg, Raw: bytes.Clone(k.ed25519[ed25519.SeedSize:])}
		}
		pub := ed25519.NewKeyFromSeed(k.Raw).Public().(ed25519.PublicKey)
		return PublicKey{Alg: k.Alg, Raw: []byte(pub)}
	case Ed448:
		pub := ed448.NewKeyFromSeed(k.Raw).Public().(ed448.PublicKey)
		return PublicKey{Alg: k.Alg, Raw: []byte(pub)}
	case X25519:
		priv := k.x25519
		if priv == nil {
			var err error
			if priv, err = ecdh.X25519().NewPrivateKey(k.Raw); err != nil {
				return PublicKey{}
			}
		}
		return PublicKey{Alg: k.Alg, Raw: priv.PublicKey().Bytes()}
	case X448:
		var pub, sec x448.Key
		copy(sec[:], k.Raw)
		x448.KeyGen(&pub, &sec)
		return PublicKey{Alg: k.Alg, Raw: pub[:]}
	}
	return PublicKey{}
}

// GenerateKey makes a new private key of algorithm a from rand.
func GenerateKey(a Algorithm, rand io.Reader) (PrivateKey, error) {
	p, ok := params(a)
	if !ok {
		return PrivateKey{}, fmt.Errorf("%w: %v", ErrKeyAlg, a)
	}
	raw := make([]byte, p.privSize)
	if _, err := io.ReadFull(rand, raw); err != nil {
		return PrivateKey{}, fmt.Errorf("crypto: generate %v key: %w", a, err)
	}
	k := PrivateKey{Alg: a, Raw: raw}
	switch a {
	case Ed25519:
		// Keep the public half: every signature would derive it again.
		k.ed25519 = ed25519.NewKeyFromSeed(raw)
	case X25519:
		// The same for Public and DH (an XFTP FGET takes both on both
		// sides: three base-point or DH multiplications become two).
		sk, err := ecdh.X25519().NewPrivateKey(raw)
		if err != nil {
			return PrivateKey{}, fmt.Errorf("crypto: generate %v key: %w", a, err)
		}
		k.x25519 = sk
	}
	return k, nil
}

// Sign signs msg with a signing key; Ed25519 gives 64 bytes, Ed448 114
// (with an empty context, as the reference does).
func Sign(k PrivateKey, msg []byte) ([]byte, error) {
	switch k.Alg {
	case Ed25519:
		if k.ed25519 != nil {
			return ed25519.Sign(k.ed25519, msg), nil
		}
		return ed25519.Sign(ed25519.NewKeyFromSeed(k.Raw), msg), nil
	case Ed448:
		return ed448.Sign(ed448.NewKeyFromSeed(k.Raw), msg, ""), nil
	}
	return nil, fmt.Errorf("%w: %v cannot sign", ErrKeyAlg, k.Alg)
}

// Verify reports whether sig is a valid signature of msg by k.
func Verify(k PublicKey, msg, sig []byte) bool {
	switch k.Alg {
	case Ed25519:
		return len(k.Raw) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize &&
			ed25519.Verify(ed25519.PublicKey(k.Raw), msg, sig)
	case Ed448:
		return len(k.Raw) == ed448.PublicKeySize && len(sig) == ed448.SignatureSize &&
			ed448.Verify(ed448.PublicKey(k.Raw), msg, sig, "")
	}
	return false
}

// DH computes the raw shared secret of a key agreement. Keys must be of the
// same DH algorithm; all-zero results (low-order points) are rejected.
func DH(priv PrivateKey, pub PublicKey) ([]byte, error) {
	if priv.Alg != pub.Alg || !priv.Alg.IsDH() {
		return nil, fmt.Errorf("%w: DH of %v and %v", ErrKeyAlg, priv.Alg, pub.Alg)
	}
	switch priv.Alg {
	case X25519:
		sk := priv.x25519
		if sk == nil {
			var err error
			if sk, err = ecdh.X25519().NewPrivateKey(priv.Raw); err != nil {
				return nil, fmt.Errorf("crypto: x25519 private key: %w", err)
			}
		}
		pk, err := ecdh.X25519().NewPublicKey(pub.Raw)
		if err != nil {
			return nil, fmt.Errorf("crypto: x25519 public key: %w", err)
		}
		s, err := sk.ECDH(pk)
		if err != nil {
			return nil, fmt.Errorf("crypto: x25519: %w", err)
		}
		return s, nil
	default: // X448
		var sec, pk, shared x448.Key
		if len(priv.Raw) != x448.Size || len(pub.Raw) != x448.Size {
			return nil, fmt.Errorf("%w: x448 key size", ErrKeyEncoding)
		}
		copy(sec[:], priv.Raw)
		copy(pk[:], pub.Raw)
		if !x448.Shared(&shared, &sec, &pk) {
			return nil, fmt.Errorf("crypto: x448: low-order point")
		}
		return shared[:], nil
	}
}
