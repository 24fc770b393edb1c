package transport

import "errors"

// Errors returned by this package, wrapped with context.
var (
	// ErrNilConfig: Server or Client was given no tls.Config.
	ErrNilConfig = errors.New("transport: nil TLS config")
	// ErrNoChainVerifier: ClientTLSConfig was given no verifyChain, so
	// every server is rejected.
	ErrNoChainVerifier = errors.New("transport: no certificate chain verifier configured")
	// ErrNoPeerCertificate: the server sent no certificate.
	ErrNoPeerCertificate = errors.New("transport: no peer certificate")
	// ErrLeafNotEd25519: the server's leaf key is not Ed25519.
	ErrLeafNotEd25519 = errors.New("transport: server leaf certificate key is not Ed25519")
	// ErrUnsupportedVersion: the connection is neither TLS 1.2 nor 1.3.
	ErrUnsupportedVersion = errors.New("transport: unsupported TLS version")
	// ErrResumed: the session was resumed; tls-unique would not be the
	// client's Finished, and resumption is off by design.
	ErrResumed = errors.New("transport: TLS session resumed")
	// ErrNoSessionID: the handshake produced no tls-unique value.
	ErrNoSessionID = errors.New("transport: no tls-unique session id")
	// ErrNoTrafficSecret: the key log had no client handshake traffic
	// secret for a TLS 1.3 connection.
	ErrNoTrafficSecret = errors.New("transport: no client handshake traffic secret logged")
	// ErrUnsupportedSuite: the negotiated TLS 1.3 suite is unknown here.
	ErrUnsupportedSuite = errors.New("transport: unsupported TLS 1.3 cipher suite")
	// ErrRecord: a recorded TLS record is malformed or out of place.
	ErrRecord = errors.New("transport: malformed handshake record")
	// ErrDecrypt: a client handshake record did not decrypt.
	ErrDecrypt = errors.New("transport: cannot decrypt handshake record")
	// ErrAlertRecord: the client sent an alert before its Finished.
	ErrAlertRecord = errors.New("transport: alert before client Finished")
	// ErrFinishedNotFound: the recorded bytes end before a client
	// Finished message.
	ErrFinishedNotFound = errors.New("transport: client Finished not found")
)
