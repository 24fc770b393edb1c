package xftp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrFileSize is returned for a malformed file or chunk size.
var ErrFileSize = errors.New("xftp: bad file size")

// floorDivMod is Haskell's divMod: the quotient rounds towards minus infinity.
func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r != 0 && (r < 0) != (b < 0) {
		q--
		r += b
	}
	return q, r
}

// FormatFileSize writes a size as the reference does: in bytes unless it
// is a whole number of KiB, MiB or GiB, then "<n>kb", "<n>mb" or "<n>gb"
// (the largest unit that divides it; 0 is "0gb") [FD StrEncoding FileSize].
func FormatFileSize(n int64) string {
	ks, b := floorDivMod(n, 1024)
	if b != 0 {
		return strconv.FormatInt(n, 10)
	}
	ms, k := floorDivMod(ks, 1024)
	if k != 0 {
		return strconv.FormatInt(ks, 10) + "kb"
	}
	gs, m := floorDivMod(ms, 1024)
	if m != 0 {
		return strconv.FormatInt(ms, 10) + "mb"
	}
	return strconv.FormatInt(gs, 10) + "gb"
}

// ParseFileSize parses "<n>", "<n>kb", "<n>mb" or "<n>gb" (digits only)
// into a value no greater than max [FD StrEncoding FileSize]. Values that
// do not fit are rejected (the reference would wrap them).
func ParseFileSize(s string, max int64) (int64, error) {
	digits := strings.TrimRight(s, "kmgb")
	unit := s[len(digits):]
	var mul int64
	switch unit {
	case "":
		mul = 1
	case "kb":
		mul = 1 << 10
	case "mb":
		mul = 1 << 20
	case "gb":
		mul = 1 << 30
	default:
		return 0, fmt.Errorf("%w: %q", ErrFileSize, s)
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("%w: %q", ErrFileSize, s)
	}
	v, err := strconv.ParseUint(digits, 10, 63)
	if err != nil || v > uint64(math.MaxInt64/mul) || int64(v)*mul > max {
		return 0, fmt.Errorf("%w: %q out of range", ErrFileSize, s)
	}
	return int64(v) * mul, nil
}
