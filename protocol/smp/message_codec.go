package smp

import (
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// EncodeMessage returns the encoding of m at protocol version v (the
// "command" part of a server transmission).
func EncodeMessage(v uint16, m Message) ([]byte, error) { return AppendMessage(nil, v, m) }

// AppendMessage appends the encoding of m at version v to dst. m must be
// one of this package's message structs, passed by value.
//
// Version downgrades done here, as in [MP encodeProtocol BrokerMsg]:
//   - DELD is sent as END below v10;
//   - ERR BLOCKED is sent as ERR AUTH below v12, and without its notice
//     below v18 (only for a top-level BLOCKED, like the reference);
//   - SOK is sent as OK below v16;
//   - the IDS queue mode is dropped below v9.
//
// IDS fields that carry data the version cannot express (link ID below v15,
// service ID below v16, notifier credentials below v17) fail with
// ErrVersion.
func AppendMessage(dst []byte, v uint16, m Message) ([]byte, error) {
	w := encoding.NewBuffer(dst)
	switch m := m.(type) {
	case IDS:
		putIDS(w, v, m)
	case LNK:
		w.String("LNK ").Short(m.SenderID)
		putLinkData(w, m.FixedData, m.UserData)
	case SOK:
		if v < VersionServiceCerts {
			w.String("OK")
			break
		}
		w.String("SOK ")
		putMaybeShort(w, m.ServiceID)
	case SOKS:
		w.String("SOKS ").Int64(m.Count)
	case MSG:
		w.String("MSG ").Short(m.MsgID).Raw(m.EncBody)
	case NID:
		w.String("NID ").Short(m.NotifierID)
		putKey(w, m.SrvNtfDHKey, kindDH, "server notifier DH key")
	case NMSG:
		if len(m.Nonce) != NonceSize {
			return nil, fmt.Errorf("%w: NMSG nonce of %d bytes", ErrInvalid, len(m.Nonce))
		}
		w.String("NMSG ").Raw(m.Nonce).Short(m.EncMeta)
	case PKEY:
		putPKEY(w, m)
	case RRES:
		w.String("RRES ").Raw(m.EncFwdResponse)
	case PRES:
		w.String("PRES ").Raw(m.EncResponse)
	case ENDS:
		w.String("ENDS ").Int64(m.Count)
	case DELD:
		if v < VersionDeletedEvent {
			w.String("END")
		} else {
			w.String("DELD")
		}
	case INFO:
		js, err := m.Info.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("smp: encode INFO: %w", err)
		}
		w.String("INFO ").Raw(js)
	case ERR:
		w.String("ERR ")
		putErrorType(w, downgradeError(v, m.Err))
	case END, OK, PONG:
		w.String(m.Tag())
	default:
		return nil, fmt.Errorf("%w: message %T", ErrInvalid, m)
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("smp: encode %s: %w", m.Tag(), err)
	}
	return b, nil
}

// downgradeError applies the BLOCKED rules for session version v.
func downgradeError(v uint16, e ErrorType) ErrorType {
	if e.Code != CodeBlocked {
		return e
	}
	if v < VersionBlockedEntity {
		return ErrAuth
	}
	if v < VersionClientNotices && e.Blocked != nil && e.Blocked.Notice != nil {
		info := *e.Blocked
		info.Notice = nil
		return NewBlockedError(info)
	}
	return e
}

// putIDS follows the version ladder of [MP encodeProtocol IDS].
func putIDS(w *encoding.Buffer, v uint16, m IDS) {
	w.String("IDS ").Short(m.RcvID).Short(m.SndID)
	putKey(w, m.SrvDHKey, kindDH, "server DH key")
	switch {
	case m.LinkID != nil && v < VersionShortLinks:
		w.Fail(fmt.Errorf("%w: IDS link ID needs v%d (session v%d)", ErrVersion, VersionShortLinks, v))
	case m.ServiceID != nil && v < VersionServiceCerts:
		w.Fail(fmt.Errorf("%w: IDS service ID needs v%d (session v%d)", ErrVersion, VersionServiceCerts, v))
	case m.ServerNtfCreds != nil && v < VersionNewNtfCreds:
		w.Fail(fmt.Errorf("%w: IDS notifier credentials need v%d (session v%d)", ErrVersion, VersionNewNtfCreds, v))
	case v >= VersionShortLinks:
		putMaybeMode(w, m.QueueMode)
		putMaybeShort(w, m.LinkID)
		if v >= VersionServiceCerts {
			putMaybeShort(w, m.ServiceID)
		}
		if v >= VersionNewNtfCreds {
			if c := m.ServerNtfCreds; c == nil {
				w.Maybe(false)
			} else {
				w.Maybe(true).Short(c.NotifierID)
				putKey(w, c.SrvNtfDHKey, kindDH, "server notifier DH key")
			}
		}
	case v >= VersionSndAuthKey:
		w.Bool(m.QueueMode == QueueModeMessaging)
	}
}

