package smp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// ts1700 is 1700000000 s = 0x6553f100, as in the encoding package's vectors.
var ts1700 = time.Unix(1700000000, 0).UTC()

const ts1700Wire = "\x00\x00\x00\x00\x65\x53\xf1\x00"

// TestRcvMessageBodyVectors: rcvBody = i64 ts flags " " body | "QUOTA " i64 ts
// [MP encodeRcvMsgBody, clientRcvMsgBodyP; CONFORMANCE-NOTES §3.2].
func TestRcvMessageBodyVectors(t *testing.T) {
	tests := []struct {
		name string
		body RcvMessageBody
		wire string
	}{
		{"message", RcvMessageBody{Timestamp: ts1700, Flags: MsgFlags{Notification: true}, Body: []byte("hello")}, ts1700Wire + "T hello"},
		{"no flags empty body", RcvMessageBody{Timestamp: ts1700, Body: []byte{}}, ts1700Wire + "F "},
		{"reserved flags", RcvMessageBody{Timestamp: ts1700, Flags: MsgFlags{Reserved: []byte("123456")}, Body: []byte("b")}, ts1700Wire + "F123456 b"},
		{"quota", RcvMessageBody{Timestamp: ts1700, Quota: true}, "QUOTA " + ts1700Wire},
		// Input starting "QUOTA" without the space and 8 bytes is a message
		// whose timestamp bytes are "QUOTAxyz" (the parser's alternation).
		{"QUOTA prefix message", RcvMessageBody{Timestamp: time.Unix(0x51554f54_4178797a, 0).UTC(), Body: []byte("hi")}, "QUOTAxyzF hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeRcvMessageBody(tt.body)
			if err != nil || string(got) != tt.wire {
				t.Fatalf("encode: %q, %v", got, err)
			}
			b, err := ParseRcvMessageBody([]byte(tt.wire))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b, tt.body) {
				t.Fatalf("parse: %#v", b)
			}
		})
	}
}

