package smp

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/simplexgo/protocol/encoding"
)

// Errors returned by this package's encoders and parsers (wrapped with
// detail). Parse failures of commands and messages are reported as
// *ParseError, which also carries the ErrorType to answer with.
var (
	// ErrInvalid means a value cannot be encoded: an unknown code, a wrong
	// key algorithm, a field longer than its length prefix.
	ErrInvalid = errors.New("smp: invalid value")
	// ErrVersion means a value carries data that has no encoding at the
	// session version (e.g. short-link data below v15).
	ErrVersion = errors.New("smp: not encodable at this version")
	// ErrSyntax means the input does not follow the grammar.
	ErrSyntax = errors.New("smp: syntax error")
)

// ErrorCode is the first word of an SMP error, as sent after "ERR "
// [MP Encoding ErrorType, CONFORMANCE-NOTES §3.4].
type ErrorCode string

// Error codes. DUPLICATE_ is never sent by the official server but is part
// of the encoding.
const (
	CodeBlock     ErrorCode = "BLOCK"      // bad block, transmission or authorization size
	CodeSession   ErrorCode = "SESSION"    // v6 session ID mismatch
	CodeCmd       ErrorCode = "CMD"        // command error, see CmdError
	CodeProxy     ErrorCode = "PROXY"      // proxy error, see ProxyError
	CodeAuth      ErrorCode = "AUTH"       // bad authorization, missing queue, wrong key
	CodeBlocked   ErrorCode = "BLOCKED"    // entity blocked (v12+), see BlockingInfo
	CodeService   ErrorCode = "SERVICE"    // service signature not allowed
	CodeCrypto    ErrorCode = "CRYPTO"     // encryption error in the proxy protocol
	CodeQuota     ErrorCode = "QUOTA"      // queue full
	CodeStore     ErrorCode = "STORE"      // storage error, followed by raw text
	CodeNoMsg     ErrorCode = "NO_MSG"     // ACK without a matching message
	CodeLargeMsg  ErrorCode = "LARGE_MSG"  // SEND body over MaxMessageLength
	CodeExpired   ErrorCode = "EXPIRED"    // relay key expired
	CodeInternal  ErrorCode = "INTERNAL"   // internal server error
	CodeDuplicate ErrorCode = "DUPLICATE_" // internal to the reference, never sent
)

// CmdError is the word after "CMD " [MP Encoding CommandError].
type CmdError string

// Command errors. The parser also accepts the legacy word NO_QUEUE as
// NO_ENTITY; the encoder always writes NO_ENTITY.
const (
	CmdUnknown    CmdError = "UNKNOWN"    // unknown command word
	CmdSyntax     CmdError = "SYNTAX"     // parameters do not parse
	CmdProhibited CmdError = "PROHIBITED" // not allowed now (e.g. SUB and GET on one queue)
	CmdNoAuth     CmdError = "NO_AUTH"    // authorization or entity missing
	CmdHasAuth    CmdError = "HAS_AUTH"   // authorization or entity not allowed
	CmdNoEntity   CmdError = "NO_ENTITY"  // entity ID missing
)

// ErrorType is the payload of an ERR message [MP ErrorType]. Code selects
// which of the other fields is meaningful: Cmd for CodeCmd, Proxy for
// CodeProxy, Blocked for CodeBlocked, Store for CodeStore.
//
// ErrorType implements error; errors.Is compares whole values, so
// errors.Is(err, ErrAuth) works on parsed errors.
type ErrorType struct {
	Code    ErrorCode
	Cmd     CmdError
	Proxy   *ProxyError
	Blocked *BlockingInfo
	Store   string // raw text (the reference decodes it as UTF-8, '?' for bad bytes)
}

// Common error values.
var (
	ErrBlock         = ErrorType{Code: CodeBlock}
	ErrSession       = ErrorType{Code: CodeSession}
	ErrAuth          = ErrorType{Code: CodeAuth}
	ErrService       = ErrorType{Code: CodeService}
	ErrCrypto        = ErrorType{Code: CodeCrypto}
	ErrQuota         = ErrorType{Code: CodeQuota}
	ErrNoMsg         = ErrorType{Code: CodeNoMsg}
	ErrLargeMsg      = ErrorType{Code: CodeLargeMsg}
	ErrExpired       = ErrorType{Code: CodeExpired}
	ErrInternal      = ErrorType{Code: CodeInternal}
	ErrCmdUnknown    = ErrorType{Code: CodeCmd, Cmd: CmdUnknown}
	ErrCmdSyntax     = ErrorType{Code: CodeCmd, Cmd: CmdSyntax}
	ErrCmdProhibited = ErrorType{Code: CodeCmd, Cmd: CmdProhibited}
	ErrCmdNoAuth     = ErrorType{Code: CodeCmd, Cmd: CmdNoAuth}
	ErrCmdHasAuth    = ErrorType{Code: CodeCmd, Cmd: CmdHasAuth}
	ErrCmdNoEntity   = ErrorType{Code: CodeCmd, Cmd: CmdNoEntity}
)

// NewProxyError returns ERR PROXY p.
func NewProxyError(p ProxyError) ErrorType { return ErrorType{Code: CodeProxy, Proxy: &p} }

// NewBlockedError returns ERR BLOCKED info.
func NewBlockedError(info BlockingInfo) ErrorType {
	return ErrorType{Code: CodeBlocked, Blocked: &info}
}

// NewStoreError returns ERR STORE text.
func NewStoreError(text string) ErrorType { return ErrorType{Code: CodeStore, Store: text} }

// Error implements error.
func (e ErrorType) Error() string { return "smp: ERR " + e.String() }

