// Package bolt is the bbolt implementation of store.Store.
//
// Buckets (keys; values):
//
//	tokens     tokenId                              → token record
//	devices    provider 0x00 deviceToken 0x00 tokenId → empty (TNEW/TVFY lookups)
//	subs       subId                                → subscription record
//	queues     serverKey 0x00 notifierId            → subId
//	tokenSubs  len(tokenId) tokenId subId           → empty
//	lastNtfs   len(tokenId) tokenId subId           → last notification
//
// The records' binary layout is in codec.go.
//
// serverKey is store.ServerKey (text without NUL); ids are at most 255
// bytes (the protocol's short strings), so the prefixes are unambiguous.
package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

var (
	bTokens    = []byte("tokens")
	bDevices   = []byte("devices")
	bSubs      = []byte("subs")
	bQueues    = []byte("queues")
	bTokenSubs = []byte("tokenSubs")
	bLastNtfs  = []byte("lastNtfs")
	allBuckets = [][]byte{bTokens, bDevices, bSubs, bQueues, bTokenSubs, bLastNtfs}
)

// Store is a store.Store in one bbolt file.
type Store struct {
	db *bbolt.DB
	st *statusOverlay // subscription statuses written behind (statuses.go)
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store at path.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: init: %w", err)
	}
	s := &Store{db: db, st: newStatusOverlay()}
	go s.runStatusFlusher()
	return s, nil
}

// Close writes the pending statuses and closes the file; a failure to
// write them is returned with the file's own.
func (s *Store) Close() error {
	select {
	case <-s.st.stop:
	default:
		close(s.st.stop)
	}
	<-s.st.done
	var flushErr error
	if s.st.err != nil {
		flushErr = fmt.Errorf("bolt: writing subscription statuses: %w", s.st.err)
	}
	return errors.Join(flushErr, s.db.Close())
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func devicePrefix(p ntf.Provider, tok []byte) []byte {
	return cat([]byte(p), []byte{0}, tok, []byte{0})
}

func queueKey(srv address.ServerAddress, nid []byte) []byte {
	return cat([]byte(store.ServerKey(srv)), []byte{0}, nid)
}

// batchKeys memoizes the server part of queue keys within a batch of
// notifications, which mostly come from one server (its text form costs
// more than comparing addresses).
type batchKeys struct {
	srv address.ServerAddress
	key []byte // store.ServerKey(srv), then 0
}

func (k *batchKeys) queueKey(srv address.ServerAddress, nid []byte) []byte {
	if k.key == nil || !k.srv.Equal(srv) {
		k.srv, k.key = srv, append([]byte(store.ServerKey(srv)), 0)
	}
	return append(k.key[:len(k.key):len(k.key)], nid...)
}

func tokenPrefix(tokenID []byte) []byte { return cat([]byte{byte(len(tokenID))}, tokenID) }

func getToken(tx *bbolt.Tx, id []byte) (store.Token, error) {
	v := tx.Bucket(bTokens).Get(id)
	if v == nil {
		return store.Token{}, store.ErrNotFound
	}
	return decodeToken(v)
}

func putToken(tx *bbolt.Tx, t store.Token) error {
	v, err := encodeToken(t)
	if err != nil {
		return err
	}
	return tx.Bucket(bTokens).Put(t.ID, v)
}

func getSub(tx *bbolt.Tx, id []byte) (store.Subscription, error) {
	v := tx.Bucket(bSubs).Get(id)
	if v == nil {
		return store.Subscription{}, store.ErrNotFound
	}
	return decodeSub(v)
}

func putSub(tx *bbolt.Tx, sub store.Subscription) error {
	v, err := encodeSub(sub)
	if err != nil {
		return err
	}
	return tx.Bucket(bSubs).Put(sub.ID, v)
}

// AddToken implements store.Store.
func (s *Store) AddToken(t store.Token) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bTokens).Get(t.ID) != nil {
			return store.ErrExists
		}
		if err := putToken(tx, t); err != nil {
			return err
		}
		return tx.Bucket(bDevices).Put(cat(devicePrefix(t.Provider, t.DeviceToken), t.ID), nil)
	})
}

// GetToken implements store.Store.
func (s *Store) GetToken(id []byte) (t store.Token, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		t, err = getToken(tx, id)
		return err
	})
	return t, err
}

