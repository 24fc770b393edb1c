package smp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/simplexgo/protocol/encoding"
)

type messageVector struct {
	name   string
	v      uint16
	msg    Message
	wire   string
	parsed Message // what parsing wire gives, when not msg itself
}

func ttl(n int64) *int64 { return &n }

// messageVectors are byte-exact encodings. Sources: [MP encodeProtocol
// BrokerMsg / protocolP] and CONFORMANCE-NOTES §1.2, §3.1–3.5.
func messageVectors() []messageVector {
	x := sk(dhDER)
	id24 := strings.Repeat("m", 24)
	nonce := strings.Repeat("n", 24)
	spam := BlockingInfo{Reason: BlockedSpam}
	spamNotice := BlockingInfo{Reason: BlockedSpam, Notice: &ClientNotice{TTL: ttl(3600)}}
	info := QueueInfo{Snd: true, Ntf: false, Sub: &QSub{Thread: SubRunning}, Size: 2,
		Msg: &MsgInfo{MsgID: []byte{0xfb, 0xff}, Ts: time.Unix(1700000000, 0).UTC(), Type: MsgTypeMessage}}
	return []messageVector{
		// IDS ladder [MP encodeProtocol IDS].
		{"IDS v6", 6, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey}, "IDS " + short("rid") + short("sid") + x, nil},
		{"IDS v8 mode dropped", 8, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeMessaging},
			"IDS " + short("rid") + short("sid") + x, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey}},
		{"IDS v9 messaging", 9, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeMessaging},
			"IDS " + short("rid") + short("sid") + x + "T", nil},
		{"IDS v14 contact", 14, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeContact},
			"IDS " + short("rid") + short("sid") + x + "F", nil},
		{"IDS v14 no mode", 14, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey},
			"IDS " + short("rid") + short("sid") + x + "F", IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeContact}},
		{"IDS v15", 15, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeMessaging},
			"IDS " + short("rid") + short("sid") + x + "1M0", nil},
		{"IDS v15 link", 15, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeContact, LinkID: []byte("lnk")},
			"IDS " + short("rid") + short("sid") + x + "1C1" + short("lnk"), nil},
		{"IDS v16", 16, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey},
			"IDS " + short("rid") + short("sid") + x + "000", nil},
		{"IDS v16 service", 16, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeMessaging, ServiceID: []byte("svc")},
			"IDS " + short("rid") + short("sid") + x + "1M01" + short("svc"), nil},
		{"IDS v17", 17, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeMessaging},
			"IDS " + short("rid") + short("sid") + x + "1M000", nil},
		{"IDS v18 ntf creds", 18, IDS{RcvID: []byte("rid"), SndID: []byte("sid"), SrvDHKey: dhKey, QueueMode: QueueModeMessaging,
			ServerNtfCreds: &ServerNtfCreds{NotifierID: []byte("nid"), SrvNtfDHKey: dhKey}},
			"IDS " + short("rid") + short("sid") + x + "1M001" + short("nid") + x, nil},
		{"LNK", 15, LNK{SenderID: []byte("sid"), FixedData: []byte("fixed"), UserData: []byte{}}, "LNK " + short("sid") + large("fixed") + large(""), nil},
		// SOK from v16, OK before [MP encodeProtocol SOK]; ServerTests expects SOK Nothing at v18.
		{"SOK v16", 16, SOK{}, "SOK 0", nil},
		{"SOK v18 service", 18, SOK{ServiceID: []byte("svc")}, "SOK 1" + short("svc"), nil},
		{"SOK v15 is OK", 15, SOK{}, "OK", OK{}},
		{"SOKS", 16, SOKS{Count: 2}, "SOKS \x00\x00\x00\x00\x00\x00\x00\x02", nil},
		{"MSG", 6, MSG{MsgID: []byte(id24), EncBody: []byte("encrypted body")}, "MSG " + short(id24) + "encrypted body", nil},
		{"NID", 6, NID{NotifierID: []byte("nid"), SrvNtfDHKey: dhKey}, "NID " + short("nid") + x, nil},
		{"NMSG", 6, NMSG{Nonce: []byte(nonce), EncMeta: []byte("meta")}, "NMSG " + nonce + short("meta"), nil},
		{"PKEY", 8, PKEY{SessionID: []byte("sess"), VRange: encoding.VersionRange{Min: 8, Max: 17}, CertChain: [][]byte{[]byte("leaf"), []byte("ca")}, SignedKey: []byte("signed")},
			"PKEY " + short("sess") + "\x00\x08\x00\x11\x02" + large("leaf") + large("ca") + large("signed"), nil},
		{"RRES", 8, RRES{EncFwdResponse: []byte("r e s")}, "RRES r e s", nil},
		{"PRES", 8, PRES{EncResponse: []byte("p r e s")}, "PRES p r e s", nil},
		{"END", 6, END{}, "END", nil},
		{"ENDS", 16, ENDS{Count: 300}, "ENDS \x00\x00\x00\x00\x00\x00\x01\x2c", nil},
		// DELD from v10, END before [MP encodeProtocol DELD].
		{"DELD v10", 10, DELD{}, "DELD", nil},
		{"DELD v9 is END", 9, DELD{}, "END", END{}},
		{"INFO", 6, INFO{Info: info},
			`INFO {"qiSnd":true,"qiNtf":false,"qiSub":{"qSubThread":"subThread"},"qiSize":2,"qiMsg":{"msgId":"+/8=","msgTs":"2023-11-14T22:13:20Z","msgType":"message"}}`, nil},
		{"OK", 6, OK{}, "OK", nil},
		{"PONG", 6, PONG{}, "PONG", nil},
		{"ERR AUTH", 6, ERR{Err: ErrAuth}, "ERR AUTH", nil},
		{"ERR CMD SYNTAX", 6, ERR{Err: ErrCmdSyntax}, "ERR CMD SYNTAX", nil},
		{"ERR PROXY BASIC_AUTH", 8, ERR{Err: NewProxyError(ProxyError{Code: ProxyBasicAuth})}, "ERR PROXY BASIC_AUTH", nil},
		// BLOCKED: AUTH below v12, no notice below v18 [MP encodeProtocol ERR].
		{"ERR BLOCKED v11 is AUTH", 11, ERR{Err: NewBlockedError(spam)}, "ERR AUTH", ERR{Err: ErrAuth}},
		{"ERR BLOCKED v12", 12, ERR{Err: NewBlockedError(spam)}, "ERR BLOCKED reason=spam", nil},
		{"ERR BLOCKED v17 notice stripped", 17, ERR{Err: NewBlockedError(spamNotice)}, "ERR BLOCKED reason=spam", ERR{Err: NewBlockedError(spam)}},
		{"ERR BLOCKED v18 notice", 18, ERR{Err: NewBlockedError(spamNotice)}, `ERR BLOCKED reason=spam,notice={"ttl":3600}`, nil},
		{"ERR BLOCKED v18 content", 18, ERR{Err: NewBlockedError(BlockingInfo{Reason: BlockedContent, Notice: &ClientNotice{}})}, `ERR BLOCKED reason=content,notice={}`, nil},
		{"ERR STORE", 6, ERR{Err: NewStoreError("db: failed")}, "ERR STORE db: failed", nil},
	}
}

