package xftp

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Command is a client command; its concrete type is one of the types below.
type Command interface {
	// Tag returns the command word, e.g. "FNEW".
	Tag() string
	// IsSender reports whether the command is the sender's (FNEW, FADD,
	// FPUT, FDEL) rather than the recipient's (FGET, FACK, PING) [FP FileCommandTag].
	IsSender() bool
}

// FNEW creates a chunk on the server; it is authorized by SndKey. Size is
// the chunk size (one of ServerChunkSizes), Digest its SHA-256, RcvKeys one
// key per recipient, Password the server's creation password if any.
type FNEW struct {
	SndKey   crypto.PublicKey
	Size     uint32
	Digest   []byte
	RcvKeys  []crypto.PublicKey
	Password *[]byte
}

// FADD adds recipients to a chunk.
type FADD struct{ RcvKeys []crypto.PublicKey }

// FPUT uploads the chunk, which follows the padded block.
type FPUT struct{}

// FDEL deletes the chunk.
type FDEL struct{}

// FGET downloads the chunk, encrypted with DH(RcvDHKey, server key).
type FGET struct{ RcvDHKey crypto.PublicKey }

// FACK acknowledges the download (deletes this recipient).
type FACK struct{}

// PING keeps the connection alive.
type PING struct{}

// Tag implementations [FP Encoding FileCommandTag].
func (FNEW) Tag() string { return "FNEW" }
func (FADD) Tag() string { return "FADD" }
func (FPUT) Tag() string { return "FPUT" }
func (FDEL) Tag() string { return "FDEL" }
func (FGET) Tag() string { return "FGET" }
func (FACK) Tag() string { return "FACK" }
func (PING) Tag() string { return "PING" }

// IsSender implementations.
func (FNEW) IsSender() bool { return true }
func (FADD) IsSender() bool { return true }
func (FPUT) IsSender() bool { return true }
func (FDEL) IsSender() bool { return true }
func (FGET) IsSender() bool { return false }
func (FACK) IsSender() bool { return false }
func (PING) IsSender() bool { return false }

// EncodeCommand returns the wire form of c [FP encodeProtocol FileCommand].
// Command encodings do not depend on the version.
func EncodeCommand(v uint16, c Command) ([]byte, error) {
	_ = v
	w := encoding.NewBuffer(nil)
	w.String(c.Tag())
	switch c := c.(type) {
	case FNEW:
		w.Space()
		putPublicKey(w, "sender key", c.SndKey, authAlgs)
		w.Word32(c.Size).Short(c.Digest)
		putPublicKeys(w, "recipient key", c.RcvKeys)
		w.Maybe(c.Password != nil)
		if c.Password != nil {
			if !address.ValidBasicAuth(string(*c.Password)) {
				w.Fail(fmt.Errorf("xftp: invalid character in password"))
			}
			w.Short(*c.Password)
		}
	case FADD:
		w.Space()
		putPublicKeys(w, "recipient key", c.RcvKeys)
	case FGET:
		w.Space()
		putPublicKey(w, "recipient DH key", c.RcvDHKey, dhAlgs)
	case FPUT, FDEL, FACK, PING:
	default:
		return nil, fmt.Errorf("xftp: unknown command type %T", c)
	}
	return w.Bytes()
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
// anything else malformed ErrSyntax [FP protocolP FileCmd]. The password
// must be printable ASCII/Latin-1 without space, '@', ':' or '/' [MP basicAuth].
func ParseCommand(v uint16, b []byte) (Command, error) {
	_ = v
	tag, params := splitTag(b)
	d := encoding.NewDecoder(params)
	var c Command
	switch tag {
	case "FNEW":
		d.Space()
		var f FNEW
		f.SndKey = publicKey(d, "sender key", authAlgs)
		f.Size = d.Word32()
		f.Digest = bytes.Clone(d.Short())
		f.RcvKeys = publicKeys(d, "recipient key")
		if d.Maybe() {
			pw := bytes.Clone(d.Short())
			if d.Err() == nil && !address.ValidBasicAuth(string(pw)) {
				d.Fail(fmt.Errorf("invalid character in password"))
			}
			f.Password = &pw
		}
		c = f
	case "FADD":
		d.Space()
		c = FADD{RcvKeys: publicKeys(d, "recipient key")}
	case "FPUT":
		c = FPUT{}
	case "FDEL":
		c = FDEL{}
	case "FGET":
		d.Space()
		c = FGET{RcvDHKey: publicKey(d, "recipient DH key", dhAlgs)}
	case "FACK":
		c = FACK{}
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

// CheckCredentials applies the reference's rules on authorization and
// entity ID [FP checkCredentials]: FNEW needs an authorization (CMD NO_AUTH)
// and no entity (CMD HAS_AUTH); PING needs neither (CMD HAS_AUTH); every
// other command needs both (CMD NO_AUTH). It returns nil or the ErrorType
// to send.
func CheckCredentials(c Command, hasAuth bool, entityID []byte) error {
	switch c.(type) {
	case FNEW:
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
