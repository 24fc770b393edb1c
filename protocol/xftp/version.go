package xftp

import "github.com/simplexgo/protocol/encoding"

// XFTP versions [FT].
const (
	InitialVersion       = 1
	AuthCmdsVersion      = 2 // no wire effect in current code
	BlockedFilesVersion  = 3 // ERR BLOCKED; older sessions get ERR AUTH
	CurrentVersion       = 3
	ALPN                 = "xftp/1"
	BlockSize            = 16384 // request and response heads are padded to this
	WebChallengeSize     = 32    // web hello challenge
	Ed25519SignatureSize = 64
	Ed448SignatureSize   = 114
)

// SupportedVRange is the version range of current servers and clients
// [FT supportedFileServerVRange].
var SupportedVRange = encoding.VersionRange{Min: InitialVersion, Max: CurrentVersion}

// KB, MB and GB multiply by powers of 1024 [FCH kb, mb, gb].
func KB(n int64) int64 { return n * 1024 }

// MB returns n mebibytes.
func MB(n int64) int64 { return n * 1024 * 1024 }

// GB returns n gibibytes.
func GB(n int64) int64 { return n * 1024 * 1024 * 1024 }

// Chunk sizes a server accepts in FNEW (other sizes get ERR SIZE)
// [FCH serverChunkSizes].
const (
	ChunkSize0 uint32 = 64 << 10
	ChunkSize1 uint32 = 256 << 10
	ChunkSize2 uint32 = 1 << 20
	ChunkSize3 uint32 = 4 << 20
)

// ServerChunkSizes lists the accepted chunk sizes, smallest first.
var ServerChunkSizes = []uint32{ChunkSize0, ChunkSize1, ChunkSize2, ChunkSize3}

// ValidChunkSize reports whether n is one of ServerChunkSizes.
func ValidChunkSize(n uint32) bool {
	for _, s := range ServerChunkSizes {
		if s == n {
			return true
		}
	}
	return false
}
