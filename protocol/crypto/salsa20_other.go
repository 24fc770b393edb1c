//go:build !amd64 || !gc || purego

package crypto

const useSalsaX8 = false

func salsa20XORx8(dst, src *byte, batches int, state *[16]uint32) {
	panic("crypto: salsa20XORx8 without AVX2")
}
