package smp

import (
	"fmt"

	"github.com/simplexgo/protocol/encoding"
)

// ProxyErrorCode is the word after "PROXY " [MP Encoding ProxyError].
type ProxyErrorCode string

// Proxy error codes.
const (
	ProxyProtocol  ProxyErrorCode = "PROTOCOL"   // the relay answered ERR Protocol
	ProxyBroker    ProxyErrorCode = "BROKER"     // relay connection error, see BrokerError
	ProxyBasicAuth ProxyErrorCode = "BASIC_AUTH" // PRXY password wrong, or proxying off
	ProxyNoSession ProxyErrorCode = "NO_SESSION" // PFWD names an unknown relay session
)

// ProxyError is the payload of ERR PROXY: PROTOCOL <ErrorType> |
// BROKER <BrokerError> | BASIC_AUTH | NO_SESSION.
type ProxyError struct {
	Code     ProxyErrorCode
	Protocol *ErrorType   // ProxyProtocol
	Broker   *BrokerError // ProxyBroker
}

// String returns the text form.
func (p ProxyError) String() string {
	switch p.Code {
	case ProxyProtocol:
		if p.Protocol != nil {
			return "PROTOCOL " + p.Protocol.String()
		}
	case ProxyBroker:
		if p.Broker != nil {
			return "BROKER " + p.Broker.String()
		}
	}
	return string(p.Code)
}

// BrokerErrorCode is the word after "BROKER " [MP Encoding BrokerErrorType].
type BrokerErrorCode string

// Broker error codes.
const (
	BrokerResponse   BrokerErrorCode = "RESPONSE"   // unparseable relay response, + short(text)
	BrokerUnexpected BrokerErrorCode = "UNEXPECTED" // unexpected relay response, + short(text)
	BrokerNetwork    BrokerErrorCode = "NETWORK"    // network error
	BrokerTimeout    BrokerErrorCode = "TIMEOUT"    // relay response timeout
	BrokerHost       BrokerErrorCode = "HOST"       // no compatible relay host
	BrokerNoService  BrokerErrorCode = "NO_SERVICE" // client-side only
	BrokerTransport  BrokerErrorCode = "TRANSPORT"  // transport error, see TransportError
)

// BrokerError is the payload of PROXY BROKER.
//
// Text is sent as short(text); the encoder truncates it to 255 bytes (the
// reference would emit a broken length byte). Network is only set when the
// input carried a detail after NETWORK: the reference always writes bare
// "NETWORK" and accepts "NETWORK <NetworkError>"; leave Network nil to match
// its output.
type BrokerError struct {
	Code      BrokerErrorCode
	Text      string          // BrokerResponse, BrokerUnexpected
	Network   *NetworkError   // BrokerNetwork, optional
	Transport *TransportError // BrokerTransport
}

// String returns the text form.
func (b BrokerError) String() string {
	switch b.Code {
	case BrokerResponse, BrokerUnexpected:
		return string(b.Code) + " " + b.Text
	case BrokerNetwork:
		if b.Network != nil {
			return "NETWORK " + b.Network.String()
		}
	case BrokerTransport:
		if b.Transport != nil {
			return "TRANSPORT " + b.Transport.String()
		}
	}
	return string(b.Code)
}

// NetworkErrorCode names a NetworkError [MP Encoding NetworkError].
type NetworkErrorCode string

// Network error codes; CONNECT, TLS and SUBSCRIBE carry short(text).
const (
	NetConnect   NetworkErrorCode = "CONNECT"
	NetTLS       NetworkErrorCode = "TLS"
	NetUnknownCA NetworkErrorCode = "UNKNOWNCA"
	NetFailed    NetworkErrorCode = "FAILED"
	NetTimeout   NetworkErrorCode = "TIMEOUT"
	NetSubscribe NetworkErrorCode = "SUBSCRIBE"
)

// NetworkError is the optional detail of BROKER NETWORK.
type NetworkError struct {
	Code NetworkErrorCode
	Text string
}

func (n NetworkError) hasText() bool {
	return n.Code == NetConnect || n.Code == NetTLS || n.Code == NetSubscribe
}

