package server

import (
	"context"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// subscribeNotifier handles NSUB: one subscriber per notifier, the previous
// one gets END; notifications kept while nobody was subscribed follow.
func (h *handlerCtx) subscribeNotifier(_ context.Context) []out {
	if o, ok := h.blocked(); ok {
		return o
	}
	c, s := h.c, h.c.srv
	nid := h.q.Notifier.ID
	c.mu.Lock()
	_, already := c.ntfSubs[string(nid)]
	c.ntfSubs[string(nid)] = struct{}{}
	prev := s.hub.set(s.hub.ntf, nid, c)
	c.mu.Unlock()
	if prev != nil {
		prev.mu.Lock()
		if s.hub.get(s.hub.ntf, nid) != prev {
			if _, ok := prev.ntfSubs[string(nid)]; ok {
				delete(prev.ntfSubs, string(nid))
				prev.pushLocked(out{entityID: nid, msg: smp.END{}})
			}
		}
		prev.mu.Unlock()
	} else if !already {
		s.m.NtfSubscriptions.Inc()
	}
	resp := out{corrID: h.r.corrID, entityID: nid, msg: smp.OK{}}
	if c.v >= smp.VersionServiceCerts {
		resp.msg = smp.SOK{}
	}
	outs := []out{resp}
	for _, p := range s.ntfs.take(nid) {
		outs = append(outs, out{entityID: nid, msg: p.msg})
		s.m.NtfDelivered.Inc()
	}
	return outs
}

// notify makes the NMSG for a message sent with the notification flag:
// box(rcvNtfDhSecret, random nonce, pad(short(msgId) i64 ts, 128))
// [MS mkMessageNotification, CONFORMANCE-NOTES §3.3]. It goes to the
// notifier's subscriber now, or waits in the ntfStore; it is also
// published on NATS for the fleet's NTF server.
func (s *Server) notify(n *store.NotifierCreds, m *store.Message) {
	meta, err := smp.EncodeNotificationMeta(smp.NotificationMeta{MsgID: m.ID, Timestamp: m.Ts})
	if err != nil {
		return
	}
	nonceB, err := crypto.RandomBytes(crypto.NonceSize)
	if err != nil {
		return
	}
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], nonceB)
	enc, err := crypto.BoxPadded(n.DhSecret, nonce, meta, smp.NotificationMetaPaddedSize)
	if err != nil {
		return
	}
	s.m.NtfSent.Inc()
	nmsg := smp.NMSG{Nonce: nonceB, EncMeta: enc}
	s.ev.NotifierMessage(n.ID, nonceB, enc, m.Ts)
	if sc := s.hub.get(s.hub.ntf, n.ID); sc != nil {
		sc.mu.Lock()
		_, ok := sc.ntfSubs[string(n.ID)]
		if ok {
			sc.pushLocked(out{entityID: n.ID, msg: nmsg})
		}
		sc.mu.Unlock()
		if ok {
			s.m.NtfDelivered.Inc()
			return
		}
	}
	s.ntfs.add(n.ID, pendingNtf{msg: nmsg, ts: s.opts.Now()})
}
