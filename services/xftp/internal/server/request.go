package server

import (
	"errors"

	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// request is one parsed command transmission (CONFORMANCE-NOTES §5.2).
//
// A request body starts with a head of exactly xftp.BlockSize bytes:
//
//	head = pad(batch, 16384)
//	batch = count(1) large(transmission)              ; XFTP always sends one
//	transmission = short(auth) short(sessionId) short(corrId) short(entityId) command
//
// and, for FPUT only, continues with the raw chunk [FP xftpDecodeTServer,
// MP tDecodeServer].
type request struct {
	Auth       []byte
	Authorized []byte // short(sessionId) short(corrId) short(entityId) command
	CorrID     []byte
	EntityID   []byte
	Cmd        xftp.Command
}

// parseRequest decodes a request head. A failure returns the error to send
// and, when the transmission got that far, its corrId and entity id to echo:
// a head that is not one padded block, a bad batch or transmission, or an
// authorization of an impossible size → BLOCK (nothing echoed); another
// session id → SESSION (corrId echoed); an unknown command → CMD UNKNOWN and
// a bad one → CMD SYNTAX, a credential mismatch → CMD NO_AUTH/HAS_AUTH (both
// echoed) [MP tDecodeServer, FP checkCredentials].
func parseRequest(s *transport.Session, head []byte) (request, *xftp.ErrorType, []byte, []byte) {
	blockErr := &xftp.ErrorType{Code: xftp.ErrBLOCK}
	if len(head) != xftp.BlockSize {
		return request{}, blockErr, nil, nil
	}
	payload, err := encoding.Unpad(head)
	if err != nil {
		return request{}, blockErr, nil, nil
	}
	ts, err := transport.ParseBatch(s, payload)
	if err != nil || len(ts) != 1 {
		return request{}, blockErr, nil, nil
	}
	t := ts[0]
	if t.Err != nil {
		e := blockErr
		var se smp.ErrorType
		if errors.As(t.Err, &se) && se.Code == smp.CodeSession {
			e = &xftp.ErrorType{Code: xftp.ErrSESSION}
		}
		return request{}, e, t.CorrID, nil
	}
	cmd, err := xftp.ParseCommand(s.Version, t.Command)
	if err != nil {
		ce := xftp.CmdError(xftp.CmdSYNTAX)
		if errors.Is(err, xftp.ErrUnknownCommand) {
			ce = xftp.CmdError(xftp.CmdUNKNOWN)
		}
		return request{}, &ce, t.CorrID, t.EntityID
	}
	if err := xftp.CheckCredentials(cmd, len(t.Auth) > 0, t.EntityID); err != nil {
		var ce xftp.ErrorType
		if !errors.As(err, &ce) {
			ce = xftp.CmdError(xftp.CmdSYNTAX)
		}
		return request{}, &ce, t.CorrID, t.EntityID
	}
	return request{Auth: t.Auth, Authorized: t.Authorized(), CorrID: t.CorrID, EntityID: t.EntityID, Cmd: cmd}, nil, nil, nil
}

// encodeResponse builds a response head: pad(batch of one transmission,
// 16384) with an empty authorization and the session id [FP
// xftpEncodeTransmission].
func encodeResponse(s *transport.Session, corrID, entityID []byte, r xftp.Response) ([]byte, error) {
	cmd, err := xftp.EncodeResponse(s.Version, r)
	if err != nil {
		return nil, err
	}
	t, err := transport.EncodeTransmission(s, transport.Transmission{CorrID: corrID, EntityID: entityID, Command: cmd})
	if err != nil {
		return nil, err
	}
	b := encoding.NewBuffer(make([]byte, 0, len(t)+3))
	b.Count(1).Large(t)
	batch, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	return encoding.Pad(batch, xftp.BlockSize)
}
