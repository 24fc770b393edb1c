package address

import (
	"bytes"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/encoding"
)

// testKeyHash is the fingerprint of tests/fixtures/ca.crt, as in the
// reference's tests/SMPClient.hs testKeyHash.
const testKeyHashB64 = "LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI="

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := ParseB64(s)
	if err != nil {
		t.Fatalf("ParseB64(%q): %v", s, err)
	}
	return b
}

func TestServerAddressVectors(t *testing.T) {
	kh := mustB64(t, testKeyHashB64)
	tests := []struct {
		name, in, out string // out == "" means out == in
		want          ServerAddress
	}{
		// tests/SMPAgentClient.hs testSMPServer
		{"smp localhost", "smp://" + testKeyHashB64 + "@localhost:5001", "",
			ServerAddress{Scheme: SchemeSMP, KeyHash: kh, Hosts: []string{"localhost"}, Port: "5001"}},
		// tests/SMPAgentClient.hs testSMPServer2
		{"smp ipv4", "smp://" + testKeyHashB64 + "@127.0.0.1:5002", "",
			ServerAddress{Scheme: SchemeSMP, KeyHash: kh, Hosts: []string{"127.0.0.1"}, Port: "5002"}},
		// tests/SMPAgentClient.hs testNtfServer
		{"ntf", "ntf://" + testKeyHashB64 + "@localhost:6001", "",
			ServerAddress{Scheme: SchemeNTF, KeyHash: kh, Hosts: []string{"localhost"}, Port: "6001"}},
		// tests/XFTPClient.hs testXFTPServerStr
		{"xftp", "xftp://" + testKeyHashB64 + "@localhost:8000", "",
			ServerAddress{Scheme: SchemeXFTP, KeyHash: kh, Hosts: []string{"localhost"}, Port: "8000"}},
		// tests/CoreTests/TSessionSubs.hs srv1: no port
		{"no port", "smp://1234-w==@alpha", "",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: []string{"alpha"}}},
		// tests/FileDescriptionTests.hs: "abc=" is base64url of 2 bytes
		{"xftp short hash", "xftp://abc=@example1.com", "",
			ServerAddress{Scheme: SchemeXFTP, KeyHash: []byte{0x69, 0xb7}, Hosts: []string{"example1.com"}}},
		// tests/AgentTests/ConnectionRequestTests.hs srv: two hosts, one onion
		{"hosts", "smp://1234-w==@smp.simplex.im,jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion:5223", "",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb},
				Hosts: []string{"smp.simplex.im", "jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion"}, Port: "5223"}},
		// basic auth [MP strEncodeServer]: raw text after ':'
		{"basic auth", "smp://1234-w==:my_pass!@srv.example:443", "",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, BasicAuth: "my_pass!", Hosts: []string{"srv.example"}, Port: "443"}},
		// padding is optional on input [MES base64urlP]; output always pads
		{"unpadded hash", "smp://1234-w@h", "smp://1234-w==@h",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: []string{"h"}}},
		// the port is kept as a number [MP serverStrP portP]
		{"port leading zero", "smp://1234-w==@h:05223", "smp://1234-w==@h:5223",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: []string{"h"}, Port: "5223"}},
		// IPv4 octets are numbers [MTC TransportHost]
		{"ipv4 zeros", "smp://1234-w==@010.0.0.01", "smp://1234-w==@10.0.0.1",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: []string{"10.0.0.1"}}},
		// IPv6 in brackets parses; the reference writes it bare [MTC TransportHost]
		{"ipv6", "smp://1234-w==@[2001:db8:0:0::1]:5223", "smp://1234-w==@2001:db8::1:5223",
			ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: []string{"2001:db8::1"}, Port: "5223"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseServerAddress(tt.in)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("parse = %+v, want %+v", got, tt.want)
			}
			out := tt.out
			if out == "" {
				out = tt.in
			}
			if s := got.String(); s != out {
				t.Fatalf("String = %q, want %q", s, out)
			}
		})
	}
}

func TestServerAddressErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"smp:/1234-w==@h",
		"http://1234-w==@h",
		"smp://@h",                 // empty key hash
		"smp://1234-w==",           // no hosts
		"smp://1234-w==@",          // empty host
		"smp://1234-w==@h:",        // port without digits
		"smp://1234-w==@h:70000",   // port out of range (the reference would keep it)
		"smp://1234-w==@h,",        // dangling comma
		"smp://1234-w==:@h",        // empty password
		"smp://1234-w==:a b@h",     // space in password
		"smp://1234-w==:a/b@h",     // '/' in password
		"smp://1234-w==@a.b.onion", // onion subdomain [MTC notOnion]
		"smp://1234-w==@a.onionx",  // onion, then junk (no backtracking)
		"smp://1234-w==@1.2.3.4.5", // IPv4, then junk
		"smp://1234-w==@h/x",       // trailing
		"smp://1234-x==@h",         // non-canonical base64 bits
		"smp://12345@h",            // base64 length 1 mod 4
		"smp ://1234-w==@h",        // space in scheme
		"xftp://1234-w==@h:443 ",   // trailing space
		"smp://1234-w==@h\n",       // trailing newline
	} {
		if a, err := ParseServerAddress(in); err == nil {
			t.Errorf("ParseServerAddress(%q) = %+v, want error", in, a)
		}
	}
}

func TestParseServer(t *testing.T) {
	if _, err := ParseServer("xftp://abc=@example1.com", SchemeXFTP); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseServer("xftp://abc=@example1.com", SchemeSMP); !errors.Is(err, ErrScheme) {
		t.Fatalf("scheme mismatch: %v", err)
	}
	if _, err := ParseServer("smp://abc=:pw@example1.com", SchemeSMP); !errors.Is(err, ErrHasAuth) {
		t.Fatalf("auth: %v", err)
	}
}

func TestServerAddressBinary(t *testing.T) {
	// [MP Encoding ProtocolServer]: list(short(host)) short(port) short(keyHash)
	a := ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, BasicAuth: "ignored",
		Hosts: []string{"smp.simplex.im", "a.onion"}, Port: "5223"}
	want := []byte("\x02\x0esmp.simplex.im\x07a.onion\x045223\x04\xd7\x6d\xf8\xfb")
	w := encoding.NewBuffer(nil)
	a.AppendBinary(w)
	got, err := w.Bytes()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("AppendBinary = %q, %v; want %q", got, err, want)
	}
	d := encoding.NewDecoder(want)
	back := DecodeServerAddress(d, SchemeSMP)
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	a.BasicAuth = ""
	if !back.Equal(a) {
		t.Fatalf("decode = %+v, want %+v", back, a)
	}
	for _, bad := range [][]byte{
		[]byte("\x00\x045223\x00"),     // empty host list
		[]byte("\x01\x00\x00\x00"),     // empty host
		[]byte("\x01\x03a b\x00\x00"),  // host with a space
		[]byte("\x01\x05x.com\x04522"), // truncated
	} {
		d := encoding.NewDecoder(bad)
		DecodeServerAddress(d, SchemeSMP)
		if d.Finish() == nil {
			t.Errorf("DecodeServerAddress(%q) succeeded", bad)
		}
	}
}

func TestUpdateSMPServerHosts(t *testing.T) {
	a := UpdateSMPServerHosts(ServerAddress{Hosts: []string{"smp5.simplex.im"}})
	if len(a.Hosts) != 2 || a.Hosts[1] != "jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion" {
		t.Fatalf("hosts = %v", a.Hosts)
	}
	b := UpdateSMPServerHosts(ServerAddress{Hosts: []string{"smp.simplex.im"}})
	if len(b.Hosts) != 1 {
		t.Fatalf("hosts = %v", b.Hosts)
	}
}

func TestQuery(t *testing.T) {
	// http-types renderSimpleQuery / parseSimpleQuery as used in [QS]
	q := Query{{"v", "1-4"}, {"dh", "a=b,c;d e"}, {"x", "~-_."}}
	if s := q.Encode(); s != "v=1-4&dh=a%3Db%2Cc%3Bd%20e&x=~-_." {
		t.Fatalf("Encode = %q", s)
	}
	p := ParseQuery("?a=1;b=2+3&c&d=%3d%zz%4")
	want := Query{{"a", "1"}, {"b", "2 3"}, {"c", ""}, {"d", "=%zz%4"}}
	if len(p) != len(want) {
		t.Fatalf("ParseQuery = %v", p)
	}
	for i := range want {
		if p[i] != want[i] {
			t.Fatalf("ParseQuery[%d] = %v, want %v", i, p[i], want[i])
		}
	}
}
