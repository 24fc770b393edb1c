package ntf

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
)

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

var (
	edPriv = crypto.PrivateKey{Alg: crypto.Ed25519, Raw: seq(32, 1)}
	edPub  = edPriv.Public()
	xPriv  = crypto.PrivateKey{Alg: crypto.X25519, Raw: seq(32, 0x41)}
	xPub   = xPriv.Public()
	// DER prefixes (RFC 8410), CONFORMANCE-NOTES §0: 44-byte SPKI, 48-byte PKCS#8
	edSPKI   = append(mustHex("302a300506032b6570032100"), edPub.Raw...)
	xSPKI    = append(mustHex("302a300506032b656e032100"), xPub.Raw...)
	edPKCS8  = append(mustHex("302e020100300506032b657004220420"), edPriv.Raw...)
	smpSrv   = address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: []string{"smp.example.com"}, Port: "5223"}
	smpSrvWi = []byte("\x01\x0fsmp.example.com\x045223\x04\xd7\x6d\xf8\xfb")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func short(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }

// commandVectors: byte layouts from CONFORMANCE-NOTES §4.2 and
// [NP encodeProtocol NtfCommand].
func commandVectors() []struct {
	name string
	c    Command
	wire []byte
} {
	token := []byte("a1b2c3d4")
	return []struct {
		name string
		c    Command
		wire []byte
	}{
		{"TNEW", TNEW{Provider: ProviderAPNSProd, Token: token, VerifyKey: edPub, DHKey: xPub},
			cat([]byte("TNEW TAP"), short(token), short(edSPKI), short(xSPKI))},
		{"TNEW null", TNEW{Provider: ProviderAPNSNull, Token: []byte{}, VerifyKey: xPub, DHKey: xPub},
			cat([]byte("TNEW TAN\x00"), short(xSPKI), short(xSPKI))},
		{"TVFY", TVFY{Code: seq(32, 0)}, cat([]byte("TVFY "), short(seq(32, 0)))},
		{"TCHK", TCHK{}, []byte("TCHK")},
		{"TRPL", TRPL{Provider: ProviderAPNSDev, Token: token}, cat([]byte("TRPL AD"), short(token))},
		{"TDEL", TDEL{}, []byte("TDEL")},
		{"TCRN", TCRN{Minutes: 20}, []byte("TCRN \x00\x14")},
		{"TCRN 0", TCRN{Minutes: 0}, []byte("TCRN \x00\x00")},
		{"SNEW", SNEW{TokenID: seq(24, 1), SMPServer: smpSrv, NotifierID: seq(24, 100), NotifierKey: edPriv},
			cat([]byte("SNEW S"), short(seq(24, 1)), smpSrvWi, short(seq(24, 100)), short(edPKCS8))},
		{"SCHK", SCHK{}, []byte("SCHK")},
		{"SDEL", SDEL{}, []byte("SDEL")},
		{"PING", PING{}, []byte("PING")},
	}
}

func TestCommandVectors(t *testing.T) {
	for _, tt := range commandVectors() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeCommand(CurrentVersion, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode = %q\nwant     %q", got, tt.wire)
			}
			back, err := ParseCommand(CurrentVersion, tt.wire)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.c) {
				t.Fatalf("parse = %#v\nwant    %#v", back, tt.c)
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		in   []byte
		want error
	}{
		{[]byte("NOPE"), ErrUnknownCommand},
		{[]byte(""), ErrUnknownCommand},
		{[]byte("tchk"), ErrUnknownCommand},
		{[]byte("TCHK "), ErrSyntax},
		{[]byte("PING x"), ErrSyntax},
		{[]byte("TCRN \x00"), ErrSyntax},
		{[]byte("TCRN \x00\x14\x00"), ErrSyntax},
		{[]byte("TVFY"), ErrSyntax},
		{cat([]byte("TNEW SAP"), short([]byte("ab")), short(edSPKI), short(xSPKI)), ErrSyntax},      // entity letter
		{cat([]byte("TNEW TXX"), short([]byte("ab")), short(edSPKI), short(xSPKI)), ErrSyntax},      // provider
		{cat([]byte("TNEW TAP"), short([]byte("ab")), short(edSPKI), short(edSPKI)), ErrSyntax},     // DH key not X25519
		{cat([]byte("TNEW TAP"), short([]byte("ab")), short(edSPKI[:40]), short(xSPKI)), ErrSyntax}, // bad DER
		{cat([]byte("SNEW S"), short(seq(24, 1)), []byte("\x00\x00\x00"), short(seq(24, 100)), short(edPKCS8)), ErrSyntax},
		{cat([]byte("SNEW S"), short(seq(24, 1)), smpSrvWi, short(seq(24, 100)), short(edSPKI)), ErrSyntax}, // public, not private key
	}
	for _, tt := range tests {
		if c, err := ParseCommand(CurrentVersion, tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ParseCommand(%q) = %#v, %v; want %v", tt.in, c, err, tt.want)
		}
	}
	if _, err := EncodeCommand(CurrentVersion, TNEW{Provider: "XX", VerifyKey: edPub, DHKey: xPub}); err == nil {
		t.Error("encoded bad provider")
	}
	if _, err := EncodeCommand(CurrentVersion, TNEW{Provider: ProviderAPNSProd, VerifyKey: edPub, DHKey: edPub}); err == nil {
		t.Error("encoded Ed25519 DH key")
	}
}

