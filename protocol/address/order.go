package address

import (
	"bytes"
	"cmp"
	"net/netip"
	"strings"
)

// Host kinds in the order of the reference's derived Ord instance for
// TransportHost: IPv4 < IPv6 < onion < domain [MTC TransportHost].
const (
	hostIPv4 = iota
	hostIPv6
	hostOnion
	hostDomain
)

// hostKind classifies a canonical host string as the parser would.
func hostKind(h string) (int, []byte) {
	p := &scanner{s: h}
	if _, ok := p.ipv4(); ok && p.eof() {
		a, _ := netip.ParseAddr(h)
		b := a.As4()
		return hostIPv4, b[:]
	}
	p.i = 0
	if s, ok := p.ipv6(); ok && p.eof() {
		a, _ := netip.ParseAddr(s)
		b := a.As16()
		return hostIPv6, b[:]
	}
	p.i = 0
	if _, ok := p.onion(); ok && p.eof() {
		return hostOnion, []byte(h)
	}
	return hostDomain, []byte(h)
}

func compareHost(a, b string) int {
	ka, va := hostKind(a)
	kb, vb := hostKind(b)
	if c := cmp.Compare(ka, kb); c != 0 {
		return c
	}
	return bytes.Compare(va, vb)
}

// CompareServers orders server addresses as the reference's derived Ord
// instance does: by scheme, then host list (host by host, IPv4 < IPv6 <
// onion < domain, then by value; a prefix sorts first), then port, then
// key hash [MP ProtocolServer]. The password is compared last. File
// descriptions group replicas in this order [FD groupReplicasByServer].
func CompareServers(a, b ServerAddress) int {
	if c := cmp.Compare(schemeRank(a.Scheme), schemeRank(b.Scheme)); c != 0 {
		return c
	}
	for i := 0; i < len(a.Hosts) && i < len(b.Hosts); i++ {
		if c := compareHost(a.Hosts[i], b.Hosts[i]); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(len(a.Hosts), len(b.Hosts)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := bytes.Compare(a.KeyHash, b.KeyHash); c != 0 {
		return c
	}
	return strings.Compare(a.BasicAuth, b.BasicAuth)
}

func schemeRank(s Scheme) int {
	switch s {
	case SchemeSMP:
		return 0
	case SchemeNTF:
		return 1
	case SchemeXFTP:
		return 2
	}
	return 3
}

// ParseServiceSchemePrefix parses "simplex:" or "https://<host>[:<port>]"
// at the start of s and returns the rest [SS StrEncoding ServiceScheme].
func ParseServiceSchemePrefix(s string) (ServiceScheme, string, error) {
	p := &scanner{s: s}
	sch, err := p.serviceScheme()
	if err != nil {
		return ServiceScheme{}, "", err
	}
	return sch, p.rest(), nil
}

// SafeUTF8 returns s with each invalid UTF-8 byte replaced by '?', as the
// reference decodes client data in links [Util safeDecodeUtf8].
func SafeUTF8(s string) string { return safeUTF8(s) }
