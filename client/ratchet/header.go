package ratchet

import (
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// E2E (ratchet) versions [R E2EVersion].
const (
	KDFX3DHVersion   = 2 // oldest supported
	PQRatchetVersion = 3 // headers carry maybe(KEM params); 2-byte lengths
	CurrentVersion   = 3
)

// SupportedVRange is the ratchet version range of this implementation.
var SupportedVRange = encoding.VersionRange{Min: KDFX3DHVersion, Max: CurrentVersion}

// paddedHeaderLen is the padded size of a message header without KEM keys
// (2310 with them, from version 3) [R paddedHeaderLen].
const paddedHeaderLen = 88

// KEMParams are the sntrup761 parameters a header may carry: a proposed
// encapsulation key, or a ciphertext with the next key [R RKEMParams]:
//
//	kem = "P" large(key) | "A" large(ct) large(key)
//
// KEM: they are parsed and re-encoded only; see the package comment.
type KEMParams struct {
	Ciphertext []byte // nil for a proposal
	Key        []byte
}

// MsgHeader is the plaintext ratchet header [R MsgHeader, encodeMsgHeader]:
//
//	v < 3:  w16(maxVersion) key(dhRs) w32(pn) w32(ns)
//	v >= 3: w16(maxVersion) key(dhRs) maybe(kem) w32(pn) w32(ns)
//
// where key = short(X.509 DER) and v is the sender's current version
// (from the encrypted header), not maxVersion.
type MsgHeader struct {
	MaxVersion uint16
	DHRs       crypto.PublicKey
	KEM        *KEMParams
	PN, Ns     uint32
}

func encodeMsgHeader(v uint16, h MsgHeader) ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.Word16(h.MaxVersion).Short(h.DHRs.DER())
	if v >= PQRatchetVersion {
		w.Maybe(h.KEM != nil)
		if k := h.KEM; k != nil {
			if k.Ciphertext != nil {
				w.Byte('A').Large(k.Ciphertext)
			} else {
				w.Byte('P')
			}
			w.Large(k.Key)
		}
	}
	w.Word32(h.PN).Word32(h.Ns)
	return w.Bytes()
}

// parseMsgHeader parses a header of version v; trailing bytes are not
// allowed [R msgHeaderP, parseE'].
func parseMsgHeader(v uint16, b []byte) (MsgHeader, error) {
	d := encoding.NewDecoder(b)
	h := MsgHeader{MaxVersion: d.Word16()}
	der := d.Short()
	if v >= PQRatchetVersion && d.Maybe() {
		k := &KEMParams{}
		switch d.Byte() {
		case 'P':
		case 'A':
			k.Ciphertext = d.Large()
		default:
			d.Fail(fmt.Errorf("%w: bad KEM params", ErrHeaderSyntax))
		}
		k.Key = d.Large()
		h.KEM = k
	}
	h.PN, h.Ns = d.Word32(), d.Word32()
	if err := d.Finish(); err != nil {
		return MsgHeader{}, fmt.Errorf("%w: %w", ErrHeaderSyntax, err)
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil || k.Alg != crypto.X448 {
		return MsgHeader{}, fmt.Errorf("%w: ratchet key is not X448", ErrHeaderSyntax)
	}
	h.DHRs = k
	return h, nil
}

// EncMessageHeader is the encrypted header [R EncMessageHeader]:
//
//	w16(currentVersion) iv(16) tag(16) len(body)
//
// len is large (2-byte length) from version 3 and short before; the
// parser tells them apart by the first byte, as a header is never
// shorter than 32 bytes [R encodeLarge, largeP].
type EncMessageHeader struct {
	Version uint16
	IV      []byte
	Tag     []byte
	Body    []byte
}

func putLarge(w *encoding.Buffer, v uint16, b []byte) {
	if v >= PQRatchetVersion {
		w.Large(b)
	} else {
		w.Short(b)
	}
}

// getLarge reads a length-prefixed string: a 2-byte length if the first
// byte is below 32, else a 1-byte one [R largeP].
func getLarge(d *encoding.Decoder) []byte {
	if c, ok := d.Peek(); ok && c < 32 {
		return d.Large()
	}
	return d.Short()
}

// Encode returns the wire form of h.
func (h EncMessageHeader) Encode() []byte {
	w := encoding.NewBuffer(nil)
	w.Word16(h.Version).Raw(h.IV).Raw(h.Tag)
	putLarge(w, h.Version, h.Body)
	b, _ := w.Bytes()
	return b
}

// ParseEncMessageHeader parses an encrypted header; nothing may follow it.
func ParseEncMessageHeader(b []byte) (EncMessageHeader, error) {
	d := encoding.NewDecoder(b)
	h := EncMessageHeader{Version: d.Word16(), IV: d.Raw(IVSize), Tag: d.Raw(TagSize)}
	h.Body = getLarge(d)
	if err := d.Finish(); err != nil {
		return EncMessageHeader{}, fmt.Errorf("%w: %w", ErrHeaderSyntax, err)
	}
	return h, nil
}

// EncRatchetMessage is a whole encrypted message [R EncRatchetMessage,
// encodeEncRatchetMessage]:
//
//	len(encHeader) tag(16) tail(body)
//
// with len as in EncMessageHeader (by the sender's current version).
type EncRatchetMessage struct {
	Header []byte // encoded EncMessageHeader, also part of the body's AD
	Tag    []byte
	Body   []byte
}

// Encode returns the wire form of m for ratchet version v.
func (m EncRatchetMessage) Encode(v uint16) []byte {
	w := encoding.NewBuffer(nil)
	putLarge(w, v, m.Header)
	w.Raw(m.Tag).Raw(m.Body)
	b, _ := w.Bytes()
	return b
}

// ParseEncRatchetMessage parses an encrypted message [R encRatchetMessageP].
func ParseEncRatchetMessage(b []byte) (EncRatchetMessage, error) {
	d := encoding.NewDecoder(b)
	m := EncRatchetMessage{Header: getLarge(d), Tag: d.Raw(TagSize)}
	m.Body = d.Tail()
	if err := d.Err(); err != nil {
		return EncRatchetMessage{}, fmt.Errorf("%w: %w", ErrHeaderSyntax, err)
	}
	return m, nil
}
