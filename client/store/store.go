// Package store keeps the client's state in a bbolt file, encrypted at
// rest: every record is sealed with XSalsa20-Poly1305 (NaCl secretbox)
// under a key derived from a passphrase with Argon2id. It implements
// agent.Store.
//
// File layout (buckets):
//
//	meta:  "salt" 16 bytes, "kdf" w32(time) w32(memoryKiB) byte(threads),
//	       "check" the sealed record of the empty id (passphrase check)
//	conns: id -> nonce(24) secretbox(key, nonce, short(id) data)
//	other buckets (Bucket) have the same record format
//
// The id inside the sealed record binds it to its key: a record moved
// under another id does not open.
package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/argon2"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Errors of the store.
var (
	ErrPassphrase = errors.New("store: wrong passphrase")
	ErrCorrupt    = errors.New("store: corrupt record")
)

var (
	bucketMeta  = []byte("meta")
	bucketConns = []byte("conns")
	keySalt     = []byte("salt")
	keyKDF      = []byte("kdf")
	keyCheck    = []byte("check")
)

// KDFParams are the Argon2id parameters of a new store; an existing store
// uses the parameters it was created with.
type KDFParams struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF is RFC 9106's second recommended option (64 MiB, 3 passes).
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// Store is an encrypted bbolt store. Its own methods use the "conns"
// bucket; Bucket gives other named buckets with the same encryption.
type Store struct {
	db     *bolt.DB
	key    *[crypto.KeySize]byte
	bucket []byte
}

var _ agent.Store = (*Store)(nil)

// Open opens or creates the store at path. A new store gets a random salt
// and the given KDF parameters (zero value: DefaultKDF).
func Open(path string, passphrase []byte, p KDFParams) (*Store, error) {
	if p == (KDFParams{}) {
		p = DefaultKDF
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s := &Store{db: db, key: new([crypto.KeySize]byte), bucket: bucketConns}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketConns); err != nil {
			return err
		}
		salt := meta.Get(keySalt)
		if salt == nil { // new store
			salt = make([]byte, 16)
			if _, err := io.ReadFull(rand.Reader, salt); err != nil {
				return err
			}
			kdf, _ := encoding.NewBuffer(nil).Word32(p.Time).Word32(p.MemoryKiB).Byte(p.Threads).Bytes()
			*s.key = deriveKey(passphrase, salt, p)
			check, err := s.seal("", nil)
			if err != nil {
				return err
			}
			for k, v := range map[string][]byte{"salt": salt, "kdf": kdf, "check": check} {
				if err := meta.Put([]byte(k), v); err != nil {
					return err
				}
			}
			return nil
		}
		d := encoding.NewDecoder(meta.Get(keyKDF))
		stored := KDFParams{Time: d.Word32(), MemoryKiB: d.Word32(), Threads: d.Byte()}
		if d.Finish() != nil || stored.Time == 0 || stored.Threads == 0 || stored.MemoryKiB > 4<<20 {
			return fmt.Errorf("%w: kdf parameters", ErrCorrupt)
		}
		*s.key = deriveKey(passphrase, salt, stored)
		if _, err := s.open("", meta.Get(keyCheck)); err != nil {
			return ErrPassphrase
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

func deriveKey(passphrase, salt []byte, p KDFParams) (k [crypto.KeySize]byte) {
	copy(k[:], argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, crypto.KeySize))
	return k
}

// Bucket returns a store of the same file and key over another bucket
// (created if needed); name must not be "meta".
func (s *Store) Bucket(name string) (*Store, error) {
	if name == string(bucketMeta) {
		return nil, fmt.Errorf("store: reserved bucket %q", name)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(name))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: bucket: %w", err)
	}
	return &Store{db: s.db, key: s.key, bucket: []byte(name)}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) seal(id string, data []byte) ([]byte, error) {
	var nonce [crypto.NonceSize]byte
	if _, err := io.ReadFull(rand.Reader, nonce[:]); err != nil {
		return nil, fmt.Errorf("store: nonce: %w", err)
	}
	if len(id) > 255 {
		return nil, fmt.Errorf("store: id of %d bytes", len(id))
	}
	plain, _ := encoding.NewBuffer(nil).Short([]byte(id)).Raw(data).Bytes()
	return append(nonce[:], crypto.SecretBox(*s.key, nonce, plain)...), nil
}

func (s *Store) open(id string, rec []byte) ([]byte, error) {
	if len(rec) < crypto.NonceSize {
		return nil, ErrCorrupt
	}
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], rec)
	plain, err := crypto.OpenSecretBox(*s.key, nonce, rec[crypto.NonceSize:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	d := encoding.NewDecoder(plain)
	if got := d.Short(); d.Err() != nil || !bytes.Equal(got, []byte(id)) {
		return nil, fmt.Errorf("%w: record of another id", ErrCorrupt)
	}
	return bytes.Clone(d.Tail()), nil
}

// Put implements agent.Store.
func (s *Store) Put(id string, data []byte) error {
	rec, err := s.seal(id, data)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(s.bucket).Put([]byte(id), rec)
	})
}

// Get implements agent.Store.
func (s *Store) Get(id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		rec := tx.Bucket(s.bucket).Get([]byte(id))
		if rec == nil {
			return agent.ErrNotFound
		}
		var err error
		out, err = s.open(id, rec)
		return err
	})
	return out, err
}

// List implements agent.Store.
func (s *Store) List() ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(s.bucket).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

// Delete implements agent.Store.
func (s *Store) Delete(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(s.bucket).Delete([]byte(id))
	})
}
