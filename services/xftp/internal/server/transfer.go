package server

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/store"
)

// receiveFile runs FPUT [FS receiveServerFile, FT receiveFile]:
//
//   - a file already uploaded: read and discard exactly size bytes and
//     answer OK (SIZE if the body is shorter or longer), so a client that
//     retries after a lost response succeeds (the chunk timeout applies
//     here too, unlike the reference);
//   - reserve size bytes of the quota (QUOTA);
//   - stream the body to a temporary file within the chunk timeout
//     (TIMEOUT): exactly size bytes (SIZE), SHA-256 equal to the digest
//     (DIGEST), synced;
//   - commit under the file id's lock: if another FPUT committed first the
//     temporary file is dropped and the answer is OK; otherwise it is
//     renamed into place and recorded (a record deleted or blocked
//     meanwhile → AUTH).
func (s *Server) receiveFile(ctx context.Context, f store.File, body io.ReadCloser) reply {
	size := int64(f.Size)
	// The chunk timeout bounds reading the body, also when it is drained.
	var timedOut atomic.Bool
	t := time.AfterFunc(s.opts.ChunkTimeout, func() {
		timedOut.Store(true)
		body.Close()
	})
	defer t.Stop()
	if f.Path != "" {
		if rp := drain(body, size); !timedOut.Load() {
			return rp
		}
		return errReply(xftp.ErrTIMEOUT)
	}
	if !s.reserve(size) {
		return errReply(xftp.ErrQUOTA)
	}
	if h := s.testHookReceiving.Load(); h != nil {
		(*h)()
	}
	tmp, err := s.chunks.receive(body, f.Size, f.Digest)
	t.Stop()
	if err != nil {
		s.release(size)
		switch {
		case timedOut.Load():
			return errReply(xftp.ErrTIMEOUT)
		case errors.Is(err, errChunkSize):
			return errReply(xftp.ErrSIZE)
		case errors.Is(err, errChunkDigest):
			return errReply(xftp.ErrDIGEST)
		}
		s.log.Debug("ReceiveFileFailed", "err", err)
		return errReply(xftp.ErrFILEIO)
	}
	unlock := s.putMu.lock(f.SenderID)
	defer unlock()
	drop := func(code xftp.ErrorCode) reply {
		os.Remove(tmp)
		s.release(size)
		if code == "" {
			return reply{resp: xftp.OK{}}
		}
		return errReply(code)
	}
	cur, err := s.st.File(ctx, f.SenderID)
	switch {
	case err != nil:
		return drop(xftp.ErrAUTH)
	case cur.Path != "":
		return drop("") // a concurrent FPUT of the same bytes won
	case cur.Blocked != nil:
		return drop(xftp.ErrAUTH)
	}
	name := chunkName(f.SenderID)
	if err := s.chunks.commit(tmp, name); err != nil {
		s.release(size)
		s.log.Error("CommitFileFailed", "err", err)
		return errReply(xftp.ErrFILEIO)
	}
	if err := s.st.SetUploaded(ctx, f.SenderID, name); err != nil {
		s.chunks.remove(name)
		s.release(size)
		return errReply(xftp.ErrAUTH)
	}
	s.m.FilesUploaded.Inc()
	s.m.BytesReceived.Add(float64(size))
	return reply{resp: xftp.OK{}}
}

// drain reads exactly size bytes of a repeated upload [FS skipCommitted].
func drain(body io.Reader, size int64) reply {
	n, err := io.CopyN(io.Discard, body, size)
	if err != nil || n != size {
		return errReply(xftp.ErrSIZE)
	}
	var one [1]byte
	if m, _ := io.ReadFull(body, one[:]); m > 0 {
		return errReply(xftp.ErrSIZE)
	}
	return reply{resp: xftp.OK{}}
}

// sendFile runs FGET [FS sendServerFile, FT sendEncFile]: a fresh X25519
// key (a spare one, see dhKey) agrees a secret with the recipient's key;
// the response carries the public key and a random nonce, and the body is
// the chunk encrypted with the XSalsa20 stream of that secret and nonce,
// followed by the 16-byte Poly1305 tag (CONFORMANCE-NOTES §5.2). A file not
// uploaded yet → NO_FILE; a committed file missing on disk → AUTH; a
// low-order recipient key → CRYPTO.
func (s *Server) sendFile(f store.File, rcvDH crypto.PublicKey) reply {
	if f.Path == "" {
		return errReply(xftp.ErrNOFILE)
	}
	file, err := s.chunks.open(f.Path)
	if err != nil {
		return errReply(xftp.ErrAUTH)
	}
	sk, err := s.dhKey()
	if err != nil {
		file.Close()
		return errReply(xftp.ErrINTERNAL)
	}
	secret, err := crypto.DH(sk, rcvDH)
	if err != nil {
		file.Close()
		return errReply(xftp.ErrCRYPTO)
	}
	b := &chunkBody{s: s, file: file, size: int64(f.Size), secret: secret}
	rand.Read(b.nonce[:])
	s.m.Downloads.Inc()
	return reply{resp: xftp.FILE{SrvDHKey: sk.Public(), Nonce: b.nonce}, body: b}
}

// chunkBody is an FGET response body: the open chunk file, the agreed
// secret and the nonce. respond either sends it after the head or, when
// the head could not be written, closes it.
type chunkBody struct {
	s      *Server
	file   *os.File
	size   int64
	secret []byte
	nonce  [crypto.NonceSize]byte
}

// send writes the encrypted chunk and the tag to w and closes the file.
func (b *chunkBody) send(w io.Writer) error {
	defer b.file.Close()
	// The spare key this chunk took is replaced once it has been sent,
	// off the next request's path.
	defer func() { go b.s.refillDHKeys() }()
	enc, err := crypto.NewBoxStreamEncryptor(w, b.secret, b.nonce)
	if err != nil {
		return err
	}
	if err := sendSealed(w, b.file, b.size, enc.Seal); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	b.s.m.BytesSent.Add(float64(b.size) + crypto.TagSize)
	return nil
}

// close releases a body that is not sent.
func (b *chunkBody) close() { b.file.Close() }
