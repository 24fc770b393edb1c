// Package crypto holds the keys and primitives of the SimpleX protocols
// (simplexmq's Simplex.Messaging.Crypto): Ed25519, Ed448, X25519 and X448
// keys with their X.509 DER forms, signatures, Diffie-Hellman, the NaCl
// box/secretbox variant used everywhere, the SMP command authenticator, the
// block-encryption chain, padding and hashes.
package crypto