func TestSNEWPresetOnion(t *testing.T) {
	// [NP Encoding SMPQueueNtf]: updateSMPServerHosts on parse
	wire := cat([]byte("SNEW S"), short(seq(24, 1)), []byte("\x01\x0fsmp4.simplex.im\x00\x01k"), short(seq(24, 100)), short(edPKCS8))
	c, err := ParseCommand(CurrentVersion, wire)
	if err != nil {
		t.Fatal(err)
	}
	if hs := c.(SNEW).SMPServer.Hosts; len(hs) != 2 || !strings.HasSuffix(hs[1], ".onion") {
		t.Fatalf("hosts = %v", hs)
	}
}

func TestResponseVectors(t *testing.T) {
	tests := []struct {
		name string
		v    uint16
		r    Response
		wire []byte
	}{
		{"IDTKN", 3, IDTKN{TokenID: seq(24, 1), SrvDHKey: xPub}, cat([]byte("IDTKN "), short(seq(24, 1)), short(xSPKI))},
		{"IDSUB", 3, IDSUB{SubID: seq(24, 7)}, cat([]byte("IDSUB "), short(seq(24, 7)))},
		{"OK", 3, OK{}, []byte("OK")},
		{"PONG", 3, PONG{}, []byte("PONG")},
		{"ERR AUTH", 3, ERR{Err: ErrorType{Code: ErrAUTH}}, []byte("ERR AUTH")},
		{"ERR CMD", 3, ERR{Err: CmdError(CmdSYNTAX)}, []byte("ERR CMD SYNTAX")},
		{"ERR QUOTA", 3, ERR{Err: ErrorType{Code: ErrQUOTA}}, []byte("ERR QUOTA")},
		{"ERR STORE", 3, ERR{Err: ErrorType{Code: ErrSTORE, Detail: []byte("db down")}}, []byte("ERR STORE db down")},
		{"ERR PROXY", 3, ERR{Err: ErrorType{Code: ErrPROXY, Detail: []byte("BASIC_AUTH")}}, []byte("ERR PROXY BASIC_AUTH")},
		{"ERR BLOCKED", 3, ERR{Err: ErrorType{Code: ErrBLOCKED, Detail: []byte("reason=spam")}}, []byte("ERR BLOCKED reason=spam")},
		{"TKN active", 3, TKN{Status: TokenStatus{Code: TokenActive}}, []byte("TKN ACTIVE")},
		{"TKN invalid v3", 3, TKN{Status: TokenStatus{Code: TokenInvalid, Reason: ReasonUnregistered}}, []byte("TKN INVALID,UNREGISTERED")},
		{"TKN invalid plain", 3, TKN{Status: TokenStatus{Code: TokenInvalid}}, []byte("TKN INVALID")},
		{"SUB active", 3, SUB{Status: SubStatus{Code: SubActive}}, []byte("SUB ACTIVE")},
		{"SUB err", 3, SUB{Status: SubStatus{Code: SubErr, Err: []byte("CONN boom")}}, []byte("SUB ERR CONN boom")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeResponse(tt.v, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode = %q, want %q", got, tt.wire)
			}
			back, err := ParseResponse(tt.v, tt.wire)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.r) {
				t.Fatalf("parse = %#v, want %#v", back, tt.r)
			}
		})
	}
	// below v3 the INVALID reason is dropped [NP encodeProtocol NRTkn]
	got, _ := EncodeResponse(2, TKN{Status: TokenStatus{Code: TokenInvalid, Reason: ReasonBadToken}})
	if string(got) != "TKN INVALID" {
		t.Fatalf("v2 TKN = %q", got)
	}
	for _, s := range []string{"TKN NEW", "TKN REGISTERED", "TKN CONFIRMED", "TKN EXPIRED", "TKN INVALID,BAD", "TKN INVALID,TOPIC", "TKN INVALID,EXPIRED",
		"SUB NEW", "SUB PENDING", "SUB INACTIVE", "SUB END", "SUB DELETED", "SUB AUTH", "SUB SERVICE", "SUB ERR ",
		"ERR BLOCK", "ERR SESSION", "ERR SERVICE", "ERR CRYPTO", "ERR NO_MSG", "ERR LARGE_MSG", "ERR EXPIRED", "ERR INTERNAL", "ERR DUPLICATE_",
		"ERR CMD UNKNOWN", "ERR CMD PROHIBITED", "ERR CMD NO_AUTH", "ERR CMD HAS_AUTH", "ERR CMD NO_ENTITY"} {
		r, err := ParseResponse(3, []byte(s))
		if err != nil {
			t.Errorf("parse %q: %v", s, err)
			continue
		}
		if out, _ := EncodeResponse(3, r); string(out) != s {
			t.Errorf("round trip %q -> %q", s, out)
		}
	}
	// "NO_QUEUE" is read as NO_ENTITY [MP Encoding CommandError]
	if r, err := ParseResponse(3, []byte("ERR CMD NO_QUEUE")); err != nil || !r.(ERR).Err.Equal(CmdError(CmdNOENTITY)) {
		t.Errorf("NO_QUEUE: %#v %v", r, err)
	}
	for _, s := range []string{"ERR", "ERR ", "ERR AUTH x", "ERR CMD", "ERR CMD FOO", "ERR STORE", "ERR NOPE", "TKN", "TKN INVALID,", "TKN INVALID,FOO",
		"TKN ACTIVE,BAD", "TKN ACTIVE ", "SUB", "SUB ERR", "SUB ACTIVE x", "OK ", "PONG x", "IDSUB \x05ab", "HELLO", "IDTKN \x00\x00"} {
		if r, err := ParseResponse(3, []byte(s)); err == nil {
			t.Errorf("ParseResponse(%q) = %#v", s, r)
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	// [NP checkCredentials]
	id := []byte("id")
	tests := []struct {
		c      Command
		auth   bool
		entity []byte
		want   *ErrorType
	}{
		{TNEW{}, true, nil, nil},
		{TNEW{}, false, nil, &ErrorType{Code: ErrCMD, Cmd: CmdNOAUTH}},
		{TNEW{}, true, id, &ErrorType{Code: ErrCMD, Cmd: CmdHASAUTH}},
		{SNEW{}, true, nil, nil},
		{SNEW{}, true, id, &ErrorType{Code: ErrCMD, Cmd: CmdHASAUTH}},
		{PING{}, false, nil, nil},
		{PING{}, true, nil, &ErrorType{Code: ErrCMD, Cmd: CmdHASAUTH}},
		{PING{}, false, id, &ErrorType{Code: ErrCMD, Cmd: CmdHASAUTH}},
		{TCHK{}, true, id, nil},
		{TCHK{}, false, id, &ErrorType{Code: ErrCMD, Cmd: CmdNOAUTH}},
		{SDEL{}, true, nil, &ErrorType{Code: ErrCMD, Cmd: CmdNOAUTH}},
	}
	for _, tt := range tests {
		err := CheckCredentials(tt.c, tt.auth, tt.entity)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%T auth=%v entity=%q: %v", tt.c, tt.auth, tt.entity, err)
			}
			continue
		}
		var e ErrorType
		if !errors.As(err, &e) || !e.Equal(*tt.want) {
			t.Errorf("%T auth=%v entity=%q: %v, want %v", tt.c, tt.auth, tt.entity, err, tt.want)
		}
	}
	if err := CheckResponseCredentials(IDTKN{}, id); err == nil {
		t.Error("IDTKN with entity")
	}
	if err := CheckResponseCredentials(OK{}, nil); err == nil {
		t.Error("OK without entity")
	}
	if err := CheckResponseCredentials(ERR{}, nil); err != nil {
		t.Error(err)
	}
}

