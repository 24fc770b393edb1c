package smp

import (
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Message is a server message (server to client): a response to a command
// or an event [MP BrokerMsg]. The concrete types are named after their wire
// words: IDS, MSG, OK, ERR, ...
type Message interface {
	// Tag returns the message word, e.g. "MSG".
	Tag() string
	isMessage()
}

// IDS answers NEW. Wire layout by version (CONFORMANCE-NOTES §3.1):
//
//	v6..8   "IDS " short(rcvId) short(sndId) key(srvDh)
//	v9..14  ... bool(senderCanSecure)
//	v15     ... maybe(queueMode) maybe(short(linkId))
//	v16     ... maybe(queueMode) maybe(short(linkId)) maybe(short(serviceId))
//	v17+    ... maybe(short(serviceId)) maybe(short(notifierId) key(srvNtfDh))
//
// At v9..14 QueueMode Messaging encodes 'T', anything else 'F'; parsing
// gives Messaging or Contact. Below v9 the mode is not sent. LinkID and
// ServiceID use nil for "absent".
type IDS struct {
	RcvID          []byte
	SndID          []byte
	SrvDHKey       crypto.PublicKey // X25519
	QueueMode      QueueMode        // v9+; 0 = not given
	LinkID         []byte           // v15+
	ServiceID      []byte           // v16+
	ServerNtfCreds *ServerNtfCreds  // v17+
}

// LNK returns short-link data (v15+): "LNK " short(sndId) large(fixed) large(user).
type LNK struct {
	SenderID  []byte
	FixedData []byte
	UserData  []byte
}

// SOK answers SUB/NSUB from v16: "SOK " maybe(short(serviceId)); below v16
// it is encoded as "OK". ServiceID nil = absent ("SOK 0").
type SOK struct {
	ServiceID []byte
}

// SOKS answers SUBS/NSUBS (v16+): "SOKS " i64(count).
type SOKS struct {
	Count int64
}

// MSG delivers a message: "MSG " short(msgId) tail(encBody). EncBody is
// box(rcvDhSecret, nonce = msgId, pad(RcvMessageBody, 16106)).
type MSG struct {
	MsgID   []byte
	EncBody []byte
}

// NID answers NKEY: "NID " short(notifierId) key(srvNtfDh).
type NID struct {
	NotifierID  []byte
	SrvNtfDHKey crypto.PublicKey // X25519
}

// NMSG notifies the NTF server: "NMSG " nonce(24 bytes) short(encMeta).
// EncMeta is box(rcvNtfDhSecret, Nonce, pad(NotificationMeta, 128)).
type NMSG struct {
	Nonce   []byte // exactly NonceSize bytes
	EncMeta []byte
}

// PKEY answers PRXY (v8+): "PKEY " short(sessionId) vrange
// list(large(cert)) large(signedKey). CertChain holds the relay's DER
// certificates (1..255) and SignedKey the DER X.509 signed object wrapping
// the relay's session key; their contents are not checked here.
type PKEY struct {
	SessionID []byte
	VRange    encoding.VersionRange
	CertChain [][]byte
	SignedKey []byte
}

// RRES answers RFWD (v8+): "RRES " tail(encFwdResponse).
type RRES struct {
	EncFwdResponse []byte
}

// PRES answers PFWD (v8+): "PRES " tail(encResponse).
type PRES struct {
	EncResponse []byte
}

// END says the subscription moved to another connection: "END".
type END struct{}

// ENDS says a service's subscriptions ended (v16+): "ENDS " i64(count).
type ENDS struct {
	Count int64
}

// DELD says the queue was deleted (v10+): "DELD"; encoded as "END" for
// older sessions.
type DELD struct{}

// INFO answers QUE: "INFO " json.
type INFO struct {
	Info QueueInfo
}

// OK is the generic success response: "OK".
type OK struct{}

// ERR is an error response: "ERR " errorType. EncodeMessage sends BLOCKED
// as AUTH below v12 and strips its notice below v18.
type ERR struct {
	Err ErrorType
}

// PONG answers PING: "PONG".
type PONG struct{}

// Tag implementations.
func (IDS) Tag() string  { return "IDS" }
func (LNK) Tag() string  { return "LNK" }
func (SOK) Tag() string  { return "SOK" }
func (SOKS) Tag() string { return "SOKS" }
func (MSG) Tag() string  { return "MSG" }
func (NID) Tag() string  { return "NID" }
func (NMSG) Tag() string { return "NMSG" }
func (PKEY) Tag() string { return "PKEY" }
func (RRES) Tag() string { return "RRES" }
func (PRES) Tag() string { return "PRES" }
func (END) Tag() string  { return "END" }
func (ENDS) Tag() string { return "ENDS" }
func (DELD) Tag() string { return "DELD" }
func (INFO) Tag() string { return "INFO" }
func (OK) Tag() string   { return "OK" }
func (ERR) Tag() string  { return "ERR" }
func (PONG) Tag() string { return "PONG" }

func (IDS) isMessage()  {}
func (LNK) isMessage()  {}
func (SOK) isMessage()  {}
func (SOKS) isMessage() {}
func (MSG) isMessage()  {}
func (NID) isMessage()  {}
func (NMSG) isMessage() {}
func (PKEY) isMessage() {}
func (RRES) isMessage() {}
func (PRES) isMessage() {}
func (END) isMessage()  {}
func (ENDS) isMessage() {}
func (DELD) isMessage() {}
func (INFO) isMessage() {}
func (OK) isMessage()   {}
func (ERR) isMessage()  {}
func (PONG) isMessage() {}
