package server

import (
	"context"
	"errors"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// request is one parsed transmission.
type request struct {
	auth       []byte // authorization: empty, a signature or an authenticator
	authorized []byte // the signed bytes
	corrID     []byte
	entityID   []byte
	command    []byte
	err        error // transport-level problem with this transmission (answered as is)
	errEntity  bool  // whether the error response echoes the entity id
	pre        *preVerified
}

// handle processes one transmission and returns its response and any
// message that follows it.
func (c *client) handle(ctx context.Context, r *request) []out {
	return c.handleAt(ctx, r, c.v, false)
}

// handleAt processes r at version v; forwarded is set for a command that
// arrived inside RFWD, where only sender commands are allowed [MS
// processForwardedCommand].
func (c *client) handleAt(ctx context.Context, r *request, v uint16, forwarded bool) []out {
	start := time.Now()
	errOut := func(e smp.ErrorType, withEntity bool) []out {
		o := out{corrID: r.corrID, msg: smp.ERR{Err: e}}
		if withEntity {
			o.entityID = r.entityID
		}
		return []out{o}
	}
	if r.err != nil {
		return errOut(smp.ErrorTypeOf(r.err), r.errEntity)
	}
	cmd, err := smp.ParseCommand(v, r.command)
	if err != nil {
		c.srv.m.Commands.WithLabelValues("invalid").Inc()
		return errOut(smp.ErrorTypeOf(err), true)
	}
	tag := cmd.Tag()
	c.srv.m.Commands.WithLabelValues(tag).Inc()
	defer func() { c.srv.m.CommandLatency.WithLabelValues(tag).Observe(time.Since(start).Seconds()) }()
	if err := smp.CheckCredentials(cmd, len(r.auth) > 0, r.entityID); err != nil {
		return errOut(smp.ErrorTypeOf(err), true)
	}
	if forwarded {
		switch cmd.(type) {
		case smp.SEND, smp.SKEY:
		default:
			return errOut(smp.ErrCmdProhibited, true)
		}
	}
	q, verr := c.verify(ctx, r, cmd)
	if verr != nil {
		return errOut(*verr, true)
	}
	queuedCmd := false
	switch cmd.(type) {
	case smp.SEND, smp.ACK:
		queuedCmd = !forwarded
	}
	if q != nil && !queuedCmd && !forwarded {
		// This connection's SENDs and ACKs on the queue still being
		// stored come first, as if handled in order (queued).
		c.waitQueue(q.RecipientID)
	}
	h := handlerCtx{c: c, r: r, q: q, v: v}
	switch cmd := cmd.(type) {
	case smp.NEW:
		return h.newQueue(ctx, cmd)
	case smp.SUB:
		return h.subscribe(ctx)
	case smp.GET:
		return h.get(ctx)
	case smp.ACK:
		return h.ackAsync(ctx, cmd.MsgID)
	case smp.KEY:
		return h.secure(ctx, cmd.SndAuthKey, false)
	case smp.SKEY:
		return h.secure(ctx, cmd.SndAuthKey, true)
	case smp.NKEY:
		return h.addNotifier(ctx, cmd)
	case smp.NDEL:
		return h.deleteNotifier(ctx)
	case smp.OFF:
		return h.suspend(ctx)
	case smp.DEL:
		return h.deleteQueue(ctx)
	case smp.QUE:
		return h.queueInfo(ctx)
	case smp.SEND:
		if forwarded { // already off the reader (forwardedAsync)
			return h.send(ctx, cmd)
		}
		return h.sendAsync(ctx, cmd)
	case smp.NSUB:
		return h.subscribeNotifier(ctx)
	case smp.PING:
		return []out{{corrID: r.corrID, msg: smp.PONG{}}}
	case smp.PRXY:
		return h.proxyRelay(ctx, cmd)
	case smp.PFWD:
		return h.proxyForward(ctx, cmd)
	case smp.RFWD:
		return h.forwardedAsync(ctx, cmd)
	default:
		// Commands of versions we do not advertise (short links, services).
		return errOut(smp.ErrCmdProhibited, true)
	}
}

// handlerCtx carries one command's context to its handler.
type handlerCtx struct {
	c *client
	v uint16 // the command's version (the session's, or RFWD's inner one)
	r *request
	q *store.Queue // the verified queue (nil for NEW, PING, proxy commands)
}

func (h *handlerCtx) ok() []out {
	return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: smp.OK{}}}
}

func (h *handlerCtx) err(e smp.ErrorType) []out {
	return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: smp.ERR{Err: e}}}
}

// storeErr maps a store error to the protocol's answer without revealing
// whether an id exists.
func (h *handlerCtx) storeErr(err error) []out {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrDuplicate):
		return h.err(smp.ErrAuth)
	default:
		h.c.srv.log.Error("StoreError", "err", err)
		return h.err(smp.ErrInternal)
	}
}

// blocked returns the BLOCKED answer for an operator-blocked queue (the
// encoder sends AUTH to sessions below v12).
func (h *handlerCtx) blocked() ([]out, bool) {
	if h.q == nil || h.q.Status != store.StatusBlocked {
		return nil, false
	}
	return h.err(smp.NewBlockedError(decodeBlockInfo(h.q.BlockInfo))), true
}

