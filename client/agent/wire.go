package agent

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// ErrSyntax is returned for malformed agent messages.
var ErrSyntax = errors.New("agent: bad message syntax")

// Padded sizes [MP e2eEncConfirmationLength, e2eEncMessageLength;
// AP e2eEncConnInfoLength, e2eEncAgentMsgLength without PQ support].
const (
	E2EEncConfirmationLength = 15904
	E2EEncMessageLength      = 16000
	E2EEncConnInfoLength     = 14832
	E2EEncAgentMsgLength     = 15840
)

// ClientMsgEnvelope is the body of an SMP message as the sending client
// makes it [MP ClientMsgEnvelope, PubHeader]:
//
//	w16(clientVersion) maybe(key(e2eDhKey)) nonce(24) tail(cbEncrypt(pad(ClientMessage)))
//
// The public DH key is present only in confirmations, where the recipient
// does not know the sender's per-queue key yet.
type ClientMsgEnvelope struct {
	Version   uint16
	E2EPubKey *crypto.PublicKey // X25519
	Nonce     [crypto.NonceSize]byte
	EncBody   []byte
}

// Encode returns the wire form of e.
func (e ClientMsgEnvelope) Encode() []byte {
	w := encoding.NewBuffer(nil)
	w.Word16(e.Version).Maybe(e.E2EPubKey != nil)
	if e.E2EPubKey != nil {
		w.Short(e.E2EPubKey.DER())
	}
	w.Raw(e.Nonce[:]).Raw(e.EncBody)
	b, _ := w.Bytes()
	return b
}

// ParseClientMsgEnvelope parses an SMP message body.
func ParseClientMsgEnvelope(b []byte) (ClientMsgEnvelope, error) {
	d := encoding.NewDecoder(b)
	e := ClientMsgEnvelope{Version: d.Word16()}
	if d.Maybe() {
		k, err := crypto.ParsePublicKeyDER(d.Short())
		if d.Err() == nil && (err != nil || k.Alg != crypto.X25519) {
			return e, fmt.Errorf("%w: e2e key is not X25519", ErrSyntax)
		}
		e.E2EPubKey = &k
	}
	copy(e.Nonce[:], d.Raw(crypto.NonceSize))
	e.EncBody = d.Tail()
	if err := d.Err(); err != nil {
		return ClientMsgEnvelope{}, fmt.Errorf("%w: client message envelope: %w", ErrSyntax, err)
	}
	return e, nil
}

// ClientMessage is the plaintext of a ClientMsgEnvelope
// [MP ClientMessage, PrivHeader]:
//
//	"K" key(senderKey) msg   ; confirmation with the sender's auth key
//	"_" msg                  ; anything else
type ClientMessage struct {
	SenderKey *crypto.PublicKey
	Body      []byte
}

// Encode returns the wire form of m.
func (m ClientMessage) Encode() []byte {
	w := encoding.NewBuffer(nil)
	if m.SenderKey != nil {
		w.Byte('K').Short(m.SenderKey.DER())
	} else {
		w.Byte('_')
	}
	w.Raw(m.Body)
	b, _ := w.Bytes()
	return b
}

// ParseClientMessage parses a decrypted client message.
func ParseClientMessage(b []byte) (ClientMessage, error) {
	d := encoding.NewDecoder(b)
	var m ClientMessage
	switch d.Byte() {
	case 'K':
		k, err := crypto.ParsePublicKeyDER(d.Short())
		if d.Err() == nil && (err != nil || !k.Alg.IsSign() && k.Alg != crypto.X25519) {
			return m, fmt.Errorf("%w: sender key", ErrSyntax)
		}
		m.SenderKey = &k
	case '_':
	default:
		d.Fail(fmt.Errorf("%w: private header", ErrSyntax))
	}
	m.Body = d.Tail()
	if err := d.Err(); err != nil {
		return ClientMessage{}, fmt.Errorf("%w: client message: %w", ErrSyntax, err)
	}
	return m, nil
}

