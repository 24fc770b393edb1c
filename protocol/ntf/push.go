package ntf

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/simplexgo/protocol/address"
)

// ErrPushData is returned for a malformed push notification message list.
var ErrPushData = errors.New("ntf: bad push message data")

// QueueNtf identifies a queue's notifications: its SMP server and notifier
// ID; text "smp://<keyhash>@<hosts>[:port]/<notifierId>" [NP SMPQueueNtf].
type QueueNtf struct {
	Server     address.ServerAddress
	NotifierID []byte
}

// String returns the text form. The server is a ProtocolServer there,
// whose text never carries a password [MP StrEncoding ProtocolServer]:
// BasicAuth is left out (it may hold ';', which separates the entries of
// a message push, see DropOldest).
func (q QueueNtf) String() string {
	srv := q.Server
	srv.BasicAuth = ""
	return srv.String() + "/" + address.B64(q.NotifierID)
}

// PNMessageData is one entry of a message push: which queue got a message,
// when the NTF server received the NMSG (seconds), and the NMSG nonce and
// encrypted metadata, passed through [NP PNMessageData].
type PNMessageData struct {
	Queue     QueueNtf
	Timestamp int64
	Nonce     [24]byte
	EncMeta   []byte
}

// String returns "<queue> <ts> <nonce> <encMeta>", base64url fields
// [NP StrEncoding PNMessageData].
func (m PNMessageData) String() string { return string(m.Append(nil)) }

// Append appends the text form (String) to b.
func (m PNMessageData) Append(b []byte) []byte {
	b = append(b, m.Queue.String()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, m.Timestamp, 10)
	b = append(b, ' ')
	b = b64URL.AppendEncode(b, m.Nonce[:])
	b = append(b, ' ')
	return b64URL.AppendEncode(b, m.EncMeta)
}

// b64URL is address.B64's encoding (base64url with padding).
var b64URL = base64.URLEncoding

// EncodePNMessages joins entries with ';' (',' separates hosts)
// [NP encodePNMessages]. The official server sends at most 6, oldest first.
func EncodePNMessages(ms []PNMessageData) string { return string(AppendPNMessages(nil, ms)) }

// AppendPNMessages appends EncodePNMessages(ms) to b. No entry contains
// ';' (hosts, digits and base64url; no password), so the list without its oldest entries is a suffix of the
// encoding: the one after the first ';' (DropOldest).
func AppendPNMessages(b []byte, ms []PNMessageData) []byte {
	for i, m := range ms {
		if i > 0 {
			b = append(b, ';')
		}
		b = m.Append(b)
	}
	return b
}

// DropOldest returns an encoded list (AppendPNMessages) without its first
// (oldest) entry; a single entry is returned as it is.
func DropOldest(enc []byte) []byte {
	if i := bytes.IndexByte(enc, ';'); i >= 0 {
		return enc[i+1:]
	}
	return enc
}

// ParsePNMessages parses a ';'-separated, non-empty list of entries
// [NP pnMessagesP]. As in the reference, a nonce is zero-padded or cut to
// 24 bytes [MC cbNonce] and a single preset host gets its onion host.
func ParsePNMessages(s string) ([]PNMessageData, error) {
	var ms []PNMessageData
	for item := range strings.SplitSeq(s, ";") {
		m, err := parsePNMessage(item)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func parsePNMessage(s string) (PNMessageData, error) {
	var m PNMessageData
	srv, rest, err := address.ParseServerPrefix(s, address.SchemeSMP)
	if err != nil {
		return m, fmt.Errorf("%w: %w", ErrPushData, err)
	}
	m.Queue.Server = address.UpdateSMPServerHosts(srv)
	if !strings.HasPrefix(rest, "/") {
		return m, fmt.Errorf("%w: expected '/'", ErrPushData)
	}
	if m.Queue.NotifierID, rest, err = address.ParseB64Prefix(rest[1:]); err != nil {
		return m, fmt.Errorf("%w: notifier ID: %w", ErrPushData, err)
	}
	fields := strings.SplitN(rest, " ", 5)
	if len(fields) != 4 || fields[0] != "" {
		return m, fmt.Errorf("%w: expected \" <ts> <nonce> <meta>\"", ErrPushData)
	}
	if m.Timestamp, err = parseInt64(fields[1]); err != nil {
		return m, err
	}
	nonce, err := address.ParseB64(fields[2])
	if err != nil {
		return m, fmt.Errorf("%w: nonce: %w", ErrPushData, err)
	}
	copy(m.Nonce[:], nonce)
	if m.EncMeta, err = address.ParseB64(fields[3]); err != nil {
		return m, fmt.Errorf("%w: meta: %w", ErrPushData, err)
	}
	return m, nil
}

// parseInt64 parses an optionally signed decimal [MES StrEncoding Int64].
func parseInt64(s string) (int64, error) {
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("%w: bad number %q", ErrPushData, s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad number %q", ErrPushData, s)
	}
	return v, nil
}

// The APNs request bodies [APNS apnsNotification]: {"aps":…,"notificationData":…},
// aps keys in kebab case, notificationData keys in sorted order as aeson
// writes a JSON object. The encrypted fields are base64url of the
// crypto_box of the padded data (pad to 3072 bytes) with the token's DH
// secret; the nonce is 24 random bytes. All values are base64url, so no
// JSON escaping is needed.

// MessageAlert and MessageCategory are the fixed texts of message pushes.
const (
	MessageAlert    = "Encrypted message or another app event"
	MessageCategory = "NTF_CAT_CHECK_MESSAGE"
)

// VerificationPayload returns the background push carrying the encrypted
// registration code:
// {"aps":{"content-available":1},"notificationData":{"nonce":N,"verification":E}}.
func VerificationPayload(nonce [24]byte, encCode []byte) []byte {
	return jsonPayload(verificationHead, nonce[:], `","verification":"`, encCode, `"}}`)
}

// MessagePayload returns the alert push carrying the encrypted message list:
// {"aps":{"mutable-content":1,"alert":…,"category":…},"notificationData":{"message":E,"nonce":N}}.
func MessagePayload(nonce [24]byte, encMessages []byte) []byte {
	return jsonPayload(messageHead, encMessages, `","nonce":"`, nonce[:], `"}}`)
}

const (
	verificationHead = `{"aps":{"content-available":1},"notificationData":{"nonce":"`
	messageHead      = `{"aps":{"mutable-content":1,"alert":"` + MessageAlert + `","category":"` + MessageCategory + `"},"notificationData":{"message":"`
)

// jsonPayload returns head b64(a) mid b64(b) tail in one allocation of
// the exact size (a message push is ~4 KB).
func jsonPayload(head string, a []byte, mid string, b []byte, tail string) []byte {
	out := make([]byte, 0, len(head)+b64URL.EncodedLen(len(a))+len(mid)+b64URL.EncodedLen(len(b))+len(tail))
	out = append(out, head...)
	out = b64URL.AppendEncode(out, a)
	out = append(out, mid...)
	out = b64URL.AppendEncode(out, b)
	return append(out, tail...)
}

// CheckMessagesPayload returns the periodic background push (TCRN):
// {"aps":{"content-available":1},"notificationData":{"checkMessages":true}}.
func CheckMessagesPayload() []byte {
	return []byte(`{"aps":{"content-available":1},"notificationData":{"checkMessages":true}}`)
}
