package crypto

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
)

// SHA256 returns the SHA-256 digest of b [MC sha256Hash]: certificate
// fingerprints (key hashes), XFTP chunk digests.
func SHA256(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// SHA512 returns the SHA-512 digest of b [MC sha512Hash]: the plaintext of
// the command authenticator, XFTP file digests.
func SHA512(b []byte) []byte {
	h := sha512.Sum512(b)
	return h[:]
}

// SHA3_384 returns the SHA3-384 digest of b [MC sha3_384].
func SHA3_384(b []byte) []byte {
	h := sha3.Sum384(b)
	return h[:]
}

// SenderIDSize is the size of queue, sender and notifier IDs.
const SenderIDSize = 24

// SenderIDFromCorrID returns the sender ID a client must choose for a queue
// created with link data: the first 24 bytes of SHA3-384(corrId). The
// server rejects NEW with any other sndId (CMD PROHIBITED). The reference's
// comment says SHA3-256; the code uses SHA3-384 [MS NEW, AG newRcvQueue_;
// CONFORMANCE-NOTES §3.1, §6.12].
func SenderIDFromCorrID(corrID []byte) []byte {
	return SHA3_384(corrID)[:SenderIDSize]
}

// MaxRandomBytes bounds RandomBytes allocations.
const MaxRandomBytes = 1 << 20

// RandomBytes returns n bytes from the system's secure random source.
func RandomBytes(n int) ([]byte, error) {
	if n < 0 || n > MaxRandomBytes {
		return nil, fmt.Errorf("crypto: random bytes: bad length %d", n)
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("crypto: random bytes: %w", err)
	}
	return b, nil
}
