package address

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// SMP client versions: the versions of queue addresses shared between
// clients [MP SMPClientVersion].
const (
	InitialSMPClientVersion      = 1
	SrvHostnamesSMPClientVersion = 2 // all hosts in the authority, no "srv" parameter
	SndAuthKeySMPClientVersion   = 3 // sender can secure the queue
	ShortLinksSMPClientVersion   = 4 // queue mode instead of "k=s"
	CurrentSMPClientVersion      = 4
)

// SupportedSMPClientVRange is the SMP client version range of current clients.
var SupportedSMPClientVRange = encoding.VersionRange{Min: InitialSMPClientVersion, Max: CurrentSMPClientVersion}

// QueueMode says whether a queue is a one-to-one messaging queue or a
// contact address queue [MP QueueMode].
type QueueMode byte

// Queue modes; QueueModeNone is the absence of a mode in older addresses.
const (
	QueueModeNone      QueueMode = 0
	QueueModeMessaging QueueMode = 'M'
	QueueModeContact   QueueMode = 'C'
)

// formatVersionRange writes "min-max", or "v" when both are equal
// [V StrEncoding VersionRange].
func formatVersionRange(r encoding.VersionRange) string {
	if r.Min == r.Max {
		return strconv.Itoa(int(r.Min))
	}
	return strconv.Itoa(int(r.Min)) + "-" + strconv.Itoa(int(r.Max))
}

// ParseVersionRange parses "v" or "min-max" [V StrEncoding VersionRange].
func ParseVersionRange(s string) (encoding.VersionRange, error) {
	p := &scanner{s: s}
	lo, ok := p.decimal(0xffff)
	if !ok {
		return encoding.VersionRange{}, fmt.Errorf("%w: %q", ErrVersion, s)
	}
	hi := lo
	if p.char('-') {
		if hi, ok = p.decimal(0xffff); !ok {
			return encoding.VersionRange{}, fmt.Errorf("%w: %q", ErrVersion, s)
		}
	}
	if !p.eof() || lo > hi {
		return encoding.VersionRange{}, fmt.Errorf("%w: %q", ErrVersion, s)
	}
	return encoding.VersionRange{Min: uint16(lo), Max: uint16(hi)}, nil
}

// QueueURI is the address of an SMP queue shared out of band: where to
// send, the sender ID and the recipient's X25519 key for end-to-end
// encryption of the queue [AP SMPQueueUri, SMPQueueAddress].
type QueueURI struct {
	ClientVRange encoding.VersionRange
	Server       ServerAddress // scheme smp, no password
	SenderID     []byte
	DHKey        crypto.PublicKey // X25519
	Mode         QueueMode
}

// String returns the queue URI text [AP StrEncoding SMPQueueUri]. From
// client version 2 all hosts are in the authority; before, only the first
// is, and the others go in the "srv" parameter. "k=s" (sender can secure)
// is added for messaging queues while the minimum version is below 4.
func (q QueueURI) String() string {
	params := Query{
		{"v", formatVersionRange(q.ClientVRange)},
		{"dh", b64(q.DHKey.DER())},
	}
	switch q.Mode {
	case QueueModeMessaging:
		params = append(params, Param{"q", "m"})
	case QueueModeContact:
		params = append(params, Param{"q", "c"})
	}
	if q.Mode == QueueModeMessaging && q.ClientVRange.Min < ShortLinksSMPClientVersion {
		params = append(params, Param{"k", "s"})
	}
	var srv string
	if q.ClientVRange.Min >= SrvHostnamesSMPClientVersion || len(q.Server.Hosts) == 0 {
		srv = q.Server.String()
	} else {
		srv = q.Server.encode(q.Server.Hosts[:1])
		if len(q.Server.Hosts) > 1 {
			params = append(params, Param{"srv", strings.Join(q.Server.Hosts[1:], ",")})
		}
	}
	return srv + "/" + b64(q.SenderID) + "#/?" + params.Encode()
}

// x25519Key parses base64url of an X25519 SubjectPublicKeyInfo.
func (p *scanner) x25519Key() (crypto.PublicKey, error) {
	start := p.i
	der, err := p.b64()
	if err != nil {
		return crypto.PublicKey{}, err
	}
	k, err := parseDHKeyDER(der, crypto.X25519)
	if err != nil {
		p.i = start
		return crypto.PublicKey{}, err
	}
	return k, nil
}

