package server

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// encrypt returns a fresh nonce and box(token DH secret, nonce,
// pad(data, PaddedLen)) [APNS apnsNotification encrypt, MC cbEncrypt],
// appended to dst.
func (s *Server) encrypt(dst []byte, tk store.Token, data []byte) ([24]byte, []byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nonce, nil, err
	}
	box, err := crypto.AppendBoxPadded(dst, tk.DHSecret, nonce, data, s.opts.PaddedLen)
	return nonce, box, err
}

// scratch holds a message push's encoded list and box until the push
// body (base64 of the box) is made.
type scratch struct{ list, box []byte }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

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
	nonce, enc, err := s.encrypt(nil, tk, tk.RegCode)
	if err != nil {
		s.log.Error("EncryptFailed", "err", err)
		return
	}
	s.enqueue(tk, push.Verification, ntf.VerificationPayload(nonce, enc), confirm)
}

// HandleNMSGs is called by the subscriber (and the NATS feed) with the
// NMSGs that arrived together: it records the notifications and pushes
// each token's last notifications [NS ntfSubscriber receiveSMP, NST
// addTokenLastNtf]. The timestamp is when NMSG arrived.
//
// The same notification may arrive twice, over NSUB and over NATS: the
// second copy (same notifier id and nonce) is dropped.
//
// Recording happens on the NMSG writer: the SMP connection's reader only
// queues the notifications, so it never waits for the disk, and the
// writer records everything queued meanwhile in one transaction (one
// fsync). A full queue blocks the caller, which stops reading that SMP
// connection.
func (s *Server) HandleNMSGs(ms []ntf.PNMessageData) {
	now := s.opts.Now().Unix()
	keep := ms[:0]
	for _, m := range ms {
		if s.seen.dup(string(m.Queue.NotifierID) + string(m.Nonce[:])) {
			s.m.NtfsReceived.WithLabelValues("duplicate").Inc()
			continue
		}
		m.Timestamp = now
		keep = append(keep, m)
	}
	if len(keep) == 0 {
		return
	}
	s.nmsgOnce.Do(func() { go s.runNMSGWriter() })
	select {
	case s.nmsgs <- keep:
	case <-s.nmsgStop:
		s.m.NtfsReceived.WithLabelValues("shutdown").Add(float64(len(keep)))
	}
}

// nmsgBatch bounds the notifications recorded in one transaction (a
// batch may exceed it by the last group taken).
const nmsgBatch = 256

// runNMSGWriter records queued notifications in batches and pushes each;
// on shutdown it finishes what is queued and exits.
func (s *Server) runNMSGWriter() {
	defer close(s.nmsgDone)
	batch := make([]ntf.PNMessageData, 0, nmsgBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		select {
		case ms := <-s.nmsgs:
			batch = append(batch[:0], ms...)
		case <-s.nmsgStop:
			for {
				select {
				case ms := <-s.nmsgs:
					batch = append(batch[:0], ms...)
					s.recordNMSGs(s.drainNMSGs(batch))
				default:
					return
				}
			}
		}
		batch = s.drainNMSGs(batch)
		if len(batch) < nmsgBatch/8 {
			batch = s.lingerNMSGs(batch, linger)
		}
		s.recordNMSGs(batch)
	}
}

// nmsgLinger is how long the writer waits for more notifications when
// few are queued (group commit, as PostgreSQL's commit_delay): one
// transaction, and one pair of fsyncs, then covers what arrives in that
// time. At a few thousand notifications a second it makes batches ~2-3
// times larger; a notification waits at most this much longer, against
// APNs round trips of tens to hundreds of milliseconds.
const nmsgLinger = time.Millisecond

// lingerNMSGs adds to batch what arrives within nmsgLinger (on timer t), while it holds fewer
// than nmsgBatch.
func (s *Server) lingerNMSGs(batch []ntf.PNMessageData, t *time.Timer) []ntf.PNMessageData {
	t.Reset(nmsgLinger)
	defer t.Stop()
	for len(batch) < nmsgBatch {
		select {
		case ms := <-s.nmsgs:
			batch = append(batch, ms...)
		case <-t.C:
			return batch
		case <-s.nmsgStop:
			return batch
		}
	}
	return batch
}

// drainNMSGs adds what is queued now to batch, while it holds fewer than
// nmsgBatch.
func (s *Server) drainNMSGs(batch []ntf.PNMessageData) []ntf.PNMessageData {
	for len(batch) < nmsgBatch {
		select {
		case ms := <-s.nmsgs:
			batch = append(batch, ms...)
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
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.list = ntf.AppendPNMessages(sc.list[:0], r.List)
	data := fitMessages(sc.list, s.opts.PaddedLen)
	nonceP, box, err := s.encrypt(sc.box[:0], tk, data)
	if err != nil {
		s.log.Error("EncryptFailed", "err", err)
		return
	}
	sc.box = box
	s.enqueue(tk, push.Message, ntf.MessagePayload(nonceP, box), nil)
}

// fitMessages drops the oldest entries of an encoded list
// (ntf.AppendPNMessages) until it fits in the padded length with its
// 2-byte length prefix; one entry is kept whatever its size.
func fitMessages(enc []byte, paddedLen int) []byte {
	for len(enc)+2 > paddedLen {
		next := ntf.DropOldest(enc)
		if len(next) == len(enc) {
			break
		}
		enc = next
	}
	return enc
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
