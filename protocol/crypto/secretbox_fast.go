package crypto

import (
	"crypto/subtle"
	"slices"
)

// sealBox appends the NaCl secretbox of msg under K' = HSalsa20(key, 0)
// (the reference's pre-keying, §2.9) to dst: tag ‖ ciphertext, the bytes
// of x/crypto's secretbox.Seal(dst, msg, nonce, &K') [MC sbEncryptNoPad].
// It is that construction on this package's keystream and Poly1305, which
// take their AVX2 paths on long messages (a 16 KB SMP block, a 16 KB MSG
// body): the first 32 bytes of the XSalsa20 keystream are the Poly1305
// key, the message is XORed with the keystream from byte 32 on, and the
// tag covers the ciphertext. dst must not overlap msg.
func sealBox(dst []byte, key *[KeySize]byte, nonce *[NonceSize]byte, msg []byte) []byte {
	var (
		ks      xsalsaStream
		polyKey [32]byte
		tag     [TagSize]byte
	)
	oneShotInit(&ks, &polyKey, key, nonce)
	ret := slices.Grow(dst, TagSize+len(msg))[:len(dst)+TagSize+len(msg)]
	out := ret[len(dst):]
	ct := out[TagSize:]
	ks.xor(ct, msg)
	polySum(&tag, ct, &polyKey)
	copy(out, tag[:])
	return ret
}

// oneShotInit is newSbState for a box sealed or opened in one call, with
// the state on the caller's stack: ks after the 32 bytes of Poly1305 key.
func oneShotInit(ks *xsalsaStream, polyKey *[32]byte, key *[KeySize]byte, nonce *[NonceSize]byte) {
	ks.init(key, nonce)
	ks.refill()
	copy(polyKey[:], ks.block[:32])
	ks.off = 32
}

// openBox reverses sealBox, appending the plaintext to dst; false if the
// box is shorter than a tag or the tag does not match (nothing is
// decrypted then). dst must not overlap box.
func openBox(dst []byte, key *[KeySize]byte, nonce *[NonceSize]byte, box []byte) ([]byte, bool) {
	if len(box) < TagSize {
		return nil, false
	}
	var (
		ks      xsalsaStream
		polyKey [32]byte
		tag     [TagSize]byte
	)
	oneShotInit(&ks, &polyKey, key, nonce)
	ct := box[TagSize:]
	polySum(&tag, ct, &polyKey)
	if subtle.ConstantTimeCompare(tag[:], box[:TagSize]) != 1 {
		return nil, false
	}
	ret := slices.Grow(dst, len(ct))[:len(dst)+len(ct)]
	ks.xor(ret[len(dst):], ct)
	return ret, true
}
