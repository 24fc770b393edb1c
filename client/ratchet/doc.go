// Package ratchet is the double ratchet with header encryption that SimpleX
// agents use to encrypt connection messages end to end
// (simplexmq's Simplex.Messaging.Crypto.Ratchet, pqdr.md).
//
// Key agreement is X3DH-like over X448: the party that creates the
// invitation (Bob in pqdr.md, "receiving" here) publishes two X448 keys in
// the link; the joining party (Alice, "sending") replies with two of its
// own, and both compute three DH secrets that HKDF-SHA512 turns into the
// root key, the first header key and the next header key [R pqX3dh].
//
// Every message key and IV come from HKDF-SHA512 chain steps [R chainKdf];
// headers and bodies are AES-256-GCM with 16-byte IVs (GHASH-derived
// counter, as cryptonite's aes_gcm_init does for IVs other than 12 bytes)
// over padded plaintexts [MC encryptAEAD].
//
// The post-quantum KEM (sntrup761) of pqdr.md is not implemented: this
// package never proposes KEM keys, rejects a KEM ciphertext it did not ask
// for, and ignores a peer's KEM proposal, which is what the reference does
// when PQ encryption is off for the connection [R pqRatchetStep]. The
// places where it would plug in are marked "KEM:".
package ratchet
