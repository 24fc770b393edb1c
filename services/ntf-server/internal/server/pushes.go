package server

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// encrypt returns a fresh nonce and box(token DH secret, nonce,
// pad(data, PaddedLen)) [APNS apnsNotification encrypt, MC cbEncrypt].
func (s *Server) encrypt(tk store.Token, data []byte) ([24]byte, []byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nonce, nil, err
	}
	box, err := crypto.BoxPadded(tk.DHSecret, nonce, data, s.opts.PaddedLen)
	return nonce, box, err
}

// enqueue queues a push for tk; done gets the final outcome.
func (s *Server) enqueue(tk store.Token, kind push.Kind, payload []byte, done func(error)) {
	j := &push.Job{
		Notification: push.Notification{Provider: tk.Provider, DeviceToken: tk.DeviceToken, Kind: kind, Payload: payload},
		Done: func(err error) {
			s.afterPush(tk, err)
			if done != nil {
				done(err)
			}
		},
	}
	if err := s.opts.Pushes.Enqueue(j); err != nil {
		s.m.PushesDropped.WithLabelValues(kindReason(err)).Inc()
		s.log.Warn("PushDropped", "kind", kind.String(), "err", err)
		j.Done(err)
	}
}

func kindReason(err error) string {
	if errors.Is(err, push.ErrQueueFull) {
		return "queue_full"
	}
	return "closed"
}

// afterPush marks the token INVALID when the provider rejected it [NS
// deliverNotification PPTokenInvalid]. Device tokens are never logged.
func (s *Server) afterPush(tk store.Token, err error) {
	var ti *push.TokenInvalidError
	if errors.As(err, &ti) {
		if _, err := s.st.UpdateTokenStatus(tk.ID, nil, ntf.TokenStatus{Code: ntf.TokenInvalid, Reason: ti.Reason}); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("TokenStatusUpdateFailed", "err", err)
		}
		s.m.Tokens.WithLabelValues("invalidated").Inc()
	} else if err != nil {
		s.log.Warn("PushFailed", "provider", tk.Provider.Name(), "err", err)
	}
}

// sendVerification pushes the registration code; when the provider accepts
// it the token becomes CONFIRMED unless it is already CONFIRMED or ACTIVE
// [NS runPushWorker PNVerification, NST setTknStatusConfirmed]. apns_null
// tokens are confirmed without a push.
func (s *Server) sendVerification(tk store.Token) {
	confirm := func(err error) {
		if err != nil {
			return
		}
		notYet := func(st ntf.TokenStatus) bool {
			return st.Code != ntf.TokenConfirmed && st.Code != ntf.TokenActive
		}
		if _, err := s.st.UpdateTokenStatus(tk.ID, notYet, ntf.TokenStatus{Code: ntf.TokenConfirmed}); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("TokenStatusUpdateFailed", "err", err)
		}
	}
	if tk.Provider == ntf.ProviderAPNSNull {
		confirm(nil)
		return
	}
	nonce, enc, err := s.encrypt(tk, tk.RegCode)
	if err != nil {
		s.log.Error("EncryptFailed", "err", err)
		return
	}
	s.enqueue(tk, push.Verification, ntf.VerificationPayload(nonce, enc), confirm)
}

// HandleNMSG is called by the subscriber for each NMSG: it records the
// notification and pushes the token's last notifications [NS ntfSubscriber
// receiveSMP, NST addTokenLastNtf]. The timestamp is when NMSG arrived.
//
// The same notification may arrive twice, over NSUB and over NATS: the
// second copy (same notifier id and nonce) is dropped.
//
// Recording happens on the NMSG writer: the SMP connection's reader only
// queues the notification, so it never waits for the disk, and the writer
// records everything queued meanwhile in one transaction (one fsync). A
// full queue blocks the caller, which stops reading that SMP connection.
func (s *Server) HandleNMSG(srv address.ServerAddress, notifierID []byte, nonce [24]byte, encMeta []byte) {
	if s.seen.dup(string(notifierID) + string(nonce[:])) {
		s.m.NtfsReceived.WithLabelValues("duplicate").Inc()
		return
	}
	m := ntf.PNMessageData{Queue: ntf.QueueNtf{Server: srv, NotifierID: notifierID},
		Timestamp: s.opts.Now().Unix(), Nonce: nonce, EncMeta: encMeta}
	s.nmsgOnce.Do(func() { go s.runNMSGWriter() })
	select {
	case s.nmsgs <- m:
	case <-s.nmsgStop:
		s.m.NtfsReceived.WithLabelValues("shutdown").Inc()
	}
}

