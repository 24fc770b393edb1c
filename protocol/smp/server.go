package smp

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/simplexgo/protocol/encoding"
)

// SMPServer is a relay address as sent in PRXY [MP instance Encoding
// ProtocolServer]:
//
//	smpServer = list(short(host)) short(port) short(keyHash)   ; 1..255 hosts
//
// KeyHash is the fingerprint of the relay's identity certificate (§2.3);
// Port may be empty (default port).
type SMPServer struct {
	Hosts   []string
	Port    string
	KeyHash []byte
}

func putSMPServer(w *encoding.Buffer, s SMPServer) {
	if !checkCount(w, len(s.Hosts), "server hosts") {
		return
	}
	w.Count(len(s.Hosts))
	for _, h := range s.Hosts {
		if !ValidHost(h) {
			w.Fail(fmt.Errorf("%w: server host %q", ErrInvalid, h))
			return
		}
		w.Short([]byte(h))
	}
	w.Short([]byte(s.Port)).Short(s.KeyHash)
}

func parseSMPServer(d *encoding.Decoder) SMPServer {
	n := d.NonEmptyCount()
	var s SMPServer
	for i := 0; i < n && d.Err() == nil; i++ {
		h := string(d.Short())
		if d.Err() == nil && !ValidHost(h) {
			d.Fail(fmt.Errorf("%w: server host %q", ErrSyntax, h))
		}
		s.Hosts = append(s.Hosts, h)
	}
	s.Port = string(d.Short())
	s.KeyHash = d.Short()
	return s
}

// ValidHost reports whether h parses as a transport host the way the
// reference reads it [MTC instance StrEncoding TransportHost], trying in
// order and committing to the first alternative that matches a prefix:
// IPv4 (a.b.c.d), IPv6 ([addr] or hex digits and colons), onion
// ([a-z0-9]*.onion) and domain name (no ":#,;/" or white space, not ending
// in .onion); the whole string must be consumed.
func ValidHost(h string) bool {
	b := []byte(h)
	if n, ok := ipv4Prefix(b); ok {
		return n == len(b)
	}
	if n, ok := ipv6Prefix(b); ok {
		return n == len(b)
	}
	if n, ok := onionPrefix(b); ok {
		return n == len(b)
	}
	n := 0
	for n < len(b) && bytes.IndexByte([]byte(":#,;/ \n\r\t"), b[n]) < 0 {
		n++
	}
	return n > 0 && n == len(b) && !bytes.HasSuffix(b, []byte(".onion"))
}

// digits returns how many ASCII digits b starts with and their value,
// saturated so that long runs stay large.
func digits(b []byte) (n int, v int) {
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		if v < 1<<20 {
			v = v*10 + int(b[n]-'0')
		}
		n++
	}
	return n, v
}

// ipv4Prefix matches three decimal octets each followed by '.', then a
// decimal (whose range the reference does not check).
func ipv4Prefix(b []byte) (int, bool) {
	off := 0
	for range 3 {
		n, v := digits(b[off:])
		if n == 0 || v > 255 || off+n >= len(b) || b[off+n] != '.' {
			return 0, false
		}
		off += n + 1
	}
	n, _ := digits(b[off:])
	if n == 0 {
		return 0, false
	}
	return off + n, true
}

func isHexOrColon(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':'
}

// ipv6Prefix matches "[" addr "]" or a run of hex digits and colons that
// reads as an IPv6 address.
func ipv6Prefix(b []byte) (int, bool) {
	var s []byte
	var n int
	if len(b) > 0 && b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 2 {
			return 0, false
		}
		s, n = b[1:end], end+1
	} else {
		for n < len(b) && isHexOrColon(b[n]) {
			n++
		}
		s = b[:n]
	}
	if len(s) == 0 {
		return 0, false
	}
	a, err := netip.ParseAddr(string(s))
	if err != nil || !a.Is6() || a.Zone() != "" {
		return 0, false
	}
	return n, true
}

// onionPrefix matches [a-z0-9]* ".onion".
func onionPrefix(b []byte) (int, bool) {
	n := 0
	for n < len(b) && (b[n] >= 'a' && b[n] <= 'z' || b[n] >= '0' && b[n] <= '9') {
		n++
	}
	if !bytes.HasPrefix(b[n:], []byte(".onion")) {
		return 0, false
	}
	return n + len(".onion"), true
}
