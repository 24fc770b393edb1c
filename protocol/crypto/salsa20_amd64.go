//go:build amd64 && gc && !purego

package crypto

import "golang.org/x/sys/cpu"

// useSalsaX8 selects the AVX2 keystream (salsa20_amd64.s): eight blocks
// per step, about twice the speed of x/crypto's SSE2 code.
var useSalsaX8 = cpu.X86.HasAVX2

//go:noescape
func salsa20XORx8(dst, src *byte, batches int, state *[16]uint32)
