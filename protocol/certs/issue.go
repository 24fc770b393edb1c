package certs

import (
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ValidityDays is the validity of both certificates of the official layout
// (openssl -days 999999 [CLI createServerX509_]): about 2738 years, encoded
// as a GeneralizedTime (RFC 5280 §4.1.2.5).
const ValidityDays = 999999

// CAOrganization is the organization name of the official CA subject
// ("CN = SMP server CA, O = SimpleX" [CLI createOpensslCaConf]).
const CAOrganization = "SimpleX"

// Errors of certificate issuing.
var (
	ErrKeyAlg     = errors.New("certs: certificate keys must be Ed25519 or Ed448")
	ErrCAKey      = errors.New("certs: CA key does not match the CA certificate")
	ErrCommonName = errors.New("certs: empty common name")
)

// Object identifiers used below (DER contents, without tag and length).
var (
	oidCommonName   = []byte{0x55, 0x04, 0x03}          // 2.5.4.3
	oidOrganization = []byte{0x55, 0x04, 0x0a}          // 2.5.4.10
	oidSKI          = []byte{0x55, 0x1d, 0x0e}          // 2.5.29.14 subjectKeyIdentifier
	oidKeyUsage     = []byte{0x55, 0x1d, 0x0f}          // 2.5.29.15
	oidBasicConstr  = []byte{0x55, 0x1d, 0x13}          // 2.5.29.19
	oidAKI          = []byte{0x55, 0x1d, 0x23}          // 2.5.29.35 authorityKeyIdentifier
	oidExtKeyUsage  = []byte{0x55, 0x1d, 0x25}          // 2.5.29.37
	oidServerAuth   = []byte{0x2b, 6, 1, 5, 5, 7, 3, 1} // 1.3.6.1.5.5.7.3.1
	oidEd25519      = []byte{0x2b, 0x65, 0x70}          // 1.3.101.112
	oidEd448        = []byte{0x2b, 0x65, 0x71}          // 1.3.101.113
)

func sigOID(a crypto.Algorithm) ([]byte, bool) {
	switch a {
	case crypto.Ed25519:
		return oidEd25519, true
	case crypto.Ed448:
		return oidEd448, true
	}
	return nil, false
}

// tbsParams is what differs between the two certificates.
type tbsParams struct {
	serial    *big.Int
	sigAlg    crypto.Algorithm
	issuer    []byte // DER Name
	subject   []byte // DER Name
	notBefore time.Time
	notAfter  time.Time
	spki      []byte // DER SubjectPublicKeyInfo
	ski, aki  []byte
	ca        bool
}

// name encodes "CN = cn[, O = org]" with UTF8String values, in that order,
// as openssl writes the reference's config.
func name(cn, org string) ([]byte, error) {
	var b cryptobyte.Builder
	rdn := func(b *cryptobyte.Builder, oid []byte, v string) {
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
				b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(v)) })
			})
		})
	}
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		rdn(b, oidCommonName, cn)
		if org != "" {
			rdn(b, oidOrganization, org)
		}
	})
	return b.Bytes()
}

func addTime(b *cryptobyte.Builder, t time.Time) {
	if y := t.Year(); y >= 1950 && y < 2050 {
		b.AddASN1UTCTime(t)
	} else {
		b.AddASN1GeneralizedTime(t)
	}
}

func addExtension(b *cryptobyte.Builder, oid []byte, critical bool, value func(*cryptobyte.Builder)) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
		if critical {
			b.AddASN1Boolean(true)
		}
		b.AddASN1(cbasn1.OCTET_STRING, value)
	})
}

// tbs encodes the TBSCertificate (RFC 5280 §4.1):
//
//	SEQUENCE { [0] { INTEGER 2 }, serial, AlgorithmIdentifier, issuer,
//	           SEQUENCE { notBefore, notAfter }, subject, SPKI,
//	           [3] { SEQUENCE OF Extension } }
//
// with the extensions openssl writes for the reference's configs:
// CA: subjectKeyIdentifier, authorityKeyIdentifier, basicConstraints
// critical CA:TRUE; leaf: basicConstraints CA:FALSE, keyUsage
// digitalSignature+nonRepudiation+keyAgreement, extKeyUsage serverAuth,
// subjectKeyIdentifier, authorityKeyIdentifier.
func (p tbsParams) tbs() ([]byte, error) {
	oid, ok := sigOID(p.sigAlg)
	if !ok {
		return nil, fmt.Errorf("%w: signer %v", ErrKeyAlg, p.sigAlg)
	}
	ski := func(b *cryptobyte.Builder) {
		addExtension(b, oidSKI, false, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(p.ski)
		})
	}
	aki := func(b *cryptobyte.Builder) {
		addExtension(b, oidAKI, false, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(p.aki) })
			})
		})
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1Int64(2) // v3
		})
		b.AddASN1BigInt(p.serial)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
		})
		b.AddBytes(p.issuer)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addTime(b, p.notBefore)
			addTime(b, p.notAfter)
		})
		b.AddBytes(p.subject)
		b.AddBytes(p.spki)
		b.AddASN1(cbasn1.Tag(3).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				if p.ca {
					ski(b)
					aki(b)
					addExtension(b, oidBasicConstr, true, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Boolean(true) })
					})
					return
				}
				addExtension(b, oidBasicConstr, false, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(*cryptobyte.Builder) {})
				})
				// BIT STRING 03 02 03 c8: bits 0, 1 and 4, three unused bits.
				addExtension(b, oidKeyUsage, false, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x03, 0xc8}) })
				})
				addExtension(b, oidExtKeyUsage, false, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidServerAuth) })
					})
				})
				ski(b)
				aki(b)
			})
		})
	})
	return b.Bytes()
}

