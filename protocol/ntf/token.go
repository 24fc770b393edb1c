package ntf

import (
	"bytes"
	"fmt"
	"strings"
)

// Provider is a push provider, written as two ASCII letters [NP PushProvider].
type Provider string

// Push providers. Test tokens go to a local mock; null tokens are never
// pushed (clients use them to test a server) [APNS apnsProviderHost].
const (
	ProviderAPNSProd Provider = "AP" // api.push.apple.com
	ProviderAPNSDev  Provider = "AD" // api.sandbox.push.apple.com
	ProviderAPNSTest Provider = "AT" // localhost (reference tests)
	ProviderAPNSNull Provider = "AN" // never pushed
)

// Valid reports whether p is one of the four providers.
func (p Provider) Valid() bool {
	switch p {
	case ProviderAPNSProd, ProviderAPNSDev, ProviderAPNSTest, ProviderAPNSNull:
		return true
	}
	return false
}

// Name returns the provider's text name: apns_prod, apns_dev, apns_test or
// apns_null [NP StrEncoding PushProvider].
func (p Provider) Name() string {
	switch p {
	case ProviderAPNSProd:
		return "apns_prod"
	case ProviderAPNSDev:
		return "apns_dev"
	case ProviderAPNSTest:
		return "apns_test"
	case ProviderAPNSNull:
		return "apns_null"
	}
	return ""
}

// DeviceToken is a device's push token: the APNs token as lower-case hex
// ASCII, used verbatim in the APNs request path [NP DeviceToken].
type DeviceToken struct {
	Provider Provider
	Token    []byte
}

// Equal reports whether t and o are the same token.
func (t DeviceToken) Equal(o DeviceToken) bool {
	return t.Provider == o.Provider && bytes.Equal(t.Token, o.Token)
}

// String returns the text form "<provider name> <token>" [NP StrEncoding DeviceToken].
func (t DeviceToken) String() string { return t.Provider.Name() + " " + string(t.Token) }

// TokenStatusCode is the state of a registered token [NP NtfTknStatus].
type TokenStatusCode string

// Token states. The official server reports REGISTERED after TNEW,
// CONFIRMED once the verification push was accepted, ACTIVE after TVFY;
// NEW is never reported (CONFORMANCE-NOTES §4.2).
const (
	TokenNew        TokenStatusCode = "NEW"
	TokenRegistered TokenStatusCode = "REGISTERED"
	TokenInvalid    TokenStatusCode = "INVALID"
	TokenConfirmed  TokenStatusCode = "CONFIRMED"
	TokenActive     TokenStatusCode = "ACTIVE"
	TokenExpired    TokenStatusCode = "EXPIRED"
)

// InvalidReason says why a token became INVALID [NP NTInvalidReason].
type InvalidReason string

// Reasons, sent from version 3 only.
const (
	ReasonNone         InvalidReason = ""
	ReasonBadToken     InvalidReason = "BAD"
	ReasonNotForTopic  InvalidReason = "TOPIC"
	ReasonExpiredToken InvalidReason = "EXPIRED"
	ReasonUnregistered InvalidReason = "UNREGISTERED"
)

// TokenStatus is a token state, with a reason for INVALID.
type TokenStatus struct {
	Code   TokenStatusCode
	Reason InvalidReason // only with TokenInvalid
}

// AllowVerification reports whether TVFY is accepted in this state
// [NP allowTokenVerification].
func (s TokenStatus) AllowVerification() bool {
	switch s.Code {
	case TokenRegistered, TokenConfirmed, TokenActive:
		return true
	}
	return false
}

// AllowSubCommands reports whether subscription commands are accepted for
// a token in this state [NP allowNtfSubCommands].
func (s TokenStatus) AllowSubCommands() bool {
	switch s.Code {
	case TokenInvalid, TokenActive, TokenExpired:
		return true
	}
	return false
}

// appendTo writes "INVALID[,reason]" or the bare code; below version 3 the
// reason is dropped [NP encodeProtocol NRTkn].
func (s TokenStatus) appendTo(b []byte, v uint16) []byte {
	b = append(b, s.Code...)
	if s.Code == TokenInvalid && s.Reason != ReasonNone && v >= InvalidReasonVersion {
		b = append(b, ',')
		b = append(b, s.Reason...)
	}
	return b
}

// String returns the status text as written at the current version.
func (s TokenStatus) String() string { return string(s.appendTo(nil, CurrentVersion)) }

