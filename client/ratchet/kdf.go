package ratchet

import (
	"crypto/hkdf"
	"crypto/sha512"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
)

// HKDF info strings [R pqX3dh, rootKdf, chainKdf].
const (
	infoX3DH  = "SimpleXX3DH"
	infoRoot  = "SimpleXRootRatchet"
	infoChain = "SimpleXChainRatchet"
)

// hkdf3 derives 96 bytes with HKDF-SHA512 and splits them into three
// 32-byte parts [R hkdf3, MC hkdf].
func hkdf3(salt, ikm []byte, info string) (a, b, c []byte) {
	out, err := hkdf.Key(sha512.New, ikm, salt, info, 96)
	if err != nil { // only for lengths over 255*64 bytes
		panic(fmt.Sprintf("ratchet: hkdf: %v", err))
	}
	return out[:32:32], out[32:64:64], out[64:96:96]
}

// chainKdf advances a chain key: the next chain key, the message key, the
// message IV and the header IV (16 bytes each) [R chainKdf].
func chainKdf(ck []byte) (ck2, mk, iv, hiv []byte) {
	ck2, mk, ivs := hkdf3(nil, ck, infoChain)
	return ck2, mk, ivs[:16:16], ivs[16:32:32]
}

// rootKdf is KDF_RK_HE: the new root key, chain key and next header key
// from DH(pub, priv) [R rootKdf]. KEM: the reference appends the KEM shared
// secret to the DH output here when PQ encryption is on.
func rootKdf(rk []byte, pub crypto.PublicKey, priv crypto.PrivateKey) (rk2, ck, nhk []byte, err error) {
	dh, err := crypto.DH(priv, pub)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	rk2, ck, nhk = hkdf3(rk, dh, infoRoot)
	return rk2, ck, nhk, nil
}

// InitParams are the results of the X3DH agreement that both parties
// compute identically [R RatchetInitParams].
type InitParams struct {
	AssocData []byte // sender key1 raw ‖ recipient key1 raw
	RootKey   []byte
	SndHK     []byte // the joining party's first sending header key
	RcvNextHK []byte // the joining party's next receiving header key
}

// pqX3DH computes the parameters from the two raw public keys that make the
// associated data and the three DH secrets [R pqX3dh]:
//
//	hk, nhk, sk = HKDF-SHA512(salt = 64 zero bytes, dh1 ‖ dh2 ‖ dh3, "SimpleXX3DH")
//
// KEM: the reference appends the KEM shared secret to dh1‖dh2‖dh3 when
// the joining party accepted a proposed KEM key.
func pqX3DH(sk1, rk1 crypto.PublicKey, dhs ...[]byte) InitParams {
	ad := append(append([]byte{}, sk1.Raw...), rk1.Raw...)
	var ikm []byte
	for _, d := range dhs {
		ikm = append(ikm, d...)
	}
	hk, nhk, sk := hkdf3(make([]byte, 64), ikm, infoX3DH)
	return InitParams{AssocData: ad, RootKey: sk, SndHK: hk, RcvNextHK: nhk}
}

// X3DHSnd is run by the party joining a connection: spk1, spk2 are its own
// (replied) private keys, rk1, rk2 the keys from the invitation [R pqX3dhSnd].
func X3DHSnd(spk1, spk2 crypto.PrivateKey, rk1, rk2 crypto.PublicKey) (InitParams, error) {
	dh1, err1 := crypto.DH(spk2, rk1)
	dh2, err2 := crypto.DH(spk1, rk2)
	dh3, err3 := crypto.DH(spk2, rk2)
	if err := firstErr(err1, err2, err3); err != nil {
		return InitParams{}, fmt.Errorf("%w: x3dh: %w", ErrKey, err)
	}
	return pqX3DH(spk1.Public(), rk1, dh1, dh2, dh3), nil
}

// X3DHRcv is run by the party that created the invitation, with its
// private keys rpk1, rpk2 and the keys sk1, sk2 from the reply [R pqX3dhRcv].
func X3DHRcv(rpk1, rpk2 crypto.PrivateKey, sk1, sk2 crypto.PublicKey) (InitParams, error) {
	dh1, err1 := crypto.DH(rpk1, sk2)
	dh2, err2 := crypto.DH(rpk2, sk1)
	dh3, err3 := crypto.DH(rpk2, sk2)
	if err := firstErr(err1, err2, err3); err != nil {
		return InitParams{}, fmt.Errorf("%w: x3dh: %w", ErrKey, err)
	}
	return pqX3DH(sk1, rpk1.Public(), dh1, dh2, dh3), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
