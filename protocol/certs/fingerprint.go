package certs

import "github.com/simplexgo/protocol/crypto"

// FingerprintSize is the size of a certificate fingerprint (key hash).
const FingerprintSize = 32

// Fingerprint returns the SHA-256 of the whole DER certificate: the key
// hash of a server address when certDER is the identity (CA) certificate.
// DOC-SMP says it hashes the SPKI; the code hashes the certificate [MTS
// loadFileFingerprint, MC signedFingerprint; CONFORMANCE-NOTES §2.3].
func Fingerprint(certDER []byte) []byte { return crypto.SHA256(certDER) }