func TestStatusRules(t *testing.T) {
	// [NP allowTokenVerification, allowNtfSubCommands, ntfShouldSubscribe]
	if !(TokenStatus{Code: TokenConfirmed}).AllowVerification() || (TokenStatus{Code: TokenInvalid}).AllowVerification() {
		t.Error("AllowVerification")
	}
	if !(TokenStatus{Code: TokenExpired}).AllowSubCommands() || (TokenStatus{Code: TokenRegistered}).AllowSubCommands() {
		t.Error("AllowSubCommands")
	}
	if !(SubStatus{Code: SubService}).ShouldSubscribe() || (SubStatus{Code: SubEnd}).ShouldSubscribe() {
		t.Error("ShouldSubscribe")
	}
	if s := (DeviceToken{Provider: ProviderAPNSNull, Token: []byte("test_ntf_token")}).String(); s != "apns_null test_ntf_token" {
		t.Errorf("DeviceToken.String = %q", s)
	}
}

func TestHandshakes(t *testing.T) {
	// [NT NtfServerHandshake]: vrange short(sessionId) large(signedKey) from v2
	sid := seq(32, 1)
	h := ServerHandshake{VRange: SupportedServerVRange, SessionID: sid, SignedKey: seq(10, 0x50)}
	wire := cat([]byte{0, 1, 0, 3}, short(sid), []byte{0, 10}, seq(10, 0x50))
	got, err := h.Encode()
	if err != nil || !bytes.Equal(got, wire) {
		t.Fatalf("server hello = %x, %v", got, err)
	}
	back, err := ParseServerHandshake(append(wire, "####"...))
	if err != nil || !reflect.DeepEqual(back, h) {
		t.Fatalf("parse server hello = %+v, %v", back, err)
	}
	legacy := ServerHandshake{VRange: LegacyServerVRange, SessionID: sid}
	got, _ = legacy.Encode()
	if !bytes.Equal(got, cat([]byte{0, 1, 0, 1}, short(sid))) {
		t.Fatalf("legacy hello = %x", got)
	}
	if _, err := (ServerHandshake{VRange: SupportedServerVRange, SessionID: sid}).Encode(); err == nil {
		t.Error("v3 hello without key")
	}
	if _, err := ParseServerHandshake(cat([]byte{0, 1, 0, 3}, short(sid))); err == nil {
		t.Error("v3 hello without key parsed")
	}
	// [NT NtfClientHandshake]: w16 version short(keyHash)
	ch := ClientHandshake{Version: 3, KeyHash: seq(32, 9)}
	cw := cat([]byte{0, 3}, short(seq(32, 9)))
	got, _ = ch.Encode()
	if !bytes.Equal(got, cw) {
		t.Fatalf("client hello = %x", got)
	}
	cb, err := ParseClientHandshake(append(cw, '#'))
	if err != nil || !reflect.DeepEqual(cb, ch) {
		t.Fatalf("parse client hello = %+v %v", cb, err)
	}
	if _, err := ParseClientHandshake([]byte{0, 3, 5, 1}); err == nil {
		t.Error("short client hello parsed")
	}
}

