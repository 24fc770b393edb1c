package smp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

type commandVector struct {
	name   string
	v      uint16
	cmd    Command
	wire   string
	parsed Command // what parsing wire gives, when not cmd itself
}

// commandVectors are byte-exact encodings. Sources: [MP encodeProtocol
// Command / protocolP], CONFORMANCE-NOTES §3.1 (layouts per version) and
// tests/ServerTests.hs serverSyntaxTests (run at v18) where cited.
func commandVectors() []commandVector {
	k, x := sk(edDER), sk(dhDER)
	msgReq := &QueueReqData{Mode: QueueModeMessaging}
	contactReq := &QueueReqData{Mode: QueueModeContact}
	return []commandVector{
		// NEW v6..8: rcvAuthKey rcvDhKey ["A" short(pwd)] mode [MP NEW otherwise].
		{"NEW v6", 6, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true}, "NEW " + k + x + "S", nil},
		{"NEW v6 password", 6, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte("pwd")}, "NEW " + k + x + "A" + short("pwd") + "C", nil},
		{"NEW v8 password", 8, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte("pwd"), Subscribe: true}, "NEW " + k + x + "A\x03pwdS", nil},
		// Below v9 the queue mode is not sent (dropped, as in the reference).
		{"NEW v8 mode dropped", 8, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: msgReq}, "NEW " + k + x + "S",
			NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true}},
		// NEW v9..14: maybe(short(pwd)) mode bool(senderCanSecure) [MP NEW sndAuthKeySMPVersion].
		{"NEW v9 messaging", 9, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: msgReq}, "NEW " + k + x + "0ST", nil},
		{"NEW v9 contact password", 9, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte("pwd"), QueueReq: contactReq}, "NEW " + k + x + "1\x03pwdCF", nil},
		{"NEW v14 no mode", 14, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true}, "NEW " + k + x + "0SF",
			NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: contactReq}},
		{"NEW v14 empty password", 14, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte{}, Subscribe: true, QueueReq: msgReq}, "NEW " + k + x + "1\x00ST", nil},
		// X25519 recipient keys (authenticators, v7+) and Ed448 are auth keys too.
		{"NEW v9 X25519 auth key", 9, NEW{RcvAuthKey: dhKey, RcvDHKey: dhKey, QueueReq: msgReq}, "NEW " + x + x + "0CT", nil},
		{"NEW v9 Ed448 auth key", 9, NEW{RcvAuthKey: ed448Key, RcvDHKey: dhKey, QueueReq: msgReq}, "NEW " + sk(ed448DER) + x + "0CT", nil},
		// NEW v15..16: maybe(queueReqData) [MP NEW shortLinksSMPVersion].
		{"NEW v15 no data", 15, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true}, "NEW " + k + x + "0S0", nil},
		{"NEW v15 messaging", 15, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: msgReq}, "NEW " + k + x + "0S1M0", nil},
		{"NEW v16 messaging link", 16, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: &QueueReqData{
			Mode: QueueModeMessaging, Link: &QueueLink{SenderID: []byte("sid"), FixedData: []byte("fixed"), UserData: []byte("user")}}},
			"NEW " + k + x + "0S1M1" + short("sid") + large("fixed") + large("user"), nil},
		{"NEW v15 contact link", 15, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, QueueReq: &QueueReqData{
			Mode: QueueModeContact, Link: &QueueLink{LinkID: []byte("lnk"), SenderID: []byte("sid"), FixedData: []byte("f"), UserData: []byte{}}}},
			"NEW " + k + x + "0C1C1" + short("lnk") + short("sid") + large("f") + large(""), nil},
		// NEW v17+: + maybe(ntfAuthKey ntfDhKey). The first is the body of
		// ServerTests "NEW no signature" (valid syntax at v18).
		{"NEW v18 ServerTests", 18, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: msgReq}, "NEW " + k + x + "0S1M00", nil},
		{"NEW v17 ntf creds", 17, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, Subscribe: true, QueueReq: msgReq,
			NtfCreds: &NtfCreds{NtfAuthKey: edKey, RcvNtfDHKey: dhKey}}, "NEW " + k + x + "0S1M01" + k + x, nil},

		{"SUB", 6, SUB{}, "SUB", nil},
		{"SUBS", 16, SUBS{}, "SUBS", nil},
		{"LDEL", 15, LDEL{}, "LDEL", nil},
		{"NDEL", 6, NDEL{}, "NDEL", nil},
		{"GET", 6, GET{}, "GET", nil},
		{"OFF", 6, OFF{}, "OFF", nil},
		{"DEL", 6, DEL{}, "DEL", nil},
		{"QUE", 6, QUE{}, "QUE", nil},
		{"PING", 6, PING{}, "PING", nil},
		{"LGET", 15, LGET{}, "LGET", nil},
		{"NSUB", 6, NSUB{}, "NSUB", nil},
		{"NSUBS", 16, NSUBS{}, "NSUBS", nil},
		// ServerTests KEY "valid syntax".
		{"KEY", 6, KEY{SndAuthKey: edKey}, "KEY " + k, nil},
		{"RKEY", 15, RKEY{RcvAuthKeys: []crypto.PublicKey{edKey, dhKey}}, "RKEY \x02" + k + x, nil},
		{"LSET", 15, LSET{LinkID: []byte("lnk"), FixedData: []byte("abc"), UserData: []byte{}}, "LSET " + short("lnk") + large("abc") + large(""), nil},
		{"NKEY", 6, NKEY{NtfAuthKey: edKey, RcvNtfDHKey: dhKey}, "NKEY " + k + x, nil},
		// ServerTests ACK "valid syntax".
		{"ACK", 6, ACK{MsgID: []byte("1234")}, "ACK \x041234", nil},
		{"ACK empty", 6, ACK{MsgID: []byte{}}, "ACK \x00", nil},
		{"SKEY", 9, SKEY{SndAuthKey: edKey}, "SKEY " + k, nil},
		// ServerTests SEND "valid syntax": (SEND_, ' ', noMsgFlags, ' ', "hello").
		{"SEND", 6, SEND{Body: []byte("hello")}, "SEND F hello", nil},
		{"SEND notification empty body", 14, SEND{Flags: MsgFlags{Notification: true}, Body: []byte{}}, "SEND T ", nil},
		// Reserved flag bytes are skipped by the reference; kept here.
		{"SEND reserved flags", 14, SEND{Flags: MsgFlags{Notification: true, Reserved: []byte("xy")}, Body: []byte("b o d y")}, "SEND Txy b o d y", nil},
		{"LKEY", 15, LKEY{SndAuthKey: edKey}, "LKEY " + k, nil},
		// PRXY smpServer maybe(pwd) [MP PRXY, instance Encoding ProtocolServer].
		{"PRXY", 8, PRXY{Server: SMPServer{Hosts: []string{"smp.example.com"}, Port: "5223", KeyHash: []byte("0123456789abcdef0123456789abcdef")}},
			"PRXY \x01" + short("smp.example.com") + short("5223") + short("0123456789abcdef0123456789abcdef") + "0", nil},
		{"PRXY hosts password", 14, PRXY{Server: SMPServer{Hosts: []string{"1.2.3.4", "[::1]", "abcdefgh.onion"}, KeyHash: []byte{1, 2}}, BasicAuth: []byte("secret")},
			"PRXY \x03" + short("1.2.3.4") + short("[::1]") + short("abcdefgh.onion") + short("") + short("\x01\x02") + "1" + short("secret"), nil},
		// PFWD w16 version key tail [MP PFWD].
		{"PFWD", 8, PFWD{Version: 14, ClientKey: dhKey, EncTransmission: []byte("enc t")}, "PFWD \x00\x0e" + x + "enc t", nil},
		{"RFWD", 8, RFWD{EncFwdTransmission: []byte("enc fwd")}, "RFWD enc fwd", nil},
	}
}

