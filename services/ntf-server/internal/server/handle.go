package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Sizes of generated values [NSM subIdBytes = 24, regCodeBytes = 32].
const (
	idSize      = 24
	regCodeSize = 32
	// minCronMinutes is the shortest TCRN interval; shorter ones (but 0)
	// are answered QUOTA [NS TCRN].
	minCronMinutes = 20
)

// reply is one response transmission.
type reply struct {
	corrID, entityID []byte
	resp             ntf.Response
}

var (
	errAUTH     = ntf.ErrorType{Code: ntf.ErrAUTH}
	errQUOTA    = ntf.ErrorType{Code: ntf.ErrQUOTA}
	errINTERNAL = ntf.ErrorType{Code: ntf.ErrINTERNAL}
	errBLOCK    = ntf.ErrorType{Code: ntf.ErrBLOCK}
	errSESSION  = ntf.ErrorType{Code: ntf.ErrSESSION}
)

// processBlock runs the commands of one block and returns the response
// blocks' payloads [NS receive, client, send].
func (s *Server) processBlock(sess *transport.Session, payload []byte) ([][]byte, error) {
	var replies []reply
	ts, err := transport.ParseBatch(sess, payload)
	if err != nil {
		// not a batch: one ERR BLOCK, empty corrId and entity [MP tDecodeServer]
		replies = []reply{{resp: s.errResp(errBLOCK)}}
	}
	for i := range ts {
		replies = append(replies, s.handle(sess, &ts[i]))
	}
	enc := make([][]byte, 0, len(replies))
	for _, r := range replies {
		cmd, err := ntf.EncodeResponse(sess.Version, r.resp)
		if err != nil {
			return nil, err
		}
		t, err := transport.EncodeTransmission(sess, transport.Transmission{CorrID: r.corrID, EntityID: r.entityID, Command: cmd})
		if err != nil {
			return nil, err
		}
		enc = append(enc, t)
	}
	return transport.PackBatches(sess, enc)
}

func (s *Server) errResp(e ntf.ErrorType) ntf.Response {
	label := string(e.Code)
	if e.Code == ntf.ErrCMD {
		label += " " + string(e.Cmd)
	}
	s.m.Errors.WithLabelValues(label).Inc()
	return ntf.ERR{Err: e}
}

// handle runs one transmission: transport errors, parse, credentials,
// authorization, then the command [NS receive, verifyNtfTransmission,
// processCommand].
func (s *Server) handle(sess *transport.Session, t *transport.ParsedTransmission) reply {
	if t.Err != nil {
		e := errBLOCK
		if errors.Is(t.Err, smp.ErrSession) {
			e = errSESSION
		}
		return reply{corrID: t.CorrID, resp: s.errResp(e)}
	}
	r := reply{corrID: t.CorrID, entityID: t.EntityID}
	cmd, err := ntf.ParseCommand(sess.Version, t.Command)
	if err != nil {
		s.m.Commands.WithLabelValues("invalid").Inc()
		ce := ntf.CmdSYNTAX
		if errors.Is(err, ntf.ErrUnknownCommand) {
			ce = ntf.CmdUNKNOWN
		}
		r.resp = s.errResp(ntf.CmdError(ce))
		return r
	}
	s.m.Commands.WithLabelValues(cmd.Tag()).Inc()
	if err := ntf.CheckCredentials(cmd, len(t.Auth) > 0, t.EntityID); err != nil {
		var et ntf.ErrorType
		if !errors.As(err, &et) {
			et = errINTERNAL
		}
		r.resp = s.errResp(et)
		return r
	}
	resp, err := s.run(sess, t, cmd)
	if err != nil {
		var et ntf.ErrorType
		if !errors.As(err, &et) {
			s.log.Error("CommandFailed", "command", cmd.Tag(), "err", err)
			et = errINTERNAL
		}
		resp = s.errResp(et)
	}
	r.resp = resp
	return r
}

// verified checks t's authorization with key; a zero key (entity not
// found) still spends the time of a verification [MS dummyVerifyCmd].
func verified(sess *transport.Session, key crypto.PublicKey, t *transport.ParsedTransmission) bool {
	return transport.VerifyTransmission(sess, key, t.Transmission)
}

