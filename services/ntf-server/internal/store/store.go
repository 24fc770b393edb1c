// Package store defines the NTF server's persistent state: tokens,
// subscriptions and the last notifications of each token, behind the Store
// interface. Package bolt implements it on bbolt; package storetest is the
// suite every implementation must pass.
//
// The semantics follow the reference's PostgreSQL store [NST
// Store/Postgres.hs]: a token is found by id or by (provider, device token,
// verify key); a subscription by id or by (SMP server, notifier id); the
// last notifications are kept per (token, subscription), at most
// MaxLastNtfs per token, and returned oldest first.
package store

import (
	"errors"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
)

// Errors of the store.
var (
	// ErrNotFound is returned when no entity has the id (answered AUTH).
	ErrNotFound = errors.New("store: not found")
	// ErrExists is returned when adding an entity whose id or queue is taken.
	ErrExists = errors.New("store: already exists")
	// ErrNotActive is reported by AddLastNtfs when the token is not ACTIVE.
	ErrNotActive = errors.New("store: token not active")
)

// MaxLastNtfs is how many notifications (the newest per subscription) a
// message push carries [NST addTokenLastNtf maxNtfs].
const MaxLastNtfs = 6

// Token is a registered device token [NST NtfTknRec].
type Token struct {
	ID          []byte
	Provider    ntf.Provider
	DeviceToken []byte // lower-case hex ASCII, as sent in TNEW/TRPL
	Status      ntf.TokenStatus
	VerifyKey   crypto.PublicKey  // authorizes the token's commands
	DHPrivKey   crypto.PrivateKey // the server's X25519 key for this token
	DHSecret    []byte            // DH(client key, DHPrivKey): encrypts push data
	RegCode     []byte            // 32 random bytes, pushed for TVFY
	CronMinutes uint16            // TCRN interval; 0 = off
	CronSentAt  int64             // unix seconds of the last periodic push (or of TCRN)
	CreatedAt   int64             // unix seconds
}

// Subscription is a notification subscription to one SMP queue [NST NtfSubRec].
type Subscription struct {
	ID          []byte
	TokenID     []byte
	Server      address.ServerAddress // as the client gave it in SNEW
	NotifierID  []byte
	NotifierKey crypto.PrivateKey // signs NSUB
	Status      ntf.SubStatus
}

// ServerKey returns the key that identifies an SMP server in the store and
// in the subscriber: its identity hash, hosts and port (not the password),
// as the reference keys smp_servers by host, port and key hash.
func ServerKey(a address.ServerAddress) string {
	a.BasicAuth = ""
	a.Port = a.ServerPort()
	return a.String()
}

// LastNtfResult is the outcome of one notification of AddLastNtfs.
type LastNtfResult struct {
	Token Token
	List  []ntf.PNMessageData
	Err   error // nil, ErrNotFound or ErrNotActive
}

// Counts are the numbers of entities in the store.
type Counts struct {
	Tokens, Subscriptions, LastNtfs int
}

// Store is the NTF server's persistent state. Implementations are safe for
// concurrent use; each method is atomic.
type Store interface {
	// AddToken stores a new token (ErrExists if the id is taken).
	AddToken(t Token) error
	// GetToken returns the token with this id, or ErrNotFound.
	GetToken(id []byte) (Token, error)
	// FindTokenRegistration returns the token registered with this
	// provider, device token and verify key [NST findNtfTokenRegistration].
	FindTokenRegistration(p ntf.Provider, deviceToken []byte, verifyKey crypto.PublicKey) (Token, bool, error)
	// UpdateToken replaces a stored token (device token, status, code,
	// cron settings); ErrNotFound if it is gone.
	UpdateToken(t Token) error
	// UpdateTokenStatus sets the status of token id when cond(current)
	// holds, reporting whether it changed [NST updateTknStatus,
	// setTknStatusConfirmed].
	UpdateTokenStatus(id []byte, cond func(ntf.TokenStatus) bool, to ntf.TokenStatus) (bool, error)
	// ActivateToken sets token id ACTIVE and deletes the other tokens of the
	// same device, returning their subscriptions [NST setTokenActive].
	ActivateToken(id []byte) ([]Subscription, error)
	// DeleteToken deletes a token with its subscriptions and last
	// notifications, returning the deleted subscriptions [NST deleteNtfToken].
	DeleteToken(id []byte) ([]Subscription, error)
	// PeriodicTokens returns the ACTIVE tokens with a cron interval whose
	// last periodic push (or TCRN) is at least one interval before now
	// [NST withPeriodicNtfTokens].
	PeriodicTokens(now int64) ([]Token, error)
	// SetCronSentAt records a periodic push [NST updateTokenCronSentAt].
	SetCronSentAt(id []byte, at int64) error

	// AddSubscription stores a new subscription; ErrExists when the queue
	// (server, notifier id) already has one [NST addNtfSubscription].
	AddSubscription(s Subscription) error
	// FindSubscription returns the subscription of a queue, if any.
	FindSubscription(srv address.ServerAddress, notifierID []byte) (Subscription, bool, error)
	// GetSubscription returns the subscription with this id, or ErrNotFound.
	GetSubscription(id []byte) (Subscription, error)
	// DeleteSubscription deletes a subscription and its last notification.
	DeleteSubscription(id []byte) (Subscription, error)
	// SetSubStatus sets the status of the subscriptions of these queues of
	// one server, returning how many changed [NST batchUpdateSrvSubStatus].
	SetSubStatus(srv address.ServerAddress, notifierIDs [][]byte, st ntf.SubStatus) (int, error)
	// ForEachSubscription calls fn for every subscription (restart
	// resubscription); fn must not call the store.
	ForEachSubscription(fn func(Subscription) error) error
	// TokenSubscriptionCount returns the number of subscriptions of a token.
	TokenSubscriptionCount(tokenID []byte) (int, error)

	// AddLastNtfs records notifications, in order, in one atomic write:
	// for each, the queue's subscription gets it as its last notification
	// and the result carries the token and the token's last notifications
	// (newest per subscription, at most MaxLastNtfs, oldest first), each
	// notification seeing the ones before it. ErrNotFound (the queue has no
	// subscription) and ErrNotActive (the token is not ACTIVE) are per
	// notification, in the results; any other error fails the whole batch
	// [NST addTokenLastNtf].
	AddLastNtfs(ms []ntf.PNMessageData) ([]LastNtfResult, error)

	// Counts returns the number of entities.
	Counts() (Counts, error)
	// Close releases the store.
	Close() error
}
