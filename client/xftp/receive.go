package xftp

import (
	"bytes"
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/simplexgo/protocol/xftp"
)

// ErrAck is joined to Receive's error when the file was written but some
// chunks could not be acknowledged (they expire on the servers anyway).
var ErrAck = errors.New("xftp: acknowledging chunks failed")

// maxRedirectDepth: a redirect description may point to one more
// description, not further [FCM receive depth].
const maxRedirectDepth = 1

// Receive downloads the file of a recipient description [FCM
// cliReceiveFile]: chunks in parallel (FGET, each decrypted and checked
// against its size and SHA-256 as it arrives), then the SHA-512 and size of
// the encrypted file, then decryption with the tag check, then FACK of
// every chunk. A description with a redirect is followed once.
//
// outPath is an existing directory (the file is written there under the
// name in its header, made safe and unique; "" is the current directory)
// or a path that does not exist in an existing directory.
// The file is written under a temporary name and renamed when complete.
// Receive returns the path written; when only acknowledgements failed the
// path is returned with an error wrapping ErrAck.
func Receive(ctx context.Context, fd xftp.FileDescription, outPath string, opts Options, progress Progress) (string, error) {
	opts = opts.withDefaults()
	if outPath == "" {
		outPath = "."
	}
	// Fail before downloading when the output cannot be written.
	if st, err := os.Stat(outPath); err == nil && !st.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrFileExists, outPath)
	} else if err != nil {
		if _, derr := os.Stat(filepath.Dir(outPath)); derr != nil {
			return "", fmt.Errorf("xftp: output directory: %w", derr)
		}
	}
	p := newPool(opts.Config)
	defer p.close()
	return receive(ctx, p, fd, outPath, opts, progress, maxRedirectDepth)
}

func receive(ctx context.Context, p *pool, fd xftp.FileDescription, outPath string, opts Options, progress Progress, depth int) (string, error) {
	if err := checkDescription(fd, opts); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(opts.TempDir, "xftp-rcv-*")
	if err != nil {
		return "", fmt.Errorf("xftp: %w", err)
	}
	defer os.RemoveAll(tmp)
	used, err := downloadChunks(ctx, p, fd, tmp, opts, progress)
	if err != nil {
		return "", err
	}
	paths := make([]string, len(fd.Chunks))
	for i := range fd.Chunks {
		paths[i] = filepath.Join(tmp, strconv.Itoa(i+1))
	}
	if err := checkFileDigest(paths, fd); err != nil {
		return "", err
	}
	if fd.Redirect != nil {
		if depth <= 0 {
			return "", fmt.Errorf("%w: redirect chain too long", ErrDescription)
		}
		inner, err := decryptRedirect(paths, fd)
		if err != nil {
			return "", err
		}
		ackErr := ackChunks(ctx, p, fd, used, opts)
		out, err := receive(ctx, p, inner, outPath, opts, progress, depth-1)
		if err != nil {
			return out, err
		}
		return out, ackErr
	}
	out, err := decryptTo(paths, fd, outPath)
	if err != nil {
		return "", err
	}
	return out, ackChunks(ctx, p, fd, used, opts)
}

// checkDescription checks what the downloader relies on: a valid recipient
// description whose chunks have server sizes and replicas.
func checkDescription(fd xftp.FileDescription, opts Options) error {
	if fd.Party != xftp.PartyRecipient {
		return fmt.Errorf("%w: not a recipient description", ErrDescription)
	}
	if len(fd.Chunks) == 0 {
		return fmt.Errorf("%w: no chunks", ErrDescription)
	}
	if err := fd.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrDescription, err)
	}
	if fd.Size > opts.MaxFileSize+int64(xftp.ChunkSize3) {
		return fmt.Errorf("%w: %d bytes", ErrFileTooLarge, fd.Size)
	}
	if len(fd.Digest) != sha512.Size {
		return fmt.Errorf("%w: digest of %d bytes", ErrDescription, len(fd.Digest))
	}
	for _, c := range fd.Chunks {
		if !xftp.ValidChunkSize(c.ChunkSize) {
			return fmt.Errorf("%w: chunk %d has size %d", ErrDescription, c.ChunkNo, c.ChunkSize)
		}
		if len(c.Replicas) == 0 {
			return fmt.Errorf("%w: chunk %d has no replicas", ErrDescription, c.ChunkNo)
		}
		if len(c.Digest) == 0 {
			return fmt.Errorf("%w: chunk %d has no digest", ErrDescription, c.ChunkNo)
		}
	}
	return nil
}

