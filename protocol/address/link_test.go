package address

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Vectors from the reference's tests/AgentTests/ConnectionRequestTests.hs.

const (
	// testDhKey, an X25519 SPKI, in the base64url text form (strEncode).
	testDhKeyStr = "MCowBQYDK2VuAyEAjiswwI3O_NlS8Fk3HJUW870EY2bAwmttMBsvRB9eV3o="
	// testDhPubKey, an X448 SPKI.
	testX448Str = "MEIwBQYDK2VvAzkAmKuSYeQ_m0SixPDS8Wq8VBaTS1cW-Lp0n0h4Diu-kUpR-qXx4SDJ32YGEFoGFGSbGPry5Ychr6U="
	onionHost   = "jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion"
	// testE2ERatchetParamsStrUri
	testE2EStrURI = "v%3D1%26x3dh%3DMEIwBQYDK2VvAzkAmKuSYeQ_m0SixPDS8Wq8VBaTS1cW-Lp0n0h4Diu-kUpR-qXx4SDJ32YGEFoGFGSbGPry5Ychr6U%3D%2CMEIwBQYDK2VvAzkAmKuSYeQ_m0SixPDS8Wq8VBaTS1cW-Lp0n0h4Diu-kUpR-qXx4SDJ32YGEFoGFGSbGPry5Ychr6U%3D"
)

// urlEnc is http-types urlEncode True, the test's url helper.
func urlEnc(s string) string {
	var b strings.Builder
	queryEscape(&b, s)
	return b.String()
}

