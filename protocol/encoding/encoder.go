package encoding

import (
	"errors"
	"fmt"
	"time"
)

// ErrTooLong is returned when a value does not fit its length prefix.
var ErrTooLong = errors.New("encoding: value too long for its length prefix")

// Buffer builds a SimpleX-encoded byte string. Like Decoder, its first error
// is sticky and reported by Bytes.
type Buffer struct {
	b   []byte
	err error
}

// NewBuffer returns a Buffer that appends to dst (which may be nil).
func NewBuffer(dst []byte) *Buffer { return &Buffer{b: dst} }

// Bytes returns the encoded bytes, or the first error.
func (w *Buffer) Bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

// Err reports the first error.
func (w *Buffer) Err() error { return w.err }

// Len reports the number of bytes written.
func (w *Buffer) Len() int { return len(w.b) }

// Fail records err if no error is recorded yet.
func (w *Buffer) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Raw appends b as is.
func (w *Buffer) Raw(b []byte) *Buffer { w.b = append(w.b, b...); return w }

// String appends s as is (ASCII command words, literals).
func (w *Buffer) String(s string) *Buffer { w.b = append(w.b, s...); return w }

// Byte appends one byte.
func (w *Buffer) Byte(c byte) *Buffer { w.b = append(w.b, c); return w }

// Space appends one ASCII space.
func (w *Buffer) Space() *Buffer { return w.Byte(' ') }

// Short appends short(b); b longer than 255 bytes is an error.
func (w *Buffer) Short(b []byte) *Buffer {
	if len(b) > 255 {
		w.Fail(fmt.Errorf("short: %w: %d bytes", ErrTooLong, len(b)))
		return w
	}
	w.b = append(w.b, byte(len(b)))
	w.b = append(w.b, b...)
	return w
}

// Large appends large(b); b longer than 65535 bytes is an error.
func (w *Buffer) Large(b []byte) *Buffer {
	if len(b) > 0xffff {
		w.Fail(fmt.Errorf("large: %w: %d bytes", ErrTooLong, len(b)))
		return w
	}
	return w.Word16(uint16(len(b))).Raw(b)
}

// Word16 appends a big-endian uint16.
func (w *Buffer) Word16(v uint16) *Buffer { w.b = append(w.b, byte(v>>8), byte(v)); return w }

// Word32 appends a big-endian uint32.
func (w *Buffer) Word32(v uint32) *Buffer {
	w.b = append(w.b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	return w
}

// Int64 appends an i64 as two big-endian w32 halves.
func (w *Buffer) Int64(v int64) *Buffer {
	u := uint64(v)
	return w.Word32(uint32(u >> 32)).Word32(uint32(u))
}

// Time appends t as i64 seconds since the Unix epoch.
func (w *Buffer) Time(t time.Time) *Buffer { return w.Int64(t.Unix()) }

// Bool appends 'T' or 'F'.
func (w *Buffer) Bool(v bool) *Buffer {
	if v {
		return w.Byte('T')
	}
	return w.Byte('F')
}

// Maybe appends the tag of maybe(x): '1' when present, '0' otherwise. The
// caller appends the value after a '1'.
func (w *Buffer) Maybe(present bool) *Buffer {
	if present {
		return w.Byte('1')
	}
	return w.Byte('0')
}

// Count appends the 1-byte count of list(x).
func (w *Buffer) Count(n int) *Buffer {
	if n < 0 || n > 255 {
		w.Fail(fmt.Errorf("list: %w: %d items", ErrTooLong, n))
		return w
	}
	return w.Byte(byte(n))
}

// VersionRange appends w16 min, w16 max.
func (w *Buffer) VersionRange(v VersionRange) *Buffer { return w.Word16(v.Min).Word16(v.Max) }
