package xftp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Parse errors. ParseCommand and ParseResponse wrap one of them; a server
// answers ErrUnknownCommand with ERR CMD UNKNOWN and ErrSyntax with
// ERR CMD SYNTAX [MP parseProtocol].
var (
	ErrUnknownCommand = errors.New("xftp: unknown command")
	ErrSyntax         = errors.New("xftp: syntax error")
)

// ErrorCode is the first word of an error [FT XFTPErrorType].
type ErrorCode string

// Error codes.
const (
	ErrBLOCK     ErrorCode = "BLOCK"     // bad block or transmission
	ErrSESSION   ErrorCode = "SESSION"   // session ID mismatch
	ErrHANDSHAKE ErrorCode = "HANDSHAKE" // bad handshake request
	ErrCMD       ErrorCode = "CMD"       // with a CommandError
	ErrAUTH      ErrorCode = "AUTH"      // bad signature or no such file
	ErrBLOCKED   ErrorCode = "BLOCKED"   // with BlockingInfo; AUTH below v3
	ErrSIZE      ErrorCode = "SIZE"      // bad chunk size
	ErrQUOTA     ErrorCode = "QUOTA"     // storage quota exceeded
	ErrDIGEST    ErrorCode = "DIGEST"    // chunk digest mismatch
	ErrCRYPTO    ErrorCode = "CRYPTO"    // encryption or decryption failed
	ErrNOFILE    ErrorCode = "NO_FILE"   // no file body, or not uploaded
	ErrHASFILE   ErrorCode = "HAS_FILE"  // unexpected file body
	ErrFILEIO    ErrorCode = "FILE_IO"   // file I/O error
	ErrTIMEOUT   ErrorCode = "TIMEOUT"   // transfer timeout
	ErrINTERNAL  ErrorCode = "INTERNAL"
	ErrDUPLICATE ErrorCode = "DUPLICATE_" // reference-internal, parsed for completeness
)

// CommandError is the detail of a CMD error [MP CommandError].
type CommandError string

// Command errors.
const (
	CmdUNKNOWN    CommandError = "UNKNOWN"
	CmdSYNTAX     CommandError = "SYNTAX"
	CmdPROHIBITED CommandError = "PROHIBITED"
	CmdNOAUTH     CommandError = "NO_AUTH"
	CmdHASAUTH    CommandError = "HAS_AUTH"
	CmdNOENTITY   CommandError = "NO_ENTITY"
)

// BlockingReason is why a file was blocked [MP BlockingReason].
type BlockingReason string

// Blocking reasons.
const (
	BlockedSpam    BlockingReason = "spam"
	BlockedContent BlockingReason = "content"
)

// BlockingInfo is the detail of BLOCKED: "reason=<r>[,notice=<JSON>]"
// [MP StrEncoding BlockingInfo]. The notice is a JSON object with an
// optional "ttl" in seconds.
type BlockingInfo struct {
	Reason BlockingReason
	Notice *ClientNotice
}

// ClientNotice is the notice shown to users of a blocked file [MP ClientNotice].
type ClientNotice struct {
	TTL *int64 // seconds; nil means indefinite
}

// ErrorType is the error carried by ERR.
type ErrorType struct {
	Code    ErrorCode
	Cmd     CommandError  // for CMD
	Blocked *BlockingInfo // for BLOCKED
}

// CmdError returns the error "CMD e".
func CmdError(e CommandError) ErrorType { return ErrorType{Code: ErrCMD, Cmd: e} }

// Error returns the wire text of e.
func (e ErrorType) Error() string { return string(e.AppendTo(nil)) }

// AppendTo appends the wire form of e [FT Encoding XFTPErrorType].
func (e ErrorType) AppendTo(b []byte) []byte {
	b = append(b, e.Code...)
	switch e.Code {
	case ErrCMD:
		b = append(b, ' ')
		b = append(b, e.Cmd...)
	case ErrBLOCKED:
		b = append(b, ' ')
		var bi BlockingInfo
		if e.Blocked != nil {
			bi = *e.Blocked
		}
		b = bi.appendTo(b)
	}
	return b
}

func (bi BlockingInfo) appendTo(b []byte) []byte {
	b = append(b, "reason="...)
	b = append(b, bi.Reason...)
	if bi.Notice != nil {
		b = append(b, ",notice="...)
		if bi.Notice.TTL != nil {
			b = append(b, `{"ttl":`...)
			b = strconv.AppendInt(b, *bi.Notice.TTL, 10)
			b = append(b, '}')
		} else {
			b = append(b, "{}"...)
		}
	}
	return b
}

