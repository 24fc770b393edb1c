package crypto

import (
	"crypto/hkdf"
	"crypto/sha512"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// Block encryption of SMP v11+ [MC sbcInit, sbcHkdf, sbEncrypt; MT
// blockEncryption, tPutBlock, tGetBlock; CONFORMANCE-NOTES §2.8]:
//
//	secret     = X25519(server session private key, client hello key) ; 32 B
//	(ck1, ck2) = HKDF-SHA512(salt = sessionId, ikm = secret,
//	                         info = "SimpleXSbChainInit", 64), split 32/32
//	server: sends with ck1, receives with ck2; the client the reverse
//	per block: o = HKDF-SHA512(salt = "", ikm = ck, info = "SimpleXSbChain", 88)
//	           ck := o[0:32]; key = o[32:64]; nonce = o[64:88]
//	block      = SecretBox(key, nonce, pad(payload, blockSize-16))   ; blockSize B
//
// The box is the pre-keyed NaCl variant (§2.9): the reference's sbEncrypt
// runs cryptoBox on the raw chain-derived key, i.e. secretbox under
// HSalsa20(key, 0), not standard secretbox(key). Nothing of the chain is
// sent; each side steps its own copy once per block.

// ChainKey is one direction's chain key [MC SbChainKey]. Next mutates it;
// a ChainKey must not be copied once in use, nor used concurrently.
type ChainKey [32]byte

// SbChain holds the two chains of one connection, named from the holder's
// point of view.
type SbChain struct {
	Send ChainKey
	Recv ChainKey
}

const (
	sbChainInitInfo = "SimpleXSbChainInit"
	sbChainInfo     = "SimpleXSbChain"
)

// InitSbChains derives the two chain keys from the session ID (tls-unique)
// and the raw X25519 secret [MC sbcInit]. The server sends with ck1 and
// receives with ck2; the client sends with ck2 and receives with ck1 [MT
// smpTHandleServer, smpTHandleClient (swap)].
func InitSbChains(sessionID, dhSecret []byte) (ck1, ck2 ChainKey) {
	// HKDF-SHA512 output of 64 bytes cannot fail (limit 255*64).
	out, _ := hkdf.Key(sha512.New, dhSecret, sessionID, sbChainInitInfo, 64)
	copy(ck1[:], out[:32])
	copy(ck2[:], out[32:])
	return ck1, ck2
}

// NewServerSbChain returns the server side's chains: send ck1, receive ck2.
func NewServerSbChain(sessionID, dhSecret []byte) SbChain {
	ck1, ck2 := InitSbChains(sessionID, dhSecret)
	return SbChain{Send: ck1, Recv: ck2}
}

// NewClientSbChain returns the client side's chains: send ck2, receive ck1.
func NewClientSbChain(sessionID, dhSecret []byte) SbChain {
	ck1, ck2 := InitSbChains(sessionID, dhSecret)
	return SbChain{Send: ck2, Recv: ck1}
}

// Next steps the chain and returns the key and nonce of the next block
// [MC sbcHkdf].
func (ck *ChainKey) Next() (key [KeySize]byte, nonce [NonceSize]byte) {
	// An empty salt is HMAC-SHA512 with a zero key, as in cryptonite.
	out, _ := hkdf.Key(sha512.New, ck[:], nil, sbChainInfo, 88)
	copy(ck[:], out[:32])
	copy(key[:], out[32:64])
	copy(nonce[:], out[64:88])
	return key, nonce
}

// ErrBlockSize is returned for a block size too small to carry a padded
// payload, or a received block of the wrong size.
var ErrBlockSize = errors.New("crypto: bad block size")

// EncryptBlock encrypts payload into exactly blockSize bytes with the next
// key of ck. It checks that the payload fits before stepping the chain, so
// a too-large payload (encoding.ErrPad; the reference's TELargeMsg) leaves
// the chain in step with the peer. (The reference steps first, and then
// sends nothing, which desynchronises the connection.)
func EncryptBlock(ck *ChainKey, payload []byte, blockSize int) ([]byte, error) {
	return AppendEncryptBlock(nil, nil, ck, payload, blockSize)
}

// AppendEncryptBlock is EncryptBlock appending the block to dst and padding
// in scratch (reused when its capacity is at least blockSize-16), so that
// callers can pool both buffers.
func AppendEncryptBlock(dst, scratch []byte, ck *ChainKey, payload []byte, blockSize int) ([]byte, error) {
	padded := blockSize - TagSize
	if padded < 2 {
		return nil, fmt.Errorf("%w: %d", ErrBlockSize, blockSize)
	}
	p, err := encoding.PadInto(scratch, payload, padded)
	if err != nil {
		return nil, fmt.Errorf("crypto: encrypt block: %w", err)
	}
	key, nonce := ck.Next()
	return sealBox(dst, &key, &nonce, p), nil
}

// DecryptBlock steps ck and decrypts one received block (all of it, as
// read from the wire) to its unpadded payload. The chain is stepped even
// when decryption fails, as the reference does: a block that fails still
// consumes its key [MT tGetBlock].
func DecryptBlock(ck *ChainKey, block []byte) ([]byte, error) {
	return AppendDecryptBlock(nil, ck, block)
}

// AppendDecryptBlock is DecryptBlock with the plaintext written to dst's
// storage (reused when its capacity allows, e.g. a pooled buffer); the
// payload returned aliases it.
func AppendDecryptBlock(dst []byte, ck *ChainKey, block []byte) ([]byte, error) {
	key, nonce := ck.Next()
	if len(block) < TagSize {
		return nil, fmt.Errorf("crypto: decrypt block: %w: %d bytes", ErrDecrypt, len(block))
	}
	p, ok := openBox(dst[:0], &key, &nonce, block)
	if !ok {
		return nil, fmt.Errorf("crypto: decrypt block: %w", ErrDecrypt)
	}
	payload, err := encoding.Unpad(p)
	if err != nil {
		return nil, fmt.Errorf("crypto: decrypt block: %w", err)
	}
	return payload, nil
}
