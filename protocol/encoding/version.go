package encoding

import "fmt"

// VersionRange is an inclusive range of protocol versions.
type VersionRange struct {
	Min, Max uint16
}

// NewVersionRange returns the range min..max; it panics if min > max, as
// ranges are program constants.
func NewVersionRange(min, max uint16) VersionRange {
	if min > max {
		panic(fmt.Sprintf("encoding: bad version range %d..%d", min, max))
	}
	return VersionRange{Min: min, Max: max}
}

// Contains reports whether v is inside the range.
func (r VersionRange) Contains(v uint16) bool { return v >= r.Min && v <= r.Max }

// Compatible returns the highest version in both ranges; ok is false when
// they do not overlap.
func (r VersionRange) Compatible(o VersionRange) (v uint16, ok bool) {
	lo, hi := max(r.Min, o.Min), min(r.Max, o.Max)
	if lo > hi {
		return 0, false
	}
	return hi, true
}

func (r VersionRange) String() string { return fmt.Sprintf("%d..%d", r.Min, r.Max) }
