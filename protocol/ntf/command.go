package ntf

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Command is a client command; its concrete type is one of the types below.
type Command interface {
	// Tag returns the command word, e.g. "TNEW".
	Tag() string
	// IsToken reports whether the command addresses a token (TNEW…TCRN)
	// rather than a subscription (SNEW, SCHK, SDEL, PING) [NP NtfCommandTag].
	IsToken() bool
}

// TNEW registers a device token; it is authorized by VerifyKey. DHKey is
// the client's X25519 key for the token's push-encryption secret.
type TNEW struct {
	Provider  Provider
	Token     []byte
	VerifyKey crypto.PublicKey // Ed25519, Ed448 or X25519
	DHKey     crypto.PublicKey // X25519
}

// TVFY verifies a token with the code pushed to the device.
type TVFY struct{ Code []byte }

// TCHK asks for the token status (answer: TKN).
type TCHK struct{}

// TRPL replaces the device token, keeping subscriptions.
type TRPL struct {
	Provider Provider
	Token    []byte
}

// TDEL deletes the token and its subscriptions.
type TDEL struct{}

// TCRN sets the periodic "check messages" push interval in minutes; 0
// disables it, 1..19 is refused with QUOTA by the official server.
type TCRN struct{ Minutes uint16 }

// SNEW subscribes to an SMP queue's notifications for a token. The
// notifier key is the private key the NTF server signs NSUB with.
type SNEW struct {
	TokenID     []byte
	SMPServer   address.ServerAddress
	NotifierID  []byte
	NotifierKey crypto.PrivateKey // Ed25519, Ed448 or X25519
}

// SCHK asks for a subscription's status (answer: SUB).
type SCHK struct{}

// SDEL deletes a subscription.
type SDEL struct{}

// PING keeps the connection alive (answer: PONG).
type PING struct{}

// Tag implementations.
func (TNEW) Tag() string { return "TNEW" }
func (TVFY) Tag() string { return "TVFY" }
func (TCHK) Tag() string { return "TCHK" }
func (TRPL) Tag() string { return "TRPL" }
func (TDEL) Tag() string { return "TDEL" }
func (TCRN) Tag() string { return "TCRN" }
func (SNEW) Tag() string { return "SNEW" }
func (SCHK) Tag() string { return "SCHK" }
func (SDEL) Tag() string { return "SDEL" }
func (PING) Tag() string { return "PING" }

// IsToken implementations.
func (TNEW) IsToken() bool { return true }
func (TVFY) IsToken() bool { return true }
func (TCHK) IsToken() bool { return true }
func (TRPL) IsToken() bool { return true }
func (TDEL) IsToken() bool { return true }
func (TCRN) IsToken() bool { return true }
func (SNEW) IsToken() bool { return false }
func (SCHK) IsToken() bool { return false }
func (SDEL) IsToken() bool { return false }
func (PING) IsToken() bool { return false }

func putProvider(w *encoding.Buffer, p Provider) {
	if !p.Valid() {
		w.Fail(fmt.Errorf("ntf: bad push provider %q", p))
		return
	}
	w.String(string(p))
}

// EncodeCommand returns the wire form of c. Command encodings do not
// depend on the version; v is accepted for symmetry with EncodeResponse.
func EncodeCommand(v uint16, c Command) ([]byte, error) {
	_ = v
	w := encoding.NewBuffer(nil)
	w.String(c.Tag())
	switch c := c.(type) {
	case TNEW:
		w.String(" T")
		putProvider(w, c.Provider)
		w.Short(c.Token)
		putPublicKey(w, "verify key", c.VerifyKey, authAlgs)
		putPublicKey(w, "DH key", c.DHKey, dhAlgs)
	case TVFY:
		w.Space().Short(c.Code)
	case TRPL:
		w.Space()
		putProvider(w, c.Provider)
		w.Short(c.Token)
	case TCRN:
		w.Space().Word16(c.Minutes)
	case SNEW:
		w.String(" S").Short(c.TokenID)
		c.SMPServer.AppendBinary(w)
		w.Short(c.NotifierID)
		putPrivateKey(w, "notifier key", c.NotifierKey, authAlgs)
	case TCHK, TDEL, SCHK, SDEL, PING:
	default:
		return nil, fmt.Errorf("ntf: unknown command type %T", c)
	}
	return w.Bytes()
}

func provider(d *encoding.Decoder) Provider {
	p := Provider(d.Raw(2))
	if d.Err() == nil && !p.Valid() {
		d.Fail(fmt.Errorf("%w: bad push provider %q", ErrSyntax, string(p)))
	}
	return p
}

// splitTag splits b at the first space: the tag, and the parameters
// including that space (empty when there is none) [MP parseProtocol].
func splitTag(b []byte) (tag string, params []byte) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return string(b), nil
	}
	return string(b[:i]), b[i:]
}

// ParseCommand parses a command. An unknown tag gives ErrUnknownCommand,
// anything else malformed ErrSyntax [NP protocolP]. The SMP server of
// SNEW gets the preset servers' onion hosts [NP Encoding SMPQueueNtf].
// Parsing does not depend on the version.
func ParseCommand(v uint16, b []byte) (Command, error) {
	_ = v
	tag, params := splitTag(b)
	d := encoding.NewDecoder(params)
	var c Command
	switch tag {
	case "TNEW":
		d.Expect(" T")
		var t TNEW
		t.Provider = provider(d)
		t.Token = bytes.Clone(d.Short())
		t.VerifyKey = publicKey(d, "verify key", authAlgs)
		t.DHKey = publicKey(d, "DH key", dhAlgs)
		c = t
	case "TVFY":
		d.Space()
		c = TVFY{Code: bytes.Clone(d.Short())}
	case "TCHK":
		c = TCHK{}
	case "TRPL":
		d.Space()
		var t TRPL
		t.Provider = provider(d)
		t.Token = bytes.Clone(d.Short())
		c = t
	case "TDEL":
		c = TDEL{}
	case "TCRN":
		d.Space()
		c = TCRN{Minutes: d.Word16()}
	case "SNEW":
		d.Expect(" S")
		var s SNEW
		s.TokenID = bytes.Clone(d.Short())
		s.SMPServer = address.UpdateSMPServerHosts(address.DecodeServerAddress(d, address.SchemeSMP))
		s.NotifierID = bytes.Clone(d.Short())
		s.NotifierKey = privateKey(d, "notifier key", authAlgs)
		c = s
	case "SCHK":
		c = SCHK{}
	case "SDEL":
		c = SDEL{}
	case "PING":
		c = PING{}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownCommand, tag)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, tag, err)
	}
	return c, nil
}
