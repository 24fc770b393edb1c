package xftp

import (
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/xftp"
)

// Errors of this package. Server answers ERR come back as *ServerError.
var (
	// ErrTransport: the connection failed (TCP, TLS, HTTP/2, timeouts).
	// Requests that fail with it are retried on a new connection.
	ErrTransport = errors.New("xftp: transport error")
	// ErrHandshake: the server's identity or handshake is not acceptable.
	ErrHandshake = errors.New("xftp: handshake failed")
	// ErrVersion: no XFTP version in common with the server.
	ErrVersion = errors.New("xftp: incompatible server version")
	// ErrBadResponse: a response that does not parse or is not framed as
	// the protocol says (the reference's PCEResponseError).
	ErrBadResponse = errors.New("xftp: bad response")
	// ErrUnexpectedResponse: a well-formed response of the wrong kind.
	ErrUnexpectedResponse = errors.New("xftp: unexpected response")
	// ErrChunkDigest: a downloaded chunk does not have its SHA-256 digest.
	ErrChunkDigest = errors.New("xftp: chunk digest mismatch")
	// ErrChunkSize: a downloaded chunk does not have its declared size.
	ErrChunkSize = errors.New("xftp: chunk size mismatch")
	// ErrFileDigest: the encrypted file does not have its SHA-512 digest.
	ErrFileDigest = errors.New("xftp: file digest mismatch")
	// ErrFileSize: the encrypted file does not have the described size.
	ErrFileSize = errors.New("xftp: file size mismatch")
	// ErrDecrypt: the file fails authentication or its header is invalid.
	ErrDecrypt = errors.New("xftp: file decryption failed")
	// ErrFileTooLarge: the file exceeds the configured maximum.
	ErrFileTooLarge = errors.New("xftp: file too large")
	// ErrDescription: the file description cannot be used by this client.
	ErrDescription = errors.New("xftp: unusable file description")
	// ErrFileExists: the output path exists and is not a directory.
	ErrFileExists = errors.New("xftp: output file exists")
	// ErrNoServers: Send was given no server.
	ErrNoServers = errors.New("xftp: no servers")
)

// ServerError is an ERR answer of the server (or a padded error word in
// the handshake).
type ServerError struct {
	Type xftp.ErrorType
}

// Error returns the error as the server sent it, e.g. "xftp: server error AUTH".
func (e *ServerError) Error() string { return fmt.Sprintf("xftp: server error %s", e.Type.Error()) }

// IsServerError reports whether err is a server ERR with this code.
func IsServerError(err error, code xftp.ErrorCode) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Type.Code == code
}

// retriable reports whether a failed request may succeed when repeated on a
// new connection: transport failures and the server's temporary errors.
func retriable(err error) bool {
	var se *ServerError
	if errors.As(err, &se) {
		switch se.Type.Code {
		case xftp.ErrTIMEOUT, xftp.ErrINTERNAL, xftp.ErrFILEIO, xftp.ErrSESSION:
			return true
		}
		return false
	}
	return errors.Is(err, ErrTransport) || errors.Is(err, ErrBadResponse)
}
