package smp

import (
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// keyKind restricts which algorithms a key field accepts.
type keyKind uint8

const (
	// kindAuth: a key that authorizes commands, APublicAuthKey in [MC]:
	// Ed25519 or Ed448 (signatures) or X25519 (authenticators, v7+).
	kindAuth keyKind = iota
	// kindDH: an X25519 key for DH agreement (PublicKeyX25519 in [MC]).
	kindDH
)

func (k keyKind) allows(a crypto.Algorithm) bool {
	switch k {
	case kindAuth:
		return a == crypto.Ed25519 || a == crypto.Ed448 || a == crypto.X25519
	case kindDH:
		return a == crypto.X25519
	}
	return false
}

// putKey appends short(DER SubjectPublicKeyInfo) of k.
func putKey(w *encoding.Buffer, k crypto.PublicKey, kind keyKind, what string) {
	if !kind.allows(k.Alg) {
		w.Fail(fmt.Errorf("%w: %s: algorithm %v", ErrInvalid, what, k.Alg))
		return
	}
	w.Short(k.DER())
}

// parseKey reads short(DER SubjectPublicKeyInfo) and checks its algorithm.
func parseKey(d *encoding.Decoder, kind keyKind, what string) crypto.PublicKey {
	der := d.Short()
	if d.Err() != nil {
		return crypto.PublicKey{}
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil {
		d.Fail(fmt.Errorf("%s: %w", what, err))
		return crypto.PublicKey{}
	}
	if !kind.allows(k.Alg) {
		d.Fail(fmt.Errorf("%s: %w: %v", what, crypto.ErrKeyAlg, k.Alg))
		return crypto.PublicKey{}
	}
	return k
}

// putMaybeShort appends maybe(short(b)); nil is Nothing, any non-nil slice
// (even empty) is Just.
func putMaybeShort(w *encoding.Buffer, b []byte) {
	if b == nil {
		w.Maybe(false)
		return
	}
	w.Maybe(true).Short(b)
}

// parseMaybeShort reads maybe(short(x)); Just "" gives a non-nil empty
// slice so that it re-encodes the same way.
func parseMaybeShort(d *encoding.Decoder) []byte {
	if !d.Maybe() {
		return nil
	}
	s := d.Short()
	if s == nil && d.Err() == nil {
		s = []byte{}
	}
	return s
}

// validBasicAuth reports whether every byte of a server password is allowed
// [MP basicAuth]: the reference reads bytes as Latin-1 characters and
// accepts those that are printable, not white space and not '@', ':' or
// '/'. In Latin-1 that leaves 0x21..0x7E minus the three, and 0xA1..0xFF
// minus the soft hyphen 0xAD.
func validBasicAuth(b []byte) bool {
	for _, c := range b {
		switch {
		case c == '@' || c == ':' || c == '/':
			return false
		case c >= 0x21 && c <= 0x7e:
		case c >= 0xa1 && c != 0xad:
		default:
			return false
		}
	}
	return true
}

// putBasicAuth appends maybe(short(password)).
func putBasicAuth(w *encoding.Buffer, pwd []byte) {
	if pwd != nil && !validBasicAuth(pwd) {
		w.Fail(fmt.Errorf("%w: password has a disallowed character", ErrInvalid))
		return
	}
	putMaybeShort(w, pwd)
}

// parseBasicAuth reads maybe(short(password)) and validates it.
func parseBasicAuth(d *encoding.Decoder) []byte {
	pwd := parseMaybeShort(d)
	if pwd != nil && !validBasicAuth(pwd) {
		d.Fail(fmt.Errorf("%w: password has a disallowed character", ErrSyntax))
	}
	return pwd
}

// checkCount reports whether n items fit a non-empty list(x), failing w
// otherwise.
func checkCount(w *encoding.Buffer, n int, what string) bool {
	if n < 1 || n > 255 {
		w.Fail(fmt.Errorf("%w: %s: %d items (want 1..255)", ErrInvalid, what, n))
		return false
	}
	return true
}
