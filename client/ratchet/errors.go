package ratchet

import "errors"

// Errors of the ratchet, after the reference's CryptoError constructors
// [MC CryptoError].
var (
	ErrKey            = errors.New("ratchet: bad key")
	ErrLargeMsg       = errors.New("ratchet: message too large")
	ErrDecrypt        = errors.New("ratchet: AES decryption failed")     // AESDecryptError
	ErrHeader         = errors.New("ratchet: header decryption failed")  // CERatchetHeader
	ErrHeaderSyntax   = errors.New("ratchet: bad message header")        // CryptoHeaderError
	ErrState          = errors.New("ratchet: bad ratchet state")         // CERatchetState
	ErrKEMState       = errors.New("ratchet: unexpected KEM parameters") // CERatchetKEMState
	ErrDuplicate      = errors.New("ratchet: duplicate message")         // CERatchetDuplicateMessage
	ErrEarlier        = errors.New("ratchet: earlier message")           // CERatchetEarlierMessage
	ErrTooManySkipped = errors.New("ratchet: too many skipped messages") // CERatchetTooManySkipped
	ErrVersion        = errors.New("ratchet: unsupported version")
)