// String returns the text form.
func (n NetworkError) String() string {
	if n.hasText() {
		return string(n.Code) + " " + n.Text
	}
	return string(n.Code)
}

// TransportErrorCode names a transport error [MT Encoding TransportError].
type TransportErrorCode string

// Transport error codes.
const (
	TransportBlock     TransportErrorCode = "BLOCK"
	TransportVersion   TransportErrorCode = "VERSION"
	TransportLargeMsg  TransportErrorCode = "LARGE_MSG"
	TransportSession   TransportErrorCode = "SESSION"
	TransportNoAuth    TransportErrorCode = "NO_AUTH"
	TransportHandshake TransportErrorCode = "HANDSHAKE"
)

// HandshakeError is the word after "HANDSHAKE " [MT HandshakeError].
type HandshakeError string

// Handshake errors.
const (
	HandshakeParse      HandshakeError = "PARSE"
	HandshakeIdentity   HandshakeError = "IDENTITY"
	HandshakeBadAuth    HandshakeError = "BAD_AUTH"
	HandshakeBadService HandshakeError = "BAD_SERVICE"
)

// TransportError is a transport-level error as carried in PROXY BROKER
// TRANSPORT (and in the server's handshake response).
type TransportError struct {
	Code      TransportErrorCode
	Handshake HandshakeError // TransportHandshake
}

// String returns the text form.
func (t TransportError) String() string {
	if t.Code == TransportHandshake {
		return "HANDSHAKE " + string(t.Handshake)
	}
	return string(t.Code)
}

func putProxyError(w *encoding.Buffer, p ProxyError) {
	switch p.Code {
	case ProxyProtocol:
		if p.Protocol == nil {
			w.Fail(fmt.Errorf("%w: PROXY PROTOCOL without error", ErrInvalid))
			return
		}
		w.String("PROTOCOL ")
		putErrorType(w, *p.Protocol)
	case ProxyBroker:
		if p.Broker == nil {
			w.Fail(fmt.Errorf("%w: PROXY BROKER without error", ErrInvalid))
			return
		}
		w.String("BROKER ")
		putBrokerError(w, *p.Broker)
	case ProxyBasicAuth, ProxyNoSession:
		w.String(string(p.Code))
	default:
		w.Fail(fmt.Errorf("%w: proxy error %q", ErrInvalid, p.Code))
	}
}

func parseProxyError(d *encoding.Decoder) ProxyError {
	word := string(d.Word())
	if d.Err() != nil {
		return ProxyError{}
	}
	switch code := ProxyErrorCode(word); code {
	case ProxyProtocol:
		d.Space()
		e := parseErrorType(d)
		return ProxyError{Code: code, Protocol: &e}
	case ProxyBroker:
		d.Space()
		b := parseBrokerError(d)
		return ProxyError{Code: code, Broker: &b}
	case ProxyBasicAuth, ProxyNoSession:
		return ProxyError{Code: code}
	}
	d.Fail(fmt.Errorf("%w: proxy error %q", ErrSyntax, word))
	return ProxyError{}
}

// truncShort cuts s to what fits in short(s).
func truncShort(s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	return []byte(s)
}

func putBrokerError(w *encoding.Buffer, b BrokerError) {
	switch b.Code {
	case BrokerResponse, BrokerUnexpected:
		w.String(string(b.Code)).Space().Short(truncShort(b.Text))
	case BrokerNetwork:
		w.String(string(b.Code))
		if b.Network != nil {
			w.Space()
			putNetworkError(w, *b.Network)
		}
	case BrokerTimeout, BrokerHost, BrokerNoService:
		w.String(string(b.Code))
	case BrokerTransport:
		if b.Transport == nil {
			w.Fail(fmt.Errorf("%w: BROKER TRANSPORT without error", ErrInvalid))
			return
		}
		w.String("TRANSPORT ")
		putTransportError(w, *b.Transport)
	default:
		w.Fail(fmt.Errorf("%w: broker error %q", ErrInvalid, b.Code))
	}
}

