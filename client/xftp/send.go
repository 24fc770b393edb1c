package xftp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
)

// Options configure Send, Receive and Delete; the zero value uses the
// defaults below.
type Options struct {
	// Config tunes the connections.
	Config Config
	// Recipients is the number of recipient descriptions Send makes
	// (default 1): each gets its own recipient key and ID per chunk.
	Recipients int
	// Retries is how many times a failed request is repeated on a new
	// connection (default 3) [FCM retryCount].
	Retries int
	// RetryDelay is the wait before the first retry; later retries wait
	// longer (default 1 s).
	RetryDelay time.Duration
	// Parallel is how many chunks are transferred at once, whatever their
	// servers (default 8). The reference transfers the chunks of one server
	// one at a time, up to 16 servers at once [FCM pooledForConcurrentlyN
	// over the chunks grouped by server], and its agent has one worker per
	// server: Parallel 1 is what a single-server file sees from it.
	Parallel int
	// TempDir holds the encrypted file or the downloaded chunks (default
	// os.TempDir()).
	TempDir string
	// MaxFileSize is the largest file Send accepts (default 1 GiB, the
	// reference CLI's limit) [FCM maxFileSize]; Receive accepts encrypted
	// files up to MaxFileSize plus the largest chunk.
	MaxFileSize int64
	// Random is the source of keys and nonces (default crypto/rand).
	Random io.Reader
}

// MaxRecipients bounds Options.Recipients: FNEW carries a list of at most
// 255 keys.
const MaxRecipients = 255

func (o Options) withDefaults() Options {
	if o.Recipients <= 0 {
		o.Recipients = 1
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 3
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = xftp.GB(1)
	}
	if o.Random == nil {
		o.Random = rand.Reader
	}
	o.Config = o.Config.withDefaults()
	return o
}

// SendResult holds the descriptions of an uploaded file: one per recipient
// (to pass on, e.g. as a link, see xftp.FileDescriptionURI) and the
// sender's (private: it can delete the file, see Delete).
type SendResult struct {
	Recipients []xftp.FileDescription
	Sender     xftp.FileDescription
}

// Progress is called with the bytes of the encrypted file transferred so
// far and its size. It may be called from several goroutines, never
// concurrently.
type Progress func(done, total int64)

// Send encrypts the file at path and uploads its chunks to servers, spread
// over them in turn from a random start, Options.Parallel at a time, each
// with a new sender key and one recipient key per recipient (all Ed25519)
// [FCM cliSendFileOpts]. The server's password (the address's BasicAuth)
// is sent in FNEW. On failure chunks already uploaded are left to expire
// on the servers, as the reference does.
func Send(ctx context.Context, path string, servers []address.ServerAddress, opts Options, progress Progress) (*SendResult, error) {
	opts = opts.withDefaults()
	if len(servers) == 0 {
		return nil, ErrNoServers
	}
	if opts.Recipients > MaxRecipients {
		return nil, fmt.Errorf("xftp: %d recipients, at most %d", opts.Recipients, MaxRecipients)
	}
	for _, srv := range servers {
		if err := checkServer(srv); err != nil {
			return nil, err
		}
	}
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("xftp: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return nil, fmt.Errorf("xftp: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("xftp: %s is not a regular file", path)
	}
	if st.Size() > opts.MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrFileTooLarge, st.Size(), opts.MaxFileSize)
	}
	enc, err := os.CreateTemp(opts.TempDir, "xftp-*.enc")
	if err != nil {
		return nil, fmt.Errorf("xftp: %w", err)
	}
	defer func() {
		enc.Close()
		os.Remove(enc.Name())
	}()
	ef, err := EncryptFile(enc, src, st.Size(), filepath.Base(path), opts.Random)
	if err != nil {
		return nil, err
	}
	return Upload(ctx, enc, ef, servers, opts, progress)
}

// sentChunk is an uploaded chunk with its keys and IDs.
type sentChunk struct {
	server  address.ServerAddress
	sndKey  crypto.PrivateKey
	sndID   []byte
	rcvKeys []crypto.PrivateKey
	rcvIDs  [][]byte
}

