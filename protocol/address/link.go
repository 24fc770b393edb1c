package address

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// SMP agent versions, the version of the connection protocol between
// clients [AP SMPAgentVersion].
const (
	DuplexHandshakeSMPAgentVersion = 2
	RatchetSyncSMPAgentVersion     = 3
	DeliveryRcptsSMPAgentVersion   = 4
	PQDRSMPAgentVersion            = 5
	SndAuthKeySMPAgentVersion      = 6
	RatchetOnConfSMPAgentVersion   = 7
	MinSupportedSMPAgentVersion    = DuplexHandshakeSMPAgentVersion
	CurrentSMPAgentVersion         = 7
)

// SupportedSMPAgentVRange is the agent version range of current clients.
var SupportedSMPAgentVRange = encoding.VersionRange{Min: MinSupportedSMPAgentVersion, Max: CurrentSMPAgentVersion}

// ErrMode is returned for an unknown or unexpected connection mode.
var ErrMode = errors.New("address: bad connection mode")

// ConnMode is the kind of a connection link.
type ConnMode byte

// Connection modes [AP ConnectionMode].
const (
	ModeInvitation ConnMode = 'I' // one-time invitation
	ModeContact    ConnMode = 'C' // long-term contact address
)

// ServiceScheme is the scheme part of a link: "simplex:" or
// "https://<host>[:<port>]" [SS ServiceScheme].
type ServiceScheme struct {
	Host string // empty for "simplex:"
	Port string // only with Host
}

// SimplexScheme is "simplex:"; SimplexChatScheme is "https://simplex.chat".
var (
	SimplexScheme     = ServiceScheme{}
	SimplexChatScheme = ServiceScheme{Host: "simplex.chat"}
)

// String returns "simplex:" or "https://host[:port]".
func (s ServiceScheme) String() string {
	if s.Host == "" {
		return "simplex:"
	}
	if s.Port != "" {
		return "https://" + s.Host + ":" + s.Port
	}
	return "https://" + s.Host
}

// serviceScheme parses "simplex:" or "https://<host>[:<port>]", the host
// being bytes other than ":#,;/ " [SS StrEncoding SrvLoc].
func (p *scanner) serviceScheme() (ServiceScheme, error) {
	if p.lit("simplex:") {
		return SimplexScheme, nil
	}
	if !p.lit("https://") {
		return ServiceScheme{}, fmt.Errorf("%w: expected simplex: or https://", ErrSyntax)
	}
	h := p.takeWhile(func(c byte) bool { return !strings.ContainsRune(":#,;/ ", rune(c)) })
	if h == "" {
		return ServiceScheme{}, fmt.Errorf("%w: expected host", ErrSyntax)
	}
	return ServiceScheme{Host: h, Port: p.port()}, nil
}

// ConnectionRequest is a full connection link: an invitation (with e2e
// parameters) or a contact address [AP ConnectionRequestUri, ConnReqUriData].
type ConnectionRequest struct {
	Mode        ConnMode
	Scheme      ServiceScheme
	AgentVRange encoding.VersionRange
	Queues      []QueueURI // at least one
	ClientData  *string    // optional application data (JSON text)
	E2E         *E2EParams // invitations only
}

// String returns the link text [AP StrEncoding ConnectionRequestUri]:
// "<scheme>/<invitation|contact>#/?v=…&smp=…[&e2e=…][&data=…]", queue URIs
// joined with ';' (hosts use ','), the whole query escaped.
func (c ConnectionRequest) String() string {
	mode := "contact"
	if c.Mode == ModeInvitation {
		mode = "invitation"
	}
	qs := make([]string, len(c.Queues))
	for i, q := range c.Queues {
		qs[i] = q.String()
	}
	params := Query{{"v", formatVersionRange(c.AgentVRange)}, {"smp", strings.Join(qs, ";")}}
	if c.E2E != nil {
		params = append(params, Param{"e2e", c.E2E.String()})
	}
	if c.ClientData != nil {
		params = append(params, Param{"data", *c.ClientData})
	}
	return c.Scheme.String() + "/" + mode + "#/?" + params.Encode()
}

// ParseConnectionRequest parses a full connection link [AP connReqUriP].
// As in the reference, the scheme is read but the result always has the
// "simplex:" scheme; a contact address's agent range is raised to at least
// the minimum supported version 2. Invitations need e2e parameters with
// X448 keys and no KEM ciphertext.
func ParseConnectionRequest(s string) (ConnectionRequest, error) {
	p := &scanner{s: s}
	c, err := p.connectionRequest()
	if err != nil {
		return ConnectionRequest{}, fmt.Errorf("connection request: %w", err)
	}
	if !p.eof() {
		return ConnectionRequest{}, fmt.Errorf("connection request: %w: trailing %q", ErrSyntax, p.rest())
	}
	return c, nil
}

