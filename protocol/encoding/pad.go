package encoding

import (
	"errors"
	"fmt"
)

// ErrPad is returned when a padded string is malformed or does not fit.
var ErrPad = errors.New("encoding: bad padding")

// PadByte fills padded strings.
const PadByte = '#'

// MaxPadMsg is the longest message Pad accepts: 2^16 - 3 bytes, as the
// reference's maxMsgLen [MC pad].
const MaxPadMsg = 1<<16 - 3

// Pad returns pad(s, n): w16 len(s), s, then '#' up to n bytes in total.
func Pad(s []byte, n int) ([]byte, error) { return PadInto(nil, s, n) }

// PadInto writes pad(s, n) into dst[:n], reusing dst's storage when its
// capacity allows, and returns the padded slice.
func PadInto(dst, s []byte, n int) ([]byte, error) {
	if len(s) > MaxPadMsg || len(s)+2 > n {
		return nil, fmt.Errorf("%w: %d bytes do not fit in %d", ErrPad, len(s), n)
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	out := dst[:n]
	out[0], out[1] = byte(len(s)>>8), byte(len(s))
	copy(out[2:], s)
	Fill(out[2+len(s):], PadByte)
	return out, nil
}

// Fill sets every byte of b to c, by doubling copies (memmove) rather than
// a byte loop: a relay pads every message body to 16 KB.
func Fill(b []byte, c byte) {
	if len(b) == 0 {
		return
	}
	b[0] = c
	for i := 1; i < len(b); i *= 2 {
		copy(b[i:], b[:i])
	}
}

// Unpad reverses Pad. Like the reference it checks the length prefix but not
// the fill bytes. The result aliases b.
func Unpad(b []byte) ([]byte, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrPad, len(b))
	}
	n := int(b[0])<<8 | int(b[1])
	if n > len(b)-2 {
		return nil, fmt.Errorf("%w: length %d exceeds %d", ErrPad, n, len(b)-2)
	}
	return b[2 : 2+n : 2+n], nil
}
