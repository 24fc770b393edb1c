package bolt

import (
	"fmt"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Subscription statuses are written behind. A resubscription sets every
// subscription PENDING and then ACTIVE within milliseconds (and INACTIVE
// when the server stops); written through, that was two transactions per
// NSUB block, each rewriting ~100 random leaf pages and syncing the file
// (about a third of the NTF server's CPU while it resubscribed 100 000,
// and two fsyncs per 140 subscriptions on a real disk). Instead the newest
// status of each subscription waits in memory, where every read sees it,
// and a flusher writes what has accumulated every statusFlushInterval in
// one transaction: PENDING then ACTIVE becomes one write of ACTIVE.
//
// A crash loses at most the statuses of the last interval. Nothing depends
// on them surviving one: after a restart every subscription is subscribed
// again and its status set anew, as after a clean stop.
const statusFlushInterval = 50 * time.Millisecond

// statusOverlay holds the statuses not yet on disk, by subscription id.
type statusOverlay struct {
	mu       sync.Mutex
	pending  map[string]string // newest, not yet taken by the flusher
	flushing map[string]string // being written
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	err      error // the final flush's error, for Close
}

func newStatusOverlay() *statusOverlay {
	return &statusOverlay{pending: map[string]string{}, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// lookupLocked returns the unwritten status of subscription id.
func (o *statusOverlay) lookupLocked(id []byte) (string, bool) {
	if st, ok := o.pending[string(id)]; ok {
		return st, true
	}
	st, ok := o.flushing[string(id)]
	return st, ok
}

// apply sets sub's status to its unwritten one, if any.
func (s *Store) applyStatus(sub *store.Subscription) error {
	s.st.mu.Lock()
	text, ok := s.st.lookupLocked(sub.ID)
	s.st.mu.Unlock()
	if !ok {
		return nil
	}
	st, err := ntf.ParseSubStatus([]byte(text))
	if err != nil {
		return fmt.Errorf("bolt: subscription status: %w", err)
	}
	sub.Status = st
	return nil
}

// SetSubStatus implements store.Store: the statuses are visible at once
// and on disk within statusFlushInterval (see above).
func (s *Store) SetSubStatus(srv address.ServerAddress, nids [][]byte, st ntf.SubStatus) (n int, err error) {
	status := st.String()
	if len(status) > maxShort {
		return 0, fmt.Errorf("bolt: subscription status of %d bytes", len(status))
	}
	prefix := append([]byte(store.ServerKey(srv)), 0)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	err = s.db.View(func(tx *bbolt.Tx) error {
		queues, subs := tx.Bucket(bQueues), tx.Bucket(bSubs)
		qk := prefix
		for _, nid := range nids {
			qk = append(qk[:len(prefix)], nid...)
			id := queues.Get(qk)
			if id == nil {
				continue
			}
			cur, ok := s.st.lookupLocked(id)
			if !ok {
				v := subs.Get(id)
				if v == nil {
					continue
				}
				if isJSON(v) { // a record of an earlier build
					sub, err := decodeSub(v)
					if err != nil {
						return err
					}
					cur = sub.Status.String()
				} else {
					f, err := parseSubRecord(v)
					if err != nil {
						return err
					}
					cur = string(f.status)
				}
			}
			if cur == status {
				continue
			}
			s.st.pending[string(id)] = status
			n++
		}
		return nil
	})
	if n > 0 {
		select {
		case s.st.kick <- struct{}{}:
		default:
		}
	}
	return n, err
}

// runStatusFlusher writes the pending statuses until Close, then once more.
func (s *Store) runStatusFlusher() {
	defer close(s.st.done)
	for {
		select {
		case <-s.st.kick:
			select {
			case <-time.After(statusFlushInterval): // let more accumulate
			case <-s.st.stop:
			}
			if err := s.flushStatuses(); err != nil {
				select { // retry later
				case <-time.After(time.Second):
				case <-s.st.stop:
				}
				select {
				case s.st.kick <- struct{}{}:
				default:
				}
			}
		case <-s.st.stop:
			s.st.err = s.flushStatuses() // read by Close after done
			return
		}
	}
}

// flushStatuses writes the pending statuses in one transaction.
func (s *Store) flushStatuses() error {
	o := s.st
	o.mu.Lock()
	if len(o.pending) == 0 {
		o.mu.Unlock()
		return nil
	}
	o.flushing, o.pending = o.pending, map[string]string{}
	batch := o.flushing
	o.mu.Unlock()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		subs := tx.Bucket(bSubs)
		for id, status := range batch {
			v := subs.Get([]byte(id))
			if v == nil {
				continue // deleted meanwhile
			}
			if !isJSON(v) {
				f, err := parseSubRecord(v)
				if err != nil {
					return err
				}
				if string(f.status) != status {
					if err := subs.Put([]byte(id), withSubStatus(f.afterStatus, status)); err != nil {
						return err
					}
				}
				continue
			}
			sub, err := decodeSub(v) // a record of an earlier build
			if err != nil {
				return err
			}
			if sub.Status, err = ntf.ParseSubStatus([]byte(status)); err != nil {
				return err
			}
			if err := putSub(tx, sub); err != nil {
				return err
			}
		}
		return nil
	})
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		for id, st := range batch { // keep what has not been superseded
			if _, newer := o.pending[id]; !newer {
				o.pending[id] = st
			}
		}
	}
	o.flushing = nil
	return err
}