// Upload uploads the chunks of an encrypted file read from enc (see
// EncryptFile) and returns its descriptions; see Send.
func Upload(ctx context.Context, enc io.ReaderAt, ef *EncryptedFile, servers []address.ServerAddress, opts Options, progress Progress) (*SendResult, error) {
	opts = opts.withDefaults()
	if len(servers) == 0 {
		return nil, ErrNoServers
	}
	first, err := rand.Int(opts.Random, big.NewInt(int64(len(servers))))
	if err != nil {
		return nil, fmt.Errorf("xftp: random: %w", err)
	}
	p := newPool(opts.Config)
	defer p.close()
	pr := newProgress(ef.Size, progress)
	sent := make([]sentChunk, len(ef.Chunks))
	err = runParallel(ctx, len(ef.Chunks), opts.Parallel, func(ctx context.Context, i int) error {
		srv := servers[(int(first.Int64())+i)%len(servers)]
		sc, err := uploadChunk(ctx, p, srv, enc, ef.Chunks[i], opts)
		if err != nil {
			return fmt.Errorf("xftp: chunk %d to %s: %w", i+1, srv, err)
		}
		sent[i] = sc
		pr.add(int64(ef.Chunks[i].Size))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return describe(ef, sent, opts.Recipients), nil
}

// uploadChunk creates a chunk on srv and uploads it [FCM uploadFileChunk].
func uploadChunk(ctx context.Context, p *pool, srv address.ServerAddress, enc io.ReaderAt, spec ChunkSpec, opts Options) (sentChunk, error) {
	// Descriptions name the server without its password, as the
	// reference's XFTPServer does [FCM SentFileChunkReplica].
	sc := sentChunk{server: srv}
	sc.server.BasicAuth = ""
	var err error
	if sc.sndKey, err = crypto.GenerateKey(crypto.Ed25519, opts.Random); err != nil {
		return sc, err
	}
	rcvPub := make([]crypto.PublicKey, opts.Recipients)
	sc.rcvKeys = make([]crypto.PrivateKey, opts.Recipients)
	for i := range sc.rcvKeys {
		if sc.rcvKeys[i], err = crypto.GenerateKey(crypto.Ed25519, opts.Random); err != nil {
			return sc, err
		}
		rcvPub[i] = sc.rcvKeys[i].Public()
	}
	var password []byte
	if srv.BasicAuth != "" {
		password = []byte(srv.BasicAuth)
	}
	err = p.withRetry(ctx, srv, opts.Retries, opts.RetryDelay, func(c *Client, _ int) error {
		var err error
		sc.sndID, sc.rcvIDs, err = c.CreateChunk(ctx, sc.sndKey, spec.Size, spec.Digest, rcvPub, password)
		return err
	})
	if err != nil {
		return sc, err
	}
	// A repeated FPUT after a successful one is answered OK [FS
	// receiveServerFile], so retrying after a lost answer is safe.
	err = p.withRetry(ctx, srv, opts.Retries, opts.RetryDelay, func(c *Client, _ int) error {
		return c.UploadChunk(ctx, sc.sndKey, sc.sndID, io.NewSectionReader(enc, spec.Offset, int64(spec.Size)), spec.Size)
	})
	return sc, err
}

// describe builds the recipient and sender descriptions [FCM
// createRcvFileDescriptions, createSndFileDescription]: every chunk has one
// replica; recipient r gets the r-th recipient ID and key. The default
// chunk size is the first chunk's.
func describe(ef *EncryptedFile, sent []sentChunk, recipients int) *SendResult {
	base := xftp.FileDescription{
		Size:      ef.Size,
		Digest:    ef.Digest,
		Key:       ef.Key,
		Nonce:     ef.Nonce,
		ChunkSize: ef.Chunks[0].Size,
	}
	res := &SendResult{Sender: base}
	res.Sender.Party = xftp.PartySender
	for i, sc := range sent {
		res.Sender.Chunks = append(res.Sender.Chunks, xftp.FileChunk{
			ChunkNo:   i + 1,
			ChunkSize: ef.Chunks[i].Size,
			Digest:    ef.Chunks[i].Digest,
			Replicas:  []xftp.FileChunkReplica{{Server: sc.server, ReplicaID: sc.sndID, ReplicaKey: sc.sndKey}},
		})
	}
	for r := range recipients {
		fd := base
		fd.Party = xftp.PartyRecipient
		for i, sc := range sent {
			fd.Chunks = append(fd.Chunks, xftp.FileChunk{
				ChunkNo:   i + 1,
				ChunkSize: ef.Chunks[i].Size,
				Digest:    ef.Chunks[i].Digest,
				Replicas:  []xftp.FileChunkReplica{{Server: sc.server, ReplicaID: sc.rcvIDs[r], ReplicaKey: sc.rcvKeys[r]}},
			})
		}
		res.Recipients = append(res.Recipients, fd)
	}
	return res
}

// Delete deletes every chunk of a sent file from its servers (FDEL with
// the sender description) [FCM cliDeleteFile]. Chunks already gone (ERR
// AUTH) count as deleted.
func Delete(ctx context.Context, fd xftp.FileDescription, opts Options) error {
	opts = opts.withDefaults()
	if fd.Party != xftp.PartySender {
		return fmt.Errorf("%w: not a sender description", ErrDescription)
	}
	p := newPool(opts.Config)
	defer p.close()
	var mu sync.Mutex
	var errs []error
	_ = runParallel(ctx, len(fd.Chunks), opts.Parallel, func(ctx context.Context, i int) error {
		for _, r := range fd.Chunks[i].Replicas {
			err := p.withRetry(ctx, r.Server, opts.Retries, opts.RetryDelay, func(c *Client, _ int) error {
				return c.DeleteChunk(ctx, r.ReplicaKey, r.ReplicaID)
			})
			if err != nil && !IsServerError(err, xftp.ErrAUTH) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("xftp: delete chunk %d on %s: %w", fd.Chunks[i].ChunkNo, r.Server, err))
				mu.Unlock()
			}
		}
		return nil
	})
	return errors.Join(errs...)
}

// runParallel runs f(0..n-1), at most par at a time; the first error
// cancels the others and is returned.
func runParallel(ctx context.Context, n, par int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel(err) })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// progressCounter serializes Progress calls.
type progressCounter struct {
	mu    sync.Mutex
	done  int64
	total int64
	f     Progress
}

func newProgress(total int64, f Progress) *progressCounter {
	return &progressCounter{total: total, f: f}
}

func (p *progressCounter) add(n int64) {
	if p.f == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.f(p.done, p.total)
}