// downloadChunks downloads chunk i to dir/<i+1>, trying the replicas in
// turn on retries, and returns the replica used for each chunk [FCM
// downloadFileChunk].
func downloadChunks(ctx context.Context, p *pool, fd xftp.FileDescription, dir string, opts Options, progress Progress) ([]xftp.FileChunkReplica, error) {
	used := make([]xftp.FileChunkReplica, len(fd.Chunks))
	pr := newProgress(fd.Size, progress)
	err := runParallel(ctx, len(fd.Chunks), opts.Parallel, func(ctx context.Context, i int) error {
		ch := fd.Chunks[i]
		f, err := os.Create(filepath.Join(dir, strconv.Itoa(i+1)))
		if err != nil {
			return fmt.Errorf("xftp: %w", err)
		}
		defer f.Close()
		var lastErr error
		for k, r := range ch.Replicas {
			err := p.withRetry(ctx, r.Server, opts.Retries, opts.RetryDelay, func(c *Client, _ int) error {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return err
				}
				if err := f.Truncate(0); err != nil {
					return err
				}
				return c.DownloadChunk(ctx, r.ReplicaKey, r.ReplicaID, f, ch.ChunkSize, ch.Digest)
			})
			if err == nil {
				used[i] = ch.Replicas[k]
				pr.add(int64(ch.ChunkSize))
				return f.Close()
			}
			lastErr = fmt.Errorf("xftp: chunk %d from %s: %w", ch.ChunkNo, r.Server, err)
			if ctx.Err() != nil {
				break
			}
		}
		return lastErr
	})
	return used, err
}

// checkFileDigest checks the size and SHA-512 of the downloaded chunks
// together [FCM cliReceiveFile].
func checkFileDigest(paths []string, fd xftp.FileDescription) error {
	h := sha512.New()
	var n int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("xftp: %w", err)
		}
		k, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("xftp: %w", err)
		}
		n += k
	}
	if n != fd.Size {
		return fmt.Errorf("%w: %d bytes, expected %d", ErrFileSize, n, fd.Size)
	}
	if !bytes.Equal(h.Sum(nil), fd.Digest) {
		return ErrFileDigest
	}
	return nil
}

// chunkReader opens the chunk files in order as one stream.
func chunkReader(paths []string) (io.Reader, func(), error) {
	var rs []io.Reader
	var fs []*os.File
	closeAll := func() {
		for _, f := range fs {
			f.Close()
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("xftp: %w", err)
		}
		fs = append(fs, f)
		rs = append(rs, f)
	}
	return io.MultiReader(rs...), closeAll, nil
}

// decryptRedirect decrypts a redirect file: the YAML of the real file's
// description, which must have the size and digest the redirect names.
func decryptRedirect(paths []string, fd xftp.FileDescription) (xftp.FileDescription, error) {
	r, closeAll, err := chunkReader(paths)
	if err != nil {
		return xftp.FileDescription{}, err
	}
	defer closeAll()
	var buf bytes.Buffer
	lw := &limitedWriter{w: &buf, n: xftp.MaxDescriptionSize}
	if _, err := DecryptFile(r, fd.Size, fd.Key, fd.Nonce, func(FileHeader) (io.Writer, error) { return lw, nil }); err != nil {
		return xftp.FileDescription{}, fmt.Errorf("redirect: %w", err)
	}
	inner, err := xftp.ParseFileDescription(buf.Bytes())
	if err != nil {
		return inner, fmt.Errorf("%w: redirect: %w", ErrDescription, err)
	}
	if inner.Size != fd.Redirect.Size || !bytes.Equal(inner.Digest, fd.Redirect.Digest) {
		return inner, fmt.Errorf("%w: redirect: size or digest differs", ErrDescription)
	}
	if inner.Redirect != nil {
		return inner, fmt.Errorf("%w: redirect chain too long", ErrDescription)
	}
	return inner, nil
}

