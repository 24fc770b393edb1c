package address

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Host parsing follows the reference's TransportHost parser, which tries,
// in order and without backtracking once one succeeds [MTC StrEncoding TransportHost]:
//
//  1. IPv4: four decimals separated by '.';
//  2. IPv6: "[…]" or a run of hex digits and ':' that reads as an address;
//  3. onion: lowercase letters and digits, then ".onion";
//  4. domain: one or more bytes other than ":#,;/ \n\r\t", not ending in ".onion".
//
// A parsed host is kept in the reference's text form: IPv4 octets without
// leading zeros, IPv6 in RFC 5952 form without brackets.

// parseHost consumes one host from p.
func (p *scanner) host() (string, error) {
	if h, ok := p.ipv4(); ok {
		return h, nil
	}
	if h, ok := p.ipv6(); ok {
		return h, nil
	}
	if h, ok := p.onion(); ok {
		return h, nil
	}
	start := p.i
	d := p.takeWhile(func(c byte) bool { return !strings.ContainsRune(":#,;/ \n\r\t", rune(c)) })
	if d == "" {
		return "", fmt.Errorf("%w: expected host at %d", ErrSyntax, start)
	}
	if strings.HasSuffix(d, ".onion") {
		p.i = start
		return "", fmt.Errorf("%w: invalid onion host %q", ErrSyntax, d)
	}
	return d, nil
}

func (p *scanner) ipv4() (string, bool) {
	start := p.i
	var o [4]uint64
	for k := range 4 {
		v, ok := p.decimal(255)
		if !ok || (k < 3 && !p.char('.')) {
			p.i = start
			return "", false
		}
		o[k] = v
	}
	return fmt.Sprintf("%d.%d.%d.%d", o[0], o[1], o[2], o[3]), true
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (p *scanner) ipv6() (string, bool) {
	start := p.i
	var t string
	if p.char('[') {
		t = p.takeWhile(func(c byte) bool { return c != ']' })
		if t == "" || !p.char(']') {
			p.i = start
			return "", false
		}
	} else {
		t = p.takeWhile(func(c byte) bool { return isHex(c) || c == ':' })
	}
	a, err := netip.ParseAddr(t)
	if t == "" || err != nil || !a.Is6() || a.Zone() != "" {
		p.i = start
		return "", false
	}
	return a.String(), true
}

func (p *scanner) onion() (string, bool) {
	start := p.i
	p.takeWhile(func(c byte) bool { return c >= 'a' && c <= 'z' || isDigit(c) })
	if !p.lit(".onion") {
		p.i = start
		return "", false
	}
	return p.s[start:p.i], true
}

// hosts parses one or more hosts separated by ','.
func (p *scanner) hosts() ([]string, error) {
	h, err := p.host()
	if err != nil {
		return nil, err
	}
	hs := []string{h}
	for {
		save := p.i
		if !p.char(',') {
			return hs, nil
		}
		h, err := p.host()
		if err != nil {
			p.i = save
			return hs, nil
		}
		hs = append(hs, h)
	}
}

// ParseHosts parses a comma-separated list of hosts, possibly empty, as in
// the "srv" and "h" query parameters [MTC TransportHosts_].
func ParseHosts(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	p := &scanner{s: s}
	hs, err := p.hosts()
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, fmt.Errorf("%w: trailing %q in hosts", ErrSyntax, p.rest())
	}
	return hs, nil
}

// ParseHost parses a single host and returns it in its canonical form.
func ParseHost(s string) (string, error) {
	p := &scanner{s: s}
	h, err := p.host()
	if err != nil {
		return "", err
	}
	if !p.eof() {
		return "", fmt.Errorf("%w: trailing %q in host", ErrSyntax, p.rest())
	}
	return h, nil
}

// port parses ":<decimal>" if present; the reference keeps the decimal's
// value, so leading zeros are dropped [MP serverStrP portP].
func (p *scanner) port() string {
	save := p.i
	if !p.char(':') {
		return ""
	}
	v, ok := p.decimal(65535)
	if !ok {
		p.i = save
		return ""
	}
	return strconv.FormatUint(v, 10)
}
