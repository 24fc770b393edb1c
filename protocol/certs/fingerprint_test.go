package certs

import (
	"testing"

	"github.com/simplexgo/protocol/encoding"
)

// TestFingerprintFixtures: SHA-256 of the whole DER certificate, base64url
// with padding, equals the reference's key hashes [MTS
// loadFileFingerprint; fixtures README].
func TestFingerprintFixtures(t *testing.T) {
	tests := []struct{ file, want string }{
		{"ca.crt", fpEd448CA},
		{"ed25519/ca.crt", fpEd25519CA},
	}
	for _, tt := range tests {
		fp := Fingerprint(readCert(t, tt.file))
		if len(fp) != FingerprintSize || encoding.B64URL(fp) != tt.want {
			t.Errorf("%s: fingerprint %s, want %s", tt.file, encoding.B64URL(fp), tt.want)
		}
	}
}