// sign wraps a TBSCertificate into a Certificate signed by key:
//
//	SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING (0 unused bits) sig }
func sign(tbs []byte, key crypto.PrivateKey) ([]byte, error) {
	oid, ok := sigOID(key.Alg)
	if !ok {
		return nil, fmt.Errorf("%w: signer %v", ErrKeyAlg, key.Alg)
	}
	sig, err := crypto.Sign(key, tbs)
	if err != nil {
		return nil, fmt.Errorf("certs: sign: %w", err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
		})
		b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddBytes(sig)
		})
	})
	return b.Bytes()
}

// keyID is the RFC 5280 §4.2.1.2 method 1 key identifier (openssl's
// "hash"): SHA-1 of the public key bits.
func keyID(k crypto.PublicKey) []byte {
	h := sha1.Sum(k.Raw)
	return h[:]
}

// serialNumber returns a positive random serial of up to 159 bits, as
// openssl does.
func serialNumber(rand io.Reader) (*big.Int, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("certs: serial number: %w", err)
	}
	b[0] &= 0x7f
	if b[0] == 0 {
		b[0] = 1 // keep 20 bytes and non-zero
	}
	return new(big.Int).SetBytes(b), nil
}

// now is the clock of certificate issuing (a variable for tests).
var now = time.Now

func validity() (time.Time, time.Time) {
	nb := now().UTC().Truncate(time.Second)
	return nb, nb.AddDate(0, 0, ValidityDays)
}

// NewCA makes an offline identity key of algorithm alg (Ed25519 or Ed448)
// and its self-signed CA certificate "CN = commonName, O = SimpleX"
// (the reference uses the common name "SMP server CA" for all three
// servers). The key hash of the server address is Fingerprint(certDER).
func NewCA(alg crypto.Algorithm, commonName string, rand io.Reader) (certDER []byte, key crypto.PrivateKey, err error) {
	if !alg.IsSign() {
		return nil, crypto.PrivateKey{}, fmt.Errorf("%w: %v", ErrKeyAlg, alg)
	}
	if commonName == "" {
		return nil, crypto.PrivateKey{}, ErrCommonName
	}
	key, err = crypto.GenerateKey(alg, rand)
	if err != nil {
		return nil, crypto.PrivateKey{}, fmt.Errorf("certs: CA key: %w", err)
	}
	serial, err := serialNumber(rand)
	if err != nil {
		return nil, crypto.PrivateKey{}, err
	}
	subject, err := name(commonName, CAOrganization)
	if err != nil {
		return nil, crypto.PrivateKey{}, fmt.Errorf("certs: CA name: %w", err)
	}
	pub := key.Public()
	nb, na := validity()
	id := keyID(pub)
	tbs, err := tbsParams{
		serial: serial, sigAlg: alg, issuer: subject, subject: subject,
		notBefore: nb, notAfter: na, spki: pub.DER(), ski: id, aki: id, ca: true,
	}.tbs()
	if err != nil {
		return nil, crypto.PrivateKey{}, fmt.Errorf("certs: CA certificate: %w", err)
	}
	certDER, err = sign(tbs, key)
	if err != nil {
		return nil, crypto.PrivateKey{}, err
	}
	return certDER, key, nil
}

// NewServerCert issues the online TLS certificate "CN = commonName" for
// leafKey (Ed25519 or Ed448; Go's crypto/tls serves only Ed25519), signed
// by the CA certificate caDER with its key caKey.
func NewServerCert(caDER []byte, caKey crypto.PrivateKey, leafKey crypto.PublicKey, commonName string, rand io.Reader) ([]byte, error) {
	if !leafKey.Alg.IsSign() {
		return nil, fmt.Errorf("%w: leaf key %v", ErrKeyAlg, leafKey.Alg)
	}
	if commonName == "" {
		return nil, ErrCommonName
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("certs: CA certificate: %w", err)
	}
	caPub, err := crypto.ParsePublicKeyDER(ca.RawSubjectPublicKeyInfo)
	if err != nil || !caPub.Equal(caKey.Public()) {
		return nil, ErrCAKey
	}
	serial, err := serialNumber(rand)
	if err != nil {
		return nil, err
	}
	subject, err := name(commonName, "")
	if err != nil {
		return nil, fmt.Errorf("certs: server name: %w", err)
	}
	aki := ca.SubjectKeyId
	if len(aki) == 0 {
		aki = keyID(caPub)
	}
	nb, na := validity()
	tbs, err := tbsParams{
		serial: serial, sigAlg: caKey.Alg, issuer: ca.RawSubject, subject: subject,
		notBefore: nb, notAfter: na, spki: leafKey.DER(), ski: keyID(leafKey), aki: aki,
	}.tbs()
	if err != nil {
		return nil, fmt.Errorf("certs: server certificate: %w", err)
	}
	return sign(tbs, caKey)
}