func TestPNMessages(t *testing.T) {
	// [NP PNMessageData, encodePNMessages]: "<srv>/<nid> <ts> <nonce> <meta>" joined by ';'
	srv := address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb},
		Hosts: []string{"smp.example.com", "abc.onion"}, Port: "5223"}
	m1 := PNMessageData{Queue: QueueNtf{Server: srv, NotifierID: []byte{0xdf, 0x8e, 0x7a, 0xfb}}, Timestamp: 1700000000, EncMeta: []byte{1, 2, 3}}
	copy(m1.Nonce[:], seq(24, 0))
	m2 := m1
	m2.Timestamp = -5
	want := "smp://1234-w==@smp.example.com,abc.onion:5223/3456-w== 1700000000 AAECAwQFBgcICQoLDA0ODxAREhMUFRYX AQID;" +
		"smp://1234-w==@smp.example.com,abc.onion:5223/3456-w== -5 AAECAwQFBgcICQoLDA0ODxAREhMUFRYX AQID"
	if s := EncodePNMessages([]PNMessageData{m1, m2}); s != want {
		t.Fatalf("encode =\n %q\nwant\n %q", s, want)
	}
	// a password is never part of the text [MP StrEncoding ProtocolServer]
	withAuth := m1
	withAuth.Queue.Server.BasicAuth = "pass;word"
	if s := withAuth.String(); s != m1.String() {
		t.Fatalf("with basic auth: %q", s)
	}
	if b := AppendPNMessages([]byte("x"), []PNMessageData{m1, m2}); string(b) != "x"+want {
		t.Fatalf("append = %q", b)
	}
	// the list without its oldest entry is the suffix after the first ';'
	m3 := m1
	m3.Timestamp, m3.EncMeta = 42, nil
	enc := AppendPNMessages(nil, []PNMessageData{m1, m2, m3})
	for i := range 3 {
		if got, want := string(enc), EncodePNMessages([]PNMessageData{m1, m2, m3}[i:]); got != want {
			t.Fatalf("after dropping %d: %q, want %q", i, got, want)
		}
		enc = DropOldest(enc)
	}
	if string(enc) != m3.String() {
		t.Fatalf("dropping the last entry: %q", enc)
	}
	ms, err := ParsePNMessages(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || !reflect.DeepEqual(ms[0], m1) || !reflect.DeepEqual(ms[1], m2) {
		t.Fatalf("parse = %+v", ms)
	}
	// a short nonce is zero-padded [MC cbNonce]
	ms, err = ParsePNMessages("smp://1234-w==@h/AA== +7 AQID AQID")
	if err != nil || ms[0].Timestamp != 7 || ms[0].Nonce != [24]byte{1, 2, 3} {
		t.Fatalf("short nonce: %+v %v", ms, err)
	}
	for _, s := range []string{
		"",
		"smp://1234-w==@h/AA== 7 AQID",
		"smp://1234-w==@h/AA== 7 AQID AQID AQID",
		"smp://1234-w==@h/AA== x AQID AQID",
		"smp://1234-w==@h/AA== 7 AQID AQID;",
		"smp://1234-w==:pw@h/AA== 7 AQID AQID",
		"xftp://1234-w==@h/AA== 7 AQID AQID",
		"smp://1234-w==@h AA== 7 AQID AQID",
		"smp://1234-w==@h/AA==  7 AQID AQID",
		"smp://1234-w==@h/AA== 99999999999999999999 AQID AQID",
	} {
		if ms, err := ParsePNMessages(s); err == nil {
			t.Errorf("ParsePNMessages(%q) = %+v", s, ms)
		}
	}
}

