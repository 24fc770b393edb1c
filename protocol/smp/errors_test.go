package smp

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func proxyErr(p ProxyError) ErrorType { return NewProxyError(p) }

func brokerErr(b BrokerError) ErrorType {
	return proxyErr(ProxyError{Code: ProxyBroker, Broker: &b})
}

func transportErr(t TransportError) ErrorType {
	return brokerErr(BrokerError{Code: BrokerTransport, Transport: &t})
}

// errorVectors: every code of CONFORMANCE-NOTES §3.4 with its encoding
// [MP instance Encoding ErrorType, CommandError, ProxyError,
// BrokerErrorType, NetworkError; MT instance Encoding TransportError].
func errorVectors() []struct {
	e    ErrorType
	wire string
	str  string // text form, when it differs from wire
} {
	protocolAuth := ErrAuth
	protocolCmd := ErrCmdSyntax
	return []struct {
		e    ErrorType
		wire string
		str  string
	}{
		{ErrBlock, "BLOCK", ""},
		{ErrSession, "SESSION", ""},
		{ErrCmdUnknown, "CMD UNKNOWN", ""},
		{ErrCmdSyntax, "CMD SYNTAX", ""},
		{ErrCmdProhibited, "CMD PROHIBITED", ""},
		{ErrCmdNoAuth, "CMD NO_AUTH", ""},
		{ErrCmdHasAuth, "CMD HAS_AUTH", ""},
		{ErrCmdNoEntity, "CMD NO_ENTITY", ""},
		{proxyErr(ProxyError{Code: ProxyProtocol, Protocol: &protocolAuth}), "PROXY PROTOCOL AUTH", ""},
		{proxyErr(ProxyError{Code: ProxyProtocol, Protocol: &protocolCmd}), "PROXY PROTOCOL CMD SYNTAX", ""},
		{brokerErr(BrokerError{Code: BrokerResponse, Text: "bad response"}), "PROXY BROKER RESPONSE \x0cbad response", "PROXY BROKER RESPONSE bad response"},
		{brokerErr(BrokerError{Code: BrokerUnexpected, Text: ""}), "PROXY BROKER UNEXPECTED \x00", "PROXY BROKER UNEXPECTED "},
		{brokerErr(BrokerError{Code: BrokerNetwork}), "PROXY BROKER NETWORK", ""},
		{brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{Code: NetConnect, Text: "refused"}}), "PROXY BROKER NETWORK CONNECT \x07refused", "PROXY BROKER NETWORK CONNECT refused"},
		{brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{Code: NetTLS, Text: "x"}}), "PROXY BROKER NETWORK TLS \x01x", "PROXY BROKER NETWORK TLS x"},
		{brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{Code: NetUnknownCA}}), "PROXY BROKER NETWORK UNKNOWNCA", ""},
		{brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{Code: NetFailed}}), "PROXY BROKER NETWORK FAILED", ""},
		{brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{Code: NetTimeout}}), "PROXY BROKER NETWORK TIMEOUT", ""},
		{brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{Code: NetSubscribe, Text: "s"}}), "PROXY BROKER NETWORK SUBSCRIBE \x01s", "PROXY BROKER NETWORK SUBSCRIBE s"},
		{brokerErr(BrokerError{Code: BrokerTimeout}), "PROXY BROKER TIMEOUT", ""},
		{brokerErr(BrokerError{Code: BrokerHost}), "PROXY BROKER HOST", ""},
		{brokerErr(BrokerError{Code: BrokerNoService}), "PROXY BROKER NO_SERVICE", ""},
		{transportErr(TransportError{Code: TransportBlock}), "PROXY BROKER TRANSPORT BLOCK", ""},
		// CONFORMANCE-NOTES §1.1: a relay below v8 gives this to senders.
		{transportErr(TransportError{Code: TransportVersion}), "PROXY BROKER TRANSPORT VERSION", ""},
		{transportErr(TransportError{Code: TransportLargeMsg}), "PROXY BROKER TRANSPORT LARGE_MSG", ""},
		{transportErr(TransportError{Code: TransportSession}), "PROXY BROKER TRANSPORT SESSION", ""},
		{transportErr(TransportError{Code: TransportNoAuth}), "PROXY BROKER TRANSPORT NO_AUTH", ""},
		{transportErr(TransportError{Code: TransportHandshake, Handshake: HandshakeParse}), "PROXY BROKER TRANSPORT HANDSHAKE PARSE", ""},
		{transportErr(TransportError{Code: TransportHandshake, Handshake: HandshakeIdentity}), "PROXY BROKER TRANSPORT HANDSHAKE IDENTITY", ""},
		{transportErr(TransportError{Code: TransportHandshake, Handshake: HandshakeBadAuth}), "PROXY BROKER TRANSPORT HANDSHAKE BAD_AUTH", ""},
		{transportErr(TransportError{Code: TransportHandshake, Handshake: HandshakeBadService}), "PROXY BROKER TRANSPORT HANDSHAKE BAD_SERVICE", ""},
		{proxyErr(ProxyError{Code: ProxyBasicAuth}), "PROXY BASIC_AUTH", ""},
		{proxyErr(ProxyError{Code: ProxyNoSession}), "PROXY NO_SESSION", ""},
		{ErrAuth, "AUTH", ""},
		{NewBlockedError(BlockingInfo{Reason: BlockedSpam}), "BLOCKED reason=spam", ""},
		{NewBlockedError(BlockingInfo{Reason: BlockedContent}), "BLOCKED reason=content", ""},
		{NewBlockedError(BlockingInfo{Reason: BlockedContent, Notice: &ClientNotice{}}), "BLOCKED reason=content,notice={}", ""},
		{NewBlockedError(BlockingInfo{Reason: BlockedSpam, Notice: &ClientNotice{TTL: ttl(86400)}}), `BLOCKED reason=spam,notice={"ttl":86400}`, ""},
		{ErrService, "SERVICE", ""},
		{ErrCrypto, "CRYPTO", ""},
		{ErrQuota, "QUOTA", ""},
		{NewStoreError("disk full"), "STORE disk full", ""},
		{NewStoreError(""), "STORE ", ""},
		{ErrNoMsg, "NO_MSG", ""},
		{ErrLargeMsg, "LARGE_MSG", ""},
		{ErrExpired, "EXPIRED", ""},
		{ErrInternal, "INTERNAL", ""},
		{ErrorType{Code: CodeDuplicate}, "DUPLICATE_", ""},
	}
}

