package crypto

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The signed session key of the SMP, NTF and XFTP server hellos [MT
// CertChainPubKey, MC SignedObject/signX509/verifyX509, x509
// Data.X509.Signed objectToSignedExact; CONFORMANCE-NOTES §2.6]. The x509
// library signs any object as SEQUENCE { its ASN.1 }, and a public key's
// ASN.1 is already a whole SubjectPublicKeyInfo, so the SPKI ends up
// wrapped in one more SEQUENCE:
//
//	signedKeyDER = SEQUENCE {
//	    SEQUENCE { SPKI },                 ; the signed bytes: this whole element
//	    SEQUENCE { OID 1.3.101.112|113 },  ; Ed25519 | Ed448, no parameters
//	    BIT STRING (0 unused bits) signature }
//
// Ed25519 signer, X25519 key (122 bytes):
//
//	30 78  30 2c  30 2a 30 05 06 03 2b 65 6e 03 21 00 <key 32>
//	       30 05 06 03 2b 65 70  03 41 00 <sig 64>
//
// A bare SPKI in place of the wrapper fails to decode in the official
// client, which then treats the hello as carrying no key.

// ErrSignedKey is returned when a signed key is not in the layout above.
var ErrSignedKey = errors.New("crypto: bad signed key encoding")

// signedKey is a decoded signedKeyDER.
type signedKey struct {
	object []byte // the signed element: SEQUENCE { SPKI }
	alg    Algorithm
	sig    []byte
	key    PublicKey
}

func sigAlgOID(a Algorithm) (byte, bool) {
	switch a {
	case Ed25519:
		return ed25519Params.oid, true
	case Ed448:
		return ed448Params.oid, true
	}
	return 0, false
}

func (s signedKey) encode() ([]byte, error) {
	oid, ok := sigAlgOID(s.alg)
	if !ok {
		return nil, fmt.Errorf("%w: %v cannot sign", ErrKeyAlg, s.alg)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(s.object)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) {
				b.AddBytes([]byte{0x2b, 0x65, oid})
			})
		})
		b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddBytes(s.sig)
		})
	})
	return b.Bytes()
}

// wrapSPKI returns SEQUENCE { spki }.
func wrapSPKI(spki []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(spki) })
	return b.Bytes()
}

// parseSignedKeyDER decodes the layout strictly (DER, no trailing data, no
// algorithm parameters) without checking the signature.
func parseSignedKeyDER(der []byte) (signedKey, error) {
	var s signedKey
	in := cryptobyte.String(der)
	var outer, object, algID, oid cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !in.Empty() {
		return s, fmt.Errorf("%w: outer sequence", ErrSignedKey)
	}
	if !outer.ReadASN1Element(&object, cbasn1.SEQUENCE) {
		return s, fmt.Errorf("%w: signed object", ErrSignedKey)
	}
	if !outer.ReadASN1(&algID, cbasn1.SEQUENCE) || !algID.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || !algID.Empty() {
		return s, fmt.Errorf("%w: algorithm identifier", ErrSignedKey)
	}
	var bs cryptobyte.String
	if !outer.ReadASN1(&bs, cbasn1.BIT_STRING) || !outer.Empty() {
		return s, fmt.Errorf("%w: signature", ErrSignedKey)
	}
	if len(bs) < 1 || bs[0] != 0 {
		return s, fmt.Errorf("%w: signature bit string", ErrSignedKey)
	}
	bits := bs[1:]
	switch string(oid) {
	case string([]byte{0x2b, 0x65, ed25519Params.oid}):
		s.alg = Ed25519
	case string([]byte{0x2b, 0x65, ed448Params.oid}):
		s.alg = Ed448
	default:
		return s, fmt.Errorf("%w: signature algorithm %x", ErrSignedKey, []byte(oid))
	}
	inner := cryptobyte.String(object)
	var wrapped, spki cryptobyte.String
	if !inner.ReadASN1(&wrapped, cbasn1.SEQUENCE) || !wrapped.ReadASN1Element(&spki, cbasn1.SEQUENCE) || !wrapped.Empty() {
		return s, fmt.Errorf("%w: wrapped key", ErrSignedKey)
	}
	key, err := ParsePublicKeyDER(spki)
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrSignedKey, err)
	}
	s.object, s.sig, s.key = object, bits, key
	return s, nil
}

// SignKeyDER signs key with signer (Ed25519 or Ed448, the TLS leaf key)
// and returns signedKeyDER.
func SignKeyDER(signer PrivateKey, key PublicKey) ([]byte, error) {
	if _, ok := sigAlgOID(signer.Alg); !ok {
		return nil, fmt.Errorf("%w: %v cannot sign", ErrKeyAlg, signer.Alg)
	}
	spki := key.DER()
	if spki == nil {
		return nil, fmt.Errorf("%w: key %v", ErrKeyAlg, key.Alg)
	}
	object, err := wrapSPKI(spki)
	if err != nil {
		return nil, fmt.Errorf("crypto: sign key: %w", err)
	}
	sig, err := Sign(signer, object)
	if err != nil {
		return nil, err
	}
	return signedKey{object: object, alg: signer.Alg, sig: sig}.encode()
}

// VerifySignedKeyDER decodes signedKeyDER, checks its signature with
// signer (the TLS leaf's public key) and returns the signed key. The
// algorithm identifier must match signer's algorithm [MC verifyX509]. It
// returns a key of any algorithm: the handshakes require X25519 and must
// check Alg themselves (the reference answers HANDSHAKE BAD_AUTH).
func VerifySignedKeyDER(signer PublicKey, der []byte) (PublicKey, error) {
	s, err := parseSignedKeyDER(der)
	if err != nil {
		return PublicKey{}, err
	}
	if s.alg != signer.Alg {
		return PublicKey{}, fmt.Errorf("%w: signed with %v, verifying with %v", ErrSignature, s.alg, signer.Alg)
	}
	if !Verify(signer, s.object, s.sig) {
		return PublicKey{}, ErrSignature
	}
	return s.key, nil
}
