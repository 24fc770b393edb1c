package smp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// QueueInfo is the JSON payload of INFO, the answer to QUE [QI QueueInfo,
// CONFORMANCE-NOTES §3.1]. It is written the way aeson writes it (keys in
// this order, absent optional fields omitted, no white space):
//
//	{"qiSnd":bool,"qiNtf":bool[,"qiSub":{"qSubThread":t[,"qDelivered":b64]}],
//	 "qiSize":int[,"qiMsg":{"msgId":b64,"msgTs":iso8601,"msgType":"message"|"quota"}]}
//
// msgId and qDelivered are standard base64 (with '+', '/' and padding);
// msgTs is ISO-8601 UTC (years 0..9999 only here). qiSnd, qiNtf and qiSize are required ("{}" does
// not parse); unknown keys are ignored and key names match exactly.
type QueueInfo struct {
	Snd  bool     // qiSnd: the queue has a sender key
	Ntf  bool     // qiNtf: the queue has a notifier
	Sub  *QSub    // qiSub: this connection's subscription, if any
	Size int      // qiSize: messages in the queue
	Msg  *MsgInfo // qiMsg: the first message, if any
}

// SubThread is the state of a subscription in QueueInfo [QI QSubThread].
type SubThread string

// Subscription states.
const (
	SubNone       SubThread = "noSub"
	SubPending    SubThread = "subPending"
	SubRunning    SubThread = "subThread"
	SubProhibited SubThread = "prohibitSub"
)

// QSub is the subscription part of QueueInfo [QI QSub].
type QSub struct {
	Thread    SubThread // qSubThread
	Delivered []byte    // qDelivered: ID of the delivered, unacknowledged message; nil = absent
}

// MsgType is the kind of a stored message [QI MsgType].
type MsgType string

// Message types.
const (
	MsgTypeMessage MsgType = "message"
	MsgTypeQuota   MsgType = "quota"
)

// MsgInfo describes a stored message in QueueInfo [QI MsgInfo, MP toMsgInfo].
type MsgInfo struct {
	MsgID []byte    // msgId
	Ts    time.Time // msgTs
	Type  MsgType   // msgType
}

func validSubThread(t SubThread) bool {
	switch t {
	case SubNone, SubPending, SubRunning, SubProhibited:
		return true
	}
	return false
}

