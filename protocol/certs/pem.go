package certs

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/simplexgo/protocol/crypto"
)

// PEM files as the reference writes them [CLI createServerX509_ (openssl),
// MTS loadServerCredential]: certificates as "CERTIFICATE" blocks of DER,
// private keys as unencrypted PKCS#8 "PRIVATE KEY" blocks (server.key,
// ca.key).

const (
	pemCert = "CERTIFICATE"
	pemKey  = "PRIVATE KEY"
)

// Errors of the PEM helpers.
var (
	ErrNoCertificate = errors.New("certs: no CERTIFICATE block")
	ErrNoKey         = errors.New("certs: no PRIVATE KEY block")
)

// EncodeCertPEM returns der as a CERTIFICATE block.
func EncodeCertPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der})
}

// ParseCertsPEM returns the DER of every CERTIFICATE block in data, in
// order; other blocks are skipped. It fails when there is none.
func ParseCertsPEM(data []byte) ([][]byte, error) {
	var certs [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type == pemCert {
			certs = append(certs, b.Bytes)
		}
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	return certs, nil
}

// EncodeKeyPEM returns k as a PKCS#8 PRIVATE KEY block.
func EncodeKeyPEM(k crypto.PrivateKey) ([]byte, error) {
	der := k.DER()
	if der == nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyAlg, k.Alg)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: der}), nil
}

// ParseKeyPEM parses the first PRIVATE KEY block of data (any of the four
// algorithms of package crypto).
func ParseKeyPEM(data []byte) (crypto.PrivateKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return crypto.PrivateKey{}, ErrNoKey
		}
		if b.Type == pemKey {
			k, err := crypto.ParsePrivateKeyDER(b.Bytes)
			if err != nil {
				return crypto.PrivateKey{}, fmt.Errorf("certs: private key: %w", err)
			}
			return k, nil
		}
	}
}

// maxPEMFile bounds the size of certificate and key files read.
const maxPEMFile = 1 << 20

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPEMFile {
		return nil, fmt.Errorf("%s: file larger than %d bytes", path, maxPEMFile)
	}
	return b, nil
}

// ReadCertFile returns the DER of every certificate in a PEM file.
func ReadCertFile(path string) ([][]byte, error) {
	data, err := readSmallFile(path)
	if err != nil {
		return nil, fmt.Errorf("certs: read certificate: %w", err)
	}
	certs, err := ParseCertsPEM(data)
	if err != nil {
		return nil, fmt.Errorf("certs: %s: %w", path, err)
	}
	return certs, nil
}

// ReadKeyFile reads a PKCS#8 PEM private key file.
func ReadKeyFile(path string) (crypto.PrivateKey, error) {
	data, err := readSmallFile(path)
	if err != nil {
		return crypto.PrivateKey{}, fmt.Errorf("certs: read key: %w", err)
	}
	k, err := ParseKeyPEM(data)
	if err != nil {
		return crypto.PrivateKey{}, fmt.Errorf("certs: %s: %w", path, err)
	}
	return k, nil
}

// WriteCertFile writes certificates to a PEM file (mode 0644).
func WriteCertFile(path string, ders ...[]byte) error {
	var out []byte
	for _, d := range ders {
		out = append(out, EncodeCertPEM(d)...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("certs: write certificate: %w", err)
	}
	return nil
}

// WriteKeyFile writes a private key to a PEM file readable only by its
// owner (mode 0600). It refuses to overwrite an existing file.
func WriteKeyFile(path string, k crypto.PrivateKey) error {
	data, err := EncodeKeyPEM(k)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("certs: write key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("certs: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("certs: write key: %w", err)
	}
	return nil
}
