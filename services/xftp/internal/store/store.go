// Package store defines xftp-server's record store: one record per file
// (a chunk, named by its sender id) and one per recipient id [FS Store
// FileStoreClass]. Chunk bytes live in files beside it (see package
// server); a record only names the file once the upload is committed.
package store

import (
	"context"
	"errors"
)

// Sentinel errors. The server maps ErrNotFound and ErrUploaded to AUTH, as
// the reference's store does.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrDuplicate = errors.New("store: duplicate id")
	ErrUploaded  = errors.New("store: file already uploaded")
	ErrBlocked   = errors.New("store: file blocked")
)

// Blocking is an operator's block of a file [MP BlockingInfo]: Reason is
// "spam" or "content"; Notice reports whether a client notice is sent and
// NoticeTTL its optional ttl.
type Blocking struct {
	Reason    string
	Notice    bool
	NoticeTTL *int64
}

// File is one stored chunk.
type File struct {
	SenderID  []byte
	SndKey    []byte // DER SubjectPublicKeyInfo that authorizes sender commands
	Size      uint32 // declared chunk size
	Digest    []byte // SHA-256 of the chunk
	CreatedAt int64  // Unix seconds, rounded down to the hour as the reference [FS getFileTime]
	// Path is the chunk file's name inside the files directory; empty
	// until FPUT commits the upload.
	Path       string
	Blocked    *Blocking
	Recipients [][]byte // recipient ids, in creation order
}

// Recipient is one recipient id of a file.
type Recipient struct {
	ID       []byte
	SenderID []byte
	Key      []byte // DER SubjectPublicKeyInfo that authorizes FGET/FACK
}

// Stats are the store's totals.
type Stats struct {
	Files      int   // records
	Uploaded   int   // records with a committed chunk
	UsedBytes  int64 // sum of the sizes of committed chunks
	Recipients int
}

// Store is the record store. Every method is safe for concurrent use.
type Store interface {
	// AddFile creates f (its Recipients and Path are ignored); ErrDuplicate
	// if the sender id exists.
	AddFile(ctx context.Context, f File) error
	// AddRecipient adds a recipient id to an existing file: ErrNotFound,
	// ErrDuplicate when the recipient id exists.
	AddRecipient(ctx context.Context, r Recipient) error
	// File returns the file with this sender id.
	File(ctx context.Context, senderID []byte) (File, error)
	// Recipient returns the recipient with this id and its file.
	Recipient(ctx context.Context, rcpID []byte) (Recipient, File, error)
	// SetUploaded records the committed chunk file: ErrUploaded if one
	// is already recorded, ErrBlocked for a blocked file.
	SetUploaded(ctx context.Context, senderID []byte, path string) error
	// DeleteFile removes the file and its recipients and returns it.
	DeleteFile(ctx context.Context, senderID []byte) (File, error)
	// DeleteRecipient removes one recipient id (FACK).
	DeleteRecipient(ctx context.Context, rcpID []byte) error
	// Block marks the file blocked and forgets its chunk path (the caller
	// removes the chunk file).
	Block(ctx context.Context, senderID []byte, b Blocking) (File, error)
	// Expired returns up to limit files created before the given time
	// (Unix seconds).
	Expired(ctx context.Context, before int64, limit int) ([]File, error)
	// Uploaded calls fn with the path of every committed chunk.
	Uploaded(ctx context.Context, fn func(senderID []byte, path string, size uint32) error) error
	// Stats returns the totals.
	Stats(ctx context.Context) (Stats, error)
	// Close releases the store.
	Close() error
}