// deviceTokenIDs returns the ids of the tokens of one device.
func deviceTokenIDs(tx *bbolt.Tx, p ntf.Provider, tok []byte) [][]byte {
	pre := devicePrefix(p, tok)
	var ids [][]byte
	c := tx.Bucket(bDevices).Cursor()
	for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
		ids = append(ids, bytes.Clone(k[len(pre):]))
	}
	return ids
}

// FindTokenRegistration implements store.Store.
func (s *Store) FindTokenRegistration(p ntf.Provider, tok []byte, vk crypto.PublicKey) (t store.Token, found bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, id := range deviceTokenIDs(tx, p, tok) {
			c, err := getToken(tx, id)
			if err != nil {
				return err
			}
			if c.VerifyKey.Equal(vk) {
				t, found = c, true
				return nil
			}
		}
		return nil
	})
	return t, found, err
}

// UpdateToken implements store.Store.
func (s *Store) UpdateToken(t store.Token) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		old, err := getToken(tx, t.ID)
		if err != nil {
			return err
		}
		if old.Provider != t.Provider || !bytes.Equal(old.DeviceToken, t.DeviceToken) {
			dev := tx.Bucket(bDevices)
			if err := dev.Delete(cat(devicePrefix(old.Provider, old.DeviceToken), t.ID)); err != nil {
				return err
			}
			if err := dev.Put(cat(devicePrefix(t.Provider, t.DeviceToken), t.ID), nil); err != nil {
				return err
			}
		}
		return putToken(tx, t)
	})
}

// UpdateTokenStatus implements store.Store.
func (s *Store) UpdateTokenStatus(id []byte, cond func(ntf.TokenStatus) bool, to ntf.TokenStatus) (changed bool, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		t, err := getToken(tx, id)
		if err != nil {
			return err
		}
		if t.Status == to || (cond != nil && !cond(t.Status)) {
			return nil
		}
		t.Status, changed = to, true
		return putToken(tx, t)
	})
	return changed, err
}

// ActivateToken implements store.Store.
func (s *Store) ActivateToken(id []byte) (deleted []store.Subscription, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		t, err := getToken(tx, id)
		if err != nil {
			return err
		}
		t.Status = ntf.TokenStatus{Code: ntf.TokenActive}
		if err := putToken(tx, t); err != nil {
			return err
		}
		for _, other := range deviceTokenIDs(tx, t.Provider, t.DeviceToken) {
			if bytes.Equal(other, id) {
				continue
			}
			subs, err := deleteToken(tx, other)
			if err != nil {
				return err
			}
			deleted = append(deleted, subs...)
		}
		return nil
	})
	return deleted, err
}

// DeleteToken implements store.Store.
func (s *Store) DeleteToken(id []byte) (subs []store.Subscription, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		subs, err = deleteToken(tx, id)
		return err
	})
	return subs, err
}

func deleteToken(tx *bbolt.Tx, id []byte) ([]store.Subscription, error) {
	t, err := getToken(tx, id)
	if err != nil {
		return nil, err
	}
	var subs []store.Subscription
	pre := tokenPrefix(id)
	var subIDs [][]byte
	c := tx.Bucket(bTokenSubs).Cursor()
	for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
		subIDs = append(subIDs, bytes.Clone(k[len(pre):]))
	}
	for _, sid := range subIDs {
		sub, err := deleteSub(tx, sid)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			subs = append(subs, sub)
		}
	}
	if err := tx.Bucket(bDevices).Delete(cat(devicePrefix(t.Provider, t.DeviceToken), id)); err != nil {
		return nil, err
	}
	return subs, tx.Bucket(bTokens).Delete(id)
}

func deleteSub(tx *bbolt.Tx, id []byte) (store.Subscription, error) {
	sub, err := getSub(tx, id)
	if err != nil {
		return sub, err
	}
	k := cat(tokenPrefix(sub.TokenID), id)
	err = errors.Join(
		tx.Bucket(bSubs).Delete(id),
		tx.Bucket(bQueues).Delete(queueKey(sub.Server, sub.NotifierID)),
		tx.Bucket(bTokenSubs).Delete(k),
		tx.Bucket(bLastNtfs).Delete(k),
	)
	return sub, err
}

// PeriodicTokens implements store.Store.
func (s *Store) PeriodicTokens(now int64) (ts []store.Token, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bTokens).ForEach(func(_, v []byte) error {
			t, err := decodeToken(v)
			if err != nil {
				return err
			}
			if t.Status.Code == ntf.TokenActive && t.CronMinutes != 0 &&
				t.CronSentAt+int64(t.CronMinutes)*60 <= now {
				ts = append(ts, t)
			}
			return nil
		})
	})
	return ts, err
}

