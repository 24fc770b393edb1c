package crypto

import (
	"encoding/binary"

	//lint:ignore SA1019 the NaCl construction needs raw, incremental Poly1305.
	"golang.org/x/crypto/poly1305"
)

// macWriter is an incremental Poly1305: x/crypto's, or polyMAC where the
// four-block AVX2 path exists.
type macWriter interface {
	Write(p []byte) (int, error)
	Sum(b []byte) []byte
}

// newMAC returns the Poly1305 of the tail-tag stream for the one-time key.
func newMAC(key *[32]byte) macWriter {
	if usePolyX4 {
		return newPolyMAC(key)
	}
	return poly1305.New(key)
}

// Poly1305 [RFC 8439 §2.5] with 26-bit limbs, so that four blocks can be
// processed at once in 64-bit vector lanes (poly1305_amd64.s):
//
//	h = ((h + m0)·r + m1)·r … mod 2^130 − 5, tag = (h + s) mod 2^128
//
// Four blocks m0..m3 at a time are h' = (h+m0)·r⁴ + m1·r³ + m2·r² + m3·r;
// the vector loop keeps four running sums multiplied by r⁴ per step and
// multiplies them by r⁴, r³, r², r at the end. The scalar code (partial
// blocks, fewer than polyX4Min bytes, the tag) is the classic 26-bit
// ("donna") arithmetic.

const (
	mask26    = 1<<26 - 1
	polyX4Min = 256 // bytes from which a Write uses the four-block path
)

// polyX4Key holds the vector operands: for the loop r⁴ in every lane, for
// the last step the lane powers; each as limbs 0..4 then 5·limbs 1..4, one
// 4-lane vector per value. The loop's lanes hold blocks 0, 2, 1, 3 of a
// group, so the last step multiplies by r⁴, r², r³, r.
type polyX4Key struct {
	loop  [9][4]uint64
	final [9][4]uint64
}

type polyMAC struct {
	h   [5]uint64 // 26-bit limbs, partly reduced
	r   [5]uint64 // clamped r
	pad [4]uint32 // s
	buf [16]byte
	n   int
	x4  polyX4Key
}

func newPolyMAC(key *[32]byte) *polyMAC {
	m := new(polyMAC)
	m.init(key)
	return m
}

// polySum writes the Poly1305 tag of msg under key to out without
// allocating (the one-shot boxes).
func polySum(out *[16]byte, msg []byte, key *[32]byte) {
	if usePolyX4 {
		var m polyMAC
		m.init(key)
		m.Write(msg)
		m.Sum(out[:0])
		return
	}
	poly1305.Sum(out, msg, key)
}

// init sets m for key; it overwrites every field.
func (m *polyMAC) init(key *[32]byte) {
	*m = polyMAC{}
	// r clamped (r &= 0x0ffffffc0ffffffc0ffffffc0fffffff), split in limbs.
	m.r[0] = uint64(binary.LittleEndian.Uint32(key[0:])) & 0x3ffffff
	m.r[1] = uint64(binary.LittleEndian.Uint32(key[3:])>>2) & 0x3ffff03
	m.r[2] = uint64(binary.LittleEndian.Uint32(key[6:])>>4) & 0x3ffc0ff
	m.r[3] = uint64(binary.LittleEndian.Uint32(key[9:])>>6) & 0x3f03fff
	m.r[4] = uint64(binary.LittleEndian.Uint32(key[12:])>>8) & 0x00fffff
	for i := range m.pad {
		m.pad[i] = binary.LittleEndian.Uint32(key[16+4*i:])
	}
	r2 := polyMul(m.r, m.r)
	r3 := polyMul(r2, m.r)
	r4 := polyMul(r3, m.r)
	lanes := [4][5]uint64{r4, r2, r3, m.r}
	for i := range 5 {
		for l := range 4 {
			m.x4.loop[i][l] = r4[i]
			m.x4.final[i][l] = lanes[l][i]
			if i > 0 {
				m.x4.loop[4+i][l] = 5 * r4[i]
				m.x4.final[4+i][l] = 5 * lanes[l][i]
			}
		}
	}
}

// polyMul returns a·b mod 2^130 − 5 with limbs below 2^26 (+ a little in
// limbs 1 and 4); inputs must have limbs below 2^27.
func polyMul(a, b [5]uint64) [5]uint64 {
	s1, s2, s3, s4 := 5*b[1], 5*b[2], 5*b[3], 5*b[4]
	d0 := a[0]*b[0] + a[1]*s4 + a[2]*s3 + a[3]*s2 + a[4]*s1
	d1 := a[0]*b[1] + a[1]*b[0] + a[2]*s4 + a[3]*s3 + a[4]*s2
	d2 := a[0]*b[2] + a[1]*b[1] + a[2]*b[0] + a[3]*s4 + a[4]*s3
	d3 := a[0]*b[3] + a[1]*b[2] + a[2]*b[1] + a[3]*b[0] + a[4]*s4
	d4 := a[0]*b[4] + a[1]*b[3] + a[2]*b[2] + a[3]*b[1] + a[4]*b[0]
	return polyCarry([5]uint64{d0, d1, d2, d3, d4})
}

