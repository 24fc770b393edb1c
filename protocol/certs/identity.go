package certs

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
)

// ServerIdentity is what a server needs from its certificate files: the TLS
// certificate, the chain it sends in its hello, the leaf key that signs the
// per-connection session key, and the key hash of its address.
type ServerIdentity struct {
	TLS         tls.Certificate   // chain [leaf, CA, ...], Ed25519 private key
	Chain       [][]byte          // DER, leaf first: the hello's certificate list
	LeafKey     crypto.PrivateKey // signs the session key (crypto.SignKeyDER)
	Fingerprint []byte            // SHA-256 of the CA certificate: the key hash
}

// ErrTLSKey is returned when the leaf key cannot be served by crypto/tls.
var ErrTLSKey = errors.New("certs: crypto/tls can only serve an Ed25519 leaf key")

// ErrLeafKeyMismatch is returned when the leaf key is not the key of the
// leaf certificate.
var ErrLeafKeyMismatch = errors.New("certs: private key does not match the server certificate")

// LoadServerIdentity reads the CA certificate, the server (leaf)
// certificate and the leaf's PKCS#8 key, as the reference's
// loadServerCredential does with ca.crt, server.crt and server.key: the
// chain is the certificates of certFile followed by those of caFile, and
// the fingerprint is that of the first certificate of caFile [MTS
// loadServerCredential, loadFileFingerprint].
func LoadServerIdentity(caFile, certFile, keyFile string) (*ServerIdentity, error) {
	ca, err := ReadCertFile(caFile)
	if err != nil {
		return nil, err
	}
	leaf, err := ReadCertFile(certFile)
	if err != nil {
		return nil, err
	}
	key, err := ReadKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	return NewServerIdentity(append(leaf, ca...), key, ca[0])
}

// NewServerIdentity assembles a ServerIdentity from a chain (leaf first),
// the leaf key, and the identity certificate whose fingerprint is the key
// hash.
func NewServerIdentity(chain [][]byte, leafKey crypto.PrivateKey, idCert []byte) (*ServerIdentity, error) {
	if len(chain) < MinChain || len(chain) > MaxChain {
		return nil, fmt.Errorf("certs: server chain of %d certificates: want %d to %d", len(chain), MinChain, MaxChain)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("%w: server certificate: %w", ErrCertificate, err)
	}
	pub, err := crypto.ParsePublicKeyDER(leaf.RawSubjectPublicKeyInfo)
	if err != nil || !pub.Equal(leafKey.Public()) {
		return nil, ErrLeafKeyMismatch
	}
	if leafKey.Alg != crypto.Ed25519 {
		return nil, fmt.Errorf("%w: got %v", ErrTLSKey, leafKey.Alg)
	}
	return &ServerIdentity{
		TLS: tls.Certificate{
			Certificate: chain,
			PrivateKey:  ed25519.NewKeyFromSeed(leafKey.Raw),
			Leaf:        leaf,
		},
		Chain:       chain,
		LeafKey:     leafKey,
		Fingerprint: Fingerprint(idCert),
	}, nil
}
