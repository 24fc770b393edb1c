//go:build amd64 && gc && !purego

package crypto

import "golang.org/x/sys/cpu"

// useSalsaX8 selects the AVX2 keystream (salsa20_amd64.s): eight blocks
// per step, about twice the speed of x/crypto's SSE2 code.
var useSalsaX8 = cpu.X86.HasAVX2

//go:noescape
func salsa20XORx8(dst, src *byte, batches int, state *[16]uint32)

// usePolyX4 selects the AVX2 Poly1305 (poly1305_amd64.s), four blocks per
// step.
var usePolyX4 = cpu.X86.HasAVX2

//go:noescape
func poly1305x4(h *[5]uint64, msg *byte, groups int, key *polyX4Key)
