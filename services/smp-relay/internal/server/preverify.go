package server

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/sigbatch"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// preVerified is the outcome of checking a request's authorization ahead
// of its turn, against the key its queue had then.
type preVerified struct {
	key crypto.PublicKey
	ok  bool
	// q is the queue as loaded for the check, reused by verify when no
	// command of the batch can change a queue record (a batch of only
	// SUB, NSUB and PING: a resubscription), so it is not read twice.
	q     *store.Queue
	party store.IDParty
}

// preverify checks the authorizations of a batch's transmissions before
// the batch is handled in order: Ed25519 signatures with batch
// verification (about half the cost of one by one), on all cores. A batch
// is how clients resubscribe (SUB for every queue of a connection, NSUB
// for every notifier from an NTF server): one Ed25519 verification is
// ~80 µs here, so a block of 100+ NSUBs verified in sequence held one core
// for ~10 ms while the other idled.
//
// Handling stays sequential and keeps every decision: verifyWith uses a
// result only when the key it is asked about is the key checked here, so
// a command earlier in the batch that changes a key (KEY, SKEY, NKEY) or
// deletes a queue makes the later command verify again. A verification
// result depends only on the key and the bytes the client sent.
func (c *client) preverify(ctx context.Context, reqs []request) {
	if len(reqs) < 2 || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	todo := make([]int, 0, len(reqs))
	cmds := make([]smp.Command, len(reqs))
	readOnly := true
	for i := range reqs {
		if reqs[i].err != nil {
			continue
		}
		cmd, err := smp.ParseCommand(c.v, reqs[i].command)
		if err != nil {
			continue
		}
		cmds[i] = cmd
		switch cmd.(type) {
		case smp.SUB, smp.NSUB, smp.PING:
		default:
			readOnly = false
		}
		switch len(reqs[i].auth) {
		case authEd25519, authEd448, authAuthenticator:
			todo = append(todo, i)
		}
	}
	if len(todo) < 2 {
		return
	}
	// Load the candidate keys on all cores (bbolt reads), then verify:
	// Ed25519 signatures in batches (sigbatch, one per core), the rest
	// one by one.
	type cand struct {
		key   crypto.PublicKey
		q     *store.Queue
		party store.IDParty
		ok    bool
	}
	cands := make([]cand, len(todo))
	parallel(len(todo), func(n int) {
		i := todo[n]
		c0 := &cands[n]
		c0.key, c0.q, c0.party, c0.ok = c.candidateKey(ctx, &reqs[i], cmds[i])
	})
	var ed, other []int // indexes into todo
	for n, cd := range cands {
		switch {
		case !cd.ok:
		case len(reqs[todo[n]].auth) == authEd25519 && cd.key.Alg == crypto.Ed25519:
			ed = append(ed, n)
		default:
			other = append(other, n)
		}
	}
	set := func(n int, ok bool) {
		r := &reqs[todo[n]]
		r.pre = &preVerified{key: cands[n].key, ok: ok}
		if readOnly {
			r.pre.q, r.pre.party = cands[n].q, cands[n].party
		}
	}
	// Batches of at least MinBatch per core; fewer signatures than that
	// (a few SENDs) are verified one per goroutine.
	workers := min(runtime.GOMAXPROCS(0), len(ed)/sigbatch.MinBatch)
	if workers < 2 {
		workers = len(ed)
	}
	chunk := (len(ed) + workers - 1) / max(workers, 1)
	parallel(workers+len(other), func(w int) {
		if w >= workers {
			n := other[w-workers]
			set(n, c.checkAuth(&reqs[todo[n]], cands[n].key))
			return
		}
		part := ed[min(w*chunk, len(ed)):min((w+1)*chunk, len(ed))]
		items := make([]sigbatch.Item, len(part))
		for j, n := range part {
			r := &reqs[todo[n]]
			items[j] = sigbatch.Item{Pub: cands[n].key.Raw, Msg: r.authorized, Sig: r.auth}
		}
		for j, ok := range sigbatch.Verify(items) {
			set(part[j], ok)
		}
	})
}

// parallel runs fn(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, fn func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// candidateKey is the key verify would check r (parsed as cmd) against if
// r were handled now, with the queue it was read from; ok is false when
// there is none (unknown queue, no key yet, a command without a signature).
func (c *client) candidateKey(ctx context.Context, r *request, cmd smp.Command) (key crypto.PublicKey, q *store.Queue, party store.IDParty, ok bool) {
	if cmd == nil {
		return key, nil, party, false
	}
	party, needsQueue := authParty(cmd)
	if _, isNew := cmd.(smp.NEW); !needsQueue && !isNew {
		return key, nil, party, false
	}
	if needsQueue {
		if len(r.entityID) == 0 {
			return key, nil, party, false
		}
		var err error
		if q, err = c.srv.st.GetQueue(ctx, party, r.entityID); err != nil {
			return key, nil, party, false
		}
	}
	key = authKey(cmd, q)
	return key, q, party, !key.IsZero()
}

// authParty is the queue party whose record holds the key that authorizes
// cmd; needsQueue is false for NEW (its own key) and for the commands that
// are not authorized by a queue key.
func authParty(cmd smp.Command) (party store.IDParty, needsQueue bool) {
	switch cmd.(type) {
	case smp.NEW, smp.PING, smp.PRXY, smp.PFWD, smp.RFWD:
		return 0, false
	case smp.SKEY, smp.SEND:
		return store.Sender, true
	case smp.NSUB:
		return store.Notifier, true
	}
	if cmd.Party() == smp.PartyRecipient {
		return store.Recipient, true
	}
	return 0, false
}

// authKey is the key cmd's authorization is checked against: its own for
// NEW and SKEY, else the queue's key for its party (q may be nil only for
// NEW); zero when the queue has none (no sender key yet, no notifier).
func authKey(cmd smp.Command, q *store.Queue) crypto.PublicKey {
	switch cmd := cmd.(type) {
	case smp.NEW:
		return cmd.RcvAuthKey
	case smp.SKEY:
		return cmd.SndAuthKey
	case smp.SEND:
		return q.SenderKey
	case smp.NSUB:
		if q.Notifier == nil {
			return crypto.PublicKey{}
		}
		return q.Notifier.Key
	}
	return q.RecipientKey
}
