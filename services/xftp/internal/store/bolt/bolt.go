// Package bolt is the bbolt backend of the xftp-server store.
//
// Buckets:
//
//	files    sender id            → JSON record (store.File without Recipients)
//	rcps     recipient id         → sender id ‖ recipient key DER
//	created  be64(createdAt) ‖ sid → empty (expiry index)
//	frcps    sid ‖ recipient id    → empty (recipients of a file, for deletion)
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/simplexgo/services/xftp/internal/store"
)

var (
	bFiles   = []byte("files")
	bRcps    = []byte("rcps")
	bCreated = []byte("created")
	bFRcps   = []byte("frcps")
)

// maxIDLen bounds ids: the wire allows short strings (≤255 bytes).
const maxIDLen = 255

// Store is a store.Store in one bbolt file.
type Store struct{ db *bbolt.DB }

var _ store.Store = (*Store)(nil)

// Open opens or creates the database at path.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bFiles, bRcps, bCreated, bFRcps} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// record is the stored form of a file.
type record struct {
	Sid       []byte          `json:"sid"`
	SndKey    []byte          `json:"snd_key"`
	Size      uint32          `json:"size"`
	Digest    []byte          `json:"digest"`
	CreatedAt int64           `json:"created_at"`
	Path      string          `json:"path,omitempty"`
	Blocked   *store.Blocking `json:"blocked,omitempty"`
}

func createdKey(t int64, sid []byte) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(sid)), uint64(t))
	return append(k, sid...)
}

func frcpKey(sid, rid []byte) []byte {
	k := append([]byte{byte(len(sid))}, sid...)
	return append(k, rid...)
}

func checkID(id []byte) error {
	if len(id) == 0 || len(id) > maxIDLen {
		return fmt.Errorf("store: id of %d bytes", len(id))
	}
	return nil
}

func getRecord(tx *bbolt.Tx, sid []byte) (record, error) {
	v := tx.Bucket(bFiles).Get(sid)
	if v == nil {
		return record{}, store.ErrNotFound
	}
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return record{}, fmt.Errorf("store: corrupt record: %w", err)
	}
	return r, nil
}

func putRecord(tx *bbolt.Tx, r record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bFiles).Put(r.Sid, v)
}

func recipients(tx *bbolt.Tx, sid []byte) [][]byte {
	var out [][]byte
	prefix := frcpKey(sid, nil)
	c := tx.Bucket(bFRcps).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, bytes.Clone(k[len(prefix):]))
	}
	return out
}

func (r record) file(tx *bbolt.Tx) store.File {
	return store.File{SenderID: r.Sid, SndKey: r.SndKey, Size: r.Size, Digest: r.Digest, CreatedAt: r.CreatedAt,
		Path: r.Path, Blocked: r.Blocked, Recipients: recipients(tx, r.Sid)}
}

// AddFile implements store.Store.
func (s *Store) AddFile(_ context.Context, f store.File) error {
	if err := checkID(f.SenderID); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bFiles).Get(f.SenderID) != nil || tx.Bucket(bRcps).Get(f.SenderID) != nil {
			return store.ErrDuplicate
		}
		r := record{Sid: f.SenderID, SndKey: f.SndKey, Size: f.Size, Digest: f.Digest, CreatedAt: f.CreatedAt, Blocked: f.Blocked}
		if err := putRecord(tx, r); err != nil {
			return err
		}
		return tx.Bucket(bCreated).Put(createdKey(f.CreatedAt, f.SenderID), nil)
	})
}

// AddRecipient implements store.Store.
func (s *Store) AddRecipient(_ context.Context, rc store.Recipient) error {
	if err := checkID(rc.ID); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if _, err := getRecord(tx, rc.SenderID); err != nil {
			return err
		}
		if tx.Bucket(bRcps).Get(rc.ID) != nil || tx.Bucket(bFiles).Get(rc.ID) != nil {
			return store.ErrDuplicate
		}
		v := append([]byte{byte(len(rc.SenderID))}, rc.SenderID...)
		v = append(v, rc.Key...)
		if err := tx.Bucket(bRcps).Put(rc.ID, v); err != nil {
			return err
		}
		return tx.Bucket(bFRcps).Put(frcpKey(rc.SenderID, rc.ID), nil)
	})
}

