package smp

import "github.com/simplexgo/protocol/crypto"

// Party is who sends a command, which decides the key that authorizes it
// [MP Party].
type Party uint8

// Parties.
const (
	PartyCreator          Party = iota + 1 // NEW (no entity; the new recipient key signs)
	PartyRecipient                         // recipient ID, recipient key
	PartyRecipientService                  // service ID, service key (SUBS)
	PartySender                            // sender ID, sender key (optional for SEND)
	PartyIdleClient                        // PING
	PartyNotifier                          // notifier ID, notifier key
	PartyNotifierService                   // service ID, service key (NSUBS)
	PartyLinkClient                        // link ID (LKEY, LGET)
	PartyProxiedClient                     // PRXY, PFWD (client to proxy)
	PartyProxyService                      // RFWD (proxy to relay)
)

// Command is a client command (client to server). The concrete types are
// named after their wire words: NEW, SUB, KEY, SEND, ...
type Command interface {
	// Tag returns the command word, e.g. "SEND".
	Tag() string
	// Party returns who sends the command.
	Party() Party
	isCommand()
}

// NEW creates a queue; it needs an authorization by RcvAuthKey and an
// empty entity ID. Wire layout by version (CONFORMANCE-NOTES §3.1):
//
//	v6..8   "NEW " key(rcvAuth) key(rcvDh) ["A" short(pwd)] mode
//	v9..14  "NEW " key(rcvAuth) key(rcvDh) maybe(short(pwd)) mode bool(senderCanSecure)
//	v15..16 "NEW " key(rcvAuth) key(rcvDh) maybe(short(pwd)) mode maybe(queueReqData)
//	v17+    ... maybe(queueReqData) maybe(key(ntfAuth) key(rcvNtfDh))
//	mode    = "S" (subscribe) | "C" (create only)
type NEW struct {
	RcvAuthKey crypto.PublicKey // Ed25519, Ed448 or X25519
	RcvDHKey   crypto.PublicKey // X25519
	BasicAuth  []byte           // server password; nil = none
	Subscribe  bool             // mode S (true) or C (false)
	QueueReq   *QueueReqData    // v9+ (only the mode before v15)
	NtfCreds   *NtfCreds        // v17+
}

// SenderCanSecure reports whether the queue is a messaging queue that the
// sender may secure with SKEY (the v9..14 bool).
func (c NEW) SenderCanSecure() bool {
	return c.QueueReq != nil && c.QueueReq.Mode == QueueModeMessaging
}

// SUB subscribes to a queue: "SUB".
type SUB struct{}

// SUBS subscribes all queues of a service (v16+): "SUBS".
type SUBS struct{}

// KEY secures a queue by the recipient: "KEY " key(sndAuth).
type KEY struct {
	SndAuthKey crypto.PublicKey
}

// RKEY replaces the recipient keys (v15+): "RKEY " list(key), non-empty.
type RKEY struct {
	RcvAuthKeys []crypto.PublicKey
}

// LSET sets short-link data (v15+): "LSET " short(linkId) large(fixed) large(user).
type LSET struct {
	LinkID    []byte
	FixedData []byte
	UserData  []byte
}

// LDEL deletes short-link data (v15+): "LDEL".
type LDEL struct{}

// NKEY enables notifications: "NKEY " key(ntfAuth) key(rcvNtfDh).
type NKEY struct {
	NtfAuthKey  crypto.PublicKey // Ed25519, Ed448 or X25519
	RcvNtfDHKey crypto.PublicKey // X25519
}

// NDEL disables notifications: "NDEL".
type NDEL struct{}

// GET fetches one message without subscribing: "GET".
type GET struct{}

// ACK acknowledges a message: "ACK " short(msgId); an empty ID matches any.
type ACK struct {
	MsgID []byte
}

// OFF suspends a queue: "OFF".
type OFF struct{}

// DEL deletes a queue: "DEL".
type DEL struct{}

// QUE asks for queue information (answered with INFO): "QUE".
type QUE struct{}

// SKEY secures a queue by the sender (v9+): "SKEY " key(sndAuth).
type SKEY struct {
	SndAuthKey crypto.PublicKey
}

// SEND sends a message: "SEND " flags " " tail(body). The body limit
// (MaxMessageLength) is the server's to enforce with ERR LARGE_MSG; the
// codec does not check it.
type SEND struct {
	Flags MsgFlags
	Body  []byte
}

// PING keeps the connection alive: "PING", answered with PONG.
type PING struct{}

// LKEY secures a contact-address queue via its link ID (v15+): "LKEY " key.
type LKEY struct {
	SndAuthKey crypto.PublicKey
}

// LGET gets short-link data (v15+): "LGET".
type LGET struct{}