func (p *scanner) connectionRequest() (ConnectionRequest, error) {
	var c ConnectionRequest
	if _, err := p.serviceScheme(); err != nil {
		return c, err
	}
	c.Scheme = SimplexScheme
	if !p.char('/') {
		return c, fmt.Errorf("%w: expected '/'", ErrSyntax)
	}
	switch {
	case p.lit("invitation"):
		c.Mode = ModeInvitation
	case p.lit("contact"):
		c.Mode = ModeContact
	default:
		return c, ErrMode
	}
	p.char('/')
	if !p.lit("#/?") {
		return c, fmt.Errorf("%w: expected \"#/?\"", ErrSyntax)
	}
	params := ParseQuery(p.queryText())
	vs, ok := params.Get("v")
	if !ok {
		return c, fmt.Errorf("%w: no qs param v", ErrSyntax)
	}
	var err error
	if c.AgentVRange, err = ParseVersionRange(vs); err != nil {
		return c, err
	}
	smp, ok := params.Get("smp")
	if !ok {
		return c, fmt.Errorf("%w: no qs param smp", ErrSyntax)
	}
	for qs := range strings.SplitSeq(smp, ";") {
		q, err := ParseQueueURI(qs)
		if err != nil {
			return c, err
		}
		c.Queues = append(c.Queues, q)
	}
	if d, ok := params.Get("data"); ok {
		d = safeUTF8(d)
		c.ClientData = &d
	}
	switch c.Mode {
	case ModeInvitation:
		es, ok := params.Get("e2e")
		if !ok {
			return c, fmt.Errorf("%w: no qs param e2e", ErrSyntax)
		}
		e, err := ParseE2EParams(es)
		if err != nil {
			return c, err
		}
		if e.Key1.Alg != crypto.X448 {
			return c, fmt.Errorf("%w: invitation e2e keys must be X448", ErrBadKey)
		}
		if e.KEMCiphertext != nil {
			return c, fmt.Errorf("%w: accepted KEM parameters in an invitation", ErrSyntax)
		}
		c.E2E = &e
	case ModeContact:
		v := max(uint16(MinSupportedSMPAgentVersion), c.AgentVRange.Min)
		c.AgentVRange = encoding.VersionRange{Min: v, Max: max(v, c.AgentVRange.Max)}
	}
	return c, nil
}

// safeUTF8 replaces each invalid UTF-8 byte with '?' [Util safeDecodeUtf8].
func safeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteByte('?')
		} else {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// ContactType is the kind of a contact short link [AP ContactConnType].
type ContactType byte

// Contact short link types; the link text uses the lower-case letter.
const (
	ContactTypeContact ContactType = 'A'
	ContactTypeChannel ContactType = 'C'
	ContactTypeGroup   ContactType = 'G'
	ContactTypeRelay   ContactType = 'R'
)

// ShortLink is a short connection link: the link data is stored on the SMP
// server and found by the link ID (invitations) or the key (contacts)
// [AP ConnShortLink].
type ShortLink struct {
	Mode        ConnMode
	ServerForm  bool        // "https://<first host>/…" rather than "simplex:/…"
	ContactType ContactType // contacts only
	Server      ServerAddress
	LinkID      []byte // invitations only
	LinkKey     []byte
}

// String returns the short link text [AP StrEncoding ConnShortLink]:
// "<authority>/<type>#[<linkId>/]<key>[?h=<hosts>&p=<port>&c=<keyHash>]",
// base64url without padding.
func (l ShortLink) String() string {
	var b strings.Builder
	hosts := l.Server.Hosts
	if l.ServerForm && len(hosts) > 0 {
		b.WriteString("https://")
		b.WriteString(hosts[0])
		hosts = hosts[1:]
	} else {
		b.WriteString("simplex:")
	}
	b.WriteByte('/')
	if l.Mode == ModeInvitation {
		b.WriteByte('i')
	} else {
		b.WriteByte(byte(l.ContactType) | 0x20)
	}
	b.WriteByte('#')
	if len(l.LinkID) > 0 {
		b.WriteString(b64Unpadded(l.LinkID))
		b.WriteByte('/')
	}
	b.WriteString(b64Unpadded(l.LinkKey))
	var q Query
	if len(hosts) > 0 {
		q = append(q, Param{"h", strings.Join(hosts, ",")})
	}
	if l.Server.Port != "" {
		q = append(q, Param{"p", l.Server.Port})
	}
	if len(l.Server.KeyHash) > 0 {
		q = append(q, Param{"c", b64Unpadded(l.Server.KeyHash)})
	}
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(q.Encode())
	}
	return b.String()
}