// SetCronSentAt implements store.Store.
func (s *Store) SetCronSentAt(id []byte, at int64) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		t, err := getToken(tx, id)
		if err != nil {
			return err
		}
		t.CronSentAt = at
		return putToken(tx, t)
	})
}

// AddSubscription implements store.Store.
func (s *Store) AddSubscription(sub store.Subscription) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		qk := queueKey(sub.Server, sub.NotifierID)
		if tx.Bucket(bSubs).Get(sub.ID) != nil || tx.Bucket(bQueues).Get(qk) != nil {
			return store.ErrExists
		}
		if tx.Bucket(bTokens).Get(sub.TokenID) == nil {
			return store.ErrNotFound
		}
		return errors.Join(
			putSub(tx, sub),
			tx.Bucket(bQueues).Put(qk, sub.ID),
			tx.Bucket(bTokenSubs).Put(cat(tokenPrefix(sub.TokenID), sub.ID), nil),
		)
	})
}

func findSub(tx *bbolt.Tx, srv address.ServerAddress, nid []byte) (store.Subscription, bool, error) {
	id := tx.Bucket(bQueues).Get(queueKey(srv, nid))
	if id == nil {
		return store.Subscription{}, false, nil
	}
	sub, err := getSub(tx, id)
	return sub, err == nil, err
}

// findSubIDs is findSub reading only the ids of the record (a
// notification needs nothing else of it).
func findSubIDs(tx *bbolt.Tx, qkey []byte) (store.Subscription, bool, error) {
	id := tx.Bucket(bQueues).Get(qkey)
	if id == nil {
		return store.Subscription{}, false, nil
	}
	v := tx.Bucket(bSubs).Get(id)
	if v == nil {
		return store.Subscription{}, false, nil
	}
	if isJSON(v) {
		sub, err := decodeSub(v)
		return sub, err == nil, err
	}
	f, err := parseSubRecord(v)
	if err != nil {
		return store.Subscription{}, false, err
	}
	return store.Subscription{ID: bytes.Clone(f.id), TokenID: bytes.Clone(f.tokenID)}, true, nil
}

// FindSubscription implements store.Store.
func (s *Store) FindSubscription(srv address.ServerAddress, nid []byte) (sub store.Subscription, found bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		sub, found, err = findSub(tx, srv, nid)
		return err
	})
	if err == nil && found {
		err = s.applyStatus(&sub)
	}
	return sub, found, err
}

// GetSubscription implements store.Store.
func (s *Store) GetSubscription(id []byte) (sub store.Subscription, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		sub, err = getSub(tx, id)
		return err
	})
	if err == nil {
		err = s.applyStatus(&sub)
	}
	return sub, err
}

// DeleteSubscription implements store.Store.
func (s *Store) DeleteSubscription(id []byte) (sub store.Subscription, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		sub, err = deleteSub(tx, id)
		return err
	})
	return sub, err
}

// ForEachSubscription implements store.Store.
func (s *Store) ForEachSubscription(fn func(store.Subscription) error) error {
	// The unwritten statuses are copied first: taking the overlay's lock
	// inside a read transaction could wait on SetSubStatus, which holds it
	// while it opens a read transaction, behind a writer remapping the file.
	s.st.mu.Lock()
	overlay := make(map[string]string, len(s.st.pending)+len(s.st.flushing))
	for id, st := range s.st.flushing {
		overlay[id] = st
	}
	for id, st := range s.st.pending {
		overlay[id] = st
	}
	s.st.mu.Unlock()
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bSubs).ForEach(func(_, v []byte) error {
			sub, err := decodeSub(v)
			if err != nil {
				return err
			}
			if text, ok := overlay[string(sub.ID)]; ok {
				if sub.Status, err = ntf.ParseSubStatus([]byte(text)); err != nil {
					return fmt.Errorf("bolt: subscription status: %w", err)
				}
			}
			return fn(sub)
		})
	})
}

