package ntf

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Response is a server response; its concrete type is one of the types below.
type Response interface {
	// Tag returns the response word, e.g. "IDTKN".
	Tag() string
}

// IDTKN answers TNEW with the token ID and the server's X25519 key.
type IDTKN struct {
	TokenID  []byte
	SrvDHKey crypto.PublicKey
}

// IDSUB answers SNEW with the subscription ID.
type IDSUB struct{ SubID []byte }

// OK is a success without data.
type OK struct{}

// ERR reports an error.
type ERR struct{ Err ErrorType }

// TKN answers TCHK.
type TKN struct{ Status TokenStatus }

// SUB answers SCHK.
type SUB struct{ Status SubStatus }

// PONG answers PING.
type PONG struct{}

// Tag implementations [NP Encoding NtfResponseTag].
func (IDTKN) Tag() string { return "IDTKN" }
func (IDSUB) Tag() string { return "IDSUB" }
func (OK) Tag() string    { return "OK" }
func (ERR) Tag() string   { return "ERR" }
func (TKN) Tag() string   { return "TKN" }
func (SUB) Tag() string   { return "SUB" }
func (PONG) Tag() string  { return "PONG" }

// EncodeResponse returns the wire form of r for a session of version v;
// below version 3 the reason of an INVALID token status is dropped
// [NP encodeProtocol NtfResponse].
func EncodeResponse(v uint16, r Response) ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.String(r.Tag())
	switch r := r.(type) {
	case IDTKN:
		w.Space().Short(r.TokenID)
		putPublicKey(w, "server DH key", r.SrvDHKey, dhAlgs)
	case IDSUB:
		w.Space().Short(r.SubID)
	case ERR:
		w.Space().Raw(r.Err.AppendTo(nil))
	case TKN:
		w.Space().Raw(r.Status.appendTo(nil, v))
	case SUB:
		w.Space().Raw(r.Status.appendTo(nil))
	case OK, PONG:
	default:
		return nil, fmt.Errorf("ntf: unknown response type %T", r)
	}
	return w.Bytes()
}

// ParseResponse parses a server response [NP protocolP NtfResponse]. The
// version is not needed: a reason after INVALID is accepted at any version.
func ParseResponse(v uint16, b []byte) (Response, error) {
	_ = v
	tag, params := splitTag(b)
	d := encoding.NewDecoder(params)
	var r Response
	switch tag {
	case "IDTKN":
		d.Space()
		var t IDTKN
		t.TokenID = bytes.Clone(d.Short())
		t.SrvDHKey = publicKey(d, "server DH key", dhAlgs)
		r = t
	case "IDSUB":
		d.Space()
		r = IDSUB{SubID: bytes.Clone(d.Short())}
	case "OK":
		r = OK{}
	case "PONG":
		r = PONG{}
	case "ERR", "TKN", "SUB":
		d.Space()
		rest := d.Tail()
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, tag, err)
		}
		var err error
		switch tag {
		case "ERR":
			var e ErrorType
			e, err = ParseErrorType(rest)
			r = ERR{Err: e}
		case "TKN":
			var s TokenStatus
			s, err = ParseTokenStatus(rest)
			r = TKN{Status: s}
		default:
			var s SubStatus
			s, err = ParseSubStatus(rest)
			r = SUB{Status: s}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tag, err)
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownCommand, tag)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, tag, err)
	}
	return r, nil
}

// CheckCredentials applies the reference's rules on authorization and
// entity ID to a parsed command [NP checkCredentials]: TNEW and SNEW need an
// authorization and no entity (CMD NO_AUTH / CMD HAS_AUTH); PING needs
// neither (else CMD HAS_AUTH); every other command needs both (CMD NO_AUTH).
// It returns nil or the ErrorType to send.
func CheckCredentials(c Command, hasAuth bool, entityID []byte) error {
	switch c.(type) {
	case TNEW, SNEW:
		if !hasAuth {
			return CmdError(CmdNOAUTH)
		}
		if len(entityID) > 0 {
			return CmdError(CmdHASAUTH)
		}
	case PING:
		if hasAuth || len(entityID) > 0 {
			return CmdError(CmdHASAUTH)
		}
	default:
		if !hasAuth || len(entityID) == 0 {
			return CmdError(CmdNOAUTH)
		}
	}
	return nil
}

// CheckResponseCredentials applies the client-side rules on a response's
// entity ID [NP checkCredentials NtfResponse]: IDTKN, IDSUB and PONG must
// have none (CMD HAS_AUTH), ERR may have either, the others need one
// (CMD NO_ENTITY).
func CheckResponseCredentials(r Response, entityID []byte) error {
	switch r.(type) {
	case IDTKN, IDSUB, PONG:
		if len(entityID) > 0 {
			return CmdError(CmdHASAUTH)
		}
	case ERR:
	default:
		if len(entityID) == 0 {
			return CmdError(CmdNOENTITY)
		}
	}
	return nil
}
