// Package encoding implements the binary encoding shared by SMP, NTF and
// XFTP (simplexmq's Simplex.Messaging.Encoding) and its text forms.
//
// Layout of the primitives, all big-endian:
//
//	short(x)   1 length byte, then at most 255 bytes
//	large(x)   2-byte length, then at most 65535 bytes
//	w16, w32   unsigned integers
//	i64        written as two w32 halves (high, low)
//	time       i64 seconds since the Unix epoch (sub-seconds dropped)
//	bool       ASCII 'T' or 'F'
//	maybe(x)   ASCII '0', or ASCII '1' followed by x
//	list(x)    1 count byte, then the items
//	tail       the rest of the input, no length
//	vrange     w16 min, w16 max (min <= max)
//	pad(s, N)  w16 len(s), s, then '#' bytes up to N bytes in total
//
// Decoding never panics and never allocates more than the input holds: every
// length is checked against the remaining bytes before it is used.
package encoding