// limitedWriter fails writes beyond n bytes.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, fmt.Errorf("%w: redirect description too large", ErrDescription)
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// decryptTo decrypts the chunks into a temporary file next to the output
// and renames it when the tag has been checked.
func decryptTo(paths []string, fd xftp.FileDescription, outPath string) (string, error) {
	r, closeAll, err := chunkReader(paths)
	if err != nil {
		return "", err
	}
	defer closeAll()
	dir, isDir := outputDir(outPath)
	if !isDir {
		if _, err := os.Lstat(outPath); err == nil {
			return "", fmt.Errorf("%w: %s", ErrFileExists, outPath)
		}
	}
	tmp, err := os.CreateTemp(dir, ".xftp-*.part")
	if err != nil {
		return "", fmt.Errorf("xftp: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h, err := DecryptFile(r, fd.Size, fd.Key, fd.Nonce, func(FileHeader) (io.Writer, error) { return tmp, nil })
	if err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("xftp: %w", err)
	}
	final := outPath
	if isDir {
		final = uniquePath(dir, SafeFileName(h.Name))
	} else if _, err := os.Lstat(outPath); err == nil {
		return "", fmt.Errorf("%w: %s", ErrFileExists, outPath)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("xftp: %w", err)
	}
	ok = true
	return final, nil
}

// outputDir returns the directory to write in and whether outPath is it.
func outputDir(outPath string) (string, bool) {
	if st, err := os.Stat(outPath); err == nil && st.IsDir() {
		return outPath, true
	}
	return filepath.Dir(outPath), false
}

// SafeFileName makes a file name from a header safe to create in a
// directory: no path separators, no control characters, not empty, not a
// dot name.
func SafeFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || strings.Trim(name, ".") == "" {
		return "file"
	}
	return name
}

// uniquePath returns dir/name, or dir/<base>_N<exts> for the first N from
// 1 that does not exist, where exts starts at the name's first dot
// [FTU uniqueCombine, which splits with splitExtensions].
func uniquePath(dir, name string) string {
	p := filepath.Join(dir, name)
	if _, err := os.Lstat(p); err != nil {
		return p
	}
	base, ext := name, ""
	if i := strings.IndexByte(name[min(1, len(name)):], '.'); i >= 0 {
		base, ext = name[:i+1], name[i+1:]
	}
	for i := 1; ; i++ {
		p = filepath.Join(dir, base+"_"+strconv.Itoa(i)+ext)
		if _, err := os.Lstat(p); err != nil {
			return p
		}
	}
}

// ackChunks acknowledges the downloaded replicas (FACK) [FCM
// acknowledgeFileChunk]; failures are joined under ErrAck.
func ackChunks(ctx context.Context, p *pool, fd xftp.FileDescription, used []xftp.FileChunkReplica, opts Options) error {
	errs := make([]error, len(used))
	_ = runParallel(ctx, len(used), opts.Parallel, func(ctx context.Context, i int) error {
		r := used[i]
		err := p.withRetry(ctx, r.Server, opts.Retries, opts.RetryDelay, func(c *Client, _ int) error {
			return c.AckChunk(ctx, r.ReplicaKey, r.ReplicaID)
		})
		if err != nil {
			errs[i] = fmt.Errorf("chunk %d: %w", fd.Chunks[i].ChunkNo, err)
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrAck, err)
	}
	return nil
}
