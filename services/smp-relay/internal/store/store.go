// Package store defines how smp-relay keeps queues and messages: the Store
// interface, the records it holds and its errors. Backends live in sibling
// packages (bolt for a single node; a JetStream one for fleets).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/simplexgo/protocol/crypto"
)

// Errors of every Store implementation.
var (
	// ErrNotFound: no queue with that id. Servers answer it with AUTH so
	// that a client cannot tell a missing queue from a wrong key.
	ErrNotFound = errors.New("store: queue not found")
	// ErrDuplicate: an id is already taken (ids are random; callers retry).
	ErrDuplicate = errors.New("store: duplicate id")
	// ErrHasNotifier etc. are state conflicts mapped to AUTH by the server.
	ErrConflict = errors.New("store: conflicting queue state")
)

// Status of a queue.
type Status uint8

// Queue statuses. Off is the recipient's OFF (suspended: no more SENDs);
// Blocked is set by the operator and carries BlockInfo.
const (
	StatusActive Status = iota
	StatusOff
	StatusBlocked
)

// IDParty names which of a queue's ids a lookup uses.
type IDParty uint8

// The three ids a queue is known by.
const (
	Recipient IDParty = iota
	Sender
	Notifier
)

// NotifierCreds are the notifier half of a queue (NKEY/NID).
type NotifierCreds struct {
	ID        []byte           // notifierId, 24 random bytes
	Key       crypto.PublicKey // key that authorizes NSUB
	DhSecret  []byte           // DH(recipient's notifier DH key, server key): encrypts NMSG meta
	CreatedAt time.Time
}

// Queue is a queue record. Slices are owned by the record.
type Queue struct {
	RecipientID     []byte
	SenderID        []byte
	RecipientKey    crypto.PublicKey
	RcvDhSecret     []byte           // DH(recipient's DH key, server key): encrypts delivered messages
	SenderKey       crypto.PublicKey // zero until KEY/SKEY
	SenderCanSecure bool
	Notifier        *NotifierCreds
	Status          Status
	BlockInfo       []byte // encoded BlockingInfo when Status == StatusBlocked
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Message is a stored message or the quota marker.
type Message struct {
	ID    []byte // 24 random bytes, also the nonce of the delivered MSG
	Ts    time.Time
	Flags []byte // the SEND flags as received (notification bool + reserved)
	Body  []byte
	Quota bool // the quota marker: no Flags, no Body
}

// WriteResult is what WriteMessage did.
type WriteResult struct {
	Stored   bool // false: over quota (a marker may have been stored instead)
	WasEmpty bool // the queue had no messages before this one
}

// Store keeps queues and their messages. Every method is safe for
// concurrent use. A WriteMessage that returns Stored is durable (fsynced)
// before it returns.
type Store interface {
	CreateQueue(ctx context.Context, q *Queue) error
	GetQueue(ctx context.Context, party IDParty, id []byte) (*Queue, error)
	// SecureQueue sets the sender key; setting the same key again succeeds,
	// another key is ErrConflict.
	SecureQueue(ctx context.Context, rid []byte, key crypto.PublicKey) error
	// SetNotifier adds or replaces the notifier; a notifier id taken by
	// another queue is ErrDuplicate.
	SetNotifier(ctx context.Context, rid []byte, n *NotifierCreds) error
	DeleteNotifier(ctx context.Context, rid []byte) error
	SetStatus(ctx context.Context, rid []byte, st Status, blockInfo []byte) error
	// DeleteQueue removes the queue, its ids and its messages.
	DeleteQueue(ctx context.Context, rid []byte) error

	// WriteMessage appends m unless the queue is over quota: the first
	// write over quota stores a quota marker with m's id and timestamp
	// instead, and every later write is refused until the queue is empty.
	WriteMessage(ctx context.Context, rid []byte, m *Message, quota int) (WriteResult, error)
	// PeekMessage returns the oldest message, or nil.
	PeekMessage(ctx context.Context, rid []byte) (*Message, error)
	// DeleteMessage deletes the oldest message if its id is msgID (an empty
	// msgID matches any) and returns whether it did and the next message.
	DeleteMessage(ctx context.Context, rid, msgID []byte) (deleted bool, next *Message, err error)
	// QueueSize reports the number of stored messages, marker included.
	QueueSize(ctx context.Context, rid []byte) (int, error)
	// ExpireMessages deletes messages older than before from every queue
	// and returns how many it deleted.
	ExpireMessages(ctx context.Context, before time.Time) (int, error)
	// Stats reports counts kept by the store.
	Stats(ctx context.Context) (Stats, error)
	Close() error
}

// Stats are store-wide counts.
type Stats struct {
	Queues   int
	Messages int
}
