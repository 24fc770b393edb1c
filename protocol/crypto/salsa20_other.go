//go:build !amd64 || !gc || purego

package crypto

const useSalsaX8 = false

func salsa20XORx8(dst, src *byte, batches int, state *[16]uint32) {
	panic("crypto: salsa20XORx8 without AVX2")
}

const usePolyX4 = false

func poly1305x4(h *[5]uint64, msg *byte, groups int, key *polyX4Key) {
	panic("crypto: poly1305x4 without AVX2")
}
