// Package certs issues, loads and checks the X.509 certificates that
// identify SimpleX servers (SMP, NTF, XFTP).
//
// The official layout [CLI createServerX509_, MTS loadServerCredential;
// CONFORMANCE-NOTES §2.3] is a two-certificate TLS chain
//
//	[ online leaf (TLS key, signs the session key) , offline CA (identity) ]
//
// The CA is self-signed with basicConstraints critical CA:true; the leaf is
// signed by the CA with CA:FALSE, key usage digitalSignature,
// nonRepudiation and keyAgreement, and extended key usage serverAuth. Both
// are valid for 999999 days. The server's identity (the key hash in its
// address) is the SHA-256 of the whole DER of the CA certificate, not of
// its public key [MTS loadFileFingerprint, MC signedFingerprint].
//
// Certificates are Ed25519 or Ed448. Go's crypto/x509 can neither sign nor
// verify Ed448, so this package builds and checks certificates itself with
// the keys of package crypto; crypto/tls can serve only an Ed25519 leaf (the
// CA may stay Ed448: its DER is only passed through).
package certs
