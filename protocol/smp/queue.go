package smp

import (
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// QueueMode is the mode of a queue (v9+) [QI QueueMode]. The zero value
// means "not given".
type QueueMode byte

// Queue modes. Messaging queues may be secured by the sender (SKEY);
// contact queues may not.
const (
	QueueModeMessaging QueueMode = 'M'
	QueueModeContact   QueueMode = 'C'
)

func validMode(m QueueMode) bool { return m == QueueModeMessaging || m == QueueModeContact }

// QueueReqData is the queue data in NEW [MP QueueReqData]. From v15 it is
// sent as is:
//
//	queueReqData = "M" maybe(short(sndId) large(fixed) large(user))
//	             | "C" maybe(short(linkId) short(sndId) large(fixed) large(user))
//
// At v9..14 only the mode is sent, as bool senderCanSecure (Messaging ->
// 'T'); parsing that bool gives a QueueReqData with Link nil.
type QueueReqData struct {
	Mode QueueMode
	Link *QueueLink // short-link data, v15+
}

// QueueLink is the short-link data of a new queue. SenderID must be the
// first 24 bytes of SHA3-384(corrId) (CONFORMANCE-NOTES §3.1). LinkID is
// chosen by the client for contact queues only and must be nil for
// messaging queues (the server picks it).
type QueueLink struct {
	LinkID    []byte // short; contact queues only
	SenderID  []byte // short
	FixedData []byte // large, encrypted fixed link data
	UserData  []byte // large, encrypted user link data
}

// NtfCreds are the notifier credentials sent in NEW from v17
// [MP NewNtfCreds]: the notifier's auth key and the recipient's DH key for
// notification metadata.
type NtfCreds struct {
	NtfAuthKey  crypto.PublicKey // Ed25519, Ed448 or X25519
	RcvNtfDHKey crypto.PublicKey // X25519
}

// ServerNtfCreds are the notifier credentials returned in IDS from v17
// [MP ServerNtfCreds].
type ServerNtfCreds struct {
	NotifierID  []byte           // short
	SrvNtfDHKey crypto.PublicKey // X25519
}

func putQueueReqData(w *encoding.Buffer, q QueueReqData) {
	if !validMode(q.Mode) {
		w.Fail(fmt.Errorf("%w: queue mode %q", ErrInvalid, q.Mode))
		return
	}
	w.Byte(byte(q.Mode))
	if q.Link == nil {
		w.Maybe(false)
		return
	}
	w.Maybe(true)
	l := q.Link
	switch q.Mode {
	case QueueModeMessaging:
		if l.LinkID != nil {
			w.Fail(fmt.Errorf("%w: link ID in a messaging queue request", ErrInvalid))
			return
		}
	case QueueModeContact:
		w.Short(l.LinkID)
	}
	w.Short(l.SenderID).Large(l.FixedData).Large(l.UserData)
}

func parseQueueReqData(d *encoding.Decoder) QueueReqData {
	q := QueueReqData{Mode: QueueMode(d.Byte())}
	if d.Err() == nil && !validMode(q.Mode) {
		d.Fail(fmt.Errorf("%w: queue mode %q", ErrSyntax, q.Mode))
		return q
	}
	if !d.Maybe() {
		return q
	}
	l := &QueueLink{}
	if q.Mode == QueueModeContact {
		l.LinkID = d.Short()
	}
	l.SenderID = d.Short()
	l.FixedData = d.Large()
	l.UserData = d.Large()
	q.Link = l
	return q
}

// putMaybeMode appends maybe(queueMode).
func putMaybeMode(w *encoding.Buffer, m QueueMode) {
	if m == 0 {
		w.Maybe(false)
		return
	}
	if !validMode(m) {
		w.Fail(fmt.Errorf("%w: queue mode %q", ErrInvalid, m))
		return
	}
	w.Maybe(true).Byte(byte(m))
}

func parseMaybeMode(d *encoding.Decoder) QueueMode {
	if !d.Maybe() {
		return 0
	}
	m := QueueMode(d.Byte())
	if d.Err() == nil && !validMode(m) {
		d.Fail(fmt.Errorf("%w: queue mode %q", ErrSyntax, m))
	}
	return m
}

// putLinkData appends large(fixed) large(user) [MP QueueLinkData].
func putLinkData(w *encoding.Buffer, fixed, user []byte) { w.Large(fixed).Large(user) }