func mustKey(t testing.TB, s string) crypto.PublicKey {
	t.Helper()
	k, err := crypto.ParsePublicKeyDER(mustB64(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func refServer(hosts []string, port string) ServerAddress {
	return ServerAddress{Scheme: SchemeSMP, KeyHash: []byte{0xd7, 0x6d, 0xf8, 0xfb}, Hosts: hosts, Port: port}
}

var (
	srvHosts  = []string{"smp.simplex.im", onionHost}
	srv1Hosts = []string{"smp.simplex.im"}
	senderID  = []byte{0xdf, 0x8e, 0x7a, 0xfb} // "3456-w=="
)

func refQueue(t testing.TB, vr encoding.VersionRange, hosts []string, port string, mode QueueMode) QueueURI {
	return QueueURI{ClientVRange: vr, Server: refServer(hosts, port), SenderID: senderID, DHKey: mustKey(t, testDhKeyStr), Mode: mode}
}

const (
	queueStr = "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=" + "MCowBQYDK2VuAyEAjiswwI3O_NlS8Fk3HJUW870EY2bAwmttMBsvRB9eV3o%3D" +
		"&q=m&k=s&srv=" + onionHost
	queueNewStr = "smp://1234-w==@smp.simplex.im," + onionHost + ":5223/3456-w==#/?v=2-4&dh=" +
		"MCowBQYDK2VuAyEAjiswwI3O_NlS8Fk3HJUW870EY2bAwmttMBsvRB9eV3o%3D" + "&q=m&k=s"
)

func TestQueueURIVectors(t *testing.T) {
	dh := urlEnc(testDhKeyStr)
	v14 := encoding.VersionRange{Min: 1, Max: 4}
	v24 := encoding.VersionRange{Min: 2, Max: 4}
	v11 := encoding.VersionRange{Min: 1, Max: 1}
	queue := refQueue(t, v14, srvHosts, "5223", QueueModeMessaging)
	queueNoQM := refQueue(t, v14, srvHosts, "5223", QueueModeNone)
	queueContact := refQueue(t, v14, srvHosts, "5223", QueueModeContact)
	queue1 := refQueue(t, v14, srv1Hosts, "5223", QueueModeMessaging)
	queueV1 := refQueue(t, v11, srvHosts, "5223", QueueModeNone)
	queueV1NoPort := refQueue(t, v11, srvHosts, "", QueueModeNone)
	queueNew := refQueue(t, v24, srvHosts, "5223", QueueModeMessaging)
	queueNewNoPort := refQueue(t, v24, srvHosts, "", QueueModeMessaging)
	queueNew1 := refQueue(t, v24, srv1Hosts, "5223", QueueModeMessaging)
	queueNew1NoPort := refQueue(t, v24, srv1Hosts, "", QueueModeMessaging)

	if queueStr != "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh="+dh+"&q=m&k=s&srv="+onionHost {
		t.Fatal("queueStr constant")
	}
	// "#==#": encodes to and parses from the string
	both := []struct {
		name string
		q    QueueURI
		s    string
	}{
		{"queue", queue, queueStr},
		{"queueNoQM", queueNoQM, "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=" + dh + "&srv=" + onionHost},
		{"queueContact", queueContact, "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=" + dh + "&q=c&srv=" + onionHost},
		{"queue1", queue1, "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=" + dh + "&q=m&k=s"},
		{"queueNew", queueNew, queueNewStr},
		{"queueNew1", queueNew1, "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=2-4&dh=" + dh + "&q=m&k=s"},
		{"queueNewNoPort", queueNewNoPort, "smp://1234-w==@smp.simplex.im," + onionHost + "/3456-w==#/?v=2-4&dh=" + dh + "&q=m&k=s"},
		{"queueNew1NoPort", queueNew1NoPort, "smp://1234-w==@smp.simplex.im/3456-w==#/?v=2-4&dh=" + dh + "&q=m&k=s"},
		{"queueV1", queueV1, "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1&dh=" + dh + "&srv=" + onionHost},
		{"queueV1NoPort", queueV1NoPort, "smp://1234-w==@smp.simplex.im/3456-w==#/?v=1&dh=" + dh + "&srv=" + onionHost},
		// v4 minimum: no "k=s" [AP sndSecureParam]
		{"v4", refQueue(t, encoding.VersionRange{Min: 4, Max: 4}, srv1Hosts, "", QueueModeMessaging),
			"smp://1234-w==@smp.simplex.im/3456-w==#/?v=4&dh=" + dh + "&q=m"},
	}
	for _, tt := range both {
		t.Run(tt.name, func(t *testing.T) {
			if s := tt.q.String(); s != tt.s {
				t.Errorf("String =\n %q\nwant\n %q", s, tt.s)
			}
			got, err := ParseQueueURI(tt.s)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !got.Equal(tt.q) {
				t.Errorf("parse = %+v, want %+v", got, tt.q)
			}
		})
	}
	// "#==": parses to
	parses := []struct {
		name string
		q    QueueURI
		s    string
	}{
		{"key before query", queue, "smp://1234-w==@smp.simplex.im:5223/3456-w==#" + testDhKeyStr + "/?v=1-4&extra_param=abc&srv=" + onionHost + "&q=m&k=s"},
		{"unescaped dh", queueNew, "smp://1234-w==@smp.simplex.im," + onionHost + ":5223/3456-w==#/?v=2-4&dh=" + testDhKeyStr + "&q=m&k=s"},
		{"v1 unversioned", queueV1, "smp://1234-w==@smp.simplex.im," + onionHost + ":5223/3456-w==#" + testDhKeyStr},
		{"v1 extra param", queueV1, "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?extra_param=abc&v=1&dh=" + testDhKeyStr + "&srv=" + onionHost},
		{"v1 key before query", queueV1, "smp://1234-w==@smp.simplex.im:5223/3456-w==#" + testDhKeyStr + "/?v=1&extra_param=abc&srv=" + onionHost},
		{"v1-1 range", queueV1NoPort, "smp://1234-w==@smp.simplex.im/3456-w==#/?v=1-1&dh=" + dh + "&srv=" + onionHost},
		{"v1 no port unversioned", queueV1NoPort, "smp://1234-w==@smp.simplex.im," + onionHost + "/3456-w==#" + testDhKeyStr},
	}
	for _, tt := range parses {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQueueURI(tt.s)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !got.Equal(tt.q) {
				t.Errorf("parse = %+v, want %+v", got, tt.q)
			}
		})
	}
}

func TestQueueURIPresetOnion(t *testing.T) {
	// a v1 address of a preset server gets its onion host [AP updateSMPServerHosts]
	q, err := ParseQueueURI("smp://1234-w==@smp5.simplex.im/3456-w==#" + testDhKeyStr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Server.Hosts, []string{"smp5.simplex.im", onionHost}) {
		t.Fatalf("hosts = %v", q.Server.Hosts)
	}
	q, err = ParseQueueURI("smp://1234-w==@smp5.simplex.im/3456-w==#/?v=2-4&dh=" + testDhKeyStr)
	if err != nil || len(q.Server.Hosts) != 1 {
		t.Fatalf("v2: %v %v", q.Server.Hosts, err)
	}
}

func TestQueueURIErrors(t *testing.T) {
	x448 := testX448Str
	for _, s := range []string{
		"smp://1234-w==@h/3456-w==#/?v=1-4",                           // no dh
		"smp://1234-w==@h/3456-w==#/?dh=" + testDhKeyStr,              // no v
		"smp://1234-w==@h/3456-w==#/?v=4-1&dh=" + testDhKeyStr,        // bad range
		"smp://1234-w==@h/3456-w==#/?v=1-4&dh=" + x448,                // not X25519
		"xftp://1234-w==@h/3456-w==#/?v=1-4&dh=" + testDhKeyStr,       // scheme
		"smp://1234-w==:pw@h/3456-w==#/?v=1-4&dh=" + testDhKeyStr,     // password
		"smp://1234-w==@h/#/?v=1-4&dh=" + testDhKeyStr,                // empty sender ID
		"smp://1234-w==@h/3456-w==/?v=1-4&dh=" + testDhKeyStr,         // no '#'
		"smp://1234-w==@h/3456-w==#" + testDhKeyStr + "x",             // junk after key
		"smp://1234-w==@h/3456-w==#/?v=1-4&dh=" + testDhKeyStr + " x", // space
		"smp://1234-w==@h/3456-w==#/?v=1-4&dh=" + testDhKeyStr + "&srv=a,,b",
		"smp://1234-w==@h/3456-w==#/?v=1-70000&dh=" + testDhKeyStr,
	} {
		if q, err := ParseQueueURI(s); err == nil {
			t.Errorf("ParseQueueURI(%q) = %+v, want error", s, q)
		}
	}
}

func TestConnectionRequestVectors(t *testing.T) {
	v14 := encoding.VersionRange{Min: 1, Max: 4}
	v24 := encoding.VersionRange{Min: 2, Max: 4}
	queue := refQueue(t, v14, srvHosts, "5223", QueueModeMessaging)
	queueNoQM := refQueue(t, v14, srvHosts, "5223", QueueModeNone)
	queue1 := refQueue(t, v14, srv1Hosts, "5223", QueueModeMessaging)
	queueNew := refQueue(t, v24, srvHosts, "5223", QueueModeMessaging)
	queueNew1 := refQueue(t, v24, srv1Hosts, "5223", QueueModeMessaging)
	x448 := mustKey(t, testX448Str)
	e2e := &E2EParams{VRange: encoding.VersionRange{Min: 1, Max: 1}, Key1: x448, Key2: x448}
	v27 := SupportedSMPAgentVRange
	inv := func(vr encoding.VersionRange, qs ...QueueURI) ConnectionRequest {
		return ConnectionRequest{Mode: ModeInvitation, AgentVRange: vr, Queues: qs, E2E: e2e}
	}
	con := func(vr encoding.VersionRange, qs ...QueueURI) ConnectionRequest {
		return ConnectionRequest{Mode: ModeContact, AgentVRange: vr, Queues: qs}
	}
	withData := func(c ConnectionRequest, d string) ConnectionRequest { c.ClientData = &d; return c }
	queue1Str := "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=" + urlEnc(testDhKeyStr) + "&q=m&k=s"
	queueStrNoQM := "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=" + urlEnc(testDhKeyStr) + "&srv=" + onionHost
	queueNew1Str := "smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=2-4&dh=" + urlEnc(testDhKeyStr) + "&q=m&k=s"
	groupData := "{\"type\":\"group_link\", \"group_link_id\":\"abc\"}"

	both := []struct {
		name string
		c    ConnectionRequest
		s    string
	}{
		{"connectionRequest", inv(v27, queue), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueStr) + "&e2e=" + testE2EStrURI},
		{"connectionRequestNoQM", inv(v27, queueNoQM), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueStrNoQM) + "&e2e=" + testE2EStrURI},
		{"connectionRequest1", inv(v27, queue1), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queue1Str) + "&e2e=" + testE2EStrURI},
		{"connectionRequest2queues", inv(v27, queue, queue), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueStr+";"+queueStr) + "&e2e=" + testE2EStrURI},
		{"connectionRequestNew", inv(v27, queueNew), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueNewStr) + "&e2e=" + testE2EStrURI},
		{"connectionRequestNew1", inv(v27, queueNew1), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueNew1Str) + "&e2e=" + testE2EStrURI},
		{"connectionRequest2queuesNew", inv(v27, queueNew, queueNew), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueNewStr+";"+queueNewStr) + "&e2e=" + testE2EStrURI},
		{"connectionRequestClientDataEmpty", withData(inv(v27, queue), "{}"), "simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueStr) + "&e2e=" + testE2EStrURI + "&data=" + urlEnc("{}")},
		{"contactAddress", con(v27, queue), "simplex:/contact#/?v=2-7&smp=" + urlEnc(queueStr)},
		{"contactAddress2queues", con(v27, queue, queue), "simplex:/contact#/?v=2-7&smp=" + urlEnc(queueStr+";"+queueStr)},
		{"contactAddressNew", con(v27, queueNew), "simplex:/contact#/?v=2-7&smp=" + urlEnc(queueNewStr)},
		{"contactAddress2queuesNew", con(v27, queueNew, queueNew), "simplex:/contact#/?v=2-7&smp=" + urlEnc(queueNewStr+";"+queueNewStr)},
		{"contactAddressV2", con(encoding.VersionRange{Min: 2, Max: 2}, queue), "simplex:/contact#/?v=2&smp=" + urlEnc(queueStr)},
		{"contactAddressClientData", withData(con(v27, queue), groupData), "simplex:/contact#/?v=2-7&smp=" + urlEnc(queueStr) + "&data=" + urlEnc(groupData)},
	}
	for _, tt := range both {
		t.Run(tt.name, func(t *testing.T) {
			if s := tt.c.String(); s != tt.s {
				t.Errorf("String =\n %q\nwant\n %q", s, tt.s)
			}
			got, err := ParseConnectionRequest(tt.s)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !connReqEqual(got, tt.c) {
				t.Errorf("parse = %+v, want %+v", got, tt.c)
			}
		})
	}
	v22 := encoding.VersionRange{Min: 2, Max: 2}
	parses := []struct {
		name string
		c    ConnectionRequest
		s    string
	}{
		{"https invitation", inv(v27, queue), "https://simplex.chat/invitation#/?v=2-7&smp=" + urlEnc(queueStr) + "&e2e=" + testE2EStrURI},
		{"https invitation v1", inv(encoding.VersionRange{Min: 1, Max: 1}, queue), "https://simplex.chat/invitation#/?v=1&smp=" + urlEnc(queueStr) + "&e2e=" + testE2EStrURI},
		{"https contact", con(v27, queue), "https://simplex.chat/contact#/?v=2-7&smp=" + urlEnc(queueStr)},
		// contact links are adjusted to agent v2 [AP connReqUriP adjustAgentVRange]
		{"contact v1", con(v22, queue), "https://simplex.chat/contact#/?v=1&smp=" + urlEnc(queueStr)},
		{"contact v1-2", con(v22, queue), "https://simplex.chat/contact#/?v=1-2&smp=" + urlEnc(queueStr)},
		{"contact v2-2", con(v22, queue), "https://simplex.chat/contact#/?v=2-2&smp=" + urlEnc(queueStr)},
	}
	for _, tt := range parses {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConnectionRequest(tt.s)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !connReqEqual(got, tt.c) {
				t.Errorf("parse = %+v, want %+v", got, tt.c)
			}
			l, err := ParseConnectionLink(tt.s)
			if err != nil || l.Full == nil || !connReqEqual(*l.Full, tt.c) {
				t.Errorf("ParseConnectionLink = %+v, %v", l, err)
			}
		})
	}
	// the https form is written when the scheme is set [SS StrEncoding ServiceScheme]
	c := inv(v27, queue)
	c.Scheme = SimplexChatScheme
	if s := c.String(); s != "https://simplex.chat/invitation#/?v=2-7&smp="+urlEnc(queueStr)+"&e2e="+testE2EStrURI {
		t.Errorf("https String = %q", s)
	}
}

