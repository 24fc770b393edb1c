package encoding

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by Decoder. They are wrapped with the field being decoded.
var (
	ErrShort     = errors.New("encoding: unexpected end of input")
	ErrBadValue  = errors.New("encoding: bad value")
	ErrTrailing  = errors.New("encoding: trailing bytes")
	ErrEmptyList = errors.New("encoding: empty non-empty list")
)

// Decoder reads SimpleX-encoded values from a byte slice. The first error is
// sticky: once a read fails, every later read returns zero values and Err
// reports the first failure. Slices returned alias the input.
type Decoder struct {
	b   []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err reports the first error met, if any.
func (d *Decoder) Err() error { return d.err }

// Len reports how many bytes are left.
func (d *Decoder) Len() int { return len(d.b) - d.off }

// Offset reports how many bytes have been consumed.
func (d *Decoder) Offset() int { return d.off }

// Fail records err (if no error is recorded yet) so that callers parsing
// higher-level structures can report semantic errors through the Decoder.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Finish returns Err, or ErrTrailing if input remains.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if d.off != len(d.b) {
		return fmt.Errorf("%w: %d bytes", ErrTrailing, len(d.b)-d.off)
	}
	return nil
}

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = fmt.Errorf("%s: %w (need %d, have %d)", what, ErrShort, n, len(d.b)-d.off)
		return nil
	}
	s := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return s
}

// Peek returns the next byte without consuming it; ok is false at the end
// of the input or after an error.
func (d *Decoder) Peek() (c byte, ok bool) {
	if d.err != nil || d.off >= len(d.b) {
		return 0, false
	}
	return d.b[d.off], true
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	s := d.take(1, "byte")
	if s == nil {
		return 0
	}
	return s[0]
}

// Raw reads exactly n bytes.
func (d *Decoder) Raw(n int) []byte { return d.take(n, "bytes") }

// Short reads short(x): a 1-byte length and that many bytes.
func (d *Decoder) Short() []byte {
	n := d.take(1, "short length")
	if n == nil {
		return nil
	}
	return d.take(int(n[0]), "short")
}

// Large reads large(x): a 2-byte big-endian length and that many bytes.
func (d *Decoder) Large() []byte {
	n := d.Word16()
	if d.err != nil {
		return nil
	}
	return d.take(int(n), "large")
}

// Word16 reads a big-endian uint16.
func (d *Decoder) Word16() uint16 {
	s := d.take(2, "w16")
	if s == nil {
		return 0
	}
	return uint16(s[0])<<8 | uint16(s[1])
}

// Word32 reads a big-endian uint32.
func (d *Decoder) Word32() uint32 {
	s := d.take(4, "w32")
	if s == nil {
		return 0
	}
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}

// Int64 reads an i64 written as two big-endian w32 halves.
func (d *Decoder) Int64() int64 {
	hi := d.Word32()
	lo := d.Word32()
	return int64(uint64(hi)<<32 | uint64(lo))
}

// Time reads a time: i64 seconds since the Unix epoch, in UTC.
func (d *Decoder) Time() time.Time {
	s := d.Int64()
	if d.err != nil {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// Bool reads ASCII 'T' or 'F'.
func (d *Decoder) Bool() bool {
	c := d.take(1, "bool")
	if c == nil {
		return false
	}
	switch c[0] {
	case 'T':
		return true
	case 'F':
		return false
	}
	d.err = fmt.Errorf("bool: %w: %q", ErrBadValue, c[0])
	return false
}

// Maybe reads the tag of maybe(x): ASCII '0' (Nothing) or '1' (Just). It
// reports true when a value follows.
func (d *Decoder) Maybe() bool {
	c := d.take(1, "maybe tag")
	if c == nil {
		return false
	}
	switch c[0] {
	case '1':
		return true
	case '0':
		return false
	}
	d.err = fmt.Errorf("maybe: %w: tag %q", ErrBadValue, c[0])
	return false
}

// Count reads the 1-byte count of list(x). Callers bound their loops by it;
// each item still checks its own length against the remaining input.
func (d *Decoder) Count() int {
	c := d.take(1, "list count")
	if c == nil {
		return 0
	}
	return int(c[0])
}

// NonEmptyCount reads a list count that must be at least 1.
func (d *Decoder) NonEmptyCount() int {
	n := d.Count()
	if d.err == nil && n == 0 {
		d.err = ErrEmptyList
	}
	return n
}

// Tail reads the rest of the input.
func (d *Decoder) Tail() []byte {
	if d.err != nil {
		return nil
	}
	s := d.b[d.off:len(d.b):len(d.b)]
	d.off = len(d.b)
	return s
}

// Space reads one ASCII space.
func (d *Decoder) Space() { d.Expect(" ") }

// Expect reads the literal s.
func (d *Decoder) Expect(s string) {
	got := d.take(len(s), "literal")
	if got == nil {
		return
	}
	if string(got) != s {
		d.err = fmt.Errorf("%w: want %q, got %q", ErrBadValue, s, got)
	}
}

// VersionRange reads w16 min, w16 max and checks min <= max.
func (d *Decoder) VersionRange() VersionRange {
	v := VersionRange{Min: d.Word16(), Max: d.Word16()}
	if d.err == nil && v.Min > v.Max {
		d.err = fmt.Errorf("version range: %w: min %d > max %d", ErrBadValue, v.Min, v.Max)
		return VersionRange{}
	}
	return v
}

// Word reads ASCII bytes up to (not including) the next space or the end of
// input. It is used for command tags such as "SEND" or "ERR".
func (d *Decoder) Word() []byte {
	if d.err != nil {
		return nil
	}
	i := d.off
	for i < len(d.b) && d.b[i] != ' ' {
		i++
	}
	s := d.b[d.off:i:i]
	d.off = i
	return s
}
