package ntf

import "github.com/simplexgo/protocol/encoding"

// NTF protocol versions [NT].
const (
	InitialVersion       = 1 // session ID in each transmission, no batching
	AuthBatchCmdsVersion = 2 // server key in the hello, implied session ID, batching
	InvalidReasonVersion = 3 // INVALID token status may carry a reason
	CurrentVersion       = 3
)

// Transport constants [NT].
const (
	BlockSize = 512     // every NTF block is padded to 512 bytes
	ALPN      = "ntf/1" // the only ALPN protocol of NTF
)

// Version ranges [NT supportedClientNTFVRange, supportedServerNTFVRange,
// legacyServerNTFVRange]. A server offers LegacyServerVRange when no ALPN
// was negotiated.
var (
	SupportedClientVRange = encoding.VersionRange{Min: InitialVersion, Max: CurrentVersion}
	SupportedServerVRange = encoding.VersionRange{Min: InitialVersion, Max: CurrentVersion}
	LegacyServerVRange    = encoding.VersionRange{Min: InitialVersion, Max: InitialVersion}
)
