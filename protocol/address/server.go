package address

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/simplexgo/protocol/encoding"
)

// Scheme is the protocol of a server address.
type Scheme string

// The three server schemes [MP StrEncoding ProtocolType].
const (
	SchemeSMP  Scheme = "smp"
	SchemeNTF  Scheme = "ntf"
	SchemeXFTP Scheme = "xftp"
)

// Default ports used when an address has none [MTC defaultSMPPort, NC, FC].
const (
	DefaultSMPPort  = "5223"
	DefaultNTFPort  = "443"
	DefaultXFTPPort = "443"
)

// Errors specific to server addresses.
var (
	ErrScheme  = errors.New("address: bad protocol scheme")
	ErrHasAuth = errors.New("address: basic auth not allowed here")
)

// DefaultPort returns the port a client connects to when an address of
// scheme s has none.
func DefaultPort(s Scheme) string {
	switch s {
	case SchemeSMP:
		return DefaultSMPPort
	case SchemeNTF:
		return DefaultNTFPort
	case SchemeXFTP:
		return DefaultXFTPPort
	}
	return ""
}

// ServerAddress is a server location with the hash of its identity
// certificate [MP ProtocolServer, ProtoServerWithAuth].
type ServerAddress struct {
	Scheme    Scheme
	KeyHash   []byte   // SHA-256 of the identity (CA) certificate
	BasicAuth string   // optional server password; empty when absent
	Hosts     []string // at least one; canonical host text
	Port      string   // empty means the scheme's default
}

// ServerPort returns the address's port, or the scheme's default.
func (a ServerAddress) ServerPort() string {
	if a.Port != "" {
		return a.Port
	}
	return DefaultPort(a.Scheme)
}

// Equal reports whether a and o are the same address.
func (a ServerAddress) Equal(o ServerAddress) bool {
	return a.Scheme == o.Scheme && bytes.Equal(a.KeyHash, o.KeyHash) && a.BasicAuth == o.BasicAuth &&
		slices.Equal(a.Hosts, o.Hosts) && a.Port == o.Port
}

// SameServer reports whether a and o have the same hosts and port, the
// test clients use to match queues to servers [MP sameSrvAddr].
func (a ServerAddress) SameServer(o ServerAddress) bool {
	return slices.Equal(a.Hosts, o.Hosts) && a.Port == o.Port
}

// String returns the text form
// "<scheme>://<keyHash>[:<auth>]@<host>[,<host>…][:<port>]" [MP strEncodeServer].
func (a ServerAddress) String() string {
	return a.encode(a.Hosts)
}

func (a ServerAddress) encode(hosts []string) string {
	var b strings.Builder
	b.WriteString(string(a.Scheme))
	b.WriteString("://")
	b.WriteString(b64(a.KeyHash))
	if a.BasicAuth != "" {
		b.WriteByte(':')
		b.WriteString(a.BasicAuth)
	}
	b.WriteByte('@')
	b.WriteString(strings.Join(hosts, ","))
	if a.Port != "" {
		b.WriteByte(':')
		b.WriteString(a.Port)
	}
	return b.String()
}

// validAuthByte reports whether c may appear in a basic-auth password: a
// printable, non-space Latin-1 character other than '@', ':' and '/'
// [MP basicAuth].
func validAuthByte(c byte) bool {
	switch {
	case c == '@' || c == ':' || c == '/':
		return false
	case c > 0x20 && c < 0x7f:
		return true
	case c > 0xa0 && c != 0xad:
		return true
	}
	return false
}

// ValidBasicAuth reports whether s is a valid server password (it may be
// empty in binary encodings) [MP basicAuth].
func ValidBasicAuth(s string) bool {
	for i := 0; i < len(s); i++ {
		if !validAuthByte(s[i]) {
			return false
		}
	}
	return true
}

// server parses a server address prefix [MP serverStrP].
func (p *scanner) server() (ServerAddress, error) {
	var a ServerAddress
	start := p.i
	sch := p.takeWhile(func(c byte) bool { return c != ':' && c != ' ' })
	switch Scheme(sch) {
	case SchemeSMP, SchemeNTF, SchemeXFTP:
		a.Scheme = Scheme(sch)
	default:
		p.i = start
		return a, fmt.Errorf("%w: %q", ErrScheme, sch)
	}
	if !p.lit("://") {
		return a, fmt.Errorf("%w: expected \"://\"", ErrSyntax)
	}
	kh, err := p.b64()
	if err != nil {
		return a, fmt.Errorf("key hash: %w", err)
	}
	a.KeyHash = kh
	save := p.i
	if p.char(':') {
		auth := p.takeWhile(func(c byte) bool { return c != '@' })
		if auth != "" && ValidBasicAuth(auth) {
			a.BasicAuth = auth
		} else {
			p.i = save
		}
	}
	if !p.char('@') {
		return a, fmt.Errorf("%w: expected '@' (or a valid password after ':')", ErrSyntax)
	}
	if a.Hosts, err = p.hosts(); err != nil {
		return a, err
	}
	a.Port = p.port()
	return a, nil
}

