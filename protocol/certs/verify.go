package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Errors of chain verification, after the reference's failure reasons
// [crypton-x509-validation FailedReason].
var (
	ErrEmptyChain   = errors.New("certs: chain has fewer than 2 certificates") // EmptyChain
	ErrChainTooLong = errors.New("certs: chain has more than 4 certificates")  // AuthorityTooDeep
	ErrIdentity     = errors.New("certs: identity certificate does not match the server key hash")
	ErrCertificate  = errors.New("certs: malformed certificate")
	ErrLeafNotV3    = errors.New("certs: leaf certificate is not X.509 v3")
	ErrValidity     = errors.New("certs: certificate outside its validity period")
	ErrUnknownCA    = errors.New("certs: issuer not found")
	ErrSelfSigned   = errors.New("certs: self-signed certificate is not the trust anchor")
	ErrNotCA        = errors.New("certs: issuer is not allowed to sign certificates")
	ErrSignature    = errors.New("certs: bad certificate signature")
)

// MinChain and MaxChain bound the length of a server's chain.
const (
	MinChain = 2
	MaxChain = 4
)

// VerifyChain does what official clients do with a server's TLS chain
// [MTC validateCertificateChain, MTSh chainIdCaCerts, x509validate;
// CONFORMANCE-NOTES §2.3]:
//
//   - the chain (leaf first) has 2 to 4 certificates;
//   - idCert = rawCerts[1] and SHA-256(idCert) must equal keyHash, the key
//     hash of the server address;
//   - the trust anchor is the last certificate, and the chain must validate
//     from the leaf to it: validity periods (the anchor's is not checked),
//     a v3 leaf, CA constraints on intermediate issuers, signatures
//     (Ed25519, Ed448, or whatever crypto/x509 verifies). Host names are not
//     checked.
//
// Use it from tls.Config.VerifyPeerCertificate with InsecureSkipVerify.
func VerifyChain(rawCerts [][]byte, keyHash []byte) error {
	return VerifyChainAt(rawCerts, keyHash, time.Now())
}

// VerifyChainAt is VerifyChain at the given time.
func VerifyChainAt(rawCerts [][]byte, keyHash []byte, now time.Time) error {
	switch {
	case len(rawCerts) < MinChain:
		return fmt.Errorf("%w: %d", ErrEmptyChain, len(rawCerts))
	case len(rawCerts) > MaxChain:
		return fmt.Errorf("%w: %d", ErrChainTooLong, len(rawCerts))
	}
	if !bytes.Equal(Fingerprint(rawCerts[1]), keyHash) {
		return ErrIdentity
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return fmt.Errorf("%w: certificate %d: %w", ErrCertificate, i, err)
		}
		certs[i] = c
	}
	return validatePath(certs, now)
}

// validatePath follows crypton-x509-validation's validate with the
// reference's checks (defaultChecks, checkFQHN off) and a store holding
// only the last certificate.
func validatePath(certs []*x509.Certificate, now time.Time) error {
	anchor := certs[len(certs)-1]
	leaf := certs[0]
	if leaf.Version != 3 {
		return ErrLeafNotV3
	}
	current, rest := leaf, certs[1:]
	for level := 0; ; level++ {
		if now.Before(current.NotBefore) || now.After(current.NotAfter) {
			return fmt.Errorf("%w: %q valid %v to %v", ErrValidity, current.Subject, current.NotBefore, current.NotAfter)
		}
		if bytes.Equal(current.RawIssuer, anchor.RawSubject) {
			return checkSignature(current, anchor)
		}
		if bytes.Equal(current.RawIssuer, current.RawSubject) {
			return fmt.Errorf("%w: %q", ErrSelfSigned, current.Subject)
		}
		i := -1
		for j, c := range rest {
			if bytes.Equal(c.RawSubject, current.RawIssuer) {
				i = j
				break
			}
		}
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUnknownCA, current.Issuer)
		}
		issuer := rest[i]
		if err := checkCA(issuer, level); err != nil {
			return err
		}
		if err := checkSignature(current, issuer); err != nil {
			return err
		}
		current = issuer
		rest = append(append([]*x509.Certificate(nil), rest[:i]...), rest[i+1:]...)
	}
}

var oidExtKeyUsageID = asn1.ObjectIdentifier{2, 5, 29, 15}

// checkCA is the reference's checkCA: basicConstraints CA:TRUE, keyCertSign
// when a key usage is present, and a path length (if any) of at least
// level.
func checkCA(c *x509.Certificate, level int) error {
	if !c.BasicConstraintsValid || !c.IsCA {
		return fmt.Errorf("%w: %q is not a CA", ErrNotCA, c.Subject)
	}
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsageID) && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			return fmt.Errorf("%w: %q key usage", ErrNotCA, c.Subject)
		}
	}
	if (c.MaxPathLen > 0 || c.MaxPathLenZero) && c.MaxPathLen < level {
		return fmt.Errorf("%w: %q path length", ErrNotCA, c.Subject)
	}
	return nil
}

// signatureOID returns the OID of the outer signatureAlgorithm of a
// certificate.
func signatureOID(raw []byte) ([]byte, bool) {
	s := cryptobyte.String(raw)
	var cert, algID, oid cryptobyte.String
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) ||
		!cert.SkipASN1(cbasn1.SEQUENCE) ||
		!cert.ReadASN1(&algID, cbasn1.SEQUENCE) ||
		!algID.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return nil, false
	}
	return oid, true
}

// checkSignature verifies c's signature with issuer's key. Ed25519 and
// Ed448 go through package crypto (crypto/x509 knows no Ed448); other
// algorithms through crypto/x509.
func checkSignature(c, issuer *x509.Certificate) error {
	oid, ok := signatureOID(c.Raw)
	if !ok {
		return fmt.Errorf("%w: signature algorithm", ErrCertificate)
	}
	var alg crypto.Algorithm
	switch {
	case bytes.Equal(oid, oidEd25519):
		alg = crypto.Ed25519
	case bytes.Equal(oid, oidEd448):
		alg = crypto.Ed448
	default:
		if err := issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
			return fmt.Errorf("%w: %q: %w", ErrSignature, c.Subject, err)
		}
		return nil
	}
	pub, err := crypto.ParsePublicKeyDER(issuer.RawSubjectPublicKeyInfo)
	if err != nil || pub.Alg != alg || !crypto.Verify(pub, c.RawTBSCertificate, c.Signature) {
		return fmt.Errorf("%w: %q by %q", ErrSignature, c.Subject, issuer.Subject)
	}
	return nil
}
