package ntf

import (
	"bytes"
	"errors"
	"fmt"
)

// Parse errors. ParseCommand and ParseResponse wrap one of them; a server
// answers ErrUnknownCommand with ERR CMD UNKNOWN and ErrSyntax with
// ERR CMD SYNTAX [MP parseProtocol].
var (
	ErrUnknownCommand = errors.New("ntf: unknown command")
	ErrSyntax         = errors.New("ntf: syntax error")
)

// ErrorCode is the first word of an error.
type ErrorCode string

// Error codes: NTF responses carry the SMP error type [NP, MP ErrorType].
const (
	ErrBLOCK     ErrorCode = "BLOCK"   // bad block or transmission
	ErrSESSION   ErrorCode = "SESSION" // session ID mismatch
	ErrCMD       ErrorCode = "CMD"     // with a CommandError
	ErrPROXY     ErrorCode = "PROXY"   // SMP proxy error; detail kept raw
	ErrAUTH      ErrorCode = "AUTH"
	ErrBLOCKED   ErrorCode = "BLOCKED" // blocking info; detail kept raw
	ErrSERVICE   ErrorCode = "SERVICE"
	ErrCRYPTO    ErrorCode = "CRYPTO"
	ErrQUOTA     ErrorCode = "QUOTA"
	ErrSTORE     ErrorCode = "STORE" // with free text
	ErrNOMSG     ErrorCode = "NO_MSG"
	ErrLARGEMSG  ErrorCode = "LARGE_MSG"
	ErrEXPIRED   ErrorCode = "EXPIRED"
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

// ErrorType is the error carried by ERR [MP Encoding ErrorType]. Cmd is set
// for CMD; Detail holds the text of STORE and the undecoded parameters of
// PROXY and BLOCKED, which an NTF server never sends.
type ErrorType struct {
	Code   ErrorCode
	Cmd    CommandError
	Detail []byte
}

// CmdError returns the error "CMD e".
func CmdError(e CommandError) ErrorType { return ErrorType{Code: ErrCMD, Cmd: e} }

// Error returns the wire text of e.
func (e ErrorType) Error() string { return string(e.AppendTo(nil)) }

// Equal reports whether e and o are the same error.
func (e ErrorType) Equal(o ErrorType) bool {
	return e.Code == o.Code && e.Cmd == o.Cmd && bytes.Equal(e.Detail, o.Detail)
}

// AppendTo appends the wire form of e.
func (e ErrorType) AppendTo(b []byte) []byte {
	b = append(b, e.Code...)
	switch e.Code {
	case ErrCMD:
		b = append(b, ' ')
		b = append(b, e.Cmd...)
	case ErrPROXY, ErrBLOCKED, ErrSTORE:
		b = append(b, ' ')
		b = append(b, e.Detail...)
	}
	return b
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

// ParseErrorType parses the wire form of an error.
func ParseErrorType(b []byte) (ErrorType, error) {
	word, rest, hasParam := bytes.Cut(b, []byte{' '})
	e := ErrorType{Code: ErrorCode(word)}
	switch e.Code {
	case ErrBLOCK, ErrSESSION, ErrAUTH, ErrSERVICE, ErrCRYPTO, ErrQUOTA, ErrNOMSG, ErrLARGEMSG, ErrEXPIRED, ErrINTERNAL, ErrDUPLICATE:
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
	case ErrPROXY, ErrBLOCKED, ErrSTORE:
		if !hasParam {
			return ErrorType{}, fmt.Errorf("%w: %s without detail", ErrSyntax, word)
		}
		e.Detail = bytes.Clone(rest)
		return e, nil
	}
	return ErrorType{}, fmt.Errorf("%w: bad error type %q", ErrSyntax, word)
}
