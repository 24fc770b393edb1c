// Package bolt is the single-node Store of smp-relay, on bbolt.
//
// Layout (all buckets at the top level):
//
//	queues   recipientId -> queue record
//	senders  senderId    -> recipientId
//	ntfs     notifierId  -> recipientId
//	msgs     recipientId -> bucket { seq (8-byte BE) -> message record
//	                                 | seq -> bucket { "m" -> message record } }
//	meta     "queues", "messages" -> w64 counters
//
// A message record over largeMessage bytes is kept in a bucket of its own
// (both forms are read). bbolt keeps a leaf's values together and never
// splits a leaf of four keys or fewer, so a queue's few 8 KB messages
// would share one multi-page leaf, rewritten whole by every SEND and ACK
// of that queue; in its own bucket a message is written once, and its
// removal only frees its pages.
//
// Each queue record carries its message count, next sequence number and
// the quota state, so no operation walks a bucket and opening the store does
// not read the queues: startup time does not grow with their number.
// Writes of SEND go through bbolt's Batch, which coalesces concurrent
// transactions into one fsynced commit (group commit).
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

var (
	bQueues  = []byte("queues")
	bSenders = []byte("senders")
	bNtfs    = []byte("ntfs")
	bMsgs    = []byte("msgs")
	bMeta    = []byte("meta")

	kQueueCount = []byte("queues")
	kMsgCount   = []byte("messages")
	kBody       = []byte("m")
)

// largeMessage is the record size from which a message gets a bucket of
// its own: bbolt's own limit for keeping a bucket inline in its parent
// (a quarter of a 4 KB page), so a smaller one would share the parent's
// leaf anyway.
const largeMessage = 1024

// Store is a store.Store on a bbolt file.
type Store struct {
	db *bbolt.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store at path.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("bolt store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bQueues, bSenders, bNtfs, bMsgs, bMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt store: init buckets: %w", err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	return &Store{db: db}, nil
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

// record is a queue plus its message bookkeeping.
type record struct {
	q        store.Queue
	count    uint32 // messages stored, marker included
	nextSeq  uint64
	canWrite bool
}

func getRecord(tx *bbolt.Tx, rid []byte) (*record, error) {
	v := tx.Bucket(bQueues).Get(rid)
	if v == nil {
		return nil, store.ErrNotFound
	}
	r, err := decodeRecord(v)
	if err != nil {
		return nil, fmt.Errorf("bolt store: corrupt queue record: %w", err)
	}
	return r, nil
}

func putRecord(tx *bbolt.Tx, r *record) error {
	v, err := encodeRecord(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bQueues).Put(r.q.RecipientID, v)
}

func addCounter(tx *bbolt.Tx, key []byte, delta int64) error {
	b := tx.Bucket(bMeta)
	var n int64
	if v := b.Get(key); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n < 0 {
		n = 0
	}
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func (s *Store) CreateQueue(_ context.Context, q *store.Queue) error {
	// Batch: concurrent NEWs share one fsync. fn has no effect outside its
	// transaction, so a re-run after a sibling's failure is safe.
	return s.db.Batch(func(tx *bbolt.Tx) error {
		qs, ss := tx.Bucket(bQueues), tx.Bucket(bSenders)
		if qs.Get(q.RecipientID) != nil || ss.Get(q.SenderID) != nil {
			return store.ErrDuplicate
		}
		if q.Notifier != nil && tx.Bucket(bNtfs).Get(q.Notifier.ID) != nil {
			return store.ErrDuplicate
		}
		if err := putRecord(tx, &record{q: *q, canWrite: true}); err != nil {
			return err
		}
		if err := ss.Put(q.SenderID, q.RecipientID); err != nil {
			return err
		}
		if q.Notifier != nil {
			if err := tx.Bucket(bNtfs).Put(q.Notifier.ID, q.RecipientID); err != nil {
				return err
			}
		}
		return addCounter(tx, kQueueCount, 1)
	})
}

func (s *Store) GetQueue(_ context.Context, party store.IDParty, id []byte) (*store.Queue, error) {
	var q *store.Queue
	err := s.db.View(func(tx *bbolt.Tx) error {
		rid := id
		switch party {
		case store.Sender:
			rid = tx.Bucket(bSenders).Get(id)
		case store.Notifier:
			rid = tx.Bucket(bNtfs).Get(id)
		}
		if rid == nil {
			return store.ErrNotFound
		}
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		q = &r.q
		return nil
	})
	return q, err
}

// update runs fn on the queue's record and stores it back.
func (s *Store) update(rid []byte, fn func(tx *bbolt.Tx, r *record) error) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		r.q.UpdatedAt = time.Now().UTC()
		return putRecord(tx, r)
	})
}

func (s *Store) SecureQueue(_ context.Context, rid []byte, key crypto.PublicKey) error {
	return s.update(rid, func(_ *bbolt.Tx, r *record) error {
		if !r.q.SenderKey.IsZero() {
			if r.q.SenderKey.Equal(key) {
				return nil
			}
			return store.ErrConflict
		}
		r.q.SenderKey = key
		return nil
	})
}

