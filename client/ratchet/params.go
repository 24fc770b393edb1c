package ratchet

import (
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// E2EParams are the X3DH parameters in binary form, as the joining party
// sends them in its confirmation [R E2ERatchetParams Encoding]:
//
//	v < 3:  w16(v) key(k1) key(k2)
//	v >= 3: w16(v) key(k1) key(k2) maybe(kem)
//
// key = short(X.509 DER); both keys must be X448 here (the reference also
// allows X25519 pairs, which agents do not use).
type E2EParams struct {
	Version    uint16
	Key1, Key2 crypto.PublicKey
	KEM        *KEMParams // KEM: always nil from this package
}

// Encode returns the binary form of p.
func (p E2EParams) Encode() []byte {
	w := encoding.NewBuffer(nil)
	p.Append(w)
	b, _ := w.Bytes()
	return b
}

// Append writes the binary form of p to w.
func (p E2EParams) Append(w *encoding.Buffer) {
	w.Word16(p.Version).Short(p.Key1.DER()).Short(p.Key2.DER())
	if p.Version >= PQRatchetVersion {
		w.Maybe(p.KEM != nil)
		if k := p.KEM; k != nil {
			if k.Ciphertext != nil {
				w.Byte('A').Large(k.Ciphertext)
			} else {
				w.Byte('P')
			}
			w.Large(k.Key)
		}
	}
}

// DecodeE2EParams reads E2E parameters from d (errors are left in d).
func DecodeE2EParams(d *encoding.Decoder) E2EParams {
	p := E2EParams{Version: d.Word16()}
	k1, k2 := d.Short(), d.Short()
	if p.Version >= PQRatchetVersion && d.Maybe() {
		k := &KEMParams{}
		switch d.Byte() {
		case 'P':
		case 'A':
			k.Ciphertext = d.Large()
		default:
			d.Fail(fmt.Errorf("%w: bad KEM params", ErrHeaderSyntax))
		}
		k.Key = d.Large()
		p.KEM = k
	}
	if d.Err() != nil {
		return E2EParams{}
	}
	var err error
	if p.Key1, err = parseX448(k1); err == nil {
		p.Key2, err = parseX448(k2)
	}
	if err != nil {
		d.Fail(err)
		return E2EParams{}
	}
	return p
}

func parseX448(der []byte) (crypto.PublicKey, error) {
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil {
		return k, fmt.Errorf("%w: %w", ErrKey, err)
	}
	if k.Alg != crypto.X448 {
		return crypto.PublicKey{}, fmt.Errorf("%w: %v e2e key, want X448", ErrKey, k.Alg)
	}
	return k, nil
}

// GenerateE2EKeys makes the two X448 private keys of one party's X3DH
// parameters, and the public parameters for version v [R generateE2EParams].
func GenerateE2EKeys(v uint16, rnd interface{ Read([]byte) (int, error) }) (pk1, pk2 crypto.PrivateKey, p E2EParams, err error) {
	if pk1, err = crypto.GenerateKey(crypto.X448, rnd); err != nil {
		return
	}
	if pk2, err = crypto.GenerateKey(crypto.X448, rnd); err != nil {
		return
	}
	return pk1, pk2, E2EParams{Version: v, Key1: pk1.Public(), Key2: pk2.Public()}, nil
}
