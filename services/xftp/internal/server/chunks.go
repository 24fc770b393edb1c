package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/simplexgo/protocol/xftp"
)

// chunkDir stores chunk files. A committed chunk is the file
// <dir>/<base64url(senderId)> (the reference's name [FS receiveServerFile]);
// an upload in progress writes <dir>/.tmp/<random>, which is synced and
// renamed into place only after its size and digest are checked, so a
// partial file is never served. Temporary files left by a crash are
// removed at start.
type chunkDir struct{ dir string }

const tmpDir = ".tmp"

// Errors of receiving a chunk, mapped to SIZE, DIGEST and TIMEOUT/FILE_IO.
var (
	errChunkSize   = errors.New("chunk: wrong size")
	errChunkDigest = errors.New("chunk: wrong digest")
)

func newChunkDir(dir string) (*chunkDir, error) {
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("files directory: %w", err)
	}
	return &chunkDir{dir: dir}, nil
}

// chunkName is the file name of a committed chunk.
func chunkName(senderID []byte) string { return base64.URLEncoding.EncodeToString(senderID) }

func (c *chunkDir) path(name string) string { return filepath.Join(c.dir, filepath.Base(name)) }

// receive copies exactly size bytes of r into a temporary file, checks that
// r then ends and that the SHA-256 of the bytes is digest, and syncs the
// file. It returns the temporary path; the caller commits or removes it.
// The chunk is streamed in 16 KB pieces and never held in memory.
func (c *chunkDir) receive(r io.Reader, size uint32, digest []byte) (string, error) {
	var rnd [12]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(c.dir, tmpDir, base64.RawURLEncoding.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("chunk: create: %w", err)
	}
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	h := sha256.New()
	buf := make([]byte, copyBufSize)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(r, int64(size)), buf)
	if err != nil {
		return fail(fmt.Errorf("chunk: read: %w", err))
	}
	if n < int64(size) {
		return fail(errChunkSize)
	}
	// The body must end here: one more byte means it is too long.
	if m, err := io.ReadFull(r, buf[:1]); m > 0 {
		return fail(errChunkSize)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return fail(fmt.Errorf("chunk: read: %w", err))
	}
	if !bytes.Equal(h.Sum(nil), digest) {
		return fail(errChunkDigest)
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("chunk: sync: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("chunk: close: %w", err)
	}
	return tmp, nil
}

// commit renames a received temporary file to the chunk's name and syncs the
// directory.
func (c *chunkDir) commit(tmp, name string) error {
	if err := os.Rename(tmp, c.path(name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("chunk: commit: %w", err)
	}
	if d, err := os.Open(c.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// open opens a committed chunk.
func (c *chunkDir) open(name string) (*os.File, error) { return os.Open(c.path(name)) }

// remove deletes a committed chunk; a missing file is not an error.
func (c *chunkDir) remove(name string) error {
	if name == "" {
		return nil
	}
	if err := os.Remove(c.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("chunk: remove: %w", err)
	}
	return nil
}

// cleanup removes temporary uploads and every chunk file that keep(name)
// rejects (a crash between rename and the store update leaves one). It
// returns the number of files removed.
func (c *chunkDir) cleanup(keep func(name string) bool) (int, error) {
	removed := 0
	tmps, err := os.ReadDir(filepath.Join(c.dir, tmpDir))
	if err != nil {
		return 0, fmt.Errorf("chunk: cleanup: %w", err)
	}
	for _, e := range tmps {
		if os.Remove(filepath.Join(c.dir, tmpDir, e.Name())) == nil {
			removed++
		}
	}
	es, err := os.ReadDir(c.dir)
	if err != nil {
		return removed, fmt.Errorf("chunk: cleanup: %w", err)
	}
	for _, e := range es {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !isChunkName(e.Name()) || keep(e.Name()) {
			continue
		}
		if os.Remove(filepath.Join(c.dir, e.Name())) == nil {
			removed++
		}
	}
	return removed, nil
}

// isChunkName reports whether name can be a chunk file name (so cleanup
// never touches other files that share the directory).
func isChunkName(name string) bool {
	id, err := base64.URLEncoding.DecodeString(name)
	return err == nil && len(id) > 0 && len(id) <= 255
}

// validSize reports whether n is an allowed chunk size [FCH serverChunkSizes].
func validSize(n uint32) bool { return xftp.ValidChunkSize(n) }

// copyBufSize is the piece size chunk bodies are streamed in: large enough
// that hashing, file writes and HTTP/2 reads are not dominated by per-call
// overhead, small enough to keep no chunk in memory.
const copyBufSize = 128 << 10