func TestErrorTypeVectors(t *testing.T) {
	for _, tt := range errorVectors() {
		t.Run(tt.wire, func(t *testing.T) {
			got, err := EncodeErrorType(tt.e)
			if err != nil || string(got) != tt.wire {
				t.Fatalf("encode: %q, %v", got, err)
			}
			e, err := ParseErrorType([]byte(tt.wire))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(e, tt.e) {
				t.Fatalf("parse: %#v", e)
			}
			str := tt.str
			if str == "" {
				str = tt.wire
			}
			if e.String() != str || e.Error() != "smp: ERR "+str {
				t.Fatalf("String %q Error %q", e.String(), e.Error())
			}
			// The same bytes after "ERR " in a message (v18 keeps everything).
			m, err := ParseMessage(18, []byte("ERR "+tt.wire))
			if err != nil || !m.(ERR).Err.Equal(tt.e) {
				t.Fatalf("ERR message: %v %v", m, err)
			}
		})
	}
}

func TestParseErrorTypeAliases(t *testing.T) {
	// NO_QUEUE is read as NO_ENTITY [MP instance Encoding CommandError].
	e, err := ParseErrorType([]byte("CMD NO_QUEUE"))
	if err != nil || !e.Equal(ErrCmdNoEntity) {
		t.Fatalf("%v %v", e, err)
	}
	// aeson reads any white space in the notice JSON.
	e, err = ParseErrorType([]byte(`BLOCKED reason=spam,notice={ "ttl" : 5, "other": [1] }`))
	if err != nil || *e.Blocked.Notice.TTL != 5 {
		t.Fatalf("%v %v", e, err)
	}
	e, err = ParseErrorType([]byte(`BLOCKED reason=spam,notice={"ttl":null}`))
	if err != nil || e.Blocked.Notice.TTL != nil {
		t.Fatalf("%v %v", e, err)
	}
}

