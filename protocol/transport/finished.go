package transport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// TLS record layer constants (RFC 8446 §5.1, §5.2, §4).
const (
	recordHeaderLen = 5 // type(1) legacy_record_version(2) length(2)

	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23

	handshakeFinished  = 20
	handshakeHeaderLen = 4 // msg_type(1) length(3)

	// maxCiphertext bounds TLSCiphertext.length: 2^14 + 256 (RFC 8446 §5.2).
	maxCiphertext = 1<<14 + 256
	// maxPlaintext bounds TLSPlaintext.length: 2^14 (RFC 8446 §5.1).
	maxPlaintext = 1 << 14
)

// suite13 describes a TLS 1.3 cipher suite: the hash of its key schedule,
// its AEAD and the AEAD key length (RFC 8446 §B.4).
type suite13 struct {
	hash   func() hash.Hash
	keyLen int
	aead   func(key []byte) (cipher.AEAD, error)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// lookupSuite13 returns the parameters of a TLS 1.3 suite. Official clients
// only offer TLS_CHACHA20_POLY1305_SHA256; the AES suites are what two Go
// peers negotiate.
func lookupSuite13(id uint16) (suite13, error) {
	switch id {
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return suite13{sha256.New, chacha20poly1305.KeySize, chacha20poly1305.New}, nil
	case tls.TLS_AES_128_GCM_SHA256:
		return suite13{sha256.New, 16, newGCM}, nil
	case tls.TLS_AES_256_GCM_SHA384:
		return suite13{sha512.New384, 32, newGCM}, nil
	}
	return suite13{}, fmt.Errorf("%w: 0x%04x", ErrUnsupportedSuite, id)
}

// expandLabel is HKDF-Expand-Label (RFC 8446 §7.1):
//
//	HkdfLabel = uint16 length || opaque label<7..255> = "tls13 " + label
//	            || opaque context<0..255>
//	HKDF-Expand(secret, HkdfLabel, length)
//
// label and context are short constants here, well within their bounds.
func expandLabel(h func() hash.Hash, secret []byte, label string, context []byte, length int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 2+1+len(full)+1+len(context))
	info = binary.BigEndian.AppendUint16(info, uint16(length))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	return hkdf.Expand(h, secret, string(info), length)
}

// recordOpener decrypts one direction's records under a traffic secret
// (RFC 8446 §5.2, §5.3, §7.3): key and iv from the secret, the per-record
// nonce is iv XOR the 64-bit sequence number left-padded to the iv length,
// and the additional data is the 5-byte record header.
type recordOpener struct {
	aead cipher.AEAD
	iv   []byte
	seq  uint64
}

func newRecordOpener(s suite13, secret []byte) (*recordOpener, error) {
	aead, iv, err := trafficKeys(s, secret)
	if err != nil {
		return nil, err
	}
	return &recordOpener{aead: aead, iv: iv}, nil
}

// trafficKeys derives the AEAD and the iv of a traffic secret (RFC 8446
// §7.3): key = HKDF-Expand-Label(secret, "key", "", key_length), iv =
// HKDF-Expand-Label(secret, "iv", "", iv_length).
func trafficKeys(s suite13, secret []byte) (cipher.AEAD, []byte, error) {
	key, err := expandLabel(s.hash, secret, "key", nil, s.keyLen)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: derive key: %w", err)
	}
	aead, err := s.aead(key)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: aead: %w", err)
	}
	iv, err := expandLabel(s.hash, secret, "iv", nil, aead.NonceSize())
	if err != nil {
		return nil, nil, fmt.Errorf("transport: derive iv: %w", err)
	}
	return aead, iv, nil
}

// open decrypts one record (header included) and returns the inner content
// type and content with the zero padding removed:
//
//	TLSInnerPlaintext = content || ContentType type || zeros
func (o *recordOpener) open(record []byte) (byte, []byte, error) {
	nonce := make([]byte, len(o.iv))
	copy(nonce, o.iv)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(o.seq >> (8 * i))
	}
	o.seq++
	inner, err := o.aead.Open(nil, nonce, record[recordHeaderLen:], record[:recordHeaderLen])
	if err != nil {
		return 0, nil, fmt.Errorf("%w: record %d: %v", ErrDecrypt, o.seq-1, err)
	}
	if len(inner) > maxPlaintext+1 {
		return 0, nil, fmt.Errorf("%w: inner plaintext of %d bytes", ErrRecord, len(inner))
	}
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, fmt.Errorf("%w: inner plaintext has no content type", ErrRecord)
	}
	return inner[i], inner[:i], nil
}

