package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/store"
)

// fileIDSize is the length of sender and recipient ids [FSM fileIdSize].
const fileIDSize = 16

// idRetries is how often a colliding random id is drawn again [FS retryAdd].
const idRetries = 3

// reply is a command's answer: a response and, for FGET, its body.
type reply struct {
	resp xftp.Response
	body *chunkBody
}

func errReply(code xftp.ErrorCode) reply {
	return reply{resp: xftp.ERR{Err: xftp.ErrorType{Code: code}}}
}

// processRequest parses, verifies and runs one command and writes the
// response [FS processRequest].
func (s *Server) processRequest(c *conn, w http.ResponseWriter, r *http.Request, sess *transport.Session, head []byte) {
	req, perr, corrID, entityID := parseRequest(sess, head)
	if perr != nil {
		s.respond(c, w, sess, corrID, entityID, reply{resp: xftp.ERR{Err: *perr}})
		return
	}
	s.m.Commands.WithLabelValues(req.Cmd.Tag()).Inc()
	rp := s.verifyAndRun(r.Context(), sess, req, r.Body)
	s.respond(c, w, sess, req.CorrID, req.EntityID, rp)
}

// respond writes the response head and the optional body.
func (s *Server) respond(c *conn, w http.ResponseWriter, sess *transport.Session, corrID, entityID []byte, rp reply) {
	if e, ok := rp.resp.(xftp.ERR); ok {
		s.m.Errors.WithLabelValues(string(e.Err.Code)).Inc()
	}
	head, err := encodeResponse(sess, corrID, entityID, rp.resp)
	if err != nil {
		if rp.body != nil {
			rp.body.close()
		}
		s.log.Error("EncodeResponseFailed", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	c.cors(w.Header())
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(head); err != nil {
		if rp.body != nil {
			rp.body.close()
		}
		return
	}
	if rp.body == nil {
		return
	}
	if err := c.sendCorked(rp.body, w); err != nil {
		s.log.Debug("SendFileFailed", "err", err)
		// Abort the stream so the client sees a failed body, not a short one.
		panic(http.ErrAbortHandler)
	}
}

// blockedErr is the BLOCKED error of a blocked file.
func blockedErr(b *store.Blocking) reply {
	bi := xftp.BlockingInfo{Reason: xftp.BlockingReason(b.Reason)}
	if b.Notice {
		bi.Notice = &xftp.ClientNotice{TTL: b.NoticeTTL}
	}
	return reply{resp: xftp.ERR{Err: xftp.ErrorType{Code: xftp.ErrBLOCKED, Blocked: &bi}}}
}

// verifyAndRun checks the command's authorization and runs it [FS
// verifyXFTPTransmission]: FNEW is signed by the key it carries, PING needs
// nothing, other commands by the key of the file (sender commands) or of
// the recipient id. A missing entity costs a verification against a dummy
// key and answers AUTH; a blocked file answers BLOCKED.
func (s *Server) verifyAndRun(ctx context.Context, sess *transport.Session, req request, body io.ReadCloser) reply {
	verify := func(der []byte) bool {
		k, err := crypto.ParsePublicKeyDER(der)
		if err != nil {
			k = crypto.PublicKey{}
		}
		return transport.VerifyAuth(sess, k, req.CorrID, req.Auth, req.Authorized) && err == nil
	}
	switch cmd := req.Cmd.(type) {
	case xftp.PING:
		return reply{resp: xftp.PONG{}}
	case xftp.FNEW:
		if !transport.VerifyAuth(sess, cmd.SndKey, req.CorrID, req.Auth, req.Authorized) {
			return errReply(xftp.ErrAUTH)
		}
		return s.createFile(ctx, cmd)
	}
	var f store.File
	var rcp store.Recipient
	var err error
	if req.Cmd.IsSender() {
		f, err = s.st.File(ctx, req.EntityID)
	} else {
		rcp, f, err = s.st.Recipient(ctx, req.EntityID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		verify(nil) // dummy verification, same cost [MS dummyVerifyCmd]
		return errReply(xftp.ErrAUTH)
	case err != nil:
		s.log.Error("StoreFailed", "err", err)
		return errReply(xftp.ErrINTERNAL)
	case f.Blocked != nil:
		return blockedErr(f.Blocked)
	}
	key := f.SndKey
	if !req.Cmd.IsSender() {
		key = rcp.Key
	}
	if !verify(key) {
		return errReply(xftp.ErrAUTH)
	}
	switch cmd := req.Cmd.(type) {
	case xftp.FADD:
		ids, e := s.addRecipients(ctx, f.SenderID, cmd.RcvKeys)
		if e != "" {
			return errReply(e)
		}
		return reply{resp: xftp.RIDS{RecipientIDs: ids}}
	case xftp.FPUT:
		return s.receiveFile(ctx, f, body)
	case xftp.FDEL:
		if err := s.deleteFile(ctx, f); err != nil {
			s.log.Error("DeleteFailed", "err", err)
			return errReply(xftp.ErrFILEIO)
		}
		s.m.FilesDeleted.Inc()
		return reply{resp: xftp.OK{}}
	case xftp.FGET:
		return s.sendFile(f, cmd.RcvDHKey)
	case xftp.FACK:
		if err := s.st.DeleteRecipient(ctx, rcp.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return errReply(xftp.ErrINTERNAL)
		}
		s.m.DownloadAcks.Inc()
		return reply{resp: xftp.OK{}}
	}
	return errReply(xftp.ErrINTERNAL)
}

func randomID() []byte {
	b := make([]byte, fileIDSize)
	rand.Read(b)
	return b
}

// createFile runs FNEW [FS createFile]: new files must be allowed and the
// password match, the size must be a chunk size; then a sender id and one
// recipient id per key are drawn.
func (s *Server) createFile(ctx context.Context, cmd xftp.FNEW) reply {
	if !s.opts.AllowNewFiles || !s.passwordOK(cmd.Password) {
		return errReply(xftp.ErrAUTH)
	}
	if !validSize(cmd.Size) {
		return errReply(xftp.ErrSIZE)
	}
	created := s.now().Unix()
	created -= created % 3600 // rounded to the hour [FS getFileTime, RoundedFileTime]
	var sid []byte
	for i := 0; ; i++ {
		if i == idRetries {
			return errReply(xftp.ErrINTERNAL)
		}
		sid = randomID()
		err := s.st.AddFile(ctx, store.File{SenderID: sid, SndKey: cmd.SndKey.DER(), Size: cmd.Size,
			Digest: cmd.Digest, CreatedAt: created})
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrDuplicate) {
			s.log.Error("StoreFailed", "err", err)
			return errReply(xftp.ErrINTERNAL)
		}
	}
	rids, e := s.addRecipients(ctx, sid, cmd.RcvKeys)
	if e != "" {
		s.st.DeleteFile(ctx, sid)
		return errReply(e)
	}
	s.m.FilesCreated.Inc()
	return reply{resp: xftp.SIDS{SenderID: sid, RecipientIDs: rids}}
}

func (s *Server) passwordOK(pw *[]byte) bool {
	if s.opts.CreatePassword == nil {
		return true
	}
	return pw != nil && bytes.Equal(*pw, s.opts.CreatePassword)
}

// addRecipients adds one recipient id per key [FS addRecipients].
func (s *Server) addRecipients(ctx context.Context, sid []byte, keys []crypto.PublicKey) ([][]byte, xftp.ErrorCode) {
	var ids [][]byte
	for _, k := range keys {
		for i := 0; ; i++ {
			if i == idRetries {
				return nil, xftp.ErrINTERNAL
			}
			rid := randomID()
			err := s.st.AddRecipient(ctx, store.Recipient{ID: rid, SenderID: sid, Key: k.DER()})
			if err == nil {
				ids = append(ids, rid)
				break
			}
			switch {
			case errors.Is(err, store.ErrNotFound):
				return nil, xftp.ErrAUTH
			case !errors.Is(err, store.ErrDuplicate):
				s.log.Error("StoreFailed", "err", err)
				return nil, xftp.ErrINTERNAL
			}
		}
	}
	s.m.FileRecipients.Add(float64(len(ids)))
	return ids, ""
}

// deleteFile removes the records, then the chunk file; the chunk's bytes
// are released from the used storage by whoever deleted the record [FS
// deleteOrBlockServerFile_].
func (s *Server) deleteFile(ctx context.Context, f store.File) error {
	deleted, err := s.st.DeleteFile(ctx, f.SenderID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if deleted.Path != "" {
		s.release(int64(deleted.Size))
	}
	return s.chunks.remove(deleted.Path)
}