func TestRcvMessageBodyErrors(t *testing.T) {
	for _, in := range []string{"", "\x00\x00", ts1700Wire, ts1700Wire + "T", ts1700Wire + "Thello", ts1700Wire + "X hi",
		"QUOTA " + ts1700Wire + "x"} {
		if b, err := ParseRcvMessageBody([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseRcvMessageBody(%q) = %#v, %v", in, b, err)
		}
	}
	for _, b := range []RcvMessageBody{
		{Body: make([]byte, MaxMessageLen+1)},
		{Flags: MsgFlags{Reserved: []byte("1234567")}},
		{Flags: MsgFlags{Reserved: []byte(" ")}},
	} {
		if _, err := EncodeRcvMessageBody(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("EncodeRcvMessageBody: %v", err)
		}
	}
}

// TestRcvMessagePadding: the largest body pads to 16106 bytes [MP
// MaxRcvMessageLen + 2, CONFORMANCE-NOTES §3.2].
func TestRcvMessagePadding(t *testing.T) {
	if RcvMessagePaddedSize != 16106 || MaxRcvMessageLen != 16104 {
		t.Fatal("sizes")
	}
	b := RcvMessageBody{Timestamp: ts1700, Flags: MsgFlags{Notification: true, Reserved: []byte("123456")}, Body: make([]byte, MaxMessageLen)}
	p, err := EncodePaddedRcvMessageBody(b)
	if err != nil || len(p) != RcvMessagePaddedSize {
		t.Fatalf("%d %v", len(p), err)
	}
	s, err := encoding.Unpad(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseRcvMessageBody(s); err != nil || !bytes.Equal(got.Body, b.Body) {
		t.Fatalf("round trip: %v", err)
	}
	q, _ := EncodePaddedRcvMessageBody(RcvMessageBody{Quota: true, Timestamp: ts1700})
	if len(q) != RcvMessagePaddedSize || string(q[:16]) != "\x00\x0eQUOTA "+ts1700Wire || q[16] != '#' {
		t.Fatalf("quota padded: %q", q[:20])
	}
	if _, err := EncodePaddedRcvMessageBody(RcvMessageBody{Body: make([]byte, MaxMessageLen+1)}); err == nil {
		t.Fatal("oversized body padded")
	}
}

func TestMaxMessageLength(t *testing.T) {
	// [MP maxMessageLength]; CONFORMANCE-NOTES §3.1 SEND.
	want := map[uint16]int{6: 16088, 7: 16088, 8: 16064, 10: 16064, 11: 16048, 14: 16048, 18: 16048}
	for v, n := range want {
		if got := MaxMessageLength(v); got != n {
			t.Errorf("MaxMessageLength(%d) = %d, want %d", v, got, n)
		}
	}
}

// TestNotificationMeta: short(msgId) i64 ts, padded to 128 [MP NMsgMeta,
// MS mkMessageNotification, CONFORMANCE-NOTES §3.3].
func TestNotificationMeta(t *testing.T) {
	id := strings.Repeat("i", 24)
	m := NotificationMeta{MsgID: []byte(id), Timestamp: ts1700}
	b, err := EncodeNotificationMeta(m)
	if err != nil || string(b) != short(id)+ts1700Wire {
		t.Fatalf("%q %v", b, err)
	}
	got, err := ParseNotificationMeta(b)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("%#v %v", got, err)
	}
	// Trailing bytes are an allowed extension.
	got, err = ParseNotificationMeta(append(b, "ext"...))
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("extension: %#v %v", got, err)
	}
	if _, err := ParseNotificationMeta(b[:len(b)-1]); !errors.Is(err, ErrSyntax) {
		t.Fatalf("short: %v", err)
	}
	p, err := EncodePaddedNotificationMeta(m)
	if err != nil || len(p) != NotificationMetaPaddedSize {
		t.Fatalf("padded %d %v", len(p), err)
	}
	if _, err := EncodeNotificationMeta(NotificationMeta{MsgID: make([]byte, 256)}); err == nil {
		t.Fatal("long ID encoded")
	}
}

// TestFwdTransmission: short(corrId) w16 version key tail [MP
// FwdTransmission, FwdResponse; CONFORMANCE-NOTES §3.5].
func TestFwdTransmission(t *testing.T) {
	corr := strings.Repeat("c", 24)
	ft := FwdTransmission{CorrID: []byte(corr), Version: 14, ClientKey: dhKey, EncTransmission: []byte("enc")}
	wire := short(corr) + "\x00\x0e" + sk(dhDER) + "enc"
	b, err := EncodeFwdTransmission(ft)
	if err != nil || string(b) != wire {
		t.Fatalf("%q %v", b, err)
	}
	got, err := ParseFwdTransmission(b)
	if err != nil || !reflect.DeepEqual(got, ft) {
		t.Fatalf("%#v %v", got, err)
	}
	if _, err := EncodeFwdTransmission(FwdTransmission{ClientKey: edKey}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Ed25519 client key: %v", err)
	}
	if _, err := ParseFwdTransmission([]byte(short(corr) + "\x00\x0e" + sk(edDER))); !errors.Is(err, crypto.ErrKeyAlg) {
		t.Fatalf("parse Ed25519 client key: %v", err)
	}

	fr := FwdResponse{CorrID: []byte(corr), EncResponse: []byte("resp")}
	b, err = EncodeFwdResponse(fr)
	if err != nil || string(b) != short(corr)+"resp" {
		t.Fatalf("%q %v", b, err)
	}
	gotR, err := ParseFwdResponse(b)
	if err != nil || !reflect.DeepEqual(gotR, fr) {
		t.Fatalf("%#v %v", gotR, err)
	}
	if _, err := ParseFwdResponse([]byte("\x05ab")); !errors.Is(err, ErrSyntax) {
		t.Fatalf("short response: %v", err)
	}
}
