package crypto

import (
	"crypto/subtle"
	"fmt"
)

// The SMP command authenticator [MC cbAuthenticate, cbVerify, cbNonce;
// MS verifyCmdAuth; CONFORMANCE-NOTES §2.7]. A transmission whose
// authorization is 80 bytes long carries
//
//	authenticator = box(DH(entity key, server session key),
//	                    nonce = corrId zero-padded or truncated to 24 bytes,
//	                    SHA-512(authorized))              ; 16 + 64 bytes
//
// where authorized is the signed part of the transmission. The client holds
// the entity's X25519 private key and the server session public key from
// the server hello; the server holds its session private key and the
// entity's public key from the queue. DH is symmetric, so both sides call
// the same function with their own halves. XFTP commands have an empty
// corrId, so their nonce is 24 zero bytes.

// AuthenticatorSize is the length of a command authenticator.
const AuthenticatorSize = TagSize + 64

// Authenticate computes the authenticator of authorized under the DH of
// priv and pub (both X25519) with nonce CbNonce(corrID).
func Authenticate(priv PrivateKey, pub PublicKey, corrID, authorized []byte) ([]byte, error) {
	if priv.Alg != X25519 || pub.Alg != X25519 {
		return nil, fmt.Errorf("%w: authenticator needs X25519 keys, got %v and %v", ErrKeyAlg, priv.Alg, pub.Alg)
	}
	secret, err := DH(priv, pub)
	if err != nil {
		return nil, fmt.Errorf("crypto: authenticator: %w", err)
	}
	return Box(secret, CbNonce(corrID), SHA512(authorized))
}

// VerifyAuthenticator reports whether auth is the authenticator of
// authorized for the keys and corrId. The comparison is constant-time; a
// wrong key type or a DH failure is simply false. Encrypting the digest and
// comparing is equivalent to the reference's decrypt-and-compare, because
// the box is deterministic for a key and nonce.
func VerifyAuthenticator(priv PrivateKey, pub PublicKey, corrID, auth, authorized []byte) bool {
	want, err := Authenticate(priv, pub, corrID, authorized)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(want, auth) == 1
}