// clientFinished13 finds the client's Finished message in the bytes a TLS
// 1.3 client sent (as the server read them, or the client wrote them) and
// returns its verify_data, the tls-unique session id (CONFORMANCE-NOTES
// §2.4). secret is the client_handshake_traffic_secret.
//
// The stream is a sequence of records (RFC 8446 §5.1):
//
//	ContentType type(1) | ProtocolVersion legacy(2) | uint16 length | fragment
//
// Before encryption starts the client sends plaintext handshake records
// (ClientHello, and a second one after a HelloRetryRequest) and may send
// change_cipher_spec records at any time (middlebox compatibility, §D.4);
// both are skipped. Every application_data record after that is encrypted
// under the handshake keys, numbered from 0, and carries handshake messages
// (msg_type(1) | uint24 length | body) that may be split over or packed into
// records. The body of the first message of type finished(20) is returned;
// it must be Hash.length bytes. Whatever follows the Finished (application
// data under other keys) is not looked at.
func clientFinished13(stream []byte, suiteID uint16, secret []byte) ([]byte, error) {
	s, err := lookupSuite13(suiteID)
	if err != nil {
		return nil, err
	}
	opener, err := newRecordOpener(s, secret)
	if err != nil {
		return nil, err
	}
	hashLen := s.hash().Size()
	var msgs []byte // decrypted handshake bytes not yet consumed
	encrypted := false
	for off := 0; off < len(stream); {
		if len(stream)-off < recordHeaderLen {
			return nil, fmt.Errorf("%w: truncated record header at %d", ErrFinishedNotFound, off)
		}
		typ, major := stream[off], stream[off+1]
		n := int(binary.BigEndian.Uint16(stream[off+3 : off+5]))
		if major != 3 {
			return nil, fmt.Errorf("%w: record version 0x%02x%02x at %d", ErrRecord, major, stream[off+2], off)
		}
		if n > maxCiphertext {
			return nil, fmt.Errorf("%w: record of %d bytes at %d", ErrRecord, n, off)
		}
		if len(stream)-off-recordHeaderLen < n {
			return nil, fmt.Errorf("%w: truncated record at %d", ErrFinishedNotFound, off)
		}
		record := stream[off : off+recordHeaderLen+n]
		off += recordHeaderLen + n
		switch typ {
		case recordChangeCipherSpec:
			continue
		case recordHandshake:
			if encrypted {
				return nil, fmt.Errorf("%w: plaintext handshake record after encrypted ones", ErrRecord)
			}
			continue
		case recordAlert:
			return nil, ErrAlertRecord
		case recordApplicationData:
		default:
			return nil, fmt.Errorf("%w: record type %d", ErrRecord, typ)
		}
		encrypted = true
		inner, content, err := opener.open(record)
		if err != nil {
			return nil, err
		}
		switch inner {
		case recordHandshake:
		case recordAlert:
			return nil, ErrAlertRecord
		default:
			return nil, fmt.Errorf("%w: inner content type %d before Finished", ErrRecord, inner)
		}
		if len(content) == 0 {
			// Zero-length handshake fragments are forbidden (§5.1).
			return nil, fmt.Errorf("%w: empty handshake fragment", ErrRecord)
		}
		msgs = append(msgs, content...)
		for len(msgs) >= handshakeHeaderLen {
			mt := msgs[0]
			ml := int(msgs[1])<<16 | int(msgs[2])<<8 | int(msgs[3])
			if len(msgs)-handshakeHeaderLen < ml {
				break // continued in the next record
			}
			body := msgs[handshakeHeaderLen : handshakeHeaderLen+ml]
			if mt == handshakeFinished {
				if ml != hashLen {
					return nil, fmt.Errorf("%w: Finished of %d bytes, want %d", ErrRecord, ml, hashLen)
				}
				return append([]byte(nil), body...), nil
			}
			msgs = msgs[handshakeHeaderLen+ml:]
		}
	}
	return nil, ErrFinishedNotFound
}