func (s *Store) SetNotifier(_ context.Context, rid []byte, n *store.NotifierCreds) error {
	return s.update(rid, func(tx *bbolt.Tx, r *record) error {
		ntfs := tx.Bucket(bNtfs)
		if owner := ntfs.Get(n.ID); owner != nil && !bytes.Equal(owner, rid) {
			return store.ErrDuplicate
		}
		if r.q.Notifier != nil {
			if err := ntfs.Delete(r.q.Notifier.ID); err != nil {
				return err
			}
		}
		r.q.Notifier = n
		return ntfs.Put(n.ID, rid)
	})
}

func (s *Store) DeleteNotifier(_ context.Context, rid []byte) error {
	return s.update(rid, func(tx *bbolt.Tx, r *record) error {
		if r.q.Notifier == nil {
			return nil
		}
		if err := tx.Bucket(bNtfs).Delete(r.q.Notifier.ID); err != nil {
			return err
		}
		r.q.Notifier = nil
		return nil
	})
}

func (s *Store) SetStatus(_ context.Context, rid []byte, st store.Status, blockInfo []byte) error {
	return s.update(rid, func(_ *bbolt.Tx, r *record) error {
		r.q.Status = st
		r.q.BlockInfo = blockInfo
		return nil
	})
}

func (s *Store) DeleteQueue(_ context.Context, rid []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bSenders).Delete(r.q.SenderID); err != nil {
			return err
		}
		if r.q.Notifier != nil {
			if err := tx.Bucket(bNtfs).Delete(r.q.Notifier.ID); err != nil {
				return err
			}
		}
		if mb := tx.Bucket(bMsgs); mb.Bucket(rid) != nil {
			if err := mb.DeleteBucket(rid); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bQueues).Delete(rid); err != nil {
			return err
		}
		if err := addCounter(tx, kMsgCount, -int64(r.count)); err != nil {
			return err
		}
		return addCounter(tx, kQueueCount, -1)
	})
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// putMessage stores a message record under key.
func putMessage(mb *bbolt.Bucket, key, v []byte) error {
	if len(v) < largeMessage {
		return mb.Put(key, v)
	}
	b, err := mb.CreateBucket(key)
	if err != nil {
		return err
	}
	return b.Put(kBody, v)
}

// messageValue resolves a cursor's value to the message record: v itself,
// or the body of the message's own bucket (v is nil for a bucket).
func messageValue(mb *bbolt.Bucket, k, v []byte) ([]byte, error) {
	if v != nil {
		return v, nil
	}
	b := mb.Bucket(k)
	if b == nil {
		return nil, errors.New("bolt store: corrupt message: neither a record nor a bucket")
	}
	v = b.Get(kBody)
	if v == nil {
		return nil, errors.New("bolt store: corrupt message: empty message bucket")
	}
	return v, nil
}

// deleteMessage removes the message at key (a record or its bucket).
func deleteMessage(mb *bbolt.Bucket, key, v []byte) error {
	if v == nil {
		return mb.DeleteBucket(key)
	}
	return mb.Delete(key)
}

func (s *Store) WriteMessage(_ context.Context, rid []byte, m *store.Message, quota int) (store.WriteResult, error) {
	// The record is encoded once, outside the transaction function (Batch
	// may run it twice), into a pooled buffer: bbolt keeps a reference to
	// a value until the commit, after which Batch returns.
	bp := msgPool.Get().(*[]byte)
	defer msgPool.Put(bp)
	enc, err := appendMessage((*bp)[:0], m)
	if err != nil {
		return store.WriteResult{}, err
	}
	*bp = enc[:0]
	var res store.WriteResult
	// Batch may run fn more than once (when a batched sibling fails), so fn
	// sets res from scratch each time.
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		res = store.WriteResult{}
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		empty := r.count == 0
		// Semantics of the reference's writeMsg [MsgStore/STM.hs]: once over
		// quota, nothing is written until the queue has been emptied.
		if !r.canWrite && !empty {
			return nil
		}
		r.canWrite = int(r.count) < quota
		v := enc
		if !r.canWrite {
			if v, err = appendMessage(nil, &store.Message{ID: m.ID, Ts: m.Ts, Quota: true}); err != nil {
				return err
			}
		}
		mb, err := tx.Bucket(bMsgs).CreateBucketIfNotExists(rid)
		if err != nil {
			return err
		}
		if err := putMessage(mb, seqKey(r.nextSeq), v); err != nil {
			return err
		}
		r.nextSeq++
		r.count++
		if err := putRecord(tx, r); err != nil {
			return err
		}
		res = store.WriteResult{Stored: r.canWrite, WasEmpty: empty}
		return addCounter(tx, kMsgCount, 1)
	})
	if err != nil {
		return store.WriteResult{}, err
	}
	return res, nil
}