// polyCarry propagates carries once around (2^130 ≡ 5).
func polyCarry(d [5]uint64) [5]uint64 {
	c := d[0] >> 26
	d[0] &= mask26
	d[1] += c
	c = d[1] >> 26
	d[1] &= mask26
	d[2] += c
	c = d[2] >> 26
	d[2] &= mask26
	d[3] += c
	c = d[3] >> 26
	d[3] &= mask26
	d[4] += c
	c = d[4] >> 26
	d[4] &= mask26
	d[0] += c * 5
	c = d[0] >> 26
	d[0] &= mask26
	d[1] += c
	return d
}

// block adds one 16-byte block (hibit 1 for full blocks, 0 for the padded
// last one) and multiplies by r.
func (m *polyMAC) block(b []byte, hibit uint64) {
	h := m.h
	h[0] += uint64(binary.LittleEndian.Uint32(b[0:])) & mask26
	h[1] += uint64(binary.LittleEndian.Uint32(b[3:])>>2) & mask26
	h[2] += uint64(binary.LittleEndian.Uint32(b[6:])>>4) & mask26
	h[3] += uint64(binary.LittleEndian.Uint32(b[9:])>>6) & mask26
	h[4] += uint64(binary.LittleEndian.Uint32(b[12:])>>8) | hibit<<24
	m.h = polyMul(h, m.r)
}

// Write adds p to the MAC; it never fails.
func (m *polyMAC) Write(p []byte) (int, error) {
	n := len(p)
	if m.n > 0 {
		k := copy(m.buf[m.n:], p)
		m.n += k
		p = p[k:]
		if m.n < 16 {
			return n, nil
		}
		m.block(m.buf[:], 1)
		m.n = 0
	}
	if usePolyX4 && len(p) >= polyX4Min {
		groups := len(p) / 64
		poly1305x4(&m.h, &p[0], groups, &m.x4)
		m.h = polyCarry(m.h)
		p = p[groups*64:]
	}
	for len(p) >= 16 {
		m.block(p[:16], 1)
		p = p[16:]
	}
	m.n = copy(m.buf[:], p)
	return n, nil
}

// Sum appends the 16-byte tag to b. It does not change the state.
func (m *polyMAC) Sum(b []byte) []byte {
	saved := m.h
	if m.n > 0 {
		var last [16]byte
		copy(last[:], m.buf[:m.n])
		last[m.n] = 1
		m.block(last[:], 0)
	}
	h := polyCarry(m.h)
	m.h = saved
	// One more carry pass leaves every limb below 2^26 (h1 took the last
	// carry, small enough not to overflow).
	c := h[1] >> 26
	h[1] &= mask26
	h[2] += c
	c = h[2] >> 26
	h[2] &= mask26
	h[3] += c
	c = h[3] >> 26
	h[3] &= mask26
	h[4] += c
	c = h[4] >> 26
	h[4] &= mask26
	h[0] += c * 5
	c = h[0] >> 26
	h[0] &= mask26
	h[1] += c
	// g = h − p = h + 5 − 2^130; take g when it does not go negative.
	var g [5]uint64
	g[0] = h[0] + 5
	c = g[0] >> 26
	g[0] &= mask26
	g[1] = h[1] + c
	c = g[1] >> 26
	g[1] &= mask26
	g[2] = h[2] + c
	c = g[2] >> 26
	g[2] &= mask26
	g[3] = h[3] + c
	c = g[3] >> 26
	g[3] &= mask26
	g[4] = h[4] + c - 1<<26
	// g[4]'s top bit is set when h < p: keep h then.
	sel := (g[4] >> 63) - 1 // all ones when g is the result
	for i := range h {
		h[i] = h[i]&^sel | g[i]&sel
	}
	// h mod 2^128 as four 32-bit words, plus s.
	w0 := (h[0] | h[1]<<26) & 0xffffffff
	w1 := (h[1]>>6 | h[2]<<20) & 0xffffffff
	w2 := (h[2]>>12 | h[3]<<14) & 0xffffffff
	w3 := (h[3]>>18 | h[4]<<8) & 0xffffffff
	f := w0 + uint64(m.pad[0])
	var tag [16]byte
	binary.LittleEndian.PutUint32(tag[0:], uint32(f))
	f = w1 + uint64(m.pad[1]) + f>>32
	binary.LittleEndian.PutUint32(tag[4:], uint32(f))
	f = w2 + uint64(m.pad[2]) + f>>32
	binary.LittleEndian.PutUint32(tag[8:], uint32(f))
	f = w3 + uint64(m.pad[3]) + f>>32
	binary.LittleEndian.PutUint32(tag[12:], uint32(f))
	return append(b, tag[:]...)
}
