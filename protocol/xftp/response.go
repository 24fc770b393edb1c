package xftp

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Response is a server response; its concrete type is one of the types below.
type Response interface {
	// Tag returns the response word, e.g. "SIDS".
	Tag() string
}

// SIDS answers FNEW with the sender ID and one ID per recipient key.
type SIDS struct {
	SenderID     []byte
	RecipientIDs [][]byte
}

// RIDS answers FADD.
type RIDS struct{ RecipientIDs [][]byte }

// FILE answers FGET; the encrypted chunk follows the block.
type FILE struct {
	SrvDHKey crypto.PublicKey // X25519
	Nonce    [24]byte
}

// OK is a success without data.
type OK struct{}

// ERR reports an error.
type ERR struct{ Err ErrorType }

// PONG answers PING.
type PONG struct{}

// Tag implementations [FP Encoding FileResponseTag].
func (SIDS) Tag() string { return "SIDS" }
func (RIDS) Tag() string { return "RIDS" }
func (FILE) Tag() string { return "FILE" }
func (OK) Tag() string   { return "OK" }
func (ERR) Tag() string  { return "ERR" }
func (PONG) Tag() string { return "PONG" }

// EncodeResponse returns the wire form of r for a session of version v;
// below version 3, ERR BLOCKED is sent as ERR AUTH [FP encodeProtocol FileResponse].
func EncodeResponse(v uint16, r Response) ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.String(r.Tag())
	switch r := r.(type) {
	case SIDS:
		w.Space().Short(r.SenderID)
		putIDs(w, r.RecipientIDs)
	case RIDS:
		w.Space()
		putIDs(w, r.RecipientIDs)
	case FILE:
		w.Space()
		putPublicKey(w, "server DH key", r.SrvDHKey, dhAlgs)
		w.Raw(r.Nonce[:])
	case ERR:
		e := r.Err
		if e.Code == ErrBLOCKED && v < BlockedFilesVersion {
			e = ErrorType{Code: ErrAUTH}
		}
		w.Space().Raw(e.AppendTo(nil))
	case OK, PONG:
	default:
		return nil, fmt.Errorf("xftp: unknown response type %T", r)
	}
	return w.Bytes()
}

// ParseResponse parses a server response [FP protocolP FileResponse].
func ParseResponse(v uint16, b []byte) (Response, error) {
	_ = v
	tag, params := splitTag(b)
	d := encoding.NewDecoder(params)
	var r Response
	switch tag {
	case "SIDS":
		d.Space()
		var s SIDS
		s.SenderID = bytes.Clone(d.Short())
		s.RecipientIDs = ids(d)
		r = s
	case "RIDS":
		d.Space()
		r = RIDS{RecipientIDs: ids(d)}
	case "FILE":
		d.Space()
		var f FILE
		f.SrvDHKey = publicKey(d, "server DH key", dhAlgs)
		copy(f.Nonce[:], d.Raw(24))
		r = f
	case "OK":
		r = OK{}
	case "PONG":
		r = PONG{}
	case "ERR":
		d.Space()
		rest := d.Tail()
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("%w: ERR: %w", ErrSyntax, err)
		}
		e, err := ParseErrorType(rest)
		if err != nil {
			return nil, fmt.Errorf("ERR: %w", err)
		}
		r = ERR{Err: e}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownCommand, tag)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, tag, err)
	}
	return r, nil
}

// CheckResponseCredentials applies the client-side rules on a response's
// entity ID [FP checkCredentials FileResponse]: SIDS and PONG must have
// none (CMD HAS_AUTH), ERR may have either, the others need one (CMD NO_ENTITY).
func CheckResponseCredentials(r Response, entityID []byte) error {
	switch r.(type) {
	case SIDS, PONG:
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