// loadToken returns the token with this id after checking the command's
// authorization with its key; missing token or bad authorization is AUTH.
func (s *Server) loadToken(sess *transport.Session, t *transport.ParsedTransmission, id []byte) (store.Token, error) {
	tk, err := s.st.GetToken(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		verified(sess, crypto.PublicKey{}, t)
		return tk, errAUTH
	case err != nil:
		return tk, err
	}
	if !verified(sess, tk.VerifyKey, t) {
		return tk, errAUTH
	}
	return tk, nil
}

func (s *Server) run(sess *transport.Session, t *transport.ParsedTransmission, cmd ntf.Command) (ntf.Response, error) {
	switch c := cmd.(type) {
	case ntf.PING:
		return ntf.PONG{}, nil
	case ntf.TNEW:
		return s.tnew(sess, t, c)
	case ntf.SNEW:
		return s.snew(sess, t, c)
	case ntf.SCHK, ntf.SDEL:
		sub, err := s.st.GetSubscription(t.EntityID)
		if errors.Is(err, store.ErrNotFound) {
			verified(sess, crypto.PublicKey{}, t)
			return nil, errAUTH
		} else if err != nil {
			return nil, err
		}
		tk, err := s.loadToken(sess, t, sub.TokenID)
		if err != nil {
			return nil, err
		}
		if !tk.Status.AllowSubCommands() {
			return nil, errAUTH
		}
		if _, ok := c.(ntf.SCHK); ok {
			return ntf.SUB{Status: sub.Status}, nil
		}
		if _, err := s.st.DeleteSubscription(sub.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		s.subscriber().Unsubscribe(sub)
		s.m.Subscriptions.WithLabelValues("deleted").Inc()
		return ntf.OK{}, nil
	}
	// token commands addressed by token id
	tk, err := s.loadToken(sess, t, t.EntityID)
	if err != nil {
		return nil, err
	}
	switch c := cmd.(type) {
	case ntf.TVFY:
		if !tk.Status.AllowVerification() || !bytes.Equal(tk.RegCode, c.Code) {
			return nil, errAUTH
		}
		deleted, err := s.st.ActivateToken(tk.ID)
		if err != nil {
			return nil, storeErr(err)
		}
		if len(deleted) > 0 {
			s.subscriber().Unsubscribe(deleted...)
		}
		s.m.Tokens.WithLabelValues("verified").Inc()
		return ntf.OK{}, nil
	case ntf.TCHK:
		return ntf.TKN{Status: tk.Status}, nil
	case ntf.TRPL:
		code, err := randomBytes(regCodeSize)
		if err != nil {
			return nil, err
		}
		tk.Provider, tk.DeviceToken = c.Provider, bytes.Clone(c.Token)
		tk.Status, tk.RegCode = ntf.TokenStatus{Code: ntf.TokenRegistered}, code
		if err := s.st.UpdateToken(tk); err != nil {
			return nil, storeErr(err)
		}
		s.sendVerification(tk)
		s.m.Tokens.WithLabelValues("replaced").Inc()
		return ntf.OK{}, nil
	case ntf.TDEL:
		subs, err := s.st.DeleteToken(tk.ID)
		if err != nil {
			return nil, storeErr(err)
		}
		if len(subs) > 0 {
			s.subscriber().Unsubscribe(subs...)
		}
		s.m.Tokens.WithLabelValues("deleted").Inc()
		return ntf.OK{}, nil
	case ntf.TCRN:
		if c.Minutes != 0 && c.Minutes < minCronMinutes {
			return nil, errQUOTA
		}
		tk.CronMinutes = c.Minutes
		// the first periodic push is due one interval after TCRN
		// (CONFORMANCE-NOTES §4.3)
		tk.CronSentAt = s.opts.Now().Unix()
		if err := s.st.UpdateToken(tk); err != nil {
			return nil, storeErr(err)
		}
		return ntf.OK{}, nil
	}
	return nil, fmt.Errorf("server: unhandled command %s", cmd.Tag())
}

// storeErr turns a store error into the protocol's: a vanished entity is
// AUTH, anything else INTERNAL (logged by the caller).
func storeErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errAUTH
	}
	return err
}

