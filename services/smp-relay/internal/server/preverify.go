package server

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// preVerified is the outcome of checking a request's authorization ahead
// of its turn, against the key its queue had then.
type preVerified struct {
	key crypto.PublicKey
	ok  bool
}

// preverify checks the authorizations of a batch's transmissions on all
// cores before the batch is handled in order. A batch is how clients
// resubscribe (SUB for every queue of a connection, NSUB for every
// notifier from an NTF server): one Ed25519 verification is ~80 µs here,
// so a block of 100+ NSUBs verified in sequence holds one core for ~10 ms
// while the other idles.
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
	for i := range reqs {
		switch len(reqs[i].auth) {
		case authEd25519, authEd448, authAuthenticator:
			if reqs[i].err == nil {
				todo = append(todo, i)
			}
		}
	}
	if len(todo) < 2 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= len(todo) || ctx.Err() != nil {
					return
				}
				r := &reqs[todo[n]]
				if key, ok := c.candidateKey(ctx, r); ok {
					r.pre = &preVerified{key: key, ok: c.checkAuth(r, key)}
				}
			}
		}()
	}
	wg.Wait()
}

// candidateKey is the key verify would check r against if r were handled
// now; ok is false when there is none (unknown queue, no key yet, a
// command without a signature).
func (c *client) candidateKey(ctx context.Context, r *request) (crypto.PublicKey, bool) {
	cmd, err := smp.ParseCommand(c.v, r.command)
	if err != nil {
		return crypto.PublicKey{}, false
	}
	load := func(party store.IDParty) *store.Queue {
		if len(r.entityID) == 0 {
			return nil
		}
		q, err := c.srv.st.GetQueue(ctx, party, r.entityID)
		if err != nil {
			return nil
		}
		return q
	}
	var key crypto.PublicKey
	switch cmd := cmd.(type) {
	case smp.NEW:
		key = cmd.RcvAuthKey
	case smp.SKEY:
		key = cmd.SndAuthKey
	case smp.PING, smp.PRXY, smp.PFWD, smp.RFWD:
		return key, false
	case smp.SEND:
		if q := load(store.Sender); q != nil {
			key = q.SenderKey
		}
	case smp.NSUB:
		if q := load(store.Notifier); q != nil && q.Notifier != nil {
			key = q.Notifier.Key
		}
	default:
		if cmd.Party() != smp.PartyRecipient {
			return key, false
		}
		if q := load(store.Recipient); q != nil {
			key = q.RecipientKey
		}
	}
	return key, !key.IsZero()
}