// ParseBlockingInfo parses "reason=spam|content[,notice=<JSON object>]".
func ParseBlockingInfo(b []byte) (BlockingInfo, error) {
	var bi BlockingInfo
	rest, ok := bytes.CutPrefix(b, []byte("reason="))
	if !ok {
		return bi, fmt.Errorf("%w: expected reason=", ErrSyntax)
	}
	switch {
	case bytes.HasPrefix(rest, []byte(BlockedSpam)):
		bi.Reason, rest = BlockedSpam, rest[len(BlockedSpam):]
	case bytes.HasPrefix(rest, []byte(BlockedContent)):
		bi.Reason, rest = BlockedContent, rest[len(BlockedContent):]
	default:
		return bi, fmt.Errorf("%w: bad blocking reason", ErrSyntax)
	}
	if len(rest) == 0 {
		return bi, nil
	}
	js, ok := bytes.CutPrefix(rest, []byte(",notice="))
	if !ok {
		return bi, fmt.Errorf("%w: trailing %q after blocking reason", ErrSyntax, rest)
	}
	n, err := parseNotice(js)
	if err != nil {
		return bi, err
	}
	bi.Notice = &n
	return bi, nil
}

// parseNotice decodes the notice JSON: an object whose optional "ttl" is
// an integer or null; other fields are ignored (aeson's derived parser).
func parseNotice(js []byte) (ClientNotice, error) {
	var n ClientNotice
	var obj map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil || obj == nil {
		return n, fmt.Errorf("%w: bad notice JSON", ErrSyntax)
	}
	if len(bytes.TrimLeft(js[d.InputOffset():], " \t\r\n")) > 0 {
		return n, fmt.Errorf("%w: trailing data after notice JSON", ErrSyntax)
	}
	raw, ok := obj["ttl"]
	if !ok || string(raw) == "null" {
		return n, nil
	}
	var num json.Number
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &num) != nil {
		return n, fmt.Errorf("%w: bad notice ttl", ErrSyntax)
	}
	v, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(num.String(), 64)
		if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return n, fmt.Errorf("%w: bad notice ttl", ErrSyntax)
		}
		v = int64(f)
	}
	n.TTL = &v
	return n, nil
}

func parseCommandError(s []byte) (CommandError, error) {
	switch c := CommandError(s); c {
	case CmdUNKNOWN, CmdSYNTAX, CmdPROHIBITED, CmdNOAUTH, CmdHASAUTH, CmdNOENTITY:
		return c, nil
	case "NO_QUEUE": // older name [MP Encoding CommandError]
		return CmdNOENTITY, nil
	}
	return "", fmt.Errorf("%w: bad command error %q", ErrSyntax, s)
}

// ParseErrorType parses the wire form of an error [FT Encoding XFTPErrorType].
func ParseErrorType(b []byte) (ErrorType, error) {
	word, rest, hasParam := bytes.Cut(b, []byte{' '})
	e := ErrorType{Code: ErrorCode(word)}
	switch e.Code {
	case ErrBLOCK, ErrSESSION, ErrHANDSHAKE, ErrAUTH, ErrSIZE, ErrQUOTA, ErrDIGEST, ErrCRYPTO, ErrNOFILE, ErrHASFILE,
		ErrFILEIO, ErrTIMEOUT, ErrINTERNAL, ErrDUPLICATE:
		if hasParam {
			return ErrorType{}, fmt.Errorf("%w: trailing bytes after %s", ErrSyntax, word)
		}
		return e, nil
	case ErrCMD:
		if !hasParam {
			return ErrorType{}, fmt.Errorf("%w: CMD without detail", ErrSyntax)
		}
		c, err := parseCommandError(rest)
		if err != nil {
			return ErrorType{}, err
		}
		e.Cmd = c
		return e, nil
	case ErrBLOCKED:
		if !hasParam {
			return ErrorType{}, fmt.Errorf("%w: BLOCKED without detail", ErrSyntax)
		}
		bi, err := ParseBlockingInfo(rest)
		if err != nil {
			return ErrorType{}, err
		}
		e.Blocked = &bi
		return e, nil
	}
	return ErrorType{}, fmt.Errorf("%w: bad error type %q", ErrSyntax, word)
}
