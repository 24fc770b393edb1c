package server

import (
	"sync"
	"time"

	"github.com/simplexgo/protocol/smp"
)

// hub maps recipient ids and notifier ids to the connection subscribed to
// each (one subscriber per queue, as in the reference: a new SUB ends the
// previous one with END).
type hub struct {
	mu  sync.Mutex
	rcv map[string]*client // recipientId -> subscriber; guarded by mu
	ntf map[string]*client // notifierId -> subscriber; guarded by mu
}

func (h *hub) init() {
	h.rcv = map[string]*client{}
	h.ntf = map[string]*client{}
}

// set makes c the subscriber of id and returns the previous one (nil if
// none or c itself).
func (h *hub) set(m map[string]*client, id []byte, c *client) *client {
	h.mu.Lock()
	defer h.mu.Unlock()
	prev := m[string(id)]
	m[string(id)] = c
	if prev == c {
		return nil
	}
	return prev
}

func (h *hub) get(m map[string]*client, id []byte) *client {
	h.mu.Lock()
	defer h.mu.Unlock()
	return m[string(id)]
}

// remove deletes id's entry if it is c (or any entry if c is nil) and
// returns the removed subscriber.
func (h *hub) remove(m map[string]*client, id []byte, c *client) *client {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := m[string(id)]
	if cur == nil || (c != nil && cur != c) {
		return nil
	}
	delete(m, string(id))
	return cur
}

// pendingNtf is a notification waiting for a notifier subscriber.
type pendingNtf struct {
	msg smp.NMSG
	ts  time.Time
}

// ntfStore keeps notifications for notifiers with no subscriber, newest
// last, at most max per notifier (older ones are dropped: the NTF server
// only shows the latest anyway), until they expire. Like the reference's
// in-memory NtfStore, it does not survive a restart.
type ntfStore struct {
	mu  sync.Mutex
	max int
	m   map[string][]pendingNtf // guarded by mu
}

func (n *ntfStore) init(max int) {
	n.max = max
	n.m = map[string][]pendingNtf{}
}

func (n *ntfStore) add(nid []byte, p pendingNtf) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := append(n.m[string(nid)], p)
	if len(l) > n.max {
		l = l[len(l)-n.max:]
	}
	n.m[string(nid)] = l
}

func (n *ntfStore) take(nid []byte) []pendingNtf {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.m[string(nid)]
	delete(n.m, string(nid))
	return l
}

func (n *ntfStore) drop(nid []byte) {
	n.mu.Lock()
	delete(n.m, string(nid))
	n.mu.Unlock()
}

// expire drops notifications older than before and returns how many.
func (n *ntfStore) expire(before time.Time) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	dropped := 0
	for k, l := range n.m {
		i := 0
		for i < len(l) && l[i].ts.Before(before) {
			i++
		}
		dropped += i
		if i == len(l) {
			delete(n.m, k)
		} else if i > 0 {
			n.m[k] = l[i:]
		}
	}
	return dropped
}