func parseBrokerError(d *encoding.Decoder) BrokerError {
	word := string(d.Word())
	if d.Err() != nil {
		return BrokerError{}
	}
	switch code := BrokerErrorCode(word); code {
	case BrokerResponse, BrokerUnexpected:
		d.Space()
		return BrokerError{Code: code, Text: string(d.Short())}
	case BrokerNetwork:
		// "NETWORK" alone, or "NETWORK " networkError [MP: _smpP <|> pure NEFailedError].
		if c, ok := d.Peek(); ok && c == ' ' {
			d.Space()
			n := parseNetworkError(d)
			return BrokerError{Code: code, Network: &n}
		}
		return BrokerError{Code: code}
	case BrokerTimeout, BrokerHost, BrokerNoService:
		return BrokerError{Code: code}
	case BrokerTransport:
		d.Space()
		t := parseTransportError(d)
		return BrokerError{Code: code, Transport: &t}
	}
	d.Fail(fmt.Errorf("%w: broker error %q", ErrSyntax, word))
	return BrokerError{}
}

func putNetworkError(w *encoding.Buffer, n NetworkError) {
	switch n.Code {
	case NetConnect, NetTLS, NetSubscribe:
		w.String(string(n.Code)).Space().Short(truncShort(n.Text))
	case NetUnknownCA, NetFailed, NetTimeout:
		w.String(string(n.Code))
	default:
		w.Fail(fmt.Errorf("%w: network error %q", ErrInvalid, n.Code))
	}
}

func parseNetworkError(d *encoding.Decoder) NetworkError {
	word := string(d.Word())
	if d.Err() != nil {
		return NetworkError{}
	}
	switch code := NetworkErrorCode(word); code {
	case NetConnect, NetTLS, NetSubscribe:
		d.Space()
		return NetworkError{Code: code, Text: string(d.Short())}
	case NetUnknownCA, NetFailed, NetTimeout:
		return NetworkError{Code: code}
	}
	d.Fail(fmt.Errorf("%w: network error %q", ErrSyntax, word))
	return NetworkError{}
}

func validHandshakeError(h HandshakeError) bool {
	switch h {
	case HandshakeParse, HandshakeIdentity, HandshakeBadAuth, HandshakeBadService:
		return true
	}
	return false
}

func putTransportError(w *encoding.Buffer, t TransportError) {
	switch t.Code {
	case TransportBlock, TransportVersion, TransportLargeMsg, TransportSession, TransportNoAuth:
		w.String(string(t.Code))
	case TransportHandshake:
		if !validHandshakeError(t.Handshake) {
			w.Fail(fmt.Errorf("%w: handshake error %q", ErrInvalid, t.Handshake))
			return
		}
		w.String("HANDSHAKE ").String(string(t.Handshake))
	default:
		w.Fail(fmt.Errorf("%w: transport error %q", ErrInvalid, t.Code))
	}
}

// parseTransportError reads a transport error. The reference reads the
// handshake word with Haskell's read (parseRead1), which would also take
// e.g. "(PARSE)"; only the bare words are accepted here.
func parseTransportError(d *encoding.Decoder) TransportError {
	word := string(d.Word())
	if d.Err() != nil {
		return TransportError{}
	}
	switch code := TransportErrorCode(word); code {
	case TransportBlock, TransportVersion, TransportLargeMsg, TransportSession, TransportNoAuth:
		return TransportError{Code: code}
	case TransportHandshake:
		d.Space()
		h := HandshakeError(d.Word())
		if d.Err() == nil && !validHandshakeError(h) {
			d.Fail(fmt.Errorf("%w: handshake error %q", ErrSyntax, h))
		}
		return TransportError{Code: code, Handshake: h}
	}
	d.Fail(fmt.Errorf("%w: transport error %q", ErrSyntax, word))
	return TransportError{}
}

// EncodeTransportError returns the encoding of t (used after "PROXY BROKER
// TRANSPORT " and in the server's handshake response).
func EncodeTransportError(t TransportError) ([]byte, error) {
	w := encoding.NewBuffer(nil)
	putTransportError(w, t)
	return w.Bytes()
}

// ParseTransportError parses the whole of b as a transport error.
func ParseTransportError(b []byte) (TransportError, error) {
	d := encoding.NewDecoder(b)
	t := parseTransportError(d)
	if err := d.Finish(); err != nil {
		return TransportError{}, fmt.Errorf("%w: transport error: %w", ErrSyntax, err)
	}
	return t, nil
}