func connReqEqual(a, b ConnectionRequest) bool {
	if a.Mode != b.Mode || a.Scheme != b.Scheme || a.AgentVRange != b.AgentVRange || len(a.Queues) != len(b.Queues) {
		return false
	}
	for i := range a.Queues {
		if !a.Queues[i].Equal(b.Queues[i]) {
			return false
		}
	}
	if (a.ClientData == nil) != (b.ClientData == nil) || a.ClientData != nil && *a.ClientData != *b.ClientData {
		return false
	}
	if (a.E2E == nil) != (b.E2E == nil) || a.E2E != nil && !a.E2E.Equal(*b.E2E) {
		return false
	}
	return true
}

func TestConnectionRequestErrors(t *testing.T) {
	qs := urlEnc(queueStr)
	x25519e2e := urlEnc("v=2-3&x3dh=" + testDhKeyStr + "," + testDhKeyStr)
	mixed := urlEnc("v=2-3&x3dh=" + testDhKeyStr + "," + testX448Str)
	accepted := urlEnc("v=2-3&x3dh=" + testX448Str + "," + testX448Str + "&kem_ct=AAAA&kem_key=AAAA")
	for _, s := range []string{
		"simplex:/invitation#/?v=2-7&smp=" + qs,                       // no e2e
		"simplex:/invitation#/?v=2-7&smp=" + qs + "&e2e=" + x25519e2e, // invitation needs X448
		"simplex:/invitation#/?v=2-7&smp=" + qs + "&e2e=" + mixed,     // different algorithms
		"simplex:/invitation#/?v=2-7&smp=" + qs + "&e2e=" + accepted,  // accepted KEM in invitation
		"simplex:/contact#/?smp=" + qs,                                // no v
		"simplex:/contact#/?v=2-7",                                    // no smp
		"simplex:/contact#/?v=2-7&smp=" + qs + "%3B",                  // empty second queue
		"simplex:/group#/?v=2-7&smp=" + qs,                            // mode
		"simplex:/contact#?v=2-7&smp=" + qs,                           // "#/?" required
		"simplex:/contact#/?v=2-7&smp=" + qs + " ",                    // space
		"http://simplex.chat/contact#/?v=2-7&smp=" + qs,               // scheme
		"simplex:/contact#/?v=2-7&smp=" + strings.ReplaceAll(qs, "smp", "xftp"),
	} {
		if c, err := ParseConnectionRequest(s); err == nil {
			t.Errorf("ParseConnectionRequest(%q) = %+v, want error", s, c)
		}
	}
}