// MarshalJSON implements json.Marshaler with aeson's layout.
func (q QueueInfo) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"qiSnd":`)
	b.WriteString(strconv.FormatBool(q.Snd))
	b.WriteString(`,"qiNtf":`)
	b.WriteString(strconv.FormatBool(q.Ntf))
	if q.Sub != nil {
		if !validSubThread(q.Sub.Thread) {
			return nil, fmt.Errorf("%w: subscription state %q", ErrInvalid, q.Sub.Thread)
		}
		b.WriteString(`,"qiSub":{"qSubThread":"`)
		b.WriteString(string(q.Sub.Thread))
		b.WriteByte('"')
		if q.Sub.Delivered != nil {
			b.WriteString(`,"qDelivered":"`)
			b.WriteString(base64.StdEncoding.EncodeToString(q.Sub.Delivered))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteString(`,"qiSize":`)
	b.WriteString(strconv.Itoa(q.Size))
	if q.Msg != nil {
		if q.Msg.Type != MsgTypeMessage && q.Msg.Type != MsgTypeQuota {
			return nil, fmt.Errorf("%w: message type %q", ErrInvalid, q.Msg.Type)
		}
		if y := q.Msg.Ts.UTC().Year(); y < 0 || y > 9999 {
			return nil, fmt.Errorf("%w: message time %v", ErrInvalid, q.Msg.Ts)
		}
		b.WriteString(`,"qiMsg":{"msgId":"`)
		b.WriteString(base64.StdEncoding.EncodeToString(q.Msg.MsgID))
		b.WriteString(`","msgTs":"`)
		b.WriteString(formatJSONTime(q.Msg.Ts))
		b.WriteString(`","msgType":"`)
		b.WriteString(string(q.Msg.Type))
		b.WriteString(`"}`)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// formatJSONTime writes t in UTC as aeson writes UTCTime: seconds, then a
// fraction only if non-zero, in groups of three digits (ms, µs, ns).
func formatJSONTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	switch ns := t.Nanosecond(); {
	case ns == 0:
	case ns%1_000_000 == 0:
		s += fmt.Sprintf(".%03d", ns/1_000_000)
	case ns%1_000 == 0:
		s += fmt.Sprintf(".%06d", ns/1_000)
	default:
		s += fmt.Sprintf(".%09d", ns)
	}
	return s + "Z"
}

// UnmarshalJSON implements json.Unmarshaler.
func (q *QueueInfo) UnmarshalJSON(b []byte) error {
	obj, err := jsonObject(b, "queue info")
	if err != nil {
		return err
	}
	var r QueueInfo
	if r.Snd, err = jsonReqBool(obj, "qiSnd"); err != nil {
		return err
	}
	if r.Ntf, err = jsonReqBool(obj, "qiNtf"); err != nil {
		return err
	}
	raw, ok := obj["qiSize"]
	if !ok || isJSONNull(raw) {
		return fmt.Errorf("%w: queue info: missing qiSize", ErrSyntax)
	}
	size, err := jsonInt64(raw)
	if err != nil || int64(int(size)) != size {
		return fmt.Errorf("%w: queue info: qiSize %s", ErrSyntax, raw)
	}
	r.Size = int(size)
	if raw, ok := obj["qiSub"]; ok && !isJSONNull(raw) {
		if r.Sub, err = parseQSub(raw); err != nil {
			return err
		}
	}
	if raw, ok := obj["qiMsg"]; ok && !isJSONNull(raw) {
		if r.Msg, err = parseMsgInfo(raw); err != nil {
			return err
		}
	}
	*q = r
	return nil
}

func parseQSub(raw json.RawMessage) (*QSub, error) {
	obj, err := jsonObject(raw, "qiSub")
	if err != nil {
		return nil, err
	}
	t, err := jsonReqString(obj, "qSubThread")
	if err != nil {
		return nil, err
	}
	s := &QSub{Thread: SubThread(t)}
	if !validSubThread(s.Thread) {
		return nil, fmt.Errorf("%w: qSubThread %q", ErrSyntax, t)
	}
	if raw, ok := obj["qDelivered"]; ok && !isJSONNull(raw) {
		d, err := jsonBase64(raw, "qDelivered")
		if err != nil {
			return nil, err
		}
		s.Delivered = d
	}
	return s, nil
}

func parseMsgInfo(raw json.RawMessage) (*MsgInfo, error) {
	obj, err := jsonObject(raw, "qiMsg")
	if err != nil {
		return nil, err
	}
	idRaw, ok := obj["msgId"]
	if !ok {
		return nil, fmt.Errorf("%w: qiMsg: missing msgId", ErrSyntax)
	}
	id, err := jsonBase64(idRaw, "msgId")
	if err != nil {
		return nil, err
	}
	ts, err := jsonReqString(obj, "msgTs")
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, fmt.Errorf("%w: msgTs: %w", ErrSyntax, err)
	}
	typ, err := jsonReqString(obj, "msgType")
	if err != nil {
		return nil, err
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("%w: msgTs %q: year %d in UTC", ErrSyntax, ts, y)
	}
	m := &MsgInfo{MsgID: id, Ts: t.UTC(), Type: MsgType(typ)}
	if m.Type != MsgTypeMessage && m.Type != MsgTypeQuota {
		return nil, fmt.Errorf("%w: msgType %q", ErrSyntax, typ)
	}
	return m, nil
}

// jsonObject decodes a JSON object into its raw members.
func jsonObject(b []byte, what string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, what, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: %s is not an object", ErrSyntax, what)
	}
	return obj, nil
}

func jsonReqBool(obj map[string]json.RawMessage, key string) (bool, error) {
	switch string(bytes.TrimSpace(obj[key])) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: %s: want a boolean", ErrSyntax, key)
}

func jsonReqString(obj map[string]json.RawMessage, key string) (string, error) {
	raw, ok := obj[key]
	var s string
	if !ok || isJSONNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Errorf("%w: %s: want a string", ErrSyntax, key)
	}
	return s, nil
}

func jsonBase64(raw json.RawMessage, key string) ([]byte, error) {
	var s string
	if isJSONNull(raw) || json.Unmarshal(raw, &s) != nil {
		return nil, fmt.Errorf("%w: %s: want a string", ErrSyntax, key)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, key, err)
	}
	return b, nil
}