// verify loads the queue the command addresses and checks its
// authorization. As in the reference, a missing queue costs the same
// verification as a present one (against a dummy key) and gives AUTH.
func (c *client) verify(ctx context.Context, r *request, cmd smp.Command) (*store.Queue, *smp.ErrorType) {
	fail := func(e smp.ErrorType) (*store.Queue, *smp.ErrorType) { return nil, &e }
	load := func(party store.IDParty) (*store.Queue, *smp.ErrorType) {
		if r.pre != nil && r.pre.q != nil && r.pre.party == party {
			return r.pre.q, nil // read by preverify; nothing in the batch changes queues
		}
		q, err := c.srv.st.GetQueue(ctx, party, r.entityID)
		if err != nil {
			c.dummyVerify(r)
			if errors.Is(err, store.ErrNotFound) {
				return fail(smp.ErrAuth)
			}
			c.srv.log.Error("StoreError", "err", err)
			return fail(smp.ErrInternal)
		}
		return q, nil
	}
	party, _ := authParty(cmd) // the queue record holding the key, as preverify reads it
	switch cmd := cmd.(type) {
	case smp.NEW:
		if !c.verifyWith(r, authKey(cmd, nil)) {
			return fail(smp.ErrAuth)
		}
		return nil, nil
	case smp.PING, smp.PRXY, smp.PFWD, smp.RFWD:
		return nil, nil
	case smp.SKEY:
		q, e := load(party)
		if e != nil {
			return nil, e
		}
		allowed := q.SenderCanSecure && (q.SenderKey.IsZero() || q.SenderKey.Equal(cmd.SndAuthKey))
		if !allowed {
			c.dummyVerify(r)
			return fail(smp.ErrAuth)
		}
		if !c.verifyWith(r, authKey(cmd, q)) {
			return fail(smp.ErrAuth)
		}
		return q, nil
	case smp.SEND:
		q, e := load(party)
		if e != nil {
			return nil, e
		}
		// Unauthorized until a sender key exists, then it must verify.
		if q.SenderKey.IsZero() {
			if len(r.auth) > 0 {
				return fail(smp.ErrAuth)
			}
			return q, nil
		}
		if !c.verifyWith(r, authKey(cmd, q)) {
			return fail(smp.ErrAuth)
		}
		return q, nil
	case smp.NSUB:
		q, e := load(party)
		if e != nil {
			return nil, e
		}
		if q.Notifier == nil {
			c.dummyVerify(r)
			return fail(smp.ErrAuth)
		}
		if !c.verifyWith(r, authKey(cmd, q)) {
			return fail(smp.ErrAuth)
		}
		return q, nil
	default:
		if cmd.Party() != smp.PartyRecipient {
			return fail(smp.ErrCmdProhibited)
		}
		q, e := load(party)
		if e != nil {
			return nil, e
		}
		if !c.verifyWith(r, authKey(cmd, q)) {
			return fail(smp.ErrAuth)
		}
		return q, nil
	}
}

// Authorization lengths [MP decodeTAuthBytes].
const (
	authEd25519       = 64
	authEd448         = 114
	authAuthenticator = 80
)

// verifyWith checks r's authorization with key: a signature of the key's
// algorithm, or (for an X25519 key) the crypto_box authenticator made with
// this session's server key. A mismatched kind still runs a dummy check so
// the time depends only on what the client sent.
func (c *client) verifyWith(r *request, key crypto.PublicKey) bool {
	if r.pre != nil && r.pre.key.Equal(key) {
		return r.pre.ok // checked by preverify against this same key
	}
	return c.checkAuth(r, key)
}

// checkAuth is verifyWith without the preverify result.
func (c *client) checkAuth(r *request, key crypto.PublicKey) bool {
	switch len(r.auth) {
	case authEd25519, authEd448:
		alg := crypto.Ed25519
		if len(r.auth) == authEd448 {
			alg = crypto.Ed448
		}
		if key.Alg != alg {
			crypto.Verify(dummyKey(alg), r.authorized, r.auth)
			return false
		}
		return crypto.Verify(key, r.authorized, r.auth)
	case authAuthenticator:
		sk := c.w.sessionKey()
		if sk.Alg == 0 {
			return false
		}
		if key.Alg != crypto.X25519 {
			crypto.VerifyAuthenticator(sk, dummyKey(crypto.X25519), r.corrID, r.auth, r.authorized)
			return false
		}
		return crypto.VerifyAuthenticator(sk, key, r.corrID, r.auth, r.authorized)
	}
	return false
}

func (c *client) dummyVerify(r *request) {
	switch len(r.auth) {
	case authEd25519:
		crypto.Verify(dummyKey(crypto.Ed25519), r.authorized, r.auth)
	case authEd448:
		crypto.Verify(dummyKey(crypto.Ed448), r.authorized, r.auth)
	case authAuthenticator:
		if sk := c.w.sessionKey(); sk.Alg != 0 {
			crypto.VerifyAuthenticator(sk, dummyKey(crypto.X25519), r.corrID, r.auth, r.authorized)
		}
	}
}

var dummyKeys = func() map[crypto.Algorithm]crypto.PublicKey {
	m := map[crypto.Algorithm]crypto.PublicKey{}
	for _, a := range []crypto.Algorithm{crypto.Ed25519, crypto.Ed448, crypto.X25519} {
		k, err := crypto.GenerateKey(a, cryptoRand{})
		if err != nil {
			panic(err)
		}
		m[a] = k.Public()
	}
	return m
}()

func dummyKey(a crypto.Algorithm) crypto.PublicKey { return dummyKeys[a] }
