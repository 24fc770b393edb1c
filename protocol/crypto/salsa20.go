package crypto

import (
	"encoding/binary"

	//lint:ignore SA1019 a counter-addressed Salsa20 keystream is what the reference's cascade needs.
	"golang.org/x/crypto/salsa20/salsa"
)

// salsaX8Batch is the bytes of one step of the eight-block keystream.
const salsaX8Batch = 8 * 64

// salsaXOR sets dst = src ⊕ the Salsa20/20 keystream of key starting at the
// block counter ctr[8:16] (little-endian) with the nonce ctr[0:8]: the
// bytes of x/crypto's salsa.XORKeyStream(dst, src, ctr, key), which it
// calls for what the eight-block path does not cover. ctr is not modified.
// dst and src must be the same length and overlap entirely or not at all.
func salsaXOR(dst, src []byte, ctr *[16]byte, key *[32]byte) {
	c := *ctr
	if useSalsaX8 && len(src) >= salsaX8Batch {
		// The Salsa20 input words [Salsa20 spec §9]: constants on the
		// diagonal, key, nonce, counter.
		var st [16]uint32
		st[0], st[5], st[10], st[15] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
		for i := range 4 {
			st[1+i] = binary.LittleEndian.Uint32(key[4*i:])
			st[11+i] = binary.LittleEndian.Uint32(key[16+4*i:])
		}
		st[6] = binary.LittleEndian.Uint32(c[0:])
		st[7] = binary.LittleEndian.Uint32(c[4:])
		for len(src) >= salsaX8Batch {
			ctr64 := binary.LittleEndian.Uint64(c[8:])
			n := uint64(len(src) / salsaX8Batch)
			// The assembly adds 0..7 to the low counter word without a
			// carry: stop where the low word would wrap.
			if room := (1<<32 - ctr64&0xffffffff) / 8; room < n {
				n = room
			}
			if n == 0 {
				// Within 8 blocks of a wrap: one batch the careful way.
				salsa.XORKeyStream(dst[:salsaX8Batch], src[:salsaX8Batch], &c, key)
				n = 1
			} else {
				st[8], st[9] = uint32(ctr64), uint32(ctr64>>32)
				salsa20XORx8(&dst[0], &src[0], int(n), &st)
			}
			binary.LittleEndian.PutUint64(c[8:], ctr64+8*n)
			dst, src = dst[n*salsaX8Batch:], src[n*salsaX8Batch:]
		}
	}
	if len(src) > 0 {
		salsa.XORKeyStream(dst, src, &c, key)
	}
}