func TestMessageVectors(t *testing.T) {
	checkSampleKeys(t)
	for _, tt := range messageVectors() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeMessage(tt.v, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.wire {
				t.Fatalf("encode v%d:\n got %q\nwant %q", tt.v, got, tt.wire)
			}
			m, err := ParseMessage(tt.v, []byte(tt.wire))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.parsed
			if want == nil {
				want = tt.msg
			}
			if !reflect.DeepEqual(m, want) {
				t.Fatalf("parse v%d:\n got %#v\nwant %#v", tt.v, m, want)
			}
			again, err := EncodeMessage(tt.v, m)
			if err != nil || string(again) != tt.wire {
				t.Fatalf("re-encode: %q, %v", again, err)
			}
		})
	}
}

// TestDowngrades walks the versions where DELD, SOK and ERR BLOCKED change.
func TestDowngrades(t *testing.T) {
	blocked := ERR{Err: NewBlockedError(BlockingInfo{Reason: BlockedContent, Notice: &ClientNotice{TTL: ttl(1)}})}
	for v := uint16(6); v <= 18; v++ {
		deld, _ := EncodeMessage(v, DELD{})
		sok, _ := EncodeMessage(v, SOK{})
		errb, _ := EncodeMessage(v, blocked)
		wantDeld, wantSok, wantErr := "DELD", "SOK 0", `ERR BLOCKED reason=content,notice={"ttl":1}`
		if v < 10 {
			wantDeld = "END"
		}
		if v < 16 {
			wantSok = "OK"
		}
		switch {
		case v < 12:
			wantErr = "ERR AUTH"
		case v < 18:
			wantErr = "ERR BLOCKED reason=content"
		}
		if string(deld) != wantDeld || string(sok) != wantSok || string(errb) != wantErr {
			t.Errorf("v%d: %q %q %q", v, deld, sok, errb)
		}
	}
	// Only a top-level BLOCKED is downgraded, as in the reference.
	nested := ERR{Err: NewProxyError(ProxyError{Code: ProxyProtocol, Protocol: &blocked.Err})}
	got, _ := EncodeMessage(8, nested)
	if string(got) != `ERR PROXY PROTOCOL BLOCKED reason=content,notice={"ttl":1}` {
		t.Errorf("nested: %q", got)
	}
}

