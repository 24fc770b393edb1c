// Package transport is the TLS layer shared by SMP, NTF and XFTP: the TLS
// parameters official SimpleX clients and servers use, the tls-unique
// session identifier, and fixed-size block I/O on top of the TLS stream.
//
// # TLS parameters (CONFORMANCE-NOTES §2.1, [MT defaultSupportedParams])
//
// Official peers offer exactly TLS 1.3 and 1.2, the suites
// TLS_CHACHA20_POLY1305_SHA256 (1.3) and ECDHE-ECDSA-CHACHA20-POLY1305 (1.2),
// the signature schemes Ed448 and Ed25519, the groups X448 then X25519, no
// secure renegotiation and no session resumption. Clients send no SNI.
// [ServerTLSConfig] and [ClientTLSConfig] reproduce that with crypto/tls,
// within what Go allows:
//
//   - Go has no Ed448 and no X448 in TLS. The server's leaf certificate must
//     therefore be Ed25519 (the `smp-server init` default); the CA behind it
//     may be anything, its DER is only passed through. Official clients list
//     X448 first and send only that key share, so a Go server answers with a
//     HelloRetryRequest for X25519; that is normal.
//   - TLS 1.3 suites are not configurable in Go. Official clients offer only
//     ChaCha20-Poly1305, so that is what a Go server picks for them; two Go
//     peers usually settle on AES-128-GCM, which this package also handles.
//   - Go's TLS 1.2 suites for Ed25519 certificates are the ECDSA ones, so the
//     1.2 list is TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 alone.
//
// # ALPN (§2.2, [MTS supportedTLSServerParams])
//
// The reference server picks the first name in the client's list that it
// supports, and refuses (alert no_application_protocol) a client whose list
// has no name in common with its own. A client that sends no ALPN extension is
// accepted with no protocol. [Server] applies exactly that rule: Go on its own
// would prefer the server's order. Clients without ALPN are accepted by Go as
// well (crypto/tls negotiateALPN returns "" when the client list is empty);
// TestALPN checks both behaviours.
//
// # Session identifier (§2.4, [MT withTlsUnique])
//
// The SMP/NTF/XFTP session id is the tls-unique channel binding: the
// verify_data of the client's Finished message, which the server reads and
// the client writes. TLS 1.2 gives it as ConnectionState().TLSUnique (12
// bytes). TLS 1.3 does not, so this package recovers it: the connection is
// wrapped to record the raw bytes the server reads (or the client writes)
// during the handshake, each connection gets its own KeyLogWriter to learn
// CLIENT_HANDSHAKE_TRAFFIC_SECRET, and the client's encrypted handshake
// records are decrypted to find the Finished message (RFC 8446 §4.4.4,
// §5.2, §7.3). With ChaCha20-Poly1305 or AES-128-GCM (SHA-256) it is 32
// bytes; with AES-256-GCM (SHA-384) 48.
//
// # Blocks (§2.5, [MT tPutBlock, tGetBlock])
//
// Every protocol message travels in a block of fixed size (SMP 16384, NTF
// 512, XFTP 16384): a reader reads exactly one block. [Conn.ReadBlock] and
// [Conn.WriteBlock] move one block; padding and block encryption belong to
// the handshake and protocol packages above this one.
package transport
