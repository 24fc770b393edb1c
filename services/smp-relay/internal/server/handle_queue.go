package server

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// newQueue handles NEW [MS createQueue]: check the creation password, make
// the server's DH key, create the queue with random ids, and subscribe the
// creator when mode is S.
func (h *handlerCtx) newQueue(ctx context.Context, cmd smp.NEW) []out {
	s := h.c.srv
	if !s.opts.NewQueues || !passwordOK(s.opts.CreatePassword, cmd.BasicAuth) {
		return h.err(smp.ErrAuth)
	}
	if cmd.QueueReq != nil && cmd.QueueReq.Link != nil {
		// Short-link data (v15) is not supported; we do not advertise v15.
		return h.err(smp.ErrCmdProhibited)
	}
	srvKey, err := crypto.GenerateKey(crypto.X25519, cryptoRand{})
	if err != nil {
		return h.err(smp.ErrInternal)
	}
	secret, err := crypto.DH(srvKey, cmd.RcvDHKey)
	if err != nil {
		return h.err(smp.ErrCmdSyntax)
	}
	now := s.opts.Now().UTC()
	q := &store.Queue{
		RecipientKey:    cmd.RcvAuthKey,
		RcvDhSecret:     secret,
		SenderCanSecure: cmd.SenderCanSecure(),
		CreatedAt:       now,
		UpdatedAt:       now,
	}
	var ntfCreds *smp.ServerNtfCreds
	if nc := cmd.NtfCreds; nc != nil {
		nk, err := crypto.GenerateKey(crypto.X25519, cryptoRand{})
		if err != nil {
			return h.err(smp.ErrInternal)
		}
		ns, err := crypto.DH(nk, nc.RcvNtfDHKey)
		if err != nil {
			return h.err(smp.ErrCmdSyntax)
		}
		q.Notifier = &store.NotifierCreds{Key: nc.NtfAuthKey, DhSecret: ns, CreatedAt: now}
		ntfCreds = &smp.ServerNtfCreds{SrvNtfDHKey: nk.Public()}
	}
	for try := 0; ; try++ {
		q.RecipientID, q.SenderID = randomID(), randomID()
		if q.Notifier != nil {
			q.Notifier.ID = randomID()
			ntfCreds.NotifierID = q.Notifier.ID
		}
		err = s.st.CreateQueue(ctx, q)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrDuplicate) || try == 2 {
			return h.storeErr(err)
		}
	}
	s.m.QueuesCreated.Inc()
	if cmd.Subscribe {
		h.c.addSub(q.RecipientID)
	}
	ids := smp.IDS{RcvID: q.RecipientID, SndID: q.SenderID, SrvDHKey: srvKey.Public(), ServerNtfCreds: ntfCreds}
	if cmd.QueueReq != nil {
		ids.QueueMode = cmd.QueueReq.Mode
	}
	return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: ids}}
}

// passwordOK compares the queue-creation password in constant time.
func passwordOK(want, got []byte) bool {
	if want == nil {
		return true
	}
	return got != nil && subtle.ConstantTimeCompare(want, got) == 1
}

// secure handles KEY (recipient) and SKEY (sender, only on queues created
// in messaging mode) [MS secureQueue_, checkMode].
func (h *handlerCtx) secure(ctx context.Context, key crypto.PublicKey, bySender bool) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	if bySender && !h.q.SenderCanSecure {
		return h.err(smp.ErrAuth)
	}
	if err := h.c.srv.st.SecureQueue(ctx, h.q.RecipientID, key); err != nil {
		return h.storeErr(err)
	}
	h.c.srv.m.QueuesSecured.Inc()
	return h.ok()
}

// addNotifier handles NKEY: a fresh notifier id and DH key; a previous
// notifier's subscriber gets DELD [MS addQueueNotifier_].
func (h *handlerCtx) addNotifier(ctx context.Context, cmd smp.NKEY) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	s := h.c.srv
	nk, err := crypto.GenerateKey(crypto.X25519, cryptoRand{})
	if err != nil {
		return h.err(smp.ErrInternal)
	}
	secret, err := crypto.DH(nk, cmd.RcvNtfDHKey)
	if err != nil {
		return h.err(smp.ErrCmdSyntax)
	}
	n := &store.NotifierCreds{Key: cmd.NtfAuthKey, DhSecret: secret, CreatedAt: s.opts.Now().UTC()}
	for try := 0; ; try++ {
		n.ID = randomID()
		err = s.st.SetNotifier(ctx, h.q.RecipientID, n)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrDuplicate) || try == 2 {
			return h.storeErr(err)
		}
	}
	if old := h.q.Notifier; old != nil {
		s.notifierGone(old.ID)
	}
	return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: smp.NID{NotifierID: n.ID, SrvNtfDHKey: nk.Public()}}}
}

