package ratchet

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// Sizes of the AES-GCM parts [MC ivSize, authTagSize].
const (
	IVSize  = 16
	TagSize = 16
	KeySize = 32
)

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: AES key of %d bytes", ErrKey, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	// A 16-byte IV: GCM derives the initial counter block with GHASH, as
	// cryptonite does for any IV length other than 12 [MC initAEAD].
	g, err := cipher.NewGCMWithNonceSize(b, IVSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return g, nil
}

// encryptAEAD pads msg to paddedLen and encrypts it with AES-256-GCM,
// returning the tag and the ciphertext (paddedLen bytes) separately
// [MC encryptAEAD].
func encryptAEAD(key, iv []byte, paddedLen int, ad, msg []byte) (tag, ct []byte, err error) {
	g, err := newGCM(key)
	if err != nil {
		return nil, nil, err
	}
	p, err := encoding.Pad(msg, paddedLen)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrLargeMsg, err)
	}
	out := g.Seal(nil, iv, p, ad)
	return out[len(p):], out[:len(p)], nil
}

// decryptAEAD reverses encryptAEAD and removes the padding [MC decryptAEAD].
func decryptAEAD(key, iv, ad, ct, tag []byte) ([]byte, error) {
	g, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(iv) != IVSize || len(tag) != TagSize {
		return nil, ErrDecrypt
	}
	in := make([]byte, 0, len(ct)+len(tag))
	in = append(append(in, ct...), tag...)
	p, err := g.Open(nil, iv, in, ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	m, err := encoding.Unpad(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	return m, nil
}