// tnew registers a token or repeats a registration [NS TNEW,
// verifyNtfTransmission, NST findNtfTokenRegistration].
func (s *Server) tnew(sess *transport.Session, t *transport.ParsedTransmission, c ntf.TNEW) (ntf.Response, error) {
	if c.DHKey.Alg != crypto.X25519 || !verified(sess, c.VerifyKey, t) {
		return nil, errAUTH
	}
	tk, found, err := s.st.FindTokenRegistration(c.Provider, c.Token, c.VerifyKey)
	if err != nil {
		return nil, err
	}
	if found {
		secret, err := crypto.DH(tk.DHPrivKey, c.DHKey)
		if err != nil || !bytes.Equal(secret, tk.DHSecret) {
			// the DH secret must not change, or a delayed verification
			// push would fail to decrypt [NS TNEW]
			return nil, errAUTH
		}
		if !tk.Status.AllowVerification() {
			reg := ntf.TokenStatus{Code: ntf.TokenRegistered}
			if _, err := s.st.UpdateTokenStatus(tk.ID, nil, reg); err != nil {
				return nil, storeErr(err)
			}
			tk.Status = reg
		}
		s.sendVerification(tk)
		return ntf.IDTKN{TokenID: tk.ID, SrvDHKey: tk.DHPrivKey.Public()}, nil
	}
	dk, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, err
	}
	secret, err := crypto.DH(dk, c.DHKey)
	if err != nil {
		return nil, errAUTH
	}
	id, err := randomBytes(idSize)
	if err != nil {
		return nil, err
	}
	code, err := randomBytes(regCodeSize)
	if err != nil {
		return nil, err
	}
	tk = store.Token{
		ID: id, Provider: c.Provider, DeviceToken: bytes.Clone(c.Token),
		Status: ntf.TokenStatus{Code: ntf.TokenRegistered}, VerifyKey: c.VerifyKey,
		DHPrivKey: dk, DHSecret: secret, RegCode: code, CreatedAt: s.opts.Now().Unix(),
	}
	if err := s.st.AddToken(tk); err != nil {
		return nil, err
	}
	s.sendVerification(tk)
	s.m.Tokens.WithLabelValues("created").Inc()
	return ntf.IDTKN{TokenID: id, SrvDHKey: dk.Public()}, nil
}

// snew creates a subscription or repeats one [NS SNEW, NST
// findNtfSubscription, addNtfSubscription].
func (s *Server) snew(sess *transport.Session, t *transport.ParsedTransmission, c ntf.SNEW) (ntf.Response, error) {
	tk, err := s.loadToken(sess, t, c.TokenID)
	if err != nil {
		return nil, err
	}
	if !tk.Status.AllowSubCommands() {
		return nil, errAUTH
	}
	existing, found, err := s.st.FindSubscription(c.SMPServer, c.NotifierID)
	if err != nil {
		return nil, err
	}
	if found {
		if !bytes.Equal(existing.TokenID, tk.ID) || !bytes.Equal(existing.NotifierKey.DER(), c.NotifierKey.DER()) {
			return nil, errAUTH
		}
		return ntf.IDSUB{SubID: existing.ID}, nil
	}
	id, err := randomBytes(idSize)
	if err != nil {
		return nil, err
	}
	// The public half is derived once here and stored with the key, so
	// that each NSUB (every restart and reconnect) only signs.
	sub := store.Subscription{ID: id, TokenID: tk.ID, Server: c.SMPServer, NotifierID: bytes.Clone(c.NotifierID),
		NotifierKey: c.NotifierKey.WithPublic(c.NotifierKey.Public()), Status: ntf.SubStatus{Code: ntf.SubNew}}
	if err := s.st.AddSubscription(sub); err != nil {
		if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) {
			return nil, errAUTH
		}
		return nil, err
	}
	s.subscriber().Subscribe(sub)
	s.m.Subscriptions.WithLabelValues("created").Inc()
	return ntf.IDSUB{SubID: id}, nil
}

func randomBytes(n int) ([]byte, error) {
	b, err := crypto.RandomBytes(n)
	if err != nil {
		return nil, fmt.Errorf("server: randomness: %w", err)
	}
	return b, nil
}
