package certs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// IdentityFiles names the files of a server identity, as the reference
// servers' `init` writes them: ca.crt, ca.key, server.crt, server.key and
// fingerprint.
type IdentityFiles struct {
	CACert, CAKey, ServerCert, ServerKey, Fingerprint string
}

// CreateServerIdentity issues an offline CA (caAlg) and an online Ed25519
// TLS certificate for host signed by it, writes the five files (keys with
// mode 0600, never over existing files) and returns the fingerprint, the
// SHA-256 of the CA certificate that goes into the server address.
func CreateServerIdentity(f IdentityFiles, caAlg crypto.Algorithm, caName, host string, rand io.Reader) ([]byte, error) {
	caDER, caKey, leafDER, leafKey, err := issueIdentity(caAlg, caName, host, rand)
	if err != nil {
		return nil, err
	}
	fp := Fingerprint(caDER)
	err = errors.Join(
		WriteCertFile(f.CACert, caDER),
		WriteKeyFile(f.CAKey, caKey),
		WriteCertFile(f.ServerCert, leafDER),
		WriteKeyFile(f.ServerKey, leafKey),
		os.WriteFile(f.Fingerprint, []byte(encoding.B64URL(fp)+"\n"), 0o644),
	)
	if err != nil {
		return nil, fmt.Errorf("certs: write identity: %w", err)
	}
	return fp, nil
}

// NewEphemeralIdentity issues a CA and an Ed25519 server certificate for
// host in memory, as CreateServerIdentity does, and returns the identity
// to serve with; the CA key is not kept. For benchmarks and tests: a
// server's address changes with every call.
func NewEphemeralIdentity(caAlg crypto.Algorithm, caName, host string, rand io.Reader) (*ServerIdentity, error) {
	caDER, _, leafDER, leafKey, err := issueIdentity(caAlg, caName, host, rand)
	if err != nil {
		return nil, err
	}
	return NewServerIdentity([][]byte{leafDER, caDER}, leafKey, caDER)
}

// issueIdentity makes an offline CA (caAlg) and an online Ed25519 TLS
// certificate for host signed by it.
func issueIdentity(caAlg crypto.Algorithm, caName, host string, rand io.Reader) (caDER []byte, caKey crypto.PrivateKey, leafDER []byte, leafKey crypto.PrivateKey, err error) {
	if caDER, caKey, err = NewCA(caAlg, caName, rand); err != nil {
		return nil, caKey, nil, leafKey, fmt.Errorf("certs: create CA: %w", err)
	}
	if leafKey, err = crypto.GenerateKey(crypto.Ed25519, rand); err != nil {
		return nil, caKey, nil, leafKey, err
	}
	if leafDER, err = NewServerCert(caDER, caKey, leafKey.Public(), host, rand); err != nil {
		return nil, caKey, nil, leafKey, fmt.Errorf("certs: create server certificate: %w", err)
	}
	return caDER, caKey, leafDER, leafKey, nil
}