func firstMessage(tx *bbolt.Tx, rid []byte) (key []byte, m *store.Message, err error) {
	mb := tx.Bucket(bMsgs).Bucket(rid)
	if mb == nil {
		return nil, nil, nil
	}
	k, v := mb.Cursor().First()
	if k == nil {
		return nil, nil, nil
	}
	if v, err = messageValue(mb, k, v); err != nil {
		return nil, nil, err
	}
	m, err = decodeMessage(v)
	if err != nil {
		return nil, nil, fmt.Errorf("bolt store: corrupt message: %w", err)
	}
	return bytes.Clone(k), m, nil
}

func (s *Store) PeekMessage(_ context.Context, rid []byte) (*store.Message, error) {
	var m *store.Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bQueues).Get(rid) == nil {
			return store.ErrNotFound
		}
		var err error
		_, m, err = firstMessage(tx, rid)
		return err
	})
	return m, err
}

func (s *Store) DeleteMessage(_ context.Context, rid, msgID []byte) (bool, *store.Message, error) {
	var (
		deleted bool
		next    *store.Message
	)
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		deleted, next = false, nil
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		mb := tx.Bucket(bMsgs).Bucket(rid)
		if mb == nil {
			return nil
		}
		k, v := mb.Cursor().First()
		if k == nil {
			return nil
		}
		rec, err := messageValue(mb, k, v)
		if err != nil {
			return err
		}
		id, err := messageID(rec)
		if err != nil {
			return fmt.Errorf("bolt store: corrupt message: %w", err)
		}
		if len(msgID) > 0 && !bytes.Equal(id, msgID) {
			return nil
		}
		if err := deleteMessage(mb, bytes.Clone(k), v); err != nil {
			return err
		}
		deleted = true
		r.count--
		if err := putRecord(tx, r); err != nil {
			return err
		}
		if _, next, err = firstMessage(tx, rid); err != nil {
			return err
		}
		return addCounter(tx, kMsgCount, -1)
	})
	if err != nil {
		return false, nil, err
	}
	return deleted, next, nil
}

func (s *Store) QueueSize(_ context.Context, rid []byte) (int, error) {
	var n int
	err := s.db.View(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		n = int(r.count)
		return nil
	})
	return n, err
}

// ExpireMessages walks the queues that have messages, a bounded number per
// transaction so that writers are not blocked for long.
func (s *Store) ExpireMessages(ctx context.Context, before time.Time) (int, error) {
	const perTx = 256
	total := 0
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var rids [][]byte
		err := s.db.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bMsgs).Cursor()
			k, _ := c.First()
			if after != nil {
				k, _ = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, _ = c.Next()
				}
			}
			for ; k != nil && len(rids) < perTx; k, _ = c.Next() {
				rids = append(rids, bytes.Clone(k))
			}
			return nil
		})
		if err != nil || len(rids) == 0 {
			return total, err
		}
		after = rids[len(rids)-1]
		err = s.db.Update(func(tx *bbolt.Tx) error {
			for _, rid := range rids {
				n, err := expireQueue(tx, rid, before)
				if err != nil {
					return err
				}
				total += n
			}
			return nil
		})
		if err != nil {
			return total, err
		}
	}
}

func expireQueue(tx *bbolt.Tx, rid []byte, before time.Time) (int, error) {
	r, err := getRecord(tx, rid)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	mb := tx.Bucket(bMsgs).Bucket(rid)
	if mb == nil {
		return 0, nil
	}
	n := 0
	c := mb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		rec, err := messageValue(mb, k, v)
		if err != nil {
			return n, err
		}
		m, err := decodeMessage(rec)
		if err != nil {
			return n, err
		}
		if !m.Ts.Before(before) {
			break
		}
		if err := deleteMessage(mb, bytes.Clone(k), v); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	r.count -= uint32(n)
	if err := putRecord(tx, r); err != nil {
		return n, err
	}
	return n, addCounter(tx, kMsgCount, -int64(n))
}

func (s *Store) Stats(_ context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bMeta)
		if v := b.Get(kQueueCount); len(v) == 8 {
			st.Queues = int(binary.BigEndian.Uint64(v))
		}
		if v := b.Get(kMsgCount); len(v) == 8 {
			st.Messages = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return st, err
}

// ImportQueues writes queue records in one transaction (for migrations and
// benchmarks that need a large store quickly). Existing ids are an error.
func (s *Store) ImportQueues(qs []*store.Queue) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		qb, sb := tx.Bucket(bQueues), tx.Bucket(bSenders)
		for _, q := range qs {
			if qb.Get(q.RecipientID) != nil || sb.Get(q.SenderID) != nil {
				return store.ErrDuplicate
			}
			if err := putRecord(tx, &record{q: *q, canWrite: true}); err != nil {
				return err
			}
			if err := sb.Put(q.SenderID, q.RecipientID); err != nil {
				return err
			}
		}
		return addCounter(tx, kQueueCount, int64(len(qs)))
	})
}
