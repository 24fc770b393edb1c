package smp

import (
	"bytes"
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// ParseError reports a command or message that does not parse. Type is
// what the server answers with (and what the reference client reports):
// CMD UNKNOWN for an unknown word, CMD SYNTAX for bad parameters
// [MP parseProtocol, fromProtocolError]. errors.Is(err, ErrCmdSyntax) and
// errors.As(err, &ErrorType{}) both work on it.
type ParseError struct {
	Type ErrorType
	Tag  string // the command word as received (possibly truncated)
	Err  error  // the cause; nil for unknown words
}

func (e *ParseError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("smp: %s %q", e.Type.String(), e.Tag)
	}
	return fmt.Sprintf("smp: %s in %q: %v", e.Type.String(), e.Tag, e.Err)
}

// Unwrap returns the ErrorType and the cause.
func (e *ParseError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Type}
	}
	return []error{e.Type, e.Err}
}

// splitTag splits b at its first space: the word and the parameters, the
// space included, as the reference does (B.break) before parsing the
// parameters with a leading-space parser.
func splitTag(b []byte) (tag, params []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i:]
	}
	return b, nil
}

func tagForError(tag []byte) string {
	if len(tag) > 16 {
		tag = tag[:16]
	}
	return string(tag)
}

// EncodeCommand returns the encoding of c at protocol version v (the
// "command" part of a transmission, after corrId and entityId).
func EncodeCommand(v uint16, c Command) ([]byte, error) { return AppendCommand(nil, v, c) }

// AppendCommand appends the encoding of c at version v to dst. c must be
// one of this package's command structs, passed by value.
//
// Fields that have no encoding at v fail with ErrVersion when they carry
// data (short-link data below v15, notifier credentials below v17); the
// NEW queue mode is silently dropped below v9, as in the reference.
func AppendCommand(dst []byte, v uint16, c Command) ([]byte, error) {
	w := encoding.NewBuffer(dst)
	switch c := c.(type) {
	case NEW:
		w.String(c.Tag())
		putNEW(w, v, c)
	case KEY:
		w.String("KEY ")
		putKey(w, c.SndAuthKey, kindAuth, "sender key")
	case RKEY:
		w.String("RKEY ")
		if checkCount(w, len(c.RcvAuthKeys), "recipient keys") {
			w.Count(len(c.RcvAuthKeys))
			for _, k := range c.RcvAuthKeys {
				putKey(w, k, kindAuth, "recipient key")
			}
		}
	case LSET:
		w.String("LSET ").Short(c.LinkID)
		putLinkData(w, c.FixedData, c.UserData)
	case NKEY:
		w.String("NKEY ")
		putKey(w, c.NtfAuthKey, kindAuth, "notifier key")
		putKey(w, c.RcvNtfDHKey, kindDH, "notification DH key")
	case ACK:
		w.String("ACK ").Short(c.MsgID)
	case SKEY:
		w.String("SKEY ")
		putKey(w, c.SndAuthKey, kindAuth, "sender key")
	case SEND:
		w.String("SEND ")
		putMsgFlags(w, c.Flags)
		w.Space().Raw(c.Body)
	case LKEY:
		w.String("LKEY ")
		putKey(w, c.SndAuthKey, kindAuth, "sender key")
	case PRXY:
		w.String("PRXY ")
		putSMPServer(w, c.Server)
		putBasicAuth(w, c.BasicAuth)
	case PFWD:
		w.String("PFWD ").Word16(c.Version)
		putKey(w, c.ClientKey, kindDH, "client key")
		w.Raw(c.EncTransmission)
	case RFWD:
		w.String("RFWD ").Raw(c.EncFwdTransmission)
	case SUB, SUBS, LDEL, NDEL, GET, OFF, DEL, QUE, PING, LGET, NSUB, NSUBS:
		w.String(c.Tag()) // the word alone
	default:
		// includes pointers to command structs: pass values
		return nil, fmt.Errorf("%w: command %T", ErrInvalid, c)
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("smp: encode %s: %w", c.Tag(), err)
	}
	return b, nil
}

// putNEW follows the version ladder of [MP encodeProtocol NEW].
func putNEW(w *encoding.Buffer, v uint16, c NEW) {
	w.Space()
	putKey(w, c.RcvAuthKey, kindAuth, "recipient key")
	putKey(w, c.RcvDHKey, kindDH, "recipient DH key")
	if c.NtfCreds != nil && v < VersionNewNtfCreds {
		w.Fail(fmt.Errorf("%w: NEW notifier credentials need v%d (session v%d)", ErrVersion, VersionNewNtfCreds, v))
		return
	}
	if c.QueueReq != nil && c.QueueReq.Link != nil && v < VersionShortLinks {
		w.Fail(fmt.Errorf("%w: NEW link data needs v%d (session v%d)", ErrVersion, VersionShortLinks, v))
		return
	}
	if v < VersionSndAuthKey {
		// ["A" short(pwd)] mode
		if c.BasicAuth != nil {
			if !validBasicAuth(c.BasicAuth) {
				w.Fail(fmt.Errorf("%w: password has a disallowed character", ErrInvalid))
				return
			}
			w.Byte('A').Short(c.BasicAuth)
		}
		putSubMode(w, c.Subscribe)
		return
	}
	putBasicAuth(w, c.BasicAuth)
	putSubMode(w, c.Subscribe)
	if v < VersionShortLinks {
		w.Bool(c.SenderCanSecure())
		return
	}
	if c.QueueReq == nil {
		w.Maybe(false)
	} else {
		w.Maybe(true)
		putQueueReqData(w, *c.QueueReq)
	}
	if v >= VersionNewNtfCreds {
		if c.NtfCreds == nil {
			w.Maybe(false)
		} else {
			w.Maybe(true)
			putKey(w, c.NtfCreds.NtfAuthKey, kindAuth, "notifier key")
			putKey(w, c.NtfCreds.RcvNtfDHKey, kindDH, "notification DH key")
		}
	}
}