// String returns the text form of the reference's StrEncoding: the wire
// form without length prefixes.
func (e ErrorType) String() string {
	switch e.Code {
	case CodeCmd:
		return "CMD " + string(e.Cmd)
	case CodeProxy:
		if e.Proxy == nil {
			return "PROXY"
		}
		return "PROXY " + e.Proxy.String()
	case CodeBlocked:
		if e.Blocked == nil {
			return "BLOCKED"
		}
		return "BLOCKED " + string(e.Blocked.encode())
	case CodeStore:
		return "STORE " + e.Store
	}
	return string(e.Code)
}

// Equal reports whether e and o are the same error, nested values included.
func (e ErrorType) Equal(o ErrorType) bool { return reflect.DeepEqual(e, o) }

// Is reports whether target is an ErrorType (or *ErrorType) equal to e.
func (e ErrorType) Is(target error) bool {
	switch t := target.(type) {
	case ErrorType:
		return e.Equal(t)
	case *ErrorType:
		return t != nil && e.Equal(*t)
	}
	return false
}

// ErrorTypeOf returns the ErrorType carried by err (a *ParseError, an
// ErrorType or anything wrapping one), or ERR INTERNAL when there is none.
func ErrorTypeOf(err error) ErrorType {
	var et ErrorType // a *ParseError unwraps to its ErrorType
	if errors.As(err, &et) {
		return et
	}
	return ErrInternal
}

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

// EncodeErrorType returns the binary encoding of e as it follows "ERR "
// (no version downgrade; see EncodeMessage for that).
func EncodeErrorType(e ErrorType) ([]byte, error) {
	w := encoding.NewBuffer(nil)
	putErrorType(w, e)
	return w.Bytes()
}

// ParseErrorType parses the whole of b as an error (the text after "ERR ").
// Errors wrap ErrSyntax.
func ParseErrorType(b []byte) (ErrorType, error) {
	d := encoding.NewDecoder(b)
	e := parseErrorType(d)
	if err := d.Finish(); err != nil {
		return ErrorType{}, fmt.Errorf("%w: error type: %w", ErrSyntax, err)
	}
	return e, nil
}

// Encoding [MP instance Encoding ErrorType]:
//
//	errorType = "BLOCK" | "SESSION" | "CMD " cmdError | "PROXY " proxyError
//	          | "AUTH" | "BLOCKED " blockingInfo | "SERVICE" | "CRYPTO"
//	          | "QUOTA" | "STORE " tail(text) | "NO_MSG" | "LARGE_MSG"
//	          | "EXPIRED" | "INTERNAL" | "DUPLICATE_"
func putErrorType(w *encoding.Buffer, e ErrorType) {
	switch e.Code {
	case CodeBlock, CodeSession, CodeAuth, CodeService, CodeCrypto, CodeQuota,
		CodeNoMsg, CodeLargeMsg, CodeExpired, CodeInternal, CodeDuplicate:
		w.String(string(e.Code))
	case CodeCmd:
		if !validCmdError(e.Cmd) {
			w.Fail(fmt.Errorf("%w: command error %q", ErrInvalid, e.Cmd))
			return
		}
		w.String("CMD ").String(string(e.Cmd))
	case CodeProxy:
		if e.Proxy == nil {
			w.Fail(fmt.Errorf("%w: PROXY without detail", ErrInvalid))
			return
		}
		w.String("PROXY ")
		putProxyError(w, *e.Proxy)
	case CodeBlocked:
		if e.Blocked == nil {
			w.Fail(fmt.Errorf("%w: BLOCKED without info", ErrInvalid))
			return
		}
		w.String("BLOCKED ")
		if !validReason(e.Blocked.Reason) {
			w.Fail(fmt.Errorf("%w: blocking reason %q", ErrInvalid, e.Blocked.Reason))
			return
		}
		w.Raw(e.Blocked.encode())
	case CodeStore:
		w.String("STORE ").String(e.Store)
	default:
		w.Fail(fmt.Errorf("%w: error code %q", ErrInvalid, e.Code))
	}
}

func validCmdError(c CmdError) bool {
	switch c {
	case CmdUnknown, CmdSyntax, CmdProhibited, CmdNoAuth, CmdHasAuth, CmdNoEntity:
		return true
	}
	return false
}

// parseErrorType reads an error; like the reference it reads one word and
// then that code's parameters, leaving the end-of-input check to the caller.
func parseErrorType(d *encoding.Decoder) ErrorType {
	word := string(d.Word())
	if d.Err() != nil {
		return ErrorType{}
	}
	switch code := ErrorCode(word); code {
	case CodeBlock, CodeSession, CodeAuth, CodeService, CodeCrypto, CodeQuota,
		CodeNoMsg, CodeLargeMsg, CodeExpired, CodeInternal, CodeDuplicate:
		return ErrorType{Code: code}
	case CodeCmd:
		d.Space()
		w := CmdError(d.Word())
		if w == "NO_QUEUE" { // legacy alias [MP instance Encoding CommandError]
			w = CmdNoEntity
		}
		if d.Err() == nil && !validCmdError(w) {
			d.Fail(fmt.Errorf("%w: command error %q", ErrSyntax, w))
		}
		return ErrorType{Code: code, Cmd: w}
	case CodeProxy:
		d.Space()
		p := parseProxyError(d)
		return ErrorType{Code: code, Proxy: &p}
	case CodeBlocked:
		d.Space()
		info, err := parseBlockingInfo(d.Tail())
		if err != nil {
			d.Fail(err)
		}
		return ErrorType{Code: code, Blocked: &info}
	case CodeStore:
		d.Space()
		return ErrorType{Code: code, Store: string(d.Tail())}
	}
	d.Fail(fmt.Errorf("%w: error code %q", ErrSyntax, word))
	return ErrorType{}
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