func TestE2EParams(t *testing.T) {
	x448 := mustKey(t, testX448Str)
	kem := []byte{1, 2, 3}
	tests := []struct {
		name string
		e    E2EParams
		s    string
	}{
		// testE2ERatchetParams, unescaped
		{"v1", E2EParams{VRange: encoding.VersionRange{Min: 1, Max: 1}, Key1: x448, Key2: x448},
			"v=1&x3dh=" + testX448Str + "," + testX448Str},
		{"pq proposed", E2EParams{VRange: SupportedE2EEncryptVRange, Key1: x448, Key2: x448, KEMKey: kem},
			"v=2-3&x3dh=" + testX448Str + "," + testX448Str + "&kem_key=AQID"},
		{"pq accepted", E2EParams{VRange: SupportedE2EEncryptVRange, Key1: x448, Key2: x448, KEMKey: kem, KEMCiphertext: []byte{9}},
			"v=2-3&x3dh=" + testX448Str + "," + testX448Str + "&kem_ct=CQ==&kem_key=AQID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := tt.e.String(); s != tt.s {
				t.Errorf("String = %q, want %q", s, tt.s)
			}
			got, err := ParseE2EParams(tt.s)
			if err != nil || !got.Equal(tt.e) {
				t.Errorf("parse = %+v, %v", got, err)
			}
		})
	}
	// KEM parameters are ignored below version 3 [R kemP]
	got, err := ParseE2EParams("v=2&x3dh=" + testX448Str + "," + testX448Str + "&kem_key=AQID")
	if err != nil || got.KEMKey != nil {
		t.Fatalf("v2 kem: %+v %v", got, err)
	}
	for _, s := range []string{
		"v=2&x3dh=" + testX448Str,
		"v=2&x3dh=" + testX448Str + "," + testX448Str + "," + testX448Str,
		"x3dh=" + testX448Str + "," + testX448Str,
		"v=2&x3dh=" + testX448Str + "," + testDhKeyStr,
		"v=3&x3dh=" + testX448Str + "," + testX448Str + "&kem_key=%%",
	} {
		if e, err := ParseE2EParams(s); err == nil {
			t.Errorf("ParseE2EParams(%q) = %+v", s, e)
		}
	}
}