// ParseShortLink parses a short link [AP StrEncoding AConnShortLink].
func ParseShortLink(s string) (ShortLink, error) {
	p := &scanner{s: s}
	l, err := p.shortLink()
	if err != nil {
		return ShortLink{}, fmt.Errorf("short link: %w", err)
	}
	if !p.eof() {
		return ShortLink{}, fmt.Errorf("short link: %w: trailing %q", ErrSyntax, p.rest())
	}
	return l, nil
}

func (p *scanner) shortLink() (ShortLink, error) {
	l := ShortLink{Server: ServerAddress{Scheme: SchemeSMP}}
	var first string
	switch {
	case p.lit("simplex:"):
	case p.lit("https://"):
		h, err := p.host()
		if err != nil {
			return l, err
		}
		l.ServerForm, first = true, h
	default:
		return l, fmt.Errorf("%w: bad short link scheme", ErrSyntax)
	}
	if !p.char('/') {
		return l, fmt.Errorf("%w: expected '/'", ErrSyntax)
	}
	c, ok := p.peek()
	switch {
	case ok && strings.IndexByte("aAcCgGrR", c) >= 0:
		l.Mode, l.ContactType = ModeContact, ContactType(c&^0x20)
	case ok && c == 'i':
		l.Mode = ModeInvitation
	default:
		return l, fmt.Errorf("%w: unknown short link type", ErrMode)
	}
	p.i++
	p.char('/')
	if !p.char('#') {
		return l, fmt.Errorf("%w: expected '#'", ErrSyntax)
	}
	var err error
	if l.Mode == ModeInvitation {
		if l.LinkID, err = p.b64(); err != nil {
			return l, fmt.Errorf("link ID: %w", err)
		}
		if !p.char('/') {
			return l, fmt.Errorf("%w: expected '/' after link ID", ErrSyntax)
		}
	}
	if l.LinkKey, err = p.b64(); err != nil {
		return l, fmt.Errorf("link key: %w", err)
	}
	if first != "" {
		l.Server.Hosts = []string{first}
	}
	if !p.char('?') {
		if first == "" {
			return l, fmt.Errorf("%w: short link without server", ErrSyntax)
		}
		return l, nil
	}
	params := ParseQuery(p.queryText())
	if h, ok := params.Get("h"); ok {
		hs, err := ParseHosts(h)
		if err != nil {
			return l, fmt.Errorf("h: %w", err)
		}
		l.Server.Hosts = append(l.Server.Hosts, hs...)
	}
	if len(l.Server.Hosts) == 0 {
		return l, fmt.Errorf("%w: short link without server", ErrSyntax)
	}
	if ps, ok := params.Get("p"); ok {
		sp := &scanner{s: ps}
		v, ok := sp.decimal(0xffff)
		if !ok || !sp.eof() {
			return l, fmt.Errorf("%w: bad port %q", ErrSyntax, ps)
		}
		l.Server.Port = strconv.FormatUint(v, 10)
	}
	if cs, ok := params.Get("c"); ok {
		if l.Server.KeyHash, err = ParseB64(cs); err != nil {
			return l, fmt.Errorf("c: %w", err)
		}
	}
	return l, nil
}

// ConnectionLink is either a full connection request or a short link
// [AP AConnectionLink]; exactly one field is set.
type ConnectionLink struct {
	Full  *ConnectionRequest
	Short *ShortLink
}

// String returns the text of the link that is set.
func (l ConnectionLink) String() string {
	switch {
	case l.Full != nil:
		return l.Full.String()
	case l.Short != nil:
		return l.Short.String()
	}
	return ""
}

// ParseConnectionLink parses a full connection request or, failing that, a
// short link [AP StrEncoding AConnectionLink].
func ParseConnectionLink(s string) (ConnectionLink, error) {
	c, err := ParseConnectionRequest(s)
	if err == nil {
		return ConnectionLink{Full: &c}, nil
	}
	l, err2 := ParseShortLink(s)
	if err2 == nil {
		return ConnectionLink{Short: &l}, nil
	}
	return ConnectionLink{}, fmt.Errorf("connection link: %w; %w", err, err2)
}

// Equal reports whether the two queue URIs are the same.
func (q QueueURI) Equal(o QueueURI) bool {
	return q.ClientVRange == o.ClientVRange && q.Server.Equal(o.Server) && slices.Equal(q.SenderID, o.SenderID) &&
		q.DHKey.Equal(o.DHKey) && q.Mode == o.Mode
}