// deleteNotifier handles NDEL.
func (h *handlerCtx) deleteNotifier(ctx context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	if h.q.Notifier == nil {
		return h.ok()
	}
	if err := h.c.srv.st.DeleteNotifier(ctx, h.q.RecipientID); err != nil {
		return h.storeErr(err)
	}
	h.c.srv.notifierGone(h.q.Notifier.ID)
	return h.ok()
}

// notifierGone ends a deleted notifier's subscription with DELD and drops
// its pending notifications.
func (s *Server) notifierGone(nid []byte) {
	s.ntfs.drop(nid)
	if sc := s.hub.remove(s.hub.ntf, nid, nil); sc != nil {
		s.m.NtfSubscriptions.Dec()
		sc.mu.Lock()
		delete(sc.ntfSubs, string(nid))
		sc.pushLocked(out{entityID: nid, msg: smp.DELD{}})
		sc.mu.Unlock()
	}
	s.ev.NotifierEnd(nid, true)
}

// suspend handles OFF: the queue accepts no more messages.
func (h *handlerCtx) suspend(ctx context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	if err := h.c.srv.st.SetStatus(ctx, h.q.RecipientID, store.StatusOff, nil); err != nil {
		return h.storeErr(err)
	}
	return h.ok()
}

// deleteQueue handles DEL: the queue and its messages go; another
// connection subscribed to it gets DELD (END below v10) [MS delQueueAndMsgs].
func (h *handlerCtx) deleteQueue(ctx context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	s := h.c.srv
	if err := s.st.DeleteQueue(ctx, h.q.RecipientID); err != nil {
		return h.storeErr(err)
	}
	s.m.QueuesDeleted.Inc()
	rid := h.q.RecipientID
	h.c.mu.Lock()
	if sb, ok := h.c.subs[string(rid)]; ok {
		delete(h.c.subs, string(rid))
		if !sb.prohibit && s.hub.remove(s.hub.rcv, rid, h.c) != nil {
			s.m.Subscriptions.Dec()
		}
	}
	h.c.mu.Unlock()
	s.queueGone(h.q)
	return h.ok()
}

// queueGone ends what a deleted queue leaves behind: its subscriber on
// another connection gets DELD (END below v10), its notifier subscriber
// DELD, its pending notifications are dropped.
func (s *Server) queueGone(q *store.Queue) {
	if sc := s.hub.remove(s.hub.rcv, q.RecipientID, nil); sc != nil {
		s.m.Subscriptions.Dec()
		sc.mu.Lock()
		delete(sc.subs, string(q.RecipientID))
		sc.pushLocked(out{entityID: q.RecipientID, msg: smp.DELD{}})
		sc.mu.Unlock()
	}
	if q.Notifier != nil {
		s.notifierGone(q.Notifier.ID)
	}
}

// queueInfo handles QUE: the queue's state as JSON [MS getQueueInfo].
func (h *handlerCtx) queueInfo(ctx context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	s := h.c.srv
	size, err := s.st.QueueSize(ctx, h.q.RecipientID)
	if err != nil {
		return h.storeErr(err)
	}
	m, err := s.st.PeekMessage(ctx, h.q.RecipientID)
	if err != nil {
		return h.storeErr(err)
	}
	info := smp.QueueInfo{Snd: !h.q.SenderKey.IsZero(), Ntf: h.q.Notifier != nil, Size: size}
	h.c.mu.Lock()
	if sb, ok := h.c.subs[string(h.q.RecipientID)]; ok {
		qs := &smp.QSub{Thread: smp.SubNone, Delivered: sb.delivered}
		if sb.prohibit {
			qs.Thread = smp.SubProhibited
		}
		info.Sub = qs
	}
	h.c.mu.Unlock()
	if m != nil {
		mi := &smp.MsgInfo{MsgID: m.ID, Ts: m.Ts, Type: smp.MsgTypeMessage}
		if m.Quota {
			mi.Type = smp.MsgTypeQuota
		}
		info.Msg = mi
	}
	return []out{{corrID: h.r.corrID, entityID: h.r.entityID, msg: smp.INFO{Info: info}}}
}

// Block info is stored as the reason word ("spam", "content").
func decodeBlockInfo(b []byte) smp.BlockingInfo {
	r := smp.BlockingReason(b)
	if r == "" {
		r = smp.BlockedSpam
	}
	return smp.BlockingInfo{Reason: r}
}
