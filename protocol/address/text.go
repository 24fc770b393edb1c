package address

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by the parsers. They are wrapped with detail.
var (
	ErrSyntax  = errors.New("address: syntax error")
	ErrBadKey  = errors.New("address: bad key")
	ErrVersion = errors.New("address: invalid version range")
)

// b64 encodes b as base64url with '=' padding [MES StrEncoding ByteString].
func b64(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

// b64Unpadded encodes b as base64url without padding (short links [AP slEncode]).
func b64Unpadded(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func isB64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// decodeB64 decodes base64url text whose padding may be present or absent:
// like base64-bytestring's URL decoder it completes a length of 2 or 3
// modulo 4 with '=' and rejects non-canonical trailing bits.
func decodeB64(s string) ([]byte, error) {
	switch len(s) % 4 {
	case 1:
		return nil, fmt.Errorf("%w: base64 length %d", ErrSyntax, len(s))
	case 2:
		s += "=="
	case 3:
		s += "="
	}
	b, err := base64.URLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrSyntax, err)
	}
	return b, nil
}

// scanner is a cursor over text being parsed, mirroring attoparsec's
// combinators used by the reference.
type scanner struct {
	s string
	i int
}

func (p *scanner) rest() string { return p.s[p.i:] }
func (p *scanner) eof() bool    { return p.i >= len(p.s) }

func (p *scanner) peek() (byte, bool) {
	if p.eof() {
		return 0, false
	}
	return p.s[p.i], true
}

// char consumes c if it is next.
func (p *scanner) char(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// lit consumes the literal l if it is next.
func (p *scanner) lit(l string) bool {
	if strings.HasPrefix(p.s[p.i:], l) {
		p.i += len(l)
		return true
	}
	return false
}

// takeWhile consumes the longest prefix whose bytes satisfy f.
func (p *scanner) takeWhile(f func(byte) bool) string {
	j := p.i
	for j < len(p.s) && f(p.s[j]) {
		j++
	}
	t := p.s[p.i:j]
	p.i = j
	return t
}

// b64 parses base64urlP: one or more base64url characters, then any '='
// padding, decoded [MES base64urlP]. Nothing is consumed on failure.
func (p *scanner) b64() ([]byte, error) {
	start := p.i
	body := p.takeWhile(isB64Char)
	if body == "" {
		return nil, fmt.Errorf("%w: expected base64url at %d", ErrSyntax, start)
	}
	p.takeWhile(func(c byte) bool { return c == '=' })
	b, err := decodeB64(p.s[start:p.i])
	if err != nil {
		p.i = start
		return nil, err
	}
	return b, nil
}

// decimal parses one or more ASCII digits as a number no greater than max.
// Nothing is consumed on failure.
func (p *scanner) decimal(max uint64) (uint64, bool) {
	start := p.i
	d := p.takeWhile(isDigit)
	if d == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(d, 10, 64)
	if err != nil || v > max {
		p.i = start
		return 0, false
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// B64 encodes b as base64url with '=' padding, the text form the reference
// uses for keys, IDs and key hashes [MES StrEncoding ByteString].
func B64(b []byte) string { return b64(b) }

// ParseB64 decodes non-empty base64url text, with or without padding,
// rejecting non-canonical encodings [MES base64urlP].
func ParseB64(s string) ([]byte, error) {
	p := &scanner{s: s}
	b, err := p.b64()
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, fmt.Errorf("%w: trailing %q", ErrSyntax, p.rest())
	}
	return b, nil
}
