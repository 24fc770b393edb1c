package ntf

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// ServerHandshake is the server hello, the first (padded) block the server
// sends [NT NtfServerHandshake]:
//
//	versionRange short(sessionId) [large(signedKeyDER)]
//
// The signed key (the server's X25519 session key, as an X.509 signed
// object) is present whenever the range reaches version 2; clients require
// it then. It is kept as raw DER here; checking its signature is the
// transport's job.
type ServerHandshake struct {
	VRange    encoding.VersionRange
	SessionID []byte
	SignedKey []byte
}

// Encode returns the hello before padding. The signed key is written only
// when VRange.Max is at least 2 [NT encodeAuthEncryptCmds].
func (h ServerHandshake) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.VersionRange(h.VRange).Short(h.SessionID)
	if h.VRange.Max >= AuthBatchCmdsVersion {
		if h.SignedKey == nil {
			return nil, fmt.Errorf("ntf: server hello for version %d needs a signed key", h.VRange.Max)
		}
		w.Large(h.SignedKey)
	}
	return w.Bytes()
}

// ParseServerHandshake parses an unpadded server hello; bytes after it are
// ignored, as the reference does [MT getHandshake].
func ParseServerHandshake(b []byte) (ServerHandshake, error) {
	d := encoding.NewDecoder(b)
	h := ServerHandshake{VRange: d.VersionRange(), SessionID: bytes.Clone(d.Short())}
	if h.VRange.Max >= AuthBatchCmdsVersion {
		h.SignedKey = bytes.Clone(d.Large())
	}
	if err := d.Err(); err != nil {
		return ServerHandshake{}, fmt.Errorf("ntf: server hello: %w", err)
	}
	return h, nil
}

// ClientHandshake is the client hello: the chosen version and the server
// key hash the client expects (mismatch → HANDSHAKE IDENTITY)
// [NT NtfClientHandshake]:
//
//	w16(version) short(keyHash)
type ClientHandshake struct {
	Version uint16
	KeyHash []byte
}

// Encode returns the hello before padding.
func (h ClientHandshake) Encode() ([]byte, error) {
	return encoding.NewBuffer(nil).Word16(h.Version).Short(h.KeyHash).Bytes()
}

// ParseClientHandshake parses an unpadded client hello; trailing bytes are
// ignored.
func ParseClientHandshake(b []byte) (ClientHandshake, error) {
	d := encoding.NewDecoder(b)
	h := ClientHandshake{Version: d.Word16(), KeyHash: bytes.Clone(d.Short())}
	if err := d.Err(); err != nil {
		return ClientHandshake{}, fmt.Errorf("ntf: client hello: %w", err)
	}
	return h, nil
}
