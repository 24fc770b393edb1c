package xftp

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

func checkAlg(a crypto.Algorithm, algs []crypto.Algorithm) error {
	if !slices.Contains(algs, a) {
		return fmt.Errorf("%w: %v", crypto.ErrKeyAlg, a)
	}
	return nil
}

// publicKey reads short(DER SPKI) of one of algs.
func publicKey(d *encoding.Decoder, what string, algs []crypto.Algorithm) crypto.PublicKey {
	der := d.Short()
	if d.Err() != nil {
		return crypto.PublicKey{}
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err == nil {
		err = checkAlg(k.Alg, algs)
	}
	if err != nil {
		d.Fail(fmt.Errorf("%w: %s: %w", ErrSyntax, what, err))
		return crypto.PublicKey{}
	}
	return k
}

func putPublicKey(w *encoding.Buffer, what string, k crypto.PublicKey, algs []crypto.Algorithm) {
	if err := checkAlg(k.Alg, algs); err != nil {
		w.Fail(fmt.Errorf("xftp: %s: %w", what, err))
		return
	}
	w.Short(k.DER())
}

// publicKeys reads list(key) with at least one key [ME NonEmpty].
func publicKeys(d *encoding.Decoder, what string) []crypto.PublicKey {
	n := d.NonEmptyCount()
	var ks []crypto.PublicKey
	for range n {
		k := publicKey(d, what, authAlgs)
		if d.Err() != nil {
			return nil
		}
		ks = append(ks, k)
	}
	return ks
}

func putPublicKeys(w *encoding.Buffer, what string, ks []crypto.PublicKey) {
	if len(ks) == 0 {
		w.Fail(fmt.Errorf("xftp: %s: empty list", what))
		return
	}
	w.Count(len(ks))
	for _, k := range ks {
		putPublicKey(w, what, k, authAlgs)
	}
}

// ids reads list(short(id)) with at least one ID.
func ids(d *encoding.Decoder) [][]byte {
	n := d.NonEmptyCount()
	var r [][]byte
	for range n {
		id := d.Short()
		if d.Err() != nil {
			return nil
		}
		r = append(r, slices.Clone(id))
	}
	return r
}

func putIDs(w *encoding.Buffer, r [][]byte) {
	if len(r) == 0 {
		w.Fail(fmt.Errorf("xftp: empty ID list"))
		return
	}
	w.Count(len(r))
	for _, id := range r {
		w.Short(id)
	}
}