func TestParseErrorTypeErrors(t *testing.T) {
	bad := []string{
		"", "AUTHX", "AUTH ", "auth", "CMD", "CMD ", "CMD FOO", "CMD SYNTAX ", "PROXY", "PROXY ", "PROXY FOO",
		"PROXY PROTOCOL", "PROXY PROTOCOL FOO", "PROXY BROKER", "PROXY BROKER FOO", "PROXY BROKER RESPONSE",
		"PROXY BROKER RESPONSE \x05abc", "PROXY BROKER NETWORK ", "PROXY BROKER NETWORK BOGUS",
		"PROXY BROKER NETWORK CONNECT", "PROXY BROKER TRANSPORT", "PROXY BROKER TRANSPORT FOO",
		"PROXY BROKER TRANSPORT HANDSHAKE", "PROXY BROKER TRANSPORT HANDSHAKE FOO",
		// The reference's Read instance would take "(PARSE)"; not accepted here.
		"PROXY BROKER TRANSPORT HANDSHAKE (PARSE)",
		"BLOCKED", "BLOCKED ", "BLOCKED reason=", "BLOCKED reason=other", "BLOCKED reason=spamX",
		"BLOCKED reason=spam,", "BLOCKED reason=spam,notice=", "BLOCKED reason=spam,notice=[1]",
		"BLOCKED reason=spam,notice=null", `BLOCKED reason=spam,notice={"ttl":1.5}`, `BLOCKED reason=spam,notice={"ttl":"1"}`,
		"STORE", "BLOCKreason",
	}
	for _, in := range bad {
		if e, err := ParseErrorType([]byte(in)); err == nil || !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseErrorType(%q) = %v, %v", in, e, err)
		}
	}
}

func TestEncodeErrorTypeErrors(t *testing.T) {
	bad := []ErrorType{
		{}, {Code: "FOO"}, {Code: CodeCmd}, {Code: CodeCmd, Cmd: "FOO"}, {Code: CodeProxy},
		{Code: CodeBlocked}, NewBlockedError(BlockingInfo{Reason: "other"}),
		proxyErr(ProxyError{}), proxyErr(ProxyError{Code: ProxyProtocol}), proxyErr(ProxyError{Code: ProxyBroker}),
		brokerErr(BrokerError{}), brokerErr(BrokerError{Code: BrokerTransport}),
		brokerErr(BrokerError{Code: BrokerNetwork, Network: &NetworkError{}}),
		transportErr(TransportError{}), transportErr(TransportError{Code: TransportHandshake}),
	}
	for _, e := range bad {
		if b, err := EncodeErrorType(e); !errors.Is(err, ErrInvalid) {
			t.Errorf("EncodeErrorType(%#v) = %q, %v", e, b, err)
		}
	}
}

func TestBrokerTextTruncated(t *testing.T) {
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	b, err := EncodeErrorType(brokerErr(BrokerError{Code: BrokerResponse, Text: string(long)}))
	if err != nil || len(b) != len("PROXY BROKER RESPONSE ")+1+255 || b[len("PROXY BROKER RESPONSE ")] != 255 {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
}

func TestErrorTypeAsError(t *testing.T) {
	var err error = fmt.Errorf("wrapped: %w", ErrQuota)
	if !errors.Is(err, ErrQuota) || errors.Is(err, ErrAuth) {
		t.Fatal("errors.Is on wrapped ErrorType")
	}
	if !ErrorTypeOf(err).Equal(ErrQuota) {
		t.Fatal("ErrorTypeOf wrapped")
	}
	if !ErrorTypeOf(errors.New("other")).Equal(ErrInternal) {
		t.Fatal("ErrorTypeOf other")
	}
	p := ErrAuth
	if !errors.Is(ErrAuth, &p) {
		t.Fatal("errors.Is pointer target")
	}
	_, perr := ParseCommand(6, []byte("SEND"))
	var et ErrorType
	if !errors.As(perr, &et) || !et.Equal(ErrCmdSyntax) {
		t.Fatalf("errors.As on ParseError: %v", perr)
	}
}

func TestTransportErrorCodec(t *testing.T) {
	for _, in := range []string{"BLOCK", "VERSION", "LARGE_MSG", "SESSION", "NO_AUTH", "HANDSHAKE PARSE", "HANDSHAKE BAD_SERVICE"} {
		te, err := ParseTransportError([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		b, err := EncodeTransportError(te)
		if err != nil || string(b) != in || te.String() != in {
			t.Fatalf("%q: %q %v", in, b, err)
		}
	}
	if _, err := ParseTransportError([]byte("HANDSHAKE")); err == nil {
		t.Fatal("HANDSHAKE alone parsed")
	}
}