// ParseServerAddress parses the text form of a server address, with an
// optional basic-auth password [MP StrEncoding AProtoServerWithAuth].
func ParseServerAddress(s string) (ServerAddress, error) {
	p := &scanner{s: s}
	a, err := p.server()
	if err != nil {
		return ServerAddress{}, fmt.Errorf("server address: %w", err)
	}
	if !p.eof() {
		return ServerAddress{}, fmt.Errorf("server address: %w: trailing %q", ErrSyntax, p.rest())
	}
	return a, nil
}

// ParseServer parses a server address of scheme want that must not carry a
// password, as used inside queue URIs, file descriptions and push payloads
// [MP StrEncoding ProtocolServer].
func ParseServer(s string, want Scheme) (ServerAddress, error) {
	a, err := ParseServerAddress(s)
	if err != nil {
		return ServerAddress{}, err
	}
	if err := a.check(want); err != nil {
		return ServerAddress{}, err
	}
	return a, nil
}

func (a ServerAddress) check(want Scheme) error {
	if a.Scheme != want {
		return fmt.Errorf("%w: %q, want %q", ErrScheme, a.Scheme, want)
	}
	if a.BasicAuth != "" {
		return ErrHasAuth
	}
	return nil
}

// AppendBinary appends the binary form used inside protocol messages
// (SMP PRXY, NTF SNEW): list(short(host)) short(port) short(keyHash)
// [MP Encoding ProtocolServer]. The scheme and password are not part of it.
func (a ServerAddress) AppendBinary(w *encoding.Buffer) {
	w.Count(len(a.Hosts))
	for _, h := range a.Hosts {
		w.Short([]byte(h))
	}
	w.Short([]byte(a.Port)).Short(a.KeyHash)
}

// DecodeServerAddress reads the binary form of a server address of the
// given scheme from d [MP Encoding ProtocolServer]. Each host must parse
// as a host and is kept in canonical form; the port is kept as sent.
func DecodeServerAddress(d *encoding.Decoder, scheme Scheme) ServerAddress {
	a := ServerAddress{Scheme: scheme}
	n := d.NonEmptyCount()
	for range n {
		raw := d.Short()
		if d.Err() != nil {
			return ServerAddress{}
		}
		h, err := ParseHost(string(raw))
		if err != nil {
			d.Fail(fmt.Errorf("server host: %w", err))
			return ServerAddress{}
		}
		a.Hosts = append(a.Hosts, h)
	}
	a.Port = string(d.Short())
	a.KeyHash = bytes.Clone(d.Short())
	if d.Err() != nil {
		return ServerAddress{}
	}
	return a
}

// extraSMPServerHosts maps preset SMP hosts to their onion addresses; a
// queue address naming only one of these hosts gets the onion host added
// [AP extraSMPServerHosts, updateSMPServerHosts].
var extraSMPServerHosts = map[string]string{
	"smp4.simplex.im":  "o5vmywmrnaxalvz6wi3zicyftgio6psuvyniis6gco6bp6ekl4cqj4id.onion",
	"smp5.simplex.im":  "jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion",
	"smp6.simplex.im":  "bylepyau3ty4czmn77q4fglvperknl4bi2eb2fdy2bh4jxtf32kf73yd.onion",
	"smp8.simplex.im":  "beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion",
	"smp9.simplex.im":  "jssqzccmrcws6bhmn77vgmhfjmhwlyr3u7puw4erkyoosywgl67slqqd.onion",
	"smp10.simplex.im": "rb2pbttocvnbrngnwziclp2f4ckjq65kebafws6g4hy22cdaiv5dwjqd.onion",
}

// UpdateSMPServerHosts returns a with the onion host appended when a has
// exactly one host and it is one of the preset servers listed in the
// reference [AP updateSMPServerHosts].
func UpdateSMPServerHosts(a ServerAddress) ServerAddress {
	if len(a.Hosts) == 1 {
		if onion, ok := extraSMPServerHosts[a.Hosts[0]]; ok {
			a.Hosts = []string{a.Hosts[0], onion}
		}
	}
	return a
}

// ParseServerPrefix parses a server address of scheme want, without a
// password, at the start of s and returns the rest of s, as the reference's
// parser does where an address is followed by more text (queue URIs, push
// notification payloads) [MP StrEncoding ProtocolServer].
func ParseServerPrefix(s string, want Scheme) (ServerAddress, string, error) {
	p := &scanner{s: s}
	a, err := p.server()
	if err != nil {
		return ServerAddress{}, "", fmt.Errorf("server address: %w", err)
	}
	if err := a.check(want); err != nil {
		return ServerAddress{}, "", err
	}
	return a, p.rest(), nil
}

// ParseB64Prefix parses base64url text (non-empty, padding optional) at the
// start of s and returns the decoded bytes and the rest of s [MES base64urlP].
func ParseB64Prefix(s string) ([]byte, string, error) {
	p := &scanner{s: s}
	b, err := p.b64()
	if err != nil {
		return nil, "", err
	}
	return b, p.rest(), nil
}