// nmsgBatch bounds the notifications recorded in one transaction.
const nmsgBatch = 256

// runNMSGWriter records queued notifications in batches and pushes each;
// on shutdown it finishes what is queued and exits.
func (s *Server) runNMSGWriter() {
	defer close(s.nmsgDone)
	batch := make([]ntf.PNMessageData, 0, nmsgBatch)
	for {
		select {
		case m := <-s.nmsgs:
			batch = append(batch[:0], m)
		case <-s.nmsgStop:
			for {
				select {
				case m := <-s.nmsgs:
					batch = append(batch[:0], m)
					s.recordNMSGs(s.drainNMSGs(batch))
				default:
					return
				}
			}
		}
		s.recordNMSGs(s.drainNMSGs(batch))
	}
}

// drainNMSGs adds what is queued now to batch, up to nmsgBatch.
func (s *Server) drainNMSGs(batch []ntf.PNMessageData) []ntf.PNMessageData {
	for len(batch) < nmsgBatch {
		select {
		case m := <-s.nmsgs:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

func (s *Server) recordNMSGs(batch []ntf.PNMessageData) {
	res, err := s.st.AddLastNtfs(batch)
	if err != nil {
		s.m.NtfsReceived.WithLabelValues("error").Add(float64(len(batch)))
		s.log.Error("AddLastNtfFailed", "notifications", len(batch), "err", err)
		return
	}
	for _, r := range res {
		s.pushLastNtfs(r)
	}
}

// pushLastNtfs sends the message push of one recorded notification.
func (s *Server) pushLastNtfs(r store.LastNtfResult) {
	switch {
	case errors.Is(r.Err, store.ErrNotFound):
		s.m.NtfsReceived.WithLabelValues("no_subscription").Inc()
		return
	case errors.Is(r.Err, store.ErrNotActive):
		s.m.NtfsReceived.WithLabelValues("not_active").Inc()
		return
	}
	s.m.NtfsReceived.WithLabelValues("pushed").Inc()
	tk := r.Token
	if tk.Provider == ntf.ProviderAPNSNull {
		return
	}
	data := fitMessages(r.List, s.opts.PaddedLen)
	nonceP, enc, err := s.encrypt(tk, data)
	if err != nil {
		s.log.Error("EncryptFailed", "err", err)
		return
	}
	s.enqueue(tk, push.Message, ntf.MessagePayload(nonceP, enc), nil)
}

// fitMessages encodes the list, dropping the oldest entries until it fits
// in the padded length.
func fitMessages(list []ntf.PNMessageData, paddedLen int) []byte {
	for len(list) > 1 {
		if b := ntf.EncodePNMessages(list); len(b)+2 <= paddedLen {
			return []byte(b)
		}
		list = list[1:]
	}
	return []byte(ntf.EncodePNMessages(list))
}

// PeriodicOnce pushes "check messages" to every ACTIVE token whose TCRN
// interval has passed since its last periodic push [NS periodicNtfsThread,
// NST withPeriodicNtfTokens]; the time of a delivered push is recorded
// [NST updateTokenCronSentAt]. It returns the number scheduled.
func (s *Server) PeriodicOnce() (int, error) {
	ts, err := s.st.PeriodicTokens(s.opts.Now().Unix())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, tk := range ts {
		key := string(tk.ID)
		s.cronMu.Lock()
		busy := s.cronInFlight[key]
		s.cronInFlight[key] = true
		s.cronMu.Unlock()
		if busy {
			continue
		}
		n++
		s.m.PeriodicScheduled.Inc()
		s.enqueue(tk, push.CheckMessages, ntf.CheckMessagesPayload(), func(err error) {
			if err == nil {
				if err := s.st.SetCronSentAt(tk.ID, s.opts.Now().Unix()); err != nil && !errors.Is(err, store.ErrNotFound) {
					s.log.Error("CronUpdateFailed", "err", err)
				}
			}
			s.cronMu.Lock()
			delete(s.cronInFlight, key)
			s.cronMu.Unlock()
		})
	}
	return n, nil
}

// RunPeriodic calls PeriodicOnce every interval (the reference: 5 minutes)
// until ctx ends.
func (s *Server) RunPeriodic(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.PeriodicOnce(); err != nil {
				s.log.Error("PeriodicFailed", "err", err)
			} else if n > 0 {
				s.log.Info("PeriodicScheduled", "count", n)
			}
		}
	}
}

// recent remembers the last keys it saw, in a ring.
type recent struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// dup reports whether k was seen recently, and remembers it.
func (r *recent) dup(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[k]; ok {
		return true
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.set[k] = struct{}{}
	return false
}
