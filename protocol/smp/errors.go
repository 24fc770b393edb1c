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