func TestCommandVectors(t *testing.T) {
	checkSampleKeys(t)
	for _, tt := range commandVectors() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeCommand(tt.v, tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.wire {
				t.Fatalf("encode v%d:\n got %q\nwant %q", tt.v, got, tt.wire)
			}
			c, err := ParseCommand(tt.v, []byte(tt.wire))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.parsed
			if want == nil {
				want = tt.cmd
			}
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("parse v%d:\n got %#v\nwant %#v", tt.v, c, want)
			}
			again, err := EncodeCommand(tt.v, c)
			if err != nil || string(again) != tt.wire {
				t.Fatalf("re-encode: %q, %v", again, err)
			}
		})
	}
}

// TestNEWVersionLadder checks that one request gives the layout of each
// version band [MP encodeProtocol NEW, CONFORMANCE-NOTES §1.2].
func TestNEWVersionLadder(t *testing.T) {
	k, x := sk(edDER), sk(dhDER)
	c := NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte("p"), Subscribe: true, QueueReq: &QueueReqData{Mode: QueueModeMessaging}}
	want := map[uint16]string{
		6: "A\x01pS", 7: "A\x01pS", 8: "A\x01pS",
		9: "1\x01pST", 10: "1\x01pST", 11: "1\x01pST", 12: "1\x01pST", 13: "1\x01pST", 14: "1\x01pST",
		15: "1\x01pS1M0", 16: "1\x01pS1M0",
		17: "1\x01pS1M00", 18: "1\x01pS1M00",
	}
	for v := uint16(6); v <= 18; v++ {
		got, err := EncodeCommand(v, c)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if string(got) != "NEW "+k+x+want[v] {
			t.Errorf("v%d: got %q", v, got)
		}
		// A NEW encoded at one band does not parse at a band with another layout.
		for _, other := range []uint16{6, 9, 15, 17} {
			_, err := ParseCommand(other, got)
			same := string(want[other]) == string(want[v])
			if same != (err == nil) {
				t.Errorf("v%d encoding parsed at v%d: err %v", v, other, err)
			}
		}
	}
}