func TestShortLinkVectors(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	linkID := []byte("0123456789abcdef01234567")
	srv := refServer(srvHosts, "5223")
	shortSrv := ServerAddress{Scheme: SchemeSMP, Hosts: []string{"smp.simplex.im"}}
	const keyStr = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	const idStr = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
	// "should serialize / parse short links"
	tests := []struct {
		l ShortLink
		s string
	}{
		{ShortLink{Mode: ModeContact, ServerForm: true, ContactType: ContactTypeContact, Server: srv, LinkKey: key},
			"https://smp.simplex.im/a#" + keyStr + "?h=" + onionHost + "&p=5223&c=1234-w"},
		{ShortLink{Mode: ModeContact, ServerForm: true, ContactType: ContactTypeGroup, Server: srv, LinkKey: key},
			"https://smp.simplex.im/g#" + keyStr + "?h=" + onionHost + "&p=5223&c=1234-w"},
		{ShortLink{Mode: ModeContact, ServerForm: true, ContactType: ContactTypeContact, Server: shortSrv, LinkKey: key},
			"https://smp.simplex.im/a#" + keyStr},
		{ShortLink{Mode: ModeInvitation, ServerForm: true, Server: srv, LinkID: linkID, LinkKey: key},
			"https://smp.simplex.im/i#" + idStr + "/" + keyStr + "?h=" + onionHost + "&p=5223&c=1234-w"},
		{ShortLink{Mode: ModeInvitation, ServerForm: true, Server: shortSrv, LinkID: linkID, LinkKey: key},
			"https://smp.simplex.im/i#" + idStr + "/" + keyStr},
		{ShortLink{Mode: ModeContact, ContactType: ContactTypeContact, Server: srv, LinkKey: key},
			"simplex:/a#" + keyStr + "?h=smp.simplex.im%2C" + onionHost + "&p=5223&c=1234-w"},
		{ShortLink{Mode: ModeContact, ContactType: ContactTypeGroup, Server: srv, LinkKey: key},
			"simplex:/g#" + keyStr + "?h=smp.simplex.im%2C" + onionHost + "&p=5223&c=1234-w"},
		{ShortLink{Mode: ModeContact, ContactType: ContactTypeContact, Server: shortSrv, LinkKey: key},
			"simplex:/a#" + keyStr + "?h=smp.simplex.im"},
		{ShortLink{Mode: ModeInvitation, Server: srv, LinkID: linkID, LinkKey: key},
			"simplex:/i#" + idStr + "/" + keyStr + "?h=smp.simplex.im%2C" + onionHost + "&p=5223&c=1234-w"},
		{ShortLink{Mode: ModeInvitation, Server: shortSrv, LinkID: linkID, LinkKey: key},
			"simplex:/i#" + idStr + "/" + keyStr + "?h=smp.simplex.im"},
	}
	for _, tt := range tests {
		if s := tt.l.String(); s != tt.s {
			t.Errorf("String =\n %q\nwant\n %q", s, tt.s)
		}
		got, err := ParseShortLink(tt.s)
		if err != nil {
			t.Errorf("parse %q: %v", tt.s, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.l) {
			t.Errorf("parse %q = %+v, want %+v", tt.s, got, tt.l)
		}
		l, err := ParseConnectionLink(tt.s)
		if err != nil || l.Short == nil || l.String() != tt.s {
			t.Errorf("ParseConnectionLink(%q) = %+v, %v", tt.s, l, err)
		}
	}
	// "should shorten / restore short links": literal links from the test
	for _, s := range []string{
		"https://localhost/a#4AkRDmhf64tdRlN406g8lJRg5OCmhD6ynIhi6glOcCM?p=7001&c=LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI",
		"https://localhost/a#4AkRDmhf64tdRlN406g8lJRg5OCmhD6ynIhi6glOcCM",
		"https://localhost/i#tnUaHYp8saREmyEHR93SBpl8ySHBchOt/LJ1ZQUzxH9Udb0jw5wmJACv5o6oe8e7BsX_hUCUMTSY?p=7001&c=LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI",
		"https://localhost/i#tnUaHYp8saREmyEHR93SBpl8ySHBchOt/LJ1ZQUzxH9Udb0jw5wmJACv5o6oe8e7BsX_hUCUMTSY",
	} {
		l, err := ParseShortLink(s)
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		if l.String() != s {
			t.Errorf("round trip %q -> %q", s, l.String())
		}
	}
	// upper-case contact letters parse [AP contactTypeP toUpper]
	if l, err := ParseShortLink("simplex:/A#" + keyStr + "?h=smp.simplex.im"); err != nil || l.ContactType != ContactTypeContact {
		t.Errorf("upper-case type: %+v %v", l, err)
	}
	for _, s := range []string{
		"simplex:/a#" + keyStr,                        // no server
		"simplex:/a#" + keyStr + "?p=5223",            // no host
		"simplex:/I#" + idStr + "/" + keyStr + "?h=x", // upper-case 'I'
		"simplex:/x#" + keyStr + "?h=x",
		"simplex:/i#" + keyStr + "?h=x", // invitation without link ID
		"https://h/a#" + keyStr + "?p=99999",
		"ftp://h/a#" + keyStr,
	} {
		if l, err := ParseShortLink(s); err == nil {
			t.Errorf("ParseShortLink(%q) = %+v", s, l)
		}
	}
}

func TestURLEscapingMatchesTests(t *testing.T) {
	// The reference's url helper leaves only unreserved characters; compare
	// with net/url for the characters they agree on.
	s := testDhKeyStr + ";,/:"
	if got, want := urlEnc(s), strings.ReplaceAll(url.QueryEscape(s), "+", "%20"); got != want {
		t.Fatalf("urlEnc = %q, net/url = %q", got, want)
	}
}
