package ntf

import (
	"fmt"
	"slices"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Key algorithms allowed on the wire: authorization keys may be Ed25519,
// Ed448 or X25519 [MC AuthAlgorithm]; DH keys are X25519.
var (
	authAlgs = []crypto.Algorithm{crypto.Ed25519, crypto.Ed448, crypto.X25519}
	dhAlgs   = []crypto.Algorithm{crypto.X25519}
)

// publicKey reads short(DER SPKI) of one of algs.
func publicKey(d *encoding.Decoder, what string, algs []crypto.Algorithm) crypto.PublicKey {
	der := d.Short()
	if d.Err() != nil {
		return crypto.PublicKey{}
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err == nil && !slices.Contains(algs, k.Alg) {
		err = fmt.Errorf("%w: %v", crypto.ErrKeyAlg, k.Alg)
	}
	if err != nil {
		d.Fail(fmt.Errorf("%w: %s: %w", ErrSyntax, what, err))
		return crypto.PublicKey{}
	}
	return k
}

// privateKey reads short(DER PKCS#8) of one of algs.
func privateKey(d *encoding.Decoder, what string, algs []crypto.Algorithm) crypto.PrivateKey {
	der := d.Short()
	if d.Err() != nil {
		return crypto.PrivateKey{}
	}
	k, err := crypto.ParsePrivateKeyDER(der)
	if err == nil && !slices.Contains(algs, k.Alg) {
		err = fmt.Errorf("%w: %v", crypto.ErrKeyAlg, k.Alg)
	}
	if err != nil {
		d.Fail(fmt.Errorf("%w: %s: %w", ErrSyntax, what, err))
		return crypto.PrivateKey{}
	}
	return k
}

// putPublicKey writes short(DER SPKI), failing for an unset key.
func putPublicKey(w *encoding.Buffer, what string, k crypto.PublicKey, algs []crypto.Algorithm) {
	if !slices.Contains(algs, k.Alg) {
		w.Fail(fmt.Errorf("ntf: %s: %w: %v", what, crypto.ErrKeyAlg, k.Alg))
		return
	}
	w.Short(k.DER())
}

func putPrivateKey(w *encoding.Buffer, what string, k crypto.PrivateKey, algs []crypto.Algorithm) {
	if !slices.Contains(algs, k.Alg) {
		w.Fail(fmt.Errorf("ntf: %s: %w: %v", what, crypto.ErrKeyAlg, k.Alg))
		return
	}
	w.Short(k.DER())
}
