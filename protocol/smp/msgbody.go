package smp

import (
	"bytes"
	"fmt"
	"time"

	"github.com/simplexgo/protocol/encoding"
)

// MsgFlags are the flags of SEND, stored with the message and delivered in
// the received body [MP MsgFlags]:
//
//	flags = bool(notification) *reserved   ; terminated by the following " "
//
// The reference reads the notification flag and skips everything up to the
// next space; it stores and re-sends only the flag. Reserved keeps those
// skipped bytes so that parsing and encoding round-trip; a server that wants
// the reference's behaviour stores MsgFlags{Notification: f.Notification}.
// Reserved never contains a space.
type MsgFlags struct {
	Notification bool
	Reserved     []byte
}

func putMsgFlags(w *encoding.Buffer, f MsgFlags) {
	if bytes.IndexByte(f.Reserved, ' ') >= 0 {
		w.Fail(fmt.Errorf("%w: space in reserved message flags", ErrInvalid))
		return
	}
	w.Bool(f.Notification).Raw(f.Reserved)
}

func parseMsgFlags(d *encoding.Decoder) MsgFlags {
	f := MsgFlags{Notification: d.Bool()}
	if r := d.Word(); len(r) > 0 {
		f.Reserved = r
	}
	return f
}

// RcvMessageBody is the plaintext of MSG's encrypted body (before padding
// to RcvMessagePaddedSize) [MP RcvMsgBody, encodeRcvMsgBody,
// clientRcvMsgBodyP]:
//
//	rcvBody = i64(ts) flags " " tail(body)   ; a message
//	        | "QUOTA " i64(ts)               ; the quota marker
//
// Timestamp is the server's receive time in whole seconds.
type RcvMessageBody struct {
	Timestamp time.Time
	Quota     bool // the quota-exceeded marker; Flags and Body are not sent
	Flags     MsgFlags
	Body      []byte
}

const quotaTag = "QUOTA"

// EncodeRcvMessageBody encodes b. It fails with ErrInvalid when the body is
// over MaxMessageLen or the flags have more than MaxFlagsReserved reserved
// bytes, as the result would not fit MaxRcvMessageLen.
func EncodeRcvMessageBody(b RcvMessageBody) ([]byte, error) { return AppendRcvMessageBody(nil, b) }

// AppendRcvMessageBody appends the encoding of b to dst (see
// EncodeRcvMessageBody).
func AppendRcvMessageBody(dst []byte, b RcvMessageBody) ([]byte, error) {
	w := encoding.NewBuffer(dst)
	if b.Quota {
		w.String(quotaTag).Space().Time(b.Timestamp)
		return w.Bytes()
	}
	if len(b.Body) > MaxMessageLen {
		return nil, fmt.Errorf("%w: message body of %d bytes", ErrInvalid, len(b.Body))
	}
	if len(b.Flags.Reserved) > MaxFlagsReserved {
		return nil, fmt.Errorf("%w: %d reserved flag bytes", ErrInvalid, len(b.Flags.Reserved))
	}
	w.Time(b.Timestamp)
	putMsgFlags(w, b.Flags)
	w.Space().Raw(b.Body)
	return w.Bytes()
}

// ParseRcvMessageBody parses an unpadded received body. Like the
// reference, input starting "QUOTA " with at least 8 more bytes is the
// quota marker (and must end there); anything else is a message.
func ParseRcvMessageBody(b []byte) (RcvMessageBody, error) {
	if rest, ok := bytes.CutPrefix(b, []byte(quotaTag+" ")); ok && len(rest) >= 8 {
		d := encoding.NewDecoder(rest)
		ts := d.Time()
		if err := d.Finish(); err != nil {
			return RcvMessageBody{}, fmt.Errorf("%w: quota marker: %w", ErrSyntax, err)
		}
		return RcvMessageBody{Timestamp: ts, Quota: true}, nil
	}
	d := encoding.NewDecoder(b)
	m := RcvMessageBody{Timestamp: d.Time()}
	m.Flags = parseMsgFlags(d)
	d.Space()
	m.Body = d.Tail()
	if err := d.Finish(); err != nil {
		return RcvMessageBody{}, fmt.Errorf("%w: received message body: %w", ErrSyntax, err)
	}
	return m, nil
}

// EncodePaddedRcvMessageBody returns pad(EncodeRcvMessageBody(b),
// RcvMessagePaddedSize), the plaintext the server encrypts for MSG
// [MS encryptMsg].
func EncodePaddedRcvMessageBody(b RcvMessageBody) ([]byte, error) {
	s, err := EncodeRcvMessageBody(b)
	if err != nil {
		return nil, err
	}
	return encoding.Pad(s, RcvMessagePaddedSize)
}

// NotificationMeta is the plaintext of NMSG's encrypted metadata (before
// padding to NotificationMetaPaddedSize) [MP NMsgMeta]:
//
//	nmsgMeta = short(msgId) i64(ts) [tail(extension)]
type NotificationMeta struct {
	MsgID     []byte
	Timestamp time.Time
}

// EncodeNotificationMeta encodes m.
func EncodeNotificationMeta(m NotificationMeta) ([]byte, error) {
	return encoding.NewBuffer(nil).Short(m.MsgID).Time(m.Timestamp).Bytes()
}

// ParseNotificationMeta parses unpadded metadata; trailing bytes are
// allowed and ignored, for future extensions [MP instance Encoding NMsgMeta].
func ParseNotificationMeta(b []byte) (NotificationMeta, error) {
	d := encoding.NewDecoder(b)
	m := NotificationMeta{MsgID: d.Short(), Timestamp: d.Time()}
	if err := d.Err(); err != nil {
		return NotificationMeta{}, fmt.Errorf("%w: notification metadata: %w", ErrSyntax, err)
	}
	return m, nil
}

// EncodePaddedNotificationMeta returns pad(EncodeNotificationMeta(m),
// NotificationMetaPaddedSize) [MS mkMessageNotification].
func EncodePaddedNotificationMeta(m NotificationMeta) ([]byte, error) {
	s, err := EncodeNotificationMeta(m)
	if err != nil {
		return nil, err
	}
	return encoding.Pad(s, NotificationMetaPaddedSize)
}
