package server

import (
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// wire is what a client connection needs from the SMP session layer; the
// adapter over protocol/transport is in session.go.
type wire interface {
	version() uint16
	sessionKey() crypto.PrivateKey // this session's X25519 key (zero below v7)
	// readBlock returns the next block's payload, valid until release is
	// called (it may be a pooled buffer).
	readBlock() (payload []byte, release func(), err error)
	isBadBlock(error) bool
	parseBatch(payload []byte) ([]request, error)
	// appendTransmission appends the encoded transmission of m to dst.
	appendTransmission(dst, corrID, entityID []byte, m smp.Message) ([]byte, error)
	// writeTransmissions packs txs into as few blocks as fit and writes
	// them, returning how many it wrote. txs may be reused once it
	// returns.
	writeTransmissions(txs [][]byte, timeout time.Duration) (int, error)
	setReadDeadline(t time.Time) error
	close()
}