// File implements store.Store.
func (s *Store) File(_ context.Context, sid []byte) (store.File, error) {
	var f store.File
	err := s.db.View(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, sid)
		if err != nil {
			return err
		}
		f = r.file(tx)
		return nil
	})
	return f, err
}

func parseRcp(rid, v []byte) (store.Recipient, error) {
	if len(v) < 1 || len(v) < 1+int(v[0]) {
		return store.Recipient{}, errors.New("store: corrupt recipient")
	}
	n := int(v[0])
	return store.Recipient{ID: bytes.Clone(rid), SenderID: bytes.Clone(v[1 : 1+n]), Key: bytes.Clone(v[1+n:])}, nil
}

// Recipient implements store.Store.
func (s *Store) Recipient(_ context.Context, rid []byte) (store.Recipient, store.File, error) {
	var rc store.Recipient
	var f store.File
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bRcps).Get(rid)
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		if rc, err = parseRcp(rid, v); err != nil {
			return err
		}
		r, err := getRecord(tx, rc.SenderID)
		if err != nil {
			return err
		}
		f = r.file(tx)
		return nil
	})
	return rc, f, err
}

// SetUploaded implements store.Store.
func (s *Store) SetUploaded(_ context.Context, sid []byte, path string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, sid)
		if err != nil {
			return err
		}
		switch {
		case r.Path != "":
			return store.ErrUploaded
		case r.Blocked != nil:
			return store.ErrBlocked
		}
		r.Path = path
		return putRecord(tx, r)
	})
}

func deleteFile(tx *bbolt.Tx, r record) error {
	for _, rid := range recipients(tx, r.Sid) {
		if err := tx.Bucket(bRcps).Delete(rid); err != nil {
			return err
		}
		if err := tx.Bucket(bFRcps).Delete(frcpKey(r.Sid, rid)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bCreated).Delete(createdKey(r.CreatedAt, r.Sid)); err != nil {
		return err
	}
	return tx.Bucket(bFiles).Delete(r.Sid)
}

// DeleteFile implements store.Store.
func (s *Store) DeleteFile(_ context.Context, sid []byte) (store.File, error) {
	var f store.File
	err := s.db.Update(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, sid)
		if err != nil {
			return err
		}
		f = r.file(tx)
		return deleteFile(tx, r)
	})
	return f, err
}

// DeleteRecipient implements store.Store.
func (s *Store) DeleteRecipient(_ context.Context, rid []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bRcps).Get(rid)
		if v == nil {
			return store.ErrNotFound
		}
		rc, err := parseRcp(rid, v)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bFRcps).Delete(frcpKey(rc.SenderID, rid)); err != nil {
			return err
		}
		return tx.Bucket(bRcps).Delete(rid)
	})
}

// Block implements store.Store.
func (s *Store) Block(_ context.Context, sid []byte, b store.Blocking) (store.File, error) {
	var f store.File
	err := s.db.Update(func(tx *bbolt.Tx) error {
		r, err := getRecord(tx, sid)
		if err != nil {
			return err
		}
		f = r.file(tx)
		r.Blocked, r.Path = &b, ""
		return putRecord(tx, r)
	})
	return f, err
}

// Expired implements store.Store.
func (s *Store) Expired(_ context.Context, before int64, limit int) ([]store.File, error) {
	var out []store.File
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bCreated).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) < 8 || int64(binary.BigEndian.Uint64(k)) >= before {
				break
			}
			r, err := getRecord(tx, k[8:])
			if err != nil {
				continue
			}
			out = append(out, r.file(tx))
		}
		return nil
	})
	return out, err
}

// Uploaded implements store.Store.
func (s *Store) Uploaded(_ context.Context, fn func(sid []byte, path string, size uint32) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bFiles).ForEach(func(k, v []byte) error {
			var r record
			if json.Unmarshal(v, &r) != nil || r.Path == "" {
				return nil
			}
			return fn(r.Sid, r.Path, r.Size)
		})
	})
}

// Stats implements store.Store.
func (s *Store) Stats(_ context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.db.View(func(tx *bbolt.Tx) error {
		st.Recipients = tx.Bucket(bRcps).Stats().KeyN
		return tx.Bucket(bFiles).ForEach(func(k, v []byte) error {
			st.Files++
			var r record
			if json.Unmarshal(v, &r) == nil && r.Path != "" {
				st.Uploaded++
				st.UsedBytes += int64(r.Size)
			}
			return nil
		})
	})
	return st, err
}
