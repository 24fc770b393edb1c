package server

import (
	"context"

	"github.com/simplexgo/protocol/smp"
)

// forwarded handles RFWD, a command forwarded by another server acting as
// the sender's proxy (private routing). Not built yet: see README.
func (h *handlerCtx) forwarded(_ context.Context, _ smp.RFWD) []out {
	return h.err(smp.ErrCmdProhibited)
}