func TestParseMessageErrors(t *testing.T) {
	x := sk(dhDER)
	tests := []struct {
		name string
		v    uint16
		in   string
		want ErrorType
	}{
		{"unknown", 6, "HELLO", ErrCmdUnknown},
		{"command word", 6, "PING", ErrCmdUnknown},
		{"empty", 6, "", ErrCmdUnknown},
		{"OK trailing", 6, "OK ", ErrCmdSyntax},
		{"IDS v9 at v6", 6, "IDS " + short("r") + short("s") + x + "T", ErrCmdSyntax},
		{"IDS v6 at v9", 9, "IDS " + short("r") + short("s") + x, ErrCmdSyntax},
		{"IDS Ed25519 key", 6, "IDS " + short("r") + short("s") + sk(edDER), ErrCmdSyntax},
		{"IDS v15 bad mode", 15, "IDS " + short("r") + short("s") + x + "1X0", ErrCmdSyntax},
		{"SOK no param", 16, "SOK", ErrCmdSyntax},
		{"SOKS short", 16, "SOKS \x00\x01", ErrCmdSyntax},
		{"MSG no space", 6, "MSG", ErrCmdSyntax},
		{"NMSG short nonce", 6, "NMSG abc", ErrCmdSyntax},
		{"PKEY empty chain", 8, "PKEY " + short("s") + "\x00\x08\x00\x11\x00" + large("k"), ErrCmdSyntax},
		{"PKEY bad range", 8, "PKEY " + short("s") + "\x00\x11\x00\x08\x01" + large("c") + large("k"), ErrCmdSyntax},
		{"INFO empty object", 6, "INFO {}", ErrCmdSyntax},
		{"INFO not JSON", 6, "INFO x", ErrCmdSyntax},
		{"ERR unknown", 6, "ERR FOO", ErrCmdSyntax},
		{"ERR trailing", 6, "ERR AUTH x", ErrCmdSyntax},
		{"DELD trailing", 10, "DELD x", ErrCmdSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage(tt.v, []byte(tt.in))
			if err == nil {
				t.Fatalf("parsed %#v", m)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncodeMessageErrors(t *testing.T) {
	tests := []struct {
		name string
		v    uint16
		msg  Message
		want error
	}{
		{"IDS link at v14", 14, IDS{SrvDHKey: dhKey, LinkID: []byte("l")}, ErrVersion},
		{"IDS service at v15", 15, IDS{SrvDHKey: dhKey, ServiceID: []byte("s")}, ErrVersion},
		{"IDS ntf creds at v16", 16, IDS{SrvDHKey: dhKey, ServerNtfCreds: &ServerNtfCreds{SrvNtfDHKey: dhKey}}, ErrVersion},
		{"IDS bad mode", 15, IDS{SrvDHKey: dhKey, QueueMode: 'X'}, ErrInvalid},
		{"IDS Ed25519 key", 6, IDS{SrvDHKey: edKey}, ErrInvalid},
		{"NMSG short nonce", 6, NMSG{Nonce: []byte("n")}, ErrInvalid},
		{"PKEY no certs", 8, PKEY{VRange: encoding.VersionRange{Min: 8, Max: 8}}, ErrInvalid},
		{"PKEY bad range", 8, PKEY{VRange: encoding.VersionRange{Min: 9, Max: 8}, CertChain: [][]byte{nil}}, ErrInvalid},
		{"INFO bad thread", 6, INFO{Info: QueueInfo{Sub: &QSub{Thread: "x"}}}, ErrInvalid},
		{"ERR empty", 6, ERR{}, ErrInvalid},
		{"ERR BLOCKED no info", 12, ERR{Err: ErrorType{Code: CodeBlocked}}, ErrInvalid},
		{"pointer", 6, &OK{}, ErrInvalid},
		{"nil", 6, nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeMessage(tt.v, tt.msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %q, %v; want %v", b, err, tt.want)
			}
		})
	}
}

func TestMessageTagsCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range messageVectors() {
		if !strings.HasPrefix(tt.wire, tt.msg.Tag()) && tt.parsed == nil {
			t.Errorf("%s: tag %q", tt.name, tt.msg.Tag())
		}
		seen[tt.msg.Tag()] = true
	}
	for w := range messageParsers {
		if !seen[w] {
			t.Errorf("no vector for %s", w)
		}
	}
}