func putSubMode(w *encoding.Buffer, subscribe bool) {
	if subscribe {
		w.Byte('S')
	} else {
		w.Byte('C')
	}
}

func parseSubMode(d *encoding.Decoder) bool {
	switch c := d.Byte(); {
	case d.Err() != nil:
	case c == 'S':
		return true
	case c == 'C':
	default:
		d.Fail(fmt.Errorf("%w: subscription mode %q", ErrSyntax, c))
	}
	return false
}

// commandParser reads a command's parameters, starting at the space that
// follows the word (if any).
type commandParser func(v uint16, d *encoding.Decoder) Command

func bare(c Command) commandParser { return func(uint16, *encoding.Decoder) Command { return c } }

// commandParsers covers every word of [MP CmdTag decodeTag]. Commands are
// parsed at any version, like the reference; only NEW's layout depends on
// the version.
var commandParsers = map[string]commandParser{
	"NEW":  parseNEW,
	"SUB":  bare(SUB{}),
	"SUBS": bare(SUBS{}),
	"KEY": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		return KEY{SndAuthKey: parseKey(d, kindAuth, "sender key")}
	},
	"RKEY": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		n := d.NonEmptyCount()
		var c RKEY
		for i := 0; i < n && d.Err() == nil; i++ {
			c.RcvAuthKeys = append(c.RcvAuthKeys, parseKey(d, kindAuth, "recipient key"))
		}
		return c
	},
	"LSET": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		return LSET{LinkID: d.Short(), FixedData: d.Large(), UserData: d.Large()}
	},
	"LDEL": bare(LDEL{}),
	"NKEY": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		k := parseKey(d, kindAuth, "notifier key")
		return NKEY{NtfAuthKey: k, RcvNtfDHKey: parseKey(d, kindDH, "notification DH key")}
	},
	"NDEL": bare(NDEL{}),
	"GET":  bare(GET{}),
	"ACK": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		return ACK{MsgID: d.Short()}
	},
	"OFF": bare(OFF{}),
	"DEL": bare(DEL{}),
	"QUE": bare(QUE{}),
	"SKEY": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		return SKEY{SndAuthKey: parseKey(d, kindAuth, "sender key")}
	},
	"SEND": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		f := parseMsgFlags(d)
		d.Space()
		return SEND{Flags: f, Body: d.Tail()}
	},
	"PING": bare(PING{}),
	"LKEY": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		return LKEY{SndAuthKey: parseKey(d, kindAuth, "sender key")}
	},
	"LGET":  bare(LGET{}),
	"NSUB":  bare(NSUB{}),
	"NSUBS": bare(NSUBS{}),
	"PRXY": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		s := parseSMPServer(d)
		return PRXY{Server: s, BasicAuth: parseBasicAuth(d)}
	},
	"PFWD": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		v := d.Word16()
		k := parseKey(d, kindDH, "client key")
		return PFWD{Version: v, ClientKey: k, EncTransmission: d.Tail()}
	},
	"RFWD": func(_ uint16, d *encoding.Decoder) Command {
		d.Space()
		return RFWD{EncFwdTransmission: d.Tail()}
	},
}

// parseNEW follows the version ladder of [MP protocolP NEW_].
func parseNEW(v uint16, d *encoding.Decoder) Command {
	d.Space()
	c := NEW{
		RcvAuthKey: parseKey(d, kindAuth, "recipient key"),
		RcvDHKey:   parseKey(d, kindDH, "recipient DH key"),
	}
	if v < VersionSndAuthKey {
		if p, ok := d.Peek(); ok && p == 'A' {
			d.Byte()
			c.BasicAuth = d.Short()
			if d.Err() == nil && !validBasicAuth(c.BasicAuth) {
				d.Fail(fmt.Errorf("%w: password has a disallowed character", ErrSyntax))
			}
		}
		c.Subscribe = parseSubMode(d)
		return c
	}
	c.BasicAuth = parseBasicAuth(d)
	c.Subscribe = parseSubMode(d)
	if v < VersionShortLinks {
		mode := QueueModeContact
		if d.Bool() {
			mode = QueueModeMessaging
		}
		c.QueueReq = &QueueReqData{Mode: mode}
		return c
	}
	if d.Maybe() {
		q := parseQueueReqData(d)
		c.QueueReq = &q
	}
	if v >= VersionNewNtfCreds && d.Maybe() {
		k := parseKey(d, kindAuth, "notifier key")
		c.NtfCreds = &NtfCreds{NtfAuthKey: k, RcvNtfDHKey: parseKey(d, kindDH, "notification DH key")}
	}
	return c
}

// ParseCommand parses the command part of a transmission at version v.
// An unknown word gives a *ParseError of type CMD UNKNOWN, anything else
// that does not parse CMD SYNTAX; the whole input must be consumed.
// Byte-slice fields of the result alias b.
func ParseCommand(v uint16, b []byte) (Command, error) {
	tag, params := splitTag(b)
	p, ok := commandParsers[string(tag)]
	if !ok {
		return nil, &ParseError{Type: ErrCmdUnknown, Tag: tagForError(tag)}
	}
	d := encoding.NewDecoder(params)
	c := p(v, d)
	if err := d.Finish(); err != nil {
		return nil, &ParseError{Type: ErrCmdSyntax, Tag: string(tag), Err: err}
	}
	return c, nil
}