// EnvelopeType is the tag of an AgentMsgEnvelope.
type EnvelopeType byte

// Envelope types [AP AgentMsgEnvelope].
const (
	EnvConfirmation EnvelopeType = 'C'
	EnvMessage      EnvelopeType = 'M'
	EnvInvitation   EnvelopeType = 'I'
	EnvRatchetKey   EnvelopeType = 'R'
)

// AgentEnvelope is the outer agent message inside a ClientMessage
// [AP AgentMsgEnvelope]:
//
//	w16(agentVersion) "C" maybe(e2eParams) tail(encConnInfo)
//	w16(agentVersion) "M" tail(encAgentMessage)
//	w16(agentVersion) "I" large(connReq) tail(connInfo)
//	w16(agentVersion) "R" e2eParams tail(info)
//
// Body is the ratchet-encrypted part ("C", "M") or the plain info.
// Invitations and ratchet keys are parsed but not acted upon here.
type AgentEnvelope struct {
	Version uint16
	Type    EnvelopeType
	E2E     *ratchet.E2EParams // "C" (optional), "R"
	ConnReq []byte             // "I"
	Body    []byte
}

// Encode returns the wire form of e.
func (e AgentEnvelope) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.Word16(e.Version).Byte(byte(e.Type))
	switch e.Type {
	case EnvConfirmation:
		w.Maybe(e.E2E != nil)
		if e.E2E != nil {
			e.E2E.Append(w)
		}
	case EnvMessage:
	case EnvInvitation:
		w.Large(e.ConnReq)
	case EnvRatchetKey:
		if e.E2E == nil {
			return nil, fmt.Errorf("%w: ratchet key without parameters", ErrSyntax)
		}
		e.E2E.Append(w)
	default:
		return nil, fmt.Errorf("%w: envelope type %q", ErrSyntax, e.Type)
	}
	w.Raw(e.Body)
	return w.Bytes()
}

// ParseAgentEnvelope parses an agent envelope.
func ParseAgentEnvelope(b []byte) (AgentEnvelope, error) {
	d := encoding.NewDecoder(b)
	e := AgentEnvelope{Version: d.Word16(), Type: EnvelopeType(d.Byte())}
	switch e.Type {
	case EnvConfirmation:
		if d.Maybe() {
			p := ratchet.DecodeE2EParams(d)
			e.E2E = &p
		}
	case EnvMessage:
	case EnvInvitation:
		e.ConnReq = d.Large()
	case EnvRatchetKey:
		p := ratchet.DecodeE2EParams(d)
		e.E2E = &p
	default:
		d.Fail(fmt.Errorf("%w: envelope type %q", ErrSyntax, e.Type))
	}
	e.Body = d.Tail()
	if err := d.Err(); err != nil {
		return AgentEnvelope{}, fmt.Errorf("%w: agent envelope: %w", ErrSyntax, err)
	}
	return e, nil
}

// QueueInfo is a reply queue's address sent in a confirmation
// [AP SMPQueueInfo Encoding]:
//
//	v = 1:  w16(v) legacyServer short(sndId) key(dh)     (not supported)
//	v = 2,3: w16(v) server short(sndId) key(dh) [bool(senderCanSecure) if v = 3 and it can]
//	v >= 4: w16(v) server short(sndId) key(dh) [queueMode]
//
// server = list(short(host)) short(port) short(keyHash).
type QueueInfo struct {
	ClientVersion uint16
	Server        address.ServerAddress
	SenderID      []byte
	DHKey         crypto.PublicKey // X25519
	Mode          address.QueueMode

	modeByte byte // the mode or flag byte as parsed, re-encoded as is
}

func (q QueueInfo) append(w *encoding.Buffer) {
	w.Word16(q.ClientVersion)
	q.Server.AppendBinary(w)
	w.Short(q.SenderID).Short(q.DHKey.DER())
	switch {
	case q.modeByte != 0:
		w.Byte(q.modeByte)
	case q.ClientVersion >= address.ShortLinksSMPClientVersion:
		if q.Mode != address.QueueModeNone {
			w.Byte(byte(q.Mode))
		}
	case q.ClientVersion >= address.SndAuthKeySMPClientVersion && q.Mode == address.QueueModeMessaging:
		w.Bool(true)
	}
}