// TestParseCommandErrors: unknown words give CMD UNKNOWN, bad parameters
// CMD SYNTAX [MP parseProtocol]. Vectors marked ServerTests come from
// serverSyntaxTests (v18).
func TestParseCommandErrors(t *testing.T) {
	k, x := sk(edDER), sk(dhDER)
	tests := []struct {
		name string
		v    uint16
		in   string
		want ErrorType
	}{
		{"ServerTests unknown command", 18, "HELLO", ErrCmdUnknown},
		{"ServerTests NEW no parameters", 18, "NEW", ErrCmdSyntax},
		{"ServerTests NEW many parameters", 18, "NEW \x01A" + k + x, ErrCmdSyntax},
		{"ServerTests KEY no parameters", 18, "KEY", ErrCmdSyntax},
		{"ServerTests KEY many parameters", 18, "KEY \x01A" + k, ErrCmdSyntax},
		{"ServerTests SUB wrong terminator", 18, "SUB=", ErrCmdUnknown},
		{"ServerTests OFF wrong terminator", 18, "OFF=", ErrCmdUnknown},
		{"ServerTests DEL wrong terminator", 18, "DEL=", ErrCmdUnknown},
		{"ServerTests SEND no parameters", 18, "SEND", ErrCmdSyntax},
		{"ServerTests ACK no parameters", 18, "ACK", ErrCmdSyntax},
		{"ServerTests broker response OK", 18, "OK", ErrCmdUnknown},
		{"empty", 6, "", ErrCmdUnknown},
		{"lower case", 6, "ping", ErrCmdUnknown},
		{"trailing space", 6, "PING ", ErrCmdSyntax},
		{"two spaces", 6, "KEY  " + k, ErrCmdSyntax},
		{"trailing byte", 6, "KEY " + k + "x", ErrCmdSyntax},
		{"short key", 6, "KEY \x05abcde", ErrCmdSyntax},
		{"NEW v6 trailing byte", 6, "NEW " + k + x + "SS", ErrCmdSyntax},
		{"NEW v6 bad mode", 6, "NEW " + k + x + "X", ErrCmdSyntax},
		{"NEW v6 password with space", 6, "NEW " + k + x + "A\x03a bS", ErrCmdSyntax},
		{"NEW v9 layout at v6", 6, "NEW " + k + x + "0ST", ErrCmdSyntax},
		{"NEW v9 missing bool", 9, "NEW " + k + x + "0S", ErrCmdSyntax},
		{"NEW v9 bad bool", 9, "NEW " + k + x + "0SX", ErrCmdSyntax},
		{"NEW v9 bad maybe", 9, "NEW " + k + x + "2ST", ErrCmdSyntax},
		{"NEW v9 password with colon", 9, "NEW " + k + x + "1\x03a:bST", ErrCmdSyntax},
		{"NEW v9 password with 0xAD", 9, "NEW " + k + x + "1\x01\xadST", ErrCmdSyntax},
		{"NEW X448 DH key", 9, "NEW " + k + sk(x448DER) + "0ST", ErrCmdSyntax},
		{"NEW X448 auth key", 9, "NEW " + sk(x448DER) + x + "0ST", ErrCmdSyntax},
		{"NEW Ed25519 DH key", 9, "NEW " + k + k + "0ST", ErrCmdSyntax},
		{"NEW v15 bad queue mode", 15, "NEW " + k + x + "0S1Z0", ErrCmdSyntax},
		{"NEW v15 v17 layout", 15, "NEW " + k + x + "0S1M00", ErrCmdSyntax},
		{"NEW v17 v15 layout", 17, "NEW " + k + x + "0S1M0", ErrCmdSyntax},
		{"RKEY empty list", 15, "RKEY \x00", ErrCmdSyntax},
		{"SEND no second space", 6, "SEND T", ErrCmdSyntax},
		{"SEND bad flag", 6, "SEND X hello", ErrCmdSyntax},
		{"ACK long length", 6, "ACK \x05abc", ErrCmdSyntax},
		{"PRXY no hosts", 8, "PRXY \x00" + short("") + short("") + "0", ErrCmdSyntax},
		{"PRXY bad host", 8, "PRXY \x01" + short("a:b") + short("") + short("") + "0", ErrCmdSyntax},
		{"PRXY onion with suffix", 8, "PRXY \x01" + short("abc.onion.com") + short("") + short("") + "0", ErrCmdSyntax},
		{"PRXY IPv4 with tail", 8, "PRXY \x01" + short("192.168.0.0.1") + short("") + short("") + "0", ErrCmdSyntax},
		{"PRXY missing auth", 8, "PRXY \x01" + short("h") + short("") + short(""), ErrCmdSyntax},
		{"PFWD Ed25519 key", 8, "PFWD \x00\x08" + k + "t", ErrCmdSyntax},
		{"PFWD short version", 8, "PFWD \x00", ErrCmdSyntax},
		{"RFWD no space", 8, "RFWD", ErrCmdSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCommand(tt.v, []byte(tt.in))
			if err == nil {
				t.Fatalf("parsed %#v", c)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !pe.Type.Equal(tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if !errors.Is(err, tt.want) || !ErrorTypeOf(err).Equal(tt.want) {
				t.Fatalf("errors.Is/ErrorTypeOf: %v", err)
			}
		})
	}
}

// TestHostValidation follows tests/CoreTests/EncodingTests.hs "Encoding
// transport hosts" and [MTC TransportHost strP].
func TestHostValidation(t *testing.T) {
	good := []string{"smp.simplex.im", "192.168.0.1", "192.168.1", "192.256.0.1", "192.168.0.-1",
		"beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion", "::1", "[fe80::1]", "[::ffff:1.2.3.4]", "[]", "x"}
	bad := []string{"", "smp,simplex.im", "smp:simplex.im", "smp#simplex.im", "smp simplex.im", "smp\nsimplex.im",
		"beccx4yfxxbvyhqypaavemqurytl 6hozr47wfc7uuecacjqdvwpw2xid.onion", "bèccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion",
		"192.168.0.0.1", "Abc.onion", "a/b", "::1x", "[::1]x", "1.2.3.4:5223"}
	for _, h := range good {
		if !ValidHost(h) {
			t.Errorf("ValidHost(%q) = false", h)
		}
	}
	for _, h := range bad {
		if ValidHost(h) {
			t.Errorf("ValidHost(%q) = true", h)
		}
	}
}

func TestEncodeCommandErrors(t *testing.T) {
	link := &QueueReqData{Mode: QueueModeMessaging, Link: &QueueLink{SenderID: []byte("s")}}
	tests := []struct {
		name string
		v    uint16
		cmd  Command
		want error
	}{
		{"NEW link data at v14", 14, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, QueueReq: link}, ErrVersion},
		{"NEW ntf creds at v16", 16, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, NtfCreds: &NtfCreds{NtfAuthKey: edKey, RcvNtfDHKey: dhKey}}, ErrVersion},
		{"NEW X448 auth key", 9, NEW{RcvAuthKey: x448Key, RcvDHKey: dhKey}, ErrInvalid},
		{"NEW Ed25519 DH key", 9, NEW{RcvAuthKey: edKey, RcvDHKey: edKey}, ErrInvalid},
		{"NEW zero key", 9, NEW{RcvDHKey: dhKey}, ErrInvalid},
		{"NEW bad password v6", 6, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte("a b")}, ErrInvalid},
		{"NEW bad password v9", 9, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, BasicAuth: []byte("a@b")}, ErrInvalid},
		{"NEW bad mode v15", 15, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, QueueReq: &QueueReqData{Mode: 'X'}}, ErrInvalid},
		{"NEW messaging link ID", 15, NEW{RcvAuthKey: edKey, RcvDHKey: dhKey, QueueReq: &QueueReqData{Mode: QueueModeMessaging,
			Link: &QueueLink{LinkID: []byte("l")}}}, ErrInvalid},
		{"ACK long ID", 6, ACK{MsgID: make([]byte, 256)}, encoding.ErrTooLong},
		{"RKEY empty", 15, RKEY{}, ErrInvalid},
		{"SEND space in flags", 6, SEND{Flags: MsgFlags{Reserved: []byte("a b")}}, ErrInvalid},
		{"PRXY no hosts", 8, PRXY{}, ErrInvalid},
		{"PRXY bad host", 8, PRXY{Server: SMPServer{Hosts: []string{"a b"}}}, ErrInvalid},
		{"PRXY bad password", 8, PRXY{Server: SMPServer{Hosts: []string{"h"}}, BasicAuth: []byte("a/b")}, ErrInvalid},
		{"PFWD Ed25519 key", 8, PFWD{ClientKey: edKey}, ErrInvalid},
		{"pointer", 6, &PING{}, ErrInvalid},
		{"nil", 6, nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeCommand(tt.v, tt.cmd)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %q, %v; want %v", b, err, tt.want)
			}
		})
	}
}

func TestAppendCommand(t *testing.T) {
	got, err := AppendCommand([]byte("prefix:"), 6, PING{})
	if err != nil || string(got) != "prefix:PING" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestCommandTagsAndParties(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range commandVectors() {
		tag := tt.cmd.Tag()
		if !strings.HasPrefix(tt.wire, tag) {
			t.Errorf("%s: tag %q", tt.name, tag)
		}
		if tt.cmd.Party() == 0 {
			t.Errorf("%s: no party", tt.name)
		}
		seen[tag] = true
	}
	// Every parser word has a vector.
	for w := range commandParsers {
		if !seen[w] {
			t.Errorf("no vector for %s", w)
		}
	}
}

func TestParseAliasesInput(t *testing.T) {
	in := []byte("SEND F hello")
	c, err := ParseCommand(6, in)
	if err != nil {
		t.Fatal(err)
	}
	in[7] = 'J'
	if !bytes.Equal(c.(SEND).Body, []byte("Jello")) {
		t.Fatalf("body %q does not alias the input", c.(SEND).Body)
	}
}