func putPKEY(w *encoding.Buffer, m PKEY) {
	if m.VRange.Min > m.VRange.Max {
		w.Fail(fmt.Errorf("%w: PKEY version range %v", ErrInvalid, m.VRange))
		return
	}
	w.String("PKEY ").Short(m.SessionID).VersionRange(m.VRange)
	if !checkCount(w, len(m.CertChain), "PKEY certificates") {
		return
	}
	w.Count(len(m.CertChain))
	for _, c := range m.CertChain {
		w.Large(c)
	}
	w.Large(m.SignedKey)
}

// messageParser reads a message's parameters, starting at the space that
// follows the word (if any).
type messageParser func(v uint16, d *encoding.Decoder) Message

func bareMsg(m Message) messageParser { return func(uint16, *encoding.Decoder) Message { return m } }

// messageParsers covers every word of [MP BrokerMsgTag decodeTag]; only
// IDS depends on the version.
var messageParsers = map[string]messageParser{
	"IDS": parseIDS,
	"LNK": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return LNK{SenderID: d.Short(), FixedData: d.Large(), UserData: d.Large()}
	},
	"SOK": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return SOK{ServiceID: parseMaybeShort(d)}
	},
	"SOKS": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return SOKS{Count: d.Int64()}
	},
	"MSG": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return MSG{MsgID: d.Short(), EncBody: d.Tail()}
	},
	"NID": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		id := d.Short()
		return NID{NotifierID: id, SrvNtfDHKey: parseKey(d, kindDH, "server notifier DH key")}
	},
	"NMSG": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return NMSG{Nonce: d.Raw(NonceSize), EncMeta: d.Short()}
	},
	"PKEY": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		m := PKEY{SessionID: d.Short(), VRange: d.VersionRange()}
		n := d.NonEmptyCount()
		for i := 0; i < n && d.Err() == nil; i++ {
			m.CertChain = append(m.CertChain, d.Large())
		}
		m.SignedKey = d.Large()
		return m
	},
	"RRES": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return RRES{EncFwdResponse: d.Tail()}
	},
	"PRES": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return PRES{EncResponse: d.Tail()}
	},
	"END": bareMsg(END{}),
	"ENDS": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return ENDS{Count: d.Int64()}
	},
	"DELD": bareMsg(DELD{}),
	"INFO": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		js := d.Tail()
		var m INFO
		if d.Err() == nil {
			if err := m.Info.UnmarshalJSON(js); err != nil {
				d.Fail(err)
			}
		}
		return m
	},
	"OK": bareMsg(OK{}),
	"ERR": func(_ uint16, d *encoding.Decoder) Message {
		d.Space()
		return ERR{Err: parseErrorType(d)}
	},
	"PONG": bareMsg(PONG{}),
}

// parseIDS follows the version ladder of [MP protocolP IDS_].
func parseIDS(v uint16, d *encoding.Decoder) Message {
	d.Space()
	m := IDS{RcvID: d.Short(), SndID: d.Short(), SrvDHKey: parseKey(d, kindDH, "server DH key")}
	switch {
	case v >= VersionShortLinks:
		m.QueueMode = parseMaybeMode(d)
		m.LinkID = parseMaybeShort(d)
		if v >= VersionServiceCerts {
			m.ServiceID = parseMaybeShort(d)
		}
		if v >= VersionNewNtfCreds && d.Maybe() {
			id := d.Short()
			m.ServerNtfCreds = &ServerNtfCreds{NotifierID: id, SrvNtfDHKey: parseKey(d, kindDH, "server notifier DH key")}
		}
	case v >= VersionSndAuthKey:
		m.QueueMode = QueueModeContact
		if d.Bool() {
			m.QueueMode = QueueModeMessaging
		}
	}
	return m
}

// ParseMessage parses the command part of a server transmission at
// version v. Failures are *ParseError values of type CMD UNKNOWN or CMD
// SYNTAX, which the reference client reports in place of the response
// [MP tDecodeClient]. Byte-slice fields of the result alias b.
func ParseMessage(v uint16, b []byte) (Message, error) {
	tag, params := splitTag(b)
	p, ok := messageParsers[string(tag)]
	if !ok {
		return nil, &ParseError{Type: ErrCmdUnknown, Tag: tagForError(tag)}
	}
	d := encoding.NewDecoder(params)
	m := p(v, d)
	if err := d.Finish(); err != nil {
		return nil, &ParseError{Type: ErrCmdSyntax, Tag: string(tag), Err: err}
	}
	return m, nil
}