// decodeQueueInfo reads a QueueInfo. Like the reference's queueModeP, a
// following 'M'/'C' is a queue mode and 'T'/'F' the older flag, whatever
// the version.
func decodeQueueInfo(d *encoding.Decoder) QueueInfo {
	q := QueueInfo{ClientVersion: d.Word16()}
	if d.Err() == nil && q.ClientVersion < address.SrvHostnamesSMPClientVersion {
		d.Fail(fmt.Errorf("%w: queue info version %d", ErrSyntax, q.ClientVersion))
		return q
	}
	q.Server = address.DecodeServerAddress(d, address.SchemeSMP)
	q.SenderID = bytes.Clone(d.Short())
	der := d.Short()
	if d.Err() != nil {
		return q
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil || k.Alg != crypto.X25519 {
		d.Fail(fmt.Errorf("%w: queue dh key", ErrSyntax))
		return q
	}
	q.DHKey = k
	if c, ok := d.Peek(); ok {
		switch c {
		case 'M', 'C':
			q.Mode = address.QueueMode(c)
		case 'T':
			q.Mode = address.QueueModeMessaging
		case 'F':
			q.Mode = address.QueueModeContact
		default:
			return q
		}
		q.modeByte = d.Byte()
	}
	return q
}

// MsgType is the tag of an AgentMessage.
type MsgType byte

// Agent message types [AP AgentMessage].
const (
	MsgConnInfo      MsgType = 'I'
	MsgConnInfoReply MsgType = 'D'
	MsgRatchetInfo   MsgType = 'R'
	MsgAgent         MsgType = 'M'
)

// AgentMessage is the ratchet-decrypted agent message [AP AgentMessage]:
//
//	"I" tail(connInfo)
//	"D" nonEmpty(queueInfo) tail(connInfo)
//	"R" tail(info)
//	"M" i64(sndMsgId) short(prevMsgHash) aMessage
type AgentMessage struct {
	Type        MsgType
	Queues      []QueueInfo // "D"
	Info        []byte      // "I", "D", "R"
	SndMsgID    int64       // "M"
	PrevMsgHash []byte      // "M"
	Msg         AMessage    // "M"
}

// Encode returns the wire form of m.
func (m AgentMessage) Encode() ([]byte, error) {
	w := encoding.NewBuffer(nil)
	w.Byte(byte(m.Type))
	switch m.Type {
	case MsgConnInfo, MsgRatchetInfo:
		w.Raw(m.Info)
	case MsgConnInfoReply:
		if len(m.Queues) == 0 {
			return nil, fmt.Errorf("%w: no reply queues", ErrSyntax)
		}
		w.Count(len(m.Queues))
		for _, q := range m.Queues {
			q.append(w)
		}
		w.Raw(m.Info)
	case MsgAgent:
		w.Int64(m.SndMsgID).Short(m.PrevMsgHash)
		if err := m.Msg.append(w); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: agent message type %q", ErrSyntax, m.Type)
	}
	return w.Bytes()
}

// ParseAgentMessage parses a decrypted agent message.
func ParseAgentMessage(b []byte) (AgentMessage, error) {
	d := encoding.NewDecoder(b)
	m := AgentMessage{Type: MsgType(d.Byte())}
	switch m.Type {
	case MsgConnInfo, MsgRatchetInfo:
		m.Info = d.Tail()
	case MsgConnInfoReply:
		n := d.NonEmptyCount()
		for i := 0; i < n && d.Err() == nil; i++ {
			m.Queues = append(m.Queues, decodeQueueInfo(d))
		}
		m.Info = d.Tail()
	case MsgAgent:
		m.SndMsgID = d.Int64()
		m.PrevMsgHash = bytes.Clone(d.Short())
		m.Msg = decodeAMessage(d)
	default:
		d.Fail(fmt.Errorf("%w: agent message type %q", ErrSyntax, m.Type))
	}
	if err := d.Finish(); err != nil {
		return AgentMessage{}, fmt.Errorf("%w: agent message: %w", ErrSyntax, err)
	}
	return m, nil
}

// AMessageType is the tag of an AMessage.
type AMessageType string

// Message types [AP AMsgType].
const (
	AHello   AMessageType = "H"
	AMsg     AMessageType = "M"
	ARcvd    AMessageType = "V"
	AQCont   AMessageType = "QC"
	AEReady  AMessageType = "E"
	AQAdd    AMessageType = "QA"
	AQKey    AMessageType = "QK"
	AQUse    AMessageType = "QU"
	AQTest   AMessageType = "QT"
	maxRcpts              = 255
)

// Receipt is one delivery receipt [AP AMessageReceipt]:
// i64(agentMsgId) short(msgHash) large(rcptInfo).
type Receipt struct {
	AgentMsgID int64 // the sender's sndMsgId
	MsgHash    []byte
	Info       []byte
}

// AMessage is a message between agents [AP AMessage]:
//
//	"H"                         ; HELLO
//	"M" tail(body)              ; A_MSG
//	"V" nonEmpty(receipt)       ; A_RCVD
//	"QC" server short(sndId)    ; A_QCONT
//	"E" i64(lastDecryptedId)    ; EREADY
//
// Queue rotation messages (QA, QK, QU, QT) are kept as Raw, not decoded.
type AMessage struct {
	Type     AMessageType
	Body     []byte    // A_MSG
	Receipts []Receipt // A_RCVD
	Server   address.ServerAddress
	SndID    []byte // A_QCONT
	MsgID    int64  // EREADY
	Raw      []byte // rotation messages
}

func (m AMessage) append(w *encoding.Buffer) error {
	w.String(string(m.Type))
	switch m.Type {
	case AHello:
	case AMsg:
		w.Raw(m.Body)
	case ARcvd:
		if len(m.Receipts) == 0 || len(m.Receipts) > maxRcpts {
			return fmt.Errorf("%w: %d receipts", ErrSyntax, len(m.Receipts))
		}
		w.Count(len(m.Receipts))
		for _, r := range m.Receipts {
			w.Int64(r.AgentMsgID).Short(r.MsgHash).Large(r.Info)
		}
	case AQCont:
		m.Server.AppendBinary(w)
		w.Short(m.SndID)
	case AEReady:
		w.Int64(m.MsgID)
	case AQAdd, AQKey, AQUse, AQTest:
		w.Raw(m.Raw)
	default:
		return fmt.Errorf("%w: message type %q", ErrSyntax, m.Type)
	}
	return nil
}

func decodeAMessage(d *encoding.Decoder) AMessage {
	var m AMessage
	switch c := d.Byte(); c {
	case 'H', 'M', 'V', 'E':
		m.Type = AMessageType([]byte{c})
	case 'Q':
		m.Type = AMessageType([]byte{c, d.Byte()})
	default:
		d.Fail(fmt.Errorf("%w: message type %q", ErrSyntax, c))
		return m
	}
	switch m.Type {
	case AHello:
	case AMsg:
		m.Body = d.Tail()
	case ARcvd:
		n := d.NonEmptyCount()
		for i := 0; i < n && d.Err() == nil; i++ {
			r := Receipt{AgentMsgID: d.Int64(), MsgHash: bytes.Clone(d.Short())}
			r.Info = bytes.Clone(d.Large())
			m.Receipts = append(m.Receipts, r)
		}
	case AQCont:
		m.Server = address.DecodeServerAddress(d, address.SchemeSMP)
		m.SndID = bytes.Clone(d.Short())
	case AEReady:
		m.MsgID = d.Int64()
	case AQAdd, AQKey, AQUse, AQTest:
		m.Raw = d.Tail()
	default:
		d.Fail(fmt.Errorf("%w: message type %q", ErrSyntax, m.Type))
	}
	return m
}