// NSUB subscribes to notifications: "NSUB".
type NSUB struct{}

// NSUBS subscribes to notifications of all queues of a service (v16+): "NSUBS".
type NSUBS struct{}

// PRXY asks a proxy for a session with a relay (v8+):
// "PRXY " smpServer maybe(short(pwd)). Answered with PKEY.
type PRXY struct {
	Server    SMPServer
	BasicAuth []byte // proxy password; nil = none
}

// PFWD sends an encrypted transmission through a proxy (v8+), entity =
// relay session ID: "PFWD " w16(version) key(X25519) tail(encTransmission).
type PFWD struct {
	Version         uint16           // version of the transmission inside
	ClientKey       crypto.PublicKey // X25519, per command
	EncTransmission []byte
}

// RFWD forwards a transmission from a proxy to a relay (v8+):
// "RFWD " tail(encFwdTransmission).
type RFWD struct {
	EncFwdTransmission []byte
}

// Tag implementations.
func (NEW) Tag() string   { return "NEW" }
func (SUB) Tag() string   { return "SUB" }
func (SUBS) Tag() string  { return "SUBS" }
func (KEY) Tag() string   { return "KEY" }
func (RKEY) Tag() string  { return "RKEY" }
func (LSET) Tag() string  { return "LSET" }
func (LDEL) Tag() string  { return "LDEL" }
func (NKEY) Tag() string  { return "NKEY" }
func (NDEL) Tag() string  { return "NDEL" }
func (GET) Tag() string   { return "GET" }
func (ACK) Tag() string   { return "ACK" }
func (OFF) Tag() string   { return "OFF" }
func (DEL) Tag() string   { return "DEL" }
func (QUE) Tag() string   { return "QUE" }
func (SKEY) Tag() string  { return "SKEY" }
func (SEND) Tag() string  { return "SEND" }
func (PING) Tag() string  { return "PING" }
func (LKEY) Tag() string  { return "LKEY" }
func (LGET) Tag() string  { return "LGET" }
func (NSUB) Tag() string  { return "NSUB" }
func (NSUBS) Tag() string { return "NSUBS" }
func (PRXY) Tag() string  { return "PRXY" }
func (PFWD) Tag() string  { return "PFWD" }
func (RFWD) Tag() string  { return "RFWD" }

// Party implementations [MP Command constructors' parties].
func (NEW) Party() Party   { return PartyCreator }
func (SUB) Party() Party   { return PartyRecipient }
func (SUBS) Party() Party  { return PartyRecipientService }
func (KEY) Party() Party   { return PartyRecipient }
func (RKEY) Party() Party  { return PartyRecipient }
func (LSET) Party() Party  { return PartyRecipient }
func (LDEL) Party() Party  { return PartyRecipient }
func (NKEY) Party() Party  { return PartyRecipient }
func (NDEL) Party() Party  { return PartyRecipient }
func (GET) Party() Party   { return PartyRecipient }
func (ACK) Party() Party   { return PartyRecipient }
func (OFF) Party() Party   { return PartyRecipient }
func (DEL) Party() Party   { return PartyRecipient }
func (QUE) Party() Party   { return PartyRecipient }
func (SKEY) Party() Party  { return PartySender }
func (SEND) Party() Party  { return PartySender }
func (PING) Party() Party  { return PartyIdleClient }
func (LKEY) Party() Party  { return PartyLinkClient }
func (LGET) Party() Party  { return PartyLinkClient }
func (NSUB) Party() Party  { return PartyNotifier }
func (NSUBS) Party() Party { return PartyNotifierService }
func (PRXY) Party() Party  { return PartyProxiedClient }
func (PFWD) Party() Party  { return PartyProxiedClient }
func (RFWD) Party() Party  { return PartyProxyService }

func (NEW) isCommand()   {}
func (SUB) isCommand()   {}
func (SUBS) isCommand()  {}
func (KEY) isCommand()   {}
func (RKEY) isCommand()  {}
func (LSET) isCommand()  {}
func (LDEL) isCommand()  {}
func (NKEY) isCommand()  {}
func (NDEL) isCommand()  {}
func (GET) isCommand()   {}
func (ACK) isCommand()   {}
func (OFF) isCommand()   {}
func (DEL) isCommand()   {}
func (QUE) isCommand()   {}
func (SKEY) isCommand()  {}
func (SEND) isCommand()  {}
func (PING) isCommand()  {}
func (LKEY) isCommand()  {}
func (LGET) isCommand()  {}
func (NSUB) isCommand()  {}
func (NSUBS) isCommand() {}
func (PRXY) isCommand()  {}
func (PFWD) isCommand()  {}
func (RFWD) isCommand()  {}
