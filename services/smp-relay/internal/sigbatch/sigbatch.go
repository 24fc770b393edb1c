// Package sigbatch verifies many Ed25519 signatures with one multi-scalar
// multiplication, for the blocks of SUB and NSUB a client or an NTF server
// sends to resubscribe: there, signature verification is nearly all of the
// relay's work.
//
// For signatures (A_i, R_i, S_i) with k_i = SHA-512(R_i || A_i || M_i) and
// random 128-bit z_i, the batch holds when
//
//	[Σ z_i·S_i] B − Σ [z_i] R_i − Σ [z_i·k_i] A_i = 0.
//
// Every signature crypto/ed25519.Verify accepts makes its term zero, so a
// batch of valid signatures always passes. When the batch fails, each
// signature is verified on its own with crypto/ed25519, so the answers are
// that function's. The inputs it rejects for their encoding (a public key
// that is not a point, a non-canonical R or S) are rejected here before
// the batch in the same way.
//
// One difference remains, and only for keys whose owner crafts it: the
// batch equation is checked without multiplying by the cofactor, so a
// signature whose term is a non-zero point of small order (possible only
// with a public key or an R that has a small-order component, made by
// someone who knows the discrete log of the rest) can pass in a batch with
// probability up to 1/8 where crypto/ed25519 rejects it. That cannot
// produce a signature under a key the signer does not control, so it
// grants nothing: an SMP key's owner can always sign.
package sigbatch

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// Item is one signature to verify.
type Item struct {
	Pub, Msg, Sig []byte
}

// MinBatch is the size below which Verify checks signatures one by one:
// the batch's fixed cost is not worth it for fewer.
const MinBatch = 4

// Verify reports for each item whether its signature is valid, as
// crypto/ed25519.Verify would (see the package comment for the one
// exception).
func Verify(items []Item) []bool {
	ok := make([]bool, len(items))
	if len(items) < MinBatch {
		for i, it := range items {
			ok[i] = verifyOne(it)
		}
		return ok
	}
	scalars := make([]*edwards25519.Scalar, 1, 2*len(items)+1)
	points := make([]*edwards25519.Point, 1, 2*len(items)+1)
	sumS := edwards25519.NewScalar()
	var batched []int
	var zBuf [32]byte
	var hBuf [sha512.Size]byte
	zRand := make([]byte, 16*len(items))
	if _, err := rand.Read(zRand); err != nil {
		for i, it := range items {
			ok[i] = verifyOne(it)
		}
		return ok
	}
	for i, it := range items {
		if len(it.Pub) != ed25519.PublicKeySize || len(it.Sig) != ed25519.SignatureSize || !canonicalPoint(it.Sig[:32]) {
			continue // crypto/ed25519 rejects these too
		}
		A, err := new(edwards25519.Point).SetBytes(it.Pub)
		if err != nil {
			continue
		}
		R, err := new(edwards25519.Point).SetBytes(it.Sig[:32])
		if err != nil {
			continue
		}
		S, err := edwards25519.NewScalar().SetCanonicalBytes(it.Sig[32:])
		if err != nil {
			continue
		}
		h := sha512.New()
		h.Write(it.Sig[:32])
		h.Write(it.Pub)
		h.Write(it.Msg)
		k, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(hBuf[:0]))
		if err != nil {
			continue
		}
		copy(zBuf[:16], zRand[16*i:16*i+16])
		zBuf[0] |= 1 // never zero
		z, err := edwards25519.NewScalar().SetCanonicalBytes(zBuf[:])
		if err != nil {
			continue
		}
		sumS.MultiplyAdd(z, S, sumS)
		scalars = append(scalars, z, edwards25519.NewScalar().Multiply(z, k))
		points = append(points, R, A)
		batched = append(batched, i)
	}
	if len(batched) == 0 {
		return ok
	}
	// [Σ z S] B − Σ [z] R − Σ [z k] A: negate the R and A terms' points.
	scalars[0], points[0] = sumS, edwards25519.NewGeneratorPoint()
	for j := 1; j < len(points); j++ {
		points[j] = new(edwards25519.Point).Negate(points[j])
	}
	sum := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	if sum.Equal(edwards25519.NewIdentityPoint()) == 1 {
		for _, i := range batched {
			ok[i] = true
		}
		return ok
	}
	for _, i := range batched {
		ok[i] = verifyOne(items[i])
	}
	return ok
}

func verifyOne(it Item) bool {
	return len(it.Pub) == ed25519.PublicKeySize && len(it.Sig) == ed25519.SignatureSize &&
		ed25519.Verify(ed25519.PublicKey(it.Pub), it.Msg, it.Sig)
}

// canonicalPoint reports whether b could be the encoding crypto/ed25519
// produces for some point: y < p = 2^255 − 19, and no sign bit when x = 0
// (y = 1 or y = p − 1). crypto/ed25519 compares R with such an encoding,
// so it rejects any other R; edwards25519's decoder accepts them.
func canonicalPoint(b []byte) bool {
	sign := b[31] & 0x80
	// y ≥ p: bytes 1..30 are 0xff, byte 31 (without the sign) is 0x7f and
	// byte 0 is at least 0xed.
	high := b[31]&0x7f == 0x7f
	for i := 1; i < 31 && high; i++ {
		high = b[i] == 0xff
	}
	if high && b[0] >= 0xed {
		return false
	}
	if sign != 0 {
		// y = 1
		one := b[0] == 1 && b[31]&0x7f == 0
		for i := 1; i < 31 && one; i++ {
			one = b[i] == 0
		}
		// y = p − 1: 0xec, then 0xff…, then 0x7f
		if one || (high && b[0] == 0xec) {
			return false
		}
	}
	return true
}