func parseDHKeyDER(der []byte, algs ...crypto.Algorithm) (crypto.PublicKey, error) {
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil {
		return crypto.PublicKey{}, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	for _, a := range algs {
		if k.Alg == a {
			return k, nil
		}
	}
	return crypto.PublicKey{}, fmt.Errorf("%w: %v key where %v expected", ErrBadKey, k.Alg, algs)
}

// parseX25519Text parses a whole string as base64url of an X25519 SPKI.
func parseX25519Text(s string) (crypto.PublicKey, error) {
	p := &scanner{s: s}
	k, err := p.x25519Key()
	if err != nil {
		return crypto.PublicKey{}, err
	}
	if !p.eof() {
		return crypto.PublicKey{}, fmt.Errorf("%w: trailing %q after key", ErrSyntax, p.rest())
	}
	return k, nil
}

// ParseQueueURI parses a queue URI [AP StrEncoding SMPQueueUri]. Accepted
// forms: "…#/?v=…&dh=…" (also "#?…", "#<dh>/?…", "#<dh>?…") and the
// unversioned "…#<dh>" (version 1). Unknown parameters are ignored; "q"
// (m|c) wins over "k=s". For ranges whose maximum is below 2 the preset
// servers' onion hosts are added [AP updateSMPServerHosts].
func ParseQueueURI(s string) (QueueURI, error) {
	p := &scanner{s: s}
	q, err := p.queueURI()
	if err != nil {
		return QueueURI{}, fmt.Errorf("queue URI: %w", err)
	}
	if !p.eof() {
		return QueueURI{}, fmt.Errorf("queue URI: %w: trailing %q", ErrSyntax, p.rest())
	}
	return q, nil
}

func (p *scanner) queueURI() (QueueURI, error) {
	var q QueueURI
	srv, err := p.server()
	if err != nil {
		return q, err
	}
	if err := srv.check(SchemeSMP); err != nil {
		return q, err
	}
	if !p.char('/') {
		return q, fmt.Errorf("%w: expected '/' after server", ErrSyntax)
	}
	if q.SenderID, err = p.b64(); err != nil {
		return q, fmt.Errorf("sender ID: %w", err)
	}
	p.char('/')
	if !p.char('#') {
		return q, fmt.Errorf("%w: expected '#'", ErrSyntax)
	}
	start := p.i
	key, keyErr := p.x25519Key()
	save := p.i
	p.char('/')
	if p.char('?') {
		params := ParseQuery(p.queryText())
		vs, ok := params.Get("v")
		if !ok {
			return q, fmt.Errorf("%w: no qs param v", ErrSyntax)
		}
		if q.ClientVRange, err = ParseVersionRange(vs); err != nil {
			return q, err
		}
		if keyErr != nil {
			dh, ok := params.Get("dh")
			if !ok {
				return q, fmt.Errorf("%w: no qs param dh", ErrSyntax)
			}
			if key, err = parseX25519Text(dh); err != nil {
				return q, fmt.Errorf("dh: %w", err)
			}
		}
		if h, ok := params.Get("srv"); ok {
			hs, err := ParseHosts(h)
			if err != nil {
				return q, fmt.Errorf("srv: %w", err)
			}
			srv.Hosts = append(srv.Hosts, hs...)
		}
		switch m, _ := params.Get("q"); m {
		case "m":
			q.Mode = QueueModeMessaging
		case "c":
			q.Mode = QueueModeContact
		default:
			if k, ok := params.Get("k"); ok && k == "s" {
				q.Mode = QueueModeMessaging
			}
		}
	} else {
		// unversioned: "#<dh key>" and nothing else
		p.i = save
		if keyErr != nil || !p.eof() {
			p.i = start
			return q, fmt.Errorf("%w: expected DH key or query", ErrSyntax)
		}
		q.ClientVRange = encoding.VersionRange{Min: InitialSMPClientVersion, Max: InitialSMPClientVersion}
	}
	q.DHKey = key
	if q.ClientVRange.Max < SrvHostnamesSMPClientVersion {
		srv = UpdateSMPServerHosts(srv)
	}
	q.Server = srv
	return q, nil
}
