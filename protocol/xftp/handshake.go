package xftp

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// ServerHandshake is the body of the server's answer to the first
// (empty) handshake request, before padding to BlockSize [FT XFTPServerHandshake]:
//
//	versionRange short(sessionId) certKey short(webIdentityProof)
//	certKey = list(large(certDER)) large(signedKeyDER)
//
// The certificates (leaf first) and the signed session key are kept as raw
// DER; checking them is the transport's job. The web identity proof is a
// signature (64 or 114 bytes) sent to browser clients, empty otherwise.
type ServerHandshake struct {
	VRange           encoding.VersionRange
	SessionID        []byte
	CertChain        [][]byte
	SignedKey        []byte
	WebIdentityProof []byte
}

// Encode returns the body before padding.
func (h ServerHandshake) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.VersionRange(h.VRange).Short(h.SessionID)
	if len(h.CertChain) == 0 {
		return nil, fmt.Errorf("xftp: server handshake without certificates")
	}
	w.Count(len(h.CertChain))
	for _, c := range h.CertChain {
		w.Large(c)
	}
	w.Large(h.SignedKey)
	if n := len(h.WebIdentityProof); n != 0 && n != Ed25519SignatureSize && n != Ed448SignatureSize {
		return nil, fmt.Errorf("xftp: web identity proof of %d bytes", n)
	}
	w.Short(h.WebIdentityProof)
	return w.Bytes()
}

// ParseServerHandshake parses an unpadded server handshake. A proof that
// is not a whole signature is treated as absent, and bytes after it are
// ignored, as the reference does (for forward compatibility).
func ParseServerHandshake(b []byte) (ServerHandshake, error) {
	d := encoding.NewDecoder(b)
	h := ServerHandshake{VRange: d.VersionRange(), SessionID: bytes.Clone(d.Short())}
	n := d.NonEmptyCount()
	for range n {
		c := d.Large()
		if d.Err() != nil {
			break
		}
		h.CertChain = append(h.CertChain, bytes.Clone(c))
	}
	h.SignedKey = bytes.Clone(d.Large())
	if err := d.Err(); err != nil {
		return ServerHandshake{}, fmt.Errorf("xftp: server handshake: %w", err)
	}
	if l, ok := d.Peek(); ok && (l == Ed25519SignatureSize || l == Ed448SignatureSize) && d.Len() > int(l) {
		h.WebIdentityProof = bytes.Clone(d.Short())
	}
	return h, nil
}

// ClientHandshake is the client's second handshake request body, before
// padding: the chosen version and the expected server key hash
// [FT XFTPClientHandshake]:
//
//	w16(version) short(keyHash)
type ClientHandshake struct {
	Version uint16
	KeyHash []byte
}

// Encode returns the body before padding.
func (h ClientHandshake) Encode() ([]byte, error) {
	return encoding.NewBuffer(nil).Word16(h.Version).Short(h.KeyHash).Bytes()
}

// ParseClientHandshake parses an unpadded client handshake; trailing bytes
// are ignored.
func ParseClientHandshake(b []byte) (ClientHandshake, error) {
	d := encoding.NewDecoder(b)
	h := ClientHandshake{Version: d.Word16(), KeyHash: bytes.Clone(d.Short())}
	if err := d.Err(); err != nil {
		return ClientHandshake{}, fmt.Errorf("xftp: client handshake: %w", err)
	}
	return h, nil
}

// ClientHello is the body of a browser's first request (header
// xftp-web-hello: 1): maybe(short(32-byte challenge)) [FT XFTPClientHello].
type ClientHello struct {
	WebChallenge []byte // nil or WebChallengeSize bytes
}

// Encode returns the body before padding.
func (h ClientHello) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.Maybe(h.WebChallenge != nil)
	if h.WebChallenge != nil {
		if len(h.WebChallenge) != WebChallengeSize {
			return nil, fmt.Errorf("xftp: web challenge of %d bytes", len(h.WebChallenge))
		}
		w.Short(h.WebChallenge)
	}
	return w.Bytes()
}

// ParseClientHello parses an unpadded client hello; the challenge must be
// 32 bytes and trailing bytes are ignored.
func ParseClientHello(b []byte) (ClientHello, error) {
	d := encoding.NewDecoder(b)
	var h ClientHello
	if d.Maybe() {
		h.WebChallenge = bytes.Clone(d.Short())
		if d.Err() == nil && len(h.WebChallenge) != WebChallengeSize {
			return ClientHello{}, fmt.Errorf("xftp: bad web challenge of %d bytes", len(h.WebChallenge))
		}
	}
	if err := d.Err(); err != nil {
		return ClientHello{}, fmt.Errorf("xftp: client hello: %w", err)
	}
	return h, nil
}