// ParseTokenStatus parses a token status [NP Encoding NtfTknStatus].
func ParseTokenStatus(b []byte) (TokenStatus, error) {
	i := bytes.IndexAny(b, " ,")
	word, rest := b, []byte(nil)
	if i >= 0 {
		word, rest = b[:i], b[i:]
	}
	s := TokenStatus{Code: TokenStatusCode(word)}
	switch s.Code {
	case TokenNew, TokenRegistered, TokenConfirmed, TokenActive, TokenExpired:
	case TokenInvalid:
		if len(rest) > 0 && rest[0] == ',' {
			switch r := InvalidReason(rest[1:]); r {
			case ReasonBadToken, ReasonNotForTopic, ReasonExpiredToken, ReasonUnregistered:
				s.Reason, rest = r, nil
			}
		}
	default:
		return TokenStatus{}, fmt.Errorf("%w: bad token status %q", ErrSyntax, word)
	}
	if len(rest) > 0 {
		return TokenStatus{}, fmt.Errorf("%w: trailing %q after token status", ErrSyntax, rest)
	}
	return s, nil
}

// SubStatusCode is the state of a notification subscription [NP NtfSubStatus].
type SubStatusCode string

// Subscription states.
const (
	SubNew      SubStatusCode = "NEW"      // after SNEW
	SubPending  SubStatusCode = "PENDING"  // connecting to the SMP server
	SubActive   SubStatusCode = "ACTIVE"   // subscribed with NSUB
	SubInactive SubStatusCode = "INACTIVE" // disconnected
	SubEnd      SubStatusCode = "END"      // END received
	SubDeleted  SubStatusCode = "DELETED"  // DELD received
	SubAuth     SubStatusCode = "AUTH"     // SMP AUTH error
	SubService  SubStatusCode = "SERVICE"  // SMP SERVICE error
	SubErr      SubStatusCode = "ERR"      // other SMP error, with text
)

// SubStatus is a subscription state; Err holds the text of ERR.
type SubStatus struct {
	Code SubStatusCode
	Err  []byte
}

// ShouldSubscribe reports whether the server should (re)subscribe
// [NP ntfShouldSubscribe].
func (s SubStatus) ShouldSubscribe() bool {
	switch s.Code {
	case SubNew, SubPending, SubActive, SubInactive, SubService:
		return true
	}
	return false
}

func (s SubStatus) appendTo(b []byte) []byte {
	b = append(b, s.Code...)
	if s.Code == SubErr {
		b = append(b, ' ')
		b = append(b, s.Err...)
	}
	return b
}

// String returns the status text.
func (s SubStatus) String() string { return string(s.appendTo(nil)) }

// ParseSubStatus parses a subscription status [NP Encoding NtfSubStatus].
func ParseSubStatus(b []byte) (SubStatus, error) {
	word, rest, hasParam := bytes.Cut(b, []byte{' '})
	s := SubStatus{Code: SubStatusCode(word)}
	switch s.Code {
	case SubNew, SubPending, SubActive, SubInactive, SubEnd, SubDeleted, SubAuth, SubService:
		if hasParam {
			return SubStatus{}, fmt.Errorf("%w: trailing bytes after %s", ErrSyntax, word)
		}
	case SubErr:
		if !hasParam {
			return SubStatus{}, fmt.Errorf("%w: ERR status without text", ErrSyntax)
		}
		s.Err = bytes.Clone(rest)
	default:
		return SubStatus{}, fmt.Errorf("%w: bad subscription status %q", ErrSyntax, word)
	}
	return s, nil
}

// ParseDeviceToken parses the text form "<provider name> <token>": the
// token is lower-case hex of even length, except the test token
// "apns_null test_ntf_token" [NP StrEncoding DeviceToken].
func ParseDeviceToken(s string) (DeviceToken, error) {
	if s == "apns_null test_ntf_token" {
		return DeviceToken{Provider: ProviderAPNSNull, Token: []byte("test_ntf_token")}, nil
	}
	name, tok, ok := strings.Cut(s, " ")
	var p Provider
	for _, c := range []Provider{ProviderAPNSProd, ProviderAPNSDev, ProviderAPNSTest, ProviderAPNSNull} {
		if c.Name() == name {
			p = c
		}
	}
	if !ok || p == "" || len(tok)%2 != 0 || strings.Trim(tok, "0123456789abcdef") != "" {
		return DeviceToken{}, fmt.Errorf("%w: bad device token %q", ErrSyntax, s)
	}
	return DeviceToken{Provider: p, Token: []byte(tok)}, nil
}
