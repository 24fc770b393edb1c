package crypto

import (
	"errors"
	"fmt"
	"sync"

	"github.com/simplexgo/protocol/encoding"
	"golang.org/x/crypto/nacl/secretbox"
	//lint:ignore SA1019 HSalsa20 and a counter-addressed Salsa20 keystream are what the reference's cascade needs.
	"golang.org/x/crypto/salsa20/salsa"
)

// The NaCl variant used by every box and secretbox of the protocols
// [MC cryptoBox, xSalsa20; CONFORMANCE-NOTES §2.9].
//
// The reference runs XSalsa20 as cryptonite's two-step cascade: initialise
// with the key K and the nonce 16 zero bytes ‖ n[0:8], then derive with
// n[8:24]. That is XSalsa20-Poly1305 (NaCl secretbox) under the key
//
//	K' = HSalsa20(K, 16 zero bytes)
//
// and the 24-byte nonce n. When K is a raw X25519 output, K' is exactly what
// crypto_box_beforenm computes, so the result is standard crypto_box. When K
// is a symmetric key (block encryption, files, links) the result is NOT
// secretbox(K): K' must be derived first. Both cases are the same function
// here; Box and SecretBox differ only in how the key is passed.
//
// Layout (tag first, as NaCl's "easy" form):
//
//	box = poly1305 tag (16) ‖ XSalsa20(K', n) ⊕ msg
//
// The tail-tag variant used for files and XFTP FGET bodies puts the same tag
// at the end; see secretbox_stream.go.

// Sizes of the NaCl variant.
const (
	KeySize   = 32 // symmetric key or X25519 DH secret
	NonceSize = 24
	TagSize   = secretbox.Overhead // 16
)

// Errors of the NaCl variant.
var (
	// ErrDecrypt is returned when a box fails authentication or is shorter
	// than its tag [MC CBDecryptError].
	ErrDecrypt = errors.New("crypto: box decryption failed")
	// ErrSecretSize is returned when a DH secret is not 32 bytes (only
	// X25519 secrets are used for boxes [MC cbEncrypt]).
	ErrSecretSize = errors.New("crypto: box secret must be 32 bytes")
)

// CbNonce makes a 24-byte nonce from b: truncated when longer, padded with
// zero bytes when shorter [MC cbNonce]. The command authenticator uses it
// on the corrId (an empty corrId gives 24 zero bytes).
func CbNonce(b []byte) [NonceSize]byte {
	var n [NonceSize]byte
	copy(n[:], b)
	return n
}

// ReverseNonce returns n with its bytes in reverse order [MC reverseNonce];
// proxy responses use the reversed request nonce.
func ReverseNonce(n [NonceSize]byte) [NonceSize]byte {
	var r [NonceSize]byte
	for i := range n {
		r[NonceSize-1-i] = n[i]
	}
	return r
}

// hsalsaZero returns HSalsa20(k, 16 zero bytes), the pre-keying step.
func hsalsaZero(k *[KeySize]byte) [KeySize]byte {
	var out [KeySize]byte
	var zero [16]byte
	salsa.HSalsa20(&out, &zero, k, &salsa.Sigma)
	return out
}

func secretKey(dhSecret []byte) (*[KeySize]byte, error) {
	if len(dhSecret) != KeySize {
		return nil, fmt.Errorf("%w: got %d", ErrSecretSize, len(dhSecret))
	}
	return (*[KeySize]byte)(dhSecret), nil
}

// SecretBox encrypts msg with a symmetric key [MC sbEncryptNoPad]: tag
// (16 bytes) then ciphertext, under K' = HSalsa20(key, 0).
func SecretBox(key [KeySize]byte, nonce [NonceSize]byte, msg []byte) []byte {
	return sealBox(nil, &key, &nonce, msg)
}

// OpenSecretBox reverses SecretBox, returning ErrDecrypt when the tag does
// not match [MC sbDecryptNoPad].
func OpenSecretBox(key [KeySize]byte, nonce [NonceSize]byte, box []byte) ([]byte, error) {
	if len(box) < TagSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrDecrypt, len(box))
	}
	msg, ok := openBox(nil, &key, &nonce, box)
	if !ok {
		return nil, ErrDecrypt
	}
	return msg, nil
}

// Box encrypts msg with a raw X25519 DH secret [MC cbEncryptNoPad]; this
// is standard crypto_box after precomputation (tag first).
func Box(dhSecret []byte, nonce [NonceSize]byte, msg []byte) ([]byte, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return SecretBox(*k, nonce, msg), nil
}

// OpenBox reverses Box [MC cbDecryptNoPad].
func OpenBox(dhSecret []byte, nonce [NonceSize]byte, box []byte) ([]byte, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return OpenSecretBox(*k, nonce, box)
}

// SecretBoxPadded encrypts pad(msg, paddedLen) with a symmetric key
// [MC sbEncrypt]; the result is paddedLen+16 bytes. It fails with
// encoding.ErrPad when msg does not fit.
func SecretBoxPadded(key [KeySize]byte, nonce [NonceSize]byte, msg []byte, paddedLen int) ([]byte, error) {
	return appendSecretBoxPadded(nil, &key, nonce, msg, paddedLen)
}

func appendSecretBoxPadded(dst []byte, key *[KeySize]byte, nonce [NonceSize]byte, msg []byte, paddedLen int) ([]byte, error) {
	// The padded plaintext only lives until it is sealed: pad into a pooled
	// buffer (a relay pads every delivered message to 16 KB).
	bp := padPool.Get().(*[]byte)
	defer padPool.Put(bp)
	p, err := encoding.PadInto(*bp, msg, paddedLen)
	if err != nil {
		return nil, fmt.Errorf("crypto: secretbox: %w", err)
	}
	*bp = p[:0]
	return sealBox(dst, key, &nonce, p), nil
}

// padPool holds padding buffers for SecretBoxPadded.
var padPool = sync.Pool{New: func() any { return new([]byte) }}

// OpenSecretBoxPadded decrypts and unpads [MC sbDecrypt]. The result
// aliases a fresh buffer, not box.
func OpenSecretBoxPadded(key [KeySize]byte, nonce [NonceSize]byte, box []byte) ([]byte, error) {
	p, err := OpenSecretBox(key, nonce, box)
	if err != nil {
		return nil, err
	}
	msg, err := encoding.Unpad(p)
	if err != nil {
		return nil, fmt.Errorf("crypto: secretbox: %w", err)
	}
	return msg, nil
}

// BoxPadded encrypts pad(msg, paddedLen) with a raw X25519 DH secret
// [MC cbEncrypt]: e.g. MSG bodies padded to 16106, NMSG metadata to 128
// (CONFORMANCE-NOTES §3.2, §3.3).
func BoxPadded(dhSecret []byte, nonce [NonceSize]byte, msg []byte, paddedLen int) ([]byte, error) {
	return AppendBoxPadded(nil, dhSecret, nonce, msg, paddedLen)
}

// AppendBoxPadded is BoxPadded appending the box to dst, so that a caller
// can seal into a buffer it reuses.
func AppendBoxPadded(dst, dhSecret []byte, nonce [NonceSize]byte, msg []byte, paddedLen int) ([]byte, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return appendSecretBoxPadded(dst, k, nonce, msg, paddedLen)
}

// OpenBoxPadded decrypts and unpads [MC cbDecrypt].
func OpenBoxPadded(dhSecret []byte, nonce [NonceSize]byte, box []byte) ([]byte, error) {
	k, err := secretKey(dhSecret)
	if err != nil {
		return nil, err
	}
	return OpenSecretBoxPadded(*k, nonce, box)
}
