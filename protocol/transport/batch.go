package transport

import (
	"errors"
	"fmt"
	"slices"

	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
)

// Batches (CONFORMANCE-NOTES §2.7) [MP batchTransmissions_, tParse]:
//
//	payload = count large(transmission){count}     ; count 1..255, nothing after
//
// SMP batches at every version, NTF from v2; otherwise (NTF v1) the payload
// is one bare transmission. The reference sender keeps the sum of the
// large() items within BlockSize − 19 (2 bytes of padding length, 1 of
// count, 16 of block-encryption tag), and a bare transmission within
// BlockSize − 2.

// batchOverhead is what a batch payload needs besides its items [MP
// batchTransmissions_ bSize'].
const batchOverhead = 19

// MaxBatchCount is the largest number of transmissions in one batch.
const MaxBatchCount = 255

// ErrBatchFull is returned by BatchBuilder.Add when a transmission does not
// fit in the batch being built; take the payload and add it again.
var ErrBatchFull = errors.New("transport: batch full")

// ParsedTransmission is one transmission of a received block. When Err is
// set, the transmission must not be executed: the server answers ERR Err
// with exactly CorrID and EntityID (EntityID is then empty, CorrID the
// transmission's or empty) [MP tDecodeServer]:
//
//   - smp.ErrBlock, empty corrId: the transmission does not parse;
//   - smp.ErrSession, corrId kept: (v6, NTF v1) another session id;
//   - smp.ErrBlock, corrId kept: an authorization of an invalid length.
//
// NTF uses the same words (ERR BLOCK, ERR SESSION). The command itself is
// not parsed here: see smp.ParseCommand and ntf.ParseCommand.
type ParsedTransmission struct {
	Transmission
	Err error
}

// ParseBatch splits a block payload into transmissions and parses each
// one [MP tParse, tDecodeServer]. A payload that is not a well-formed
// batch (empty, count 0, truncated item, bytes after the last item) fails
// as a whole with ErrBadBatch; the server then answers a single ERR BLOCK
// with an empty corrId and entity. Per-transmission problems are reported
// in ParsedTransmission.Err. Results alias payload.
func ParseBatch(s *Session, payload []byte) ([]ParsedTransmission, error) {
	items, err := splitBatch(s, payload)
	if err != nil {
		return nil, err
	}
	out := make([]ParsedTransmission, len(items))
	for i, it := range items {
		out[i] = classify(s, it)
	}
	return out, nil
}

// splitBatch returns the transmissions of a payload.
func splitBatch(s *Session, payload []byte) ([][]byte, error) {
	if !s.Batching {
		return [][]byte{payload}, nil
	}
	d := encoding.NewDecoder(payload)
	n := d.NonEmptyCount()
	items := make([][]byte, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		items = append(items, d.Large())
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBatch, err)
	}
	return items, nil
}

// classify parses one transmission and judges it as tDecodeServer does:
// parse failure, then session id, then authorization length.
func classify(s *Session, b []byte) ParsedTransmission {
	t, err := ParseTransmission(s, b)
	switch {
	case err != nil:
		return ParsedTransmission{Err: smp.ErrBlock}
	case !s.ImpliedSessionID && !sameSession(s, t):
		return ParsedTransmission{Transmission: Transmission{CorrID: t.CorrID}, Err: smp.ErrSession}
	case !validAuthSize(len(t.Auth)):
		return ParsedTransmission{Transmission: Transmission{CorrID: t.CorrID}, Err: smp.ErrBlock}
	}
	return ParsedTransmission{Transmission: t}
}

// MaxTransmissionSize returns the largest encoded transmission that can be
// sent on s: BlockSize − 21 in a batch (the 19 bytes of overhead and the
// item's 2-byte length), BlockSize − 2 bare.
func MaxTransmissionSize(s *Session) int {
	if s.Batching {
		return s.BlockSize - batchOverhead - 2
	}
	return s.maxPayload()
}

// BatchBuilder packs encoded transmissions (EncodeTransmission) into block
// payloads, in order, as many per block as fit: at most 255, with the
// large() items within BlockSize − 19. Without batching (NTF v1) a payload
// holds one bare transmission. The zero value is not usable; see
// NewBatchBuilder.
type BatchBuilder struct {
	own      []byte // NewBatchBuilderBuffer: every batch is built here
	batching bool
	limit    int    // capacity for items (batching) or for the one transmission
	buf      []byte // count byte placeholder then items (batching)
	size     int    // bytes of items so far
	n        int
}

// NewBatchBuilder returns an empty builder for session s.
func NewBatchBuilder(s *Session) *BatchBuilder { return NewBatchBuilderBuffer(s, nil) }

// NewBatchBuilderBuffer returns an empty builder for session s that
// builds every batch in buf (give it a block's capacity), so that a writer
// sending batch after batch allocates nothing: a Payload is then valid
// only until the next Add.
func NewBatchBuilderBuffer(s *Session, buf []byte) *BatchBuilder {
	b := &BatchBuilder{own: buf[:0], batching: s.Batching}
	if s.Batching {
		b.limit = s.BlockSize - batchOverhead
	} else {
		b.limit = s.maxPayload()
	}
	b.reset()
	return b
}

func (b *BatchBuilder) reset() {
	b.buf, b.size, b.n = b.own, 0, 0
}

// Add appends transmission t. It returns ErrBatchFull when t does not fit
// in the current (non-empty) batch, and ErrLargeMsg when t cannot fit in
// any block; in both cases the batch is unchanged.
func (b *BatchBuilder) Add(t []byte) error {
	item := len(t)
	if b.batching {
		item += 2
	}
	if item > b.limit {
		return fmt.Errorf("%w: transmission of %d bytes, at most %d", ErrLargeMsg, len(t), b.limit-(item-len(t)))
	}
	if b.n > 0 && (!b.batching || b.n == MaxBatchCount || b.size+item > b.limit) {
		return ErrBatchFull
	}
	if b.batching {
		if b.n == 0 {
			b.buf = append(b.buf, 0) // the count, set by Payload
		}
		b.buf = append(b.buf, byte(len(t)>>8), byte(len(t)))
	}
	b.buf = append(b.buf, t...)
	b.size += item
	b.n++
	return nil
}

// Len returns the number of transmissions in the current batch.
func (b *BatchBuilder) Len() int { return b.n }

// Payload returns the current batch as a block payload and starts a new
// one; nil when the batch is empty.
func (b *BatchBuilder) Payload() []byte {
	if b.n == 0 {
		return nil
	}
	p := b.buf
	if b.batching {
		p[0] = byte(b.n)
	}
	if b.own != nil && cap(p) > cap(b.own) {
		b.own = p[:0] // it grew: keep the larger buffer
	}
	b.reset()
	return p
}

// PackBatches packs encoded transmissions into as few block payloads as
// the greedy order allows. Any transmission too large for a block fails
// the whole call with ErrLargeMsg. (The reference packs from the end of
// the list, so its first block holds the remainder; the layout is the
// sender's choice and receivers accept both.)
func PackBatches(s *Session, ts [][]byte) ([][]byte, error) {
	b := NewBatchBuilder(s)
	var out [][]byte
	for i, t := range ts {
		err := b.Add(t)
		if errors.Is(err, ErrBatchFull) {
			out = append(out, b.Payload())
			err = b.Add(t)
		}
		if err != nil {
			return nil, fmt.Errorf("transport: transmission %d: %w", i, err)
		}
	}
	if p := b.Payload(); p != nil {
		out = append(out, p)
	}
	return slices.Clip(out), nil
}