// TokenSubscriptionCount implements store.Store.
func (s *Store) TokenSubscriptionCount(tokenID []byte) (n int, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		pre := tokenPrefix(tokenID)
		c := tx.Bucket(bTokenSubs).Cursor()
		for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// AddLastNtfs implements store.Store: one transaction (one fsync) for
// the batch, each notification seeing the ones before it.
func (s *Store) AddLastNtfs(ms []ntf.PNMessageData) ([]store.LastNtfResult, error) {
	res := make([]store.LastNtfResult, len(ms))
	servers := map[string]address.ServerAddress{}
	var keys batchKeys
	err := s.db.Update(func(tx *bbolt.Tx) error {
		for i, m := range ms {
			t, list, err := addLastNtf(tx, m, servers, &keys)
			switch {
			case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrNotActive):
				res[i] = store.LastNtfResult{Token: t, List: list, Err: err}
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// addLastNtf records m for its queue's subscription and returns the
// token with its last notifications [NST addTokenLastNtf]. servers caches
// parsed server addresses within a batch, keys its queue keys.
func addLastNtf(tx *bbolt.Tx, m ntf.PNMessageData, servers map[string]address.ServerAddress, keys *batchKeys) (store.Token, []ntf.PNMessageData, error) {
	var t store.Token
	sub, found, err := findSubIDs(tx, keys.queueKey(m.Queue.Server, m.Queue.NotifierID))
	if err != nil {
		return t, nil, err
	}
	if !found {
		return t, nil, store.ErrNotFound
	}
	if t, err = getToken(tx, sub.TokenID); err != nil {
		return t, nil, err
	}
	if t.Status.Code != ntf.TokenActive {
		return t, nil, store.ErrNotActive
	}
	b := tx.Bucket(bLastNtfs)
	v, err := encodeLastNtf(lastNtfRec{SubID: sub.ID, TS: m.Timestamp, Nonce: m.Nonce[:], EncMeta: m.EncMeta})
	if err != nil {
		return t, nil, err
	}
	pre := tokenPrefix(t.ID)
	if err := b.Put(cat(pre, sub.ID), v); err != nil {
		return t, nil, err
	}
	type entry struct {
		key []byte
		rec lastNtfRec
	}
	var all []entry
	c := b.Cursor()
	for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
		r, err := decodeLastNtf(v)
		if err != nil {
			return t, nil, err
		}
		all = append(all, entry{bytes.Clone(k), r})
	}
	// newest first; the just-added entry wins ties
	slices.SortStableFunc(all, func(a, b entry) int {
		switch {
		case bytes.Equal(a.rec.SubID, sub.ID):
			return -1
		case bytes.Equal(b.rec.SubID, sub.ID):
			return 1
		}
		return int(b.rec.TS - a.rec.TS)
	})
	for _, e := range all[min(len(all), store.MaxLastNtfs):] {
		if err := b.Delete(e.key); err != nil {
			return t, nil, err
		}
	}
	all = all[:min(len(all), store.MaxLastNtfs)]
	list := make([]ntf.PNMessageData, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		r := all[i].rec
		srv, nid, ok := subQueue(tx, r.SubID, servers)
		if !ok {
			continue // deleted meanwhile
		}
		d := ntf.PNMessageData{Queue: ntf.QueueNtf{Server: srv, NotifierID: nid}, Timestamp: r.TS, EncMeta: r.EncMeta}
		copy(d.Nonce[:], r.Nonce)
		list = append(list, d)
	}
	return t, list, nil
}

// subQueue returns the queue of subscription id without decoding the
// rest of its record.
func subQueue(tx *bbolt.Tx, id []byte, servers map[string]address.ServerAddress) (address.ServerAddress, []byte, bool) {
	v := tx.Bucket(bSubs).Get(id)
	if v == nil {
		return address.ServerAddress{}, nil, false
	}
	if isJSON(v) {
		sub, err := decodeSub(v)
		return sub.Server, sub.NotifierID, err == nil
	}
	f, err := parseSubRecord(v)
	if err != nil {
		return address.ServerAddress{}, nil, false
	}
	srv, cached := servers[string(f.server)]
	if !cached {
		if srv, err = address.ParseServer(string(f.server), address.SchemeSMP); err != nil {
			return srv, nil, false
		}
		servers[string(f.server)] = srv
	}
	return srv, bytes.Clone(f.nid), true
}

// Counts implements store.Store.
func (s *Store) Counts() (c store.Counts, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		c.Tokens = tx.Bucket(bTokens).Stats().KeyN
		c.Subscriptions = tx.Bucket(bSubs).Stats().KeyN
		c.LastNtfs = tx.Bucket(bLastNtfs).Stats().KeyN
		return nil
	})
	return c, err
}