func TestPushPayloadsAreJSON(t *testing.T) {
	for _, p := range [][]byte{VerificationPayload([24]byte{}, []byte{1}), MessagePayload([24]byte{}, []byte{1}), CheckMessagesPayload()} {
		var v map[string]any
		if err := json.Unmarshal(p, &v); err != nil || v["aps"] == nil || v["notificationData"] == nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestPushPayloads(t *testing.T) {
	// [APNS apnsNotification]; CONFORMANCE-NOTES §4.3
	nonce := [24]byte{}
	copy(nonce[:], seq(24, 0))
	if s := string(VerificationPayload(nonce, []byte{1, 2, 3})); s !=
		`{"aps":{"content-available":1},"notificationData":{"nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX","verification":"AQID"}}` {
		t.Errorf("verification = %s", s)
	}
	if s := string(MessagePayload(nonce, []byte{1, 2, 3, 4})); s !=
		`{"aps":{"mutable-content":1,"alert":"Encrypted message or another app event","category":"NTF_CAT_CHECK_MESSAGE"},"notificationData":{"message":"AQIDBA==","nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"}}` {
		t.Errorf("message = %s", s)
	}
	if s := string(CheckMessagesPayload()); s != `{"aps":{"content-available":1},"notificationData":{"checkMessages":true}}` {
		t.Errorf("checkMessages = %s", s)
	}
}

func TestParseDeviceToken(t *testing.T) {
	// [NP StrEncoding DeviceToken]
	for s, want := range map[string]DeviceToken{
		"apns_prod a1b2":           {ProviderAPNSProd, []byte("a1b2")},
		"apns_dev ":                {ProviderAPNSDev, []byte("")},
		"apns_null test_ntf_token": {ProviderAPNSNull, []byte("test_ntf_token")},
	} {
		got, err := ParseDeviceToken(s)
		if err != nil || !got.Equal(want) || got.String() != s {
			t.Errorf("ParseDeviceToken(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"apns_prod abc", "apns_prod A1", "apns_prod", "apple a1", "apns_test test_ntf_token"} {
		if got, err := ParseDeviceToken(s); err == nil {
			t.Errorf("ParseDeviceToken(%q) = %v", s, got)
		}
	}
}
