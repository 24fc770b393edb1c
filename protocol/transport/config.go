package transport

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
)

// ALPN protocol names [MT alpnSupportedSMPHandshakes, NT, FT] and the HTTP
// names the reference servers list as well [MSM, NSM, FSM, H2 httpALPN].
const (
	ALPNSMP  = "smp/1"
	ALPNNTF  = "ntf/1"
	ALPNXFTP = "xftp/1"
	ALPNH2   = "h2"
	ALPNHTTP = "http/1.1"
)

// Block sizes: one protocol block is exactly this many bytes on the TLS
// stream (CONFORMANCE-NOTES §2.5) [MT smpBlockSize, NT, FP xftpBlockSize].
const (
	SMPBlockSize  = 16384
	NTFBlockSize  = 512
	XFTPBlockSize = 16384
)

// tls12Suites is the single TLS 1.2 suite of [MT defaultSupportedParams]
// (cipher_ECDHE_ECDSA_CHACHA20POLY1305_SHA256). Go classes Ed25519
// certificates with the ECDSA suites. TLS 1.3 suites are not configurable in
// Go; see the package documentation.
var tls12Suites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}

// curves is [MT defaultSupportedParams] supportedGroups without X448, which
// Go lacks.
var curves = []tls.CurveID{tls.X25519}

// ServerTLSConfig returns the server side of the official TLS parameters
// (CONFORMANCE-NOTES §2.1) serving certs, whose leaf keys must be Ed25519
// (Go has no Ed448 in TLS; the chain's other certificates are sent as they
// are). alpn lists the protocol names to accept, e.g. {ALPNSMP, ALPNH2,
// ALPNHTTP} as the reference SMP server does; nil disables ALPN.
//
// Session tickets are off (DOC-SMP asks for no resumption, and a resumed
// TLS 1.2 session has no client-Finished tls-unique) and no client
// certificate is requested; set ClientAuth on the result for v16 services.
// Use the config with [Server], which adds the reference's ALPN choice and
// the per-connection key log the TLS 1.3 session id needs.
func ServerTLSConfig(certs []tls.Certificate, alpn []string) *tls.Config {
	return &tls.Config{
		Certificates:                slices.Clone(certs),
		MinVersion:                  tls.VersionTLS12,
		MaxVersion:                  tls.VersionTLS13,
		CipherSuites:                slices.Clone(tls12Suites),
		CurvePreferences:            slices.Clone(curves),
		NextProtos:                  slices.Clone(alpn),
		SessionTicketsDisabled:      true,
		ClientAuth:                  tls.NoClientCert,
		DynamicRecordSizingDisabled: true,
	}
}

// ClientTLSConfig returns the client side of the official TLS parameters
// (CONFORMANCE-NOTES §2.1): no SNI, no session resumption, no renegotiation,
// ALPN names alpn (nil sends no ALPN extension).
//
// Go's own certificate verification is off (InsecureSkipVerify, since there
// is no host name to check); verifyChain receives the server's chain as sent,
// leaf first, and must return an error to reject it, e.g. the reference's
// check that the SHA-256 of chain[1] equals the key hash in the server
// address [MTC validateCertificateChain]. A nil verifyChain rejects every
// server (fail closed); pass a function returning nil to skip checks in
// tests. The leaf must also carry an Ed25519 key, the only one of the
// official signature schemes Go can verify.
func ClientTLSConfig(alpn []string, verifyChain func(rawCerts [][]byte) error) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS12,
		MaxVersion:             tls.VersionTLS13,
		CipherSuites:           slices.Clone(tls12Suites),
		CurvePreferences:       slices.Clone(curves),
		NextProtos:             slices.Clone(alpn),
		SessionTicketsDisabled: true,
		Renegotiation:          tls.RenegotiateNever,
		// No ServerName: Go then sends no SNI, as official clients do.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if verifyChain == nil {
				return ErrNoChainVerifier
			}
			if err := verifyChain(rawCerts); err != nil {
				return fmt.Errorf("transport: server certificate chain rejected: %w", err)
			}
			return nil
		},
		VerifyConnection:            verifyEd25519Leaf,
		DynamicRecordSizingDisabled: true,
	}
}

// verifyEd25519Leaf rejects a server whose leaf key is not Ed25519: official
// clients offer only Ed448 and Ed25519 signatures [MT defaultSupportedParams],
// while Go's client would also accept ECDSA or RSA.
func verifyEd25519Leaf(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return ErrNoPeerCertificate
	}
	if _, ok := cs.PeerCertificates[0].PublicKey.(ed25519.PublicKey); !ok {
		return fmt.Errorf("%w: got %v", ErrLeafNotEd25519, cs.PeerCertificates[0].PublicKeyAlgorithm)
	}
	return nil
}

// selectALPN returns the NextProtos a connection should use given the
// server's names and the client's offer. The reference picks the first
// client-offered name the server supports [MTS supportedTLSServerParams
// onALPNClientSuggest]; offering Go just that name makes Go pick it too.
// With no overlap the server's list stays, and Go refuses the client as
// the reference does (except Go's fallback for a client offering only
// http/1.1 to a server listing h2 without http/1.1, which it accepts with no
// protocol; the reference servers list both, so it does not arise); with no
// client offer Go negotiates no protocol.
func selectALPN(server, client []string) []string {
	for _, c := range client {
		if slices.Contains(server, c) {
			return []string{c}
		}
	}
	return server
}
