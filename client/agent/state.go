package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/simplexgo/client/ratchet"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
)

// ErrNotFound is returned for an unknown connection.
var ErrNotFound = errors.New("agent: connection not found")

// Store keeps the agent's connections as opaque records. Implementations
// must be safe for concurrent use; package store has an encrypted bbolt
// implementation, MemStore keeps them in memory.
type Store interface {
	Put(id string, data []byte) error
	Get(id string) ([]byte, error) // ErrNotFound when absent
	List() ([]string, error)
	Delete(id string) error
}

// MemStore is a Store in memory.
type MemStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}} }

// Put implements Store.
func (s *MemStore) Put(id string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = append([]byte(nil), data...)
	return nil
}

// Get implements Store.
func (s *MemStore) Get(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

// List implements Store.
func (s *MemStore) List() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.m))
	for id := range s.m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// Delete implements Store.
func (s *MemStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// QueueStatus is the status of a queue [AS QueueStatus].
type QueueStatus string

// Queue statuses.
const (
	QueueNew       QueueStatus = "new"       // created / not yet used
	QueueConfirmed QueueStatus = "confirmed" // confirmation sent / received
	QueueSecured   QueueStatus = "secured"   // KEY / SKEY done
	QueueActive    QueueStatus = "active"
)

// RcvQueue is a queue this agent receives from [AS RcvQueue].
type RcvQueue struct {
	Server        string // smp:// address
	RcvID, SndID  []byte
	RcvKey        crypto.PrivateKey // Ed25519, authorizes recipient commands
	RcvDHSecret   []byte            // with the server's DH key, for MSG bodies
	E2EKey        crypto.PrivateKey // X25519, its public half is in the queue address
	E2EDHSecret   []byte            // with the sender's key, once confirmed
	Mode          address.QueueMode
	ClientVersion uint16
	Status        QueueStatus
	Notifier      *queueNotifier `json:",omitempty"` // after EnableNotifications
}

// SndQueue is a queue this agent sends to [AS SndQueue].
type SndQueue struct {
	Server        string
	SndID         []byte
	SndKey        crypto.PrivateKey // Ed25519, authorizes SEND / SKEY
	E2EPubKey     crypto.PublicKey  // own X25519 key, sent in the confirmation
	E2EDHSecret   []byte            // with the recipient's queue key
	Mode          address.QueueMode
	ClientVersion uint16
	Status        QueueStatus
}

// ConnStatus is where a connection is in the handshake.
type ConnStatus string

// Connection statuses.
const (
	ConnNew       ConnStatus = "new"       // invitation created
	ConnJoining   ConnStatus = "joining"   // joining, not all steps done yet
	ConnJoined    ConnStatus = "joined"    // confirmation sent, waiting for the peer's
	ConnConfirmed ConnStatus = "confirmed" // peer's confirmation received (CONF), waiting for AllowConnection
	ConnAllowed   ConnStatus = "allowed"   // own confirmation sent, waiting for HELLO (legacy procedure)
	ConnActive    ConnStatus = "active"    // CON
)

// sentMsg is what a receipt is checked against.
type sentMsg struct {
	InternalID int64
	Hash       []byte
}

// rcvMsg is a received A_MSG waiting for the user's acknowledgement.
type rcvMsg struct {
	SrvMsgID []byte
	SndMsgID int64
	Hash     []byte
}

// Conn is the persistent state of one connection.
type Conn struct {
	ID           string
	Initiator    bool
	Contact      bool // a contact address: receives connection requests only
	Status       ConnStatus
	AgentVersion uint16
	E2EVersion   uint16

	Rcv *RcvQueue `json:",omitempty"`
	Snd *SndQueue `json:",omitempty"`

	// The joining party's X3DH parameters and link hash, until its
	// confirmation is sent (to resume a failed join).
	JoinE2E  *ratchet.E2EParams `json:",omitempty"`
	JoinLink []byte             `json:",omitempty"`

	// X3DH private keys of the initiator, until the confirmation.
	X3DHKey1, X3DHKey2 *crypto.PrivateKey `json:",omitempty"`
	Ratchet            *ratchet.Ratchet   `json:",omitempty"`

	// The peer's confirmation, kept between CONF and AllowConnection.
	PeerQueues    []QueueInfo       `json:",omitempty"`
	PeerSenderKey *crypto.PublicKey `json:",omitempty"` // legacy procedure

	// Message ids and hashes [AS updateSndIds, updateRcvIds].
	LastInternalID int64
	LastSndMsgID   int64 // own sndMsgId counter
	LastSndHash    []byte
	LastExtSndID   int64 // peer's last sndMsgId
	LastRcvHash    []byte
	Sent           map[int64]sentMsg `json:",omitempty"` // by sndMsgId, recent
	Received       map[int64]rcvMsg  `json:",omitempty"` // by internal id, until acknowledged

	// Contact requests received on a contact address, by invitation id.
	Invitations map[string]invitation `json:",omitempty"`

	// Encrypted messages not yet accepted by the server, in order.
	Pending []pendingMsg `json:",omitempty"`
}

// pendingMsg is an encrypted message waiting to be sent (again).
type pendingMsg struct {
	InternalID int64
	Type       AMessageType
	Notify     bool
	Wire       []byte // the SEND body
}

// maxSentKept bounds the sent message hashes kept for receipts.
const maxSentKept = 1000

func (c *Conn) encode() ([]byte, error) { return json.Marshal(c) }

func decodeConn(b []byte) (*Conn, error) {
	var c Conn
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("agent: stored connection: %w", err)
	}
	return &c, nil
}

func (c *Conn) rememberSent(sndID, internalID int64, hash []byte) {
	if c.Sent == nil {
		c.Sent = map[int64]sentMsg{}
	}
	c.Sent[sndID] = sentMsg{InternalID: internalID, Hash: hash}
	delete(c.Sent, sndID-maxSentKept)
}
