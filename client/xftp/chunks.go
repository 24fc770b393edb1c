package xftp

import (
	"github.com/simplexgo/protocol/xftp"
)

// PrepareChunkSizes splits an encrypted file of size bytes into chunk sizes
// the servers accept [FC prepareChunkSizes]. A pair of sizes (small, big) is
// chosen by the file size: (1 MiB, 4 MiB) above 3 MiB, (256 KiB, 1 MiB)
// above 768 KiB, else (64 KiB, 256 KiB). Whole big chunks are cut while at
// least a big chunk remains; a remainder over 3/4 of a big chunk becomes one
// more big chunk, anything else is covered by small chunks (the last one
// padded). The sum of the sizes is the encrypted file size, so the file is
// encrypted with padding up to it.
func PrepareChunkSizes(size int64) []uint32 {
	if size <= 0 {
		return nil
	}
	small, big := xftp.ChunkSize0, xftp.ChunkSize1
	switch {
	case size > threeQuarters(xftp.ChunkSize3):
		small, big = xftp.ChunkSize2, xftp.ChunkSize3
	case size > threeQuarters(xftp.ChunkSize2):
		small, big = xftp.ChunkSize1, xftp.ChunkSize2
	}
	var sizes []uint32
	for size > 0 {
		switch {
		case size >= int64(big):
			for range size / int64(big) {
				sizes = append(sizes, big)
			}
			size %= int64(big)
		case size > threeQuarters(big):
			return append(sizes, big)
		default:
			n := (size + int64(small) - 1) / int64(small)
			for range n {
				sizes = append(sizes, small)
			}
			return sizes
		}
	}
	return sizes
}

func threeQuarters(n uint32) int64 { return int64(n) * 3 / 4 }

// SingleChunkSize returns the smallest chunk size that holds size bytes,
// or false when none does [FC singleChunkSize].
func SingleChunkSize(size int64) (uint32, bool) {
	for _, s := range xftp.ServerChunkSizes {
		if int64(s) >= size {
			return s, true
		}
	}
	return 0, false
}
