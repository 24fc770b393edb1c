package xftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// Requests (CONFORMANCE-NOTES §5.2) [FC sendXFTPCommand]:
//
//	body = pad(count=1 large(transmission), 16384) [chunk bytes, FPUT only]
//	transmission = short(auth) short(sessionId) short(corrId="") short(entityId) command
//
// The authorization is the Ed25519 signature of short(sessionId)
// short(corrId) short(entityId) command by the chunk's sender or recipient
// key. Responses are framed the same way, with an empty authorization; the
// FILE answer to FGET is followed by the encrypted chunk.

// head builds a request head signed with key (a zero key sends no
// authorization, as PING does).
func (c *Client) head(key crypto.PrivateKey, entityID []byte, cmd xftp.Command) ([]byte, error) {
	cb, err := xftp.EncodeCommand(c.sess.Version, cmd)
	if err != nil {
		return nil, fmt.Errorf("xftp: encode %s: %w", cmd.Tag(), err)
	}
	var auth []byte
	if key.Alg != 0 {
		// The corrId is empty, so an authenticator's nonce would be 24
		// zero bytes; clients sign with Ed25519 [AC agentXFTPNewChunk].
		if auth, err = transport.SignTransmission(c.sess, key, nil, entityID, cb); err != nil {
			return nil, fmt.Errorf("xftp: sign %s: %w", cmd.Tag(), err)
		}
	}
	tb, err := transport.EncodeTransmission(c.sess, transport.Transmission{Auth: auth, EntityID: entityID, Command: cb})
	if err != nil {
		return nil, fmt.Errorf("xftp: encode %s: %w", cmd.Tag(), err)
	}
	b, err := encoding.NewBuffer(nil).Count(1).Large(tb).Bytes()
	if err != nil {
		return nil, fmt.Errorf("xftp: encode %s: %w", cmd.Tag(), err)
	}
	return encoding.Pad(b, xftp.BlockSize)
}

// reply is a parsed response; body is the rest of the HTTP body.
type reply struct {
	resp xftp.Response
	body io.ReadCloser
}

// do sends a command (with chunk, of size bytes, after the head for FPUT)
// and parses the response head. An ERR answer is returned as *ServerError.
// On success the caller must close the reply's body; ctx must stay live
// while it is read.
func (c *Client) do(ctx context.Context, key crypto.PrivateKey, entityID []byte, cmd xftp.Command, chunk io.Reader, size int64) (reply, error) {
	head, err := c.head(key, entityID, cmd)
	if err != nil {
		return reply{}, err
	}
	body := io.Reader(bytes.NewReader(head))
	if chunk != nil {
		body = io.MultiReader(body, io.LimitReader(chunk, size))
	}
	resp, err := c.post(ctx, body, int64(len(head))+size)
	if err != nil {
		return reply{}, fmt.Errorf("%s: %w", cmd.Tag(), err)
	}
	r, err := c.parseReply(resp.Body, entityID)
	if err != nil {
		resp.Body.Close()
		return reply{}, fmt.Errorf("%s: %w", cmd.Tag(), err)
	}
	if e, ok := r.(xftp.ERR); ok {
		resp.Body.Close()
		return reply{}, fmt.Errorf("%s: %w", cmd.Tag(), &ServerError{Type: e.Err})
	}
	return reply{resp: r, body: resp.Body}, nil
}

// parseReply reads the 16384-byte response head and parses its one
// transmission; a shorter head is ERR BLOCK in the reference [FC
// sendXFTPTransmission, xftpDecodeTClient].
func (c *Client) parseReply(body io.Reader, entityID []byte) (xftp.Response, error) {
	head := make([]byte, xftp.BlockSize)
	if _, err := io.ReadFull(body, head); err != nil {
		return nil, fmt.Errorf("%w: response head: %w", ErrBadResponse, err)
	}
	p, err := encoding.Unpad(head)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	ts, err := transport.ParseBatch(c.sess, p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if len(ts) != 1 {
		return nil, fmt.Errorf("%w: batch of %d", ErrBadResponse, len(ts))
	}
	t := ts[0]
	if t.Err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, t.Err)
	}
	if !bytes.Equal(t.SessionID, c.sess.SessionID) {
		return nil, fmt.Errorf("%w: session id mismatch", ErrBadResponse)
	}
	r, err := xftp.ParseResponse(c.sess.Version, t.Command)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	// Errors may come without the entity (e.g. ERR BLOCK); other answers
	// name the entity of the request.
	if _, isErr := r.(xftp.ERR); !isErr && !bytes.Equal(t.EntityID, entityID) {
		return nil, fmt.Errorf("%w: entity id mismatch", ErrBadResponse)
	}
	return r, nil
}

// expect closes the reply and checks it is of type T.
func expect[T xftp.Response](r reply) (T, error) {
	r.body.Close()
	v, ok := r.resp.(T)
	if !ok {
		return v, fmt.Errorf("%w: %s", ErrUnexpectedResponse, r.resp.Tag())
	}
	return v, nil
}

// withTimeout is ctx bounded by the timeout of a request carrying size
// bytes.
func (c *Client) withTimeout(ctx context.Context, size uint32) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.chunkTimeout(size))
}

// CreateChunk registers a chunk of size bytes with SHA-256 digest on the
// server (FNEW): sndKey authorizes the sender's commands, rcvKeys are one
// key per recipient. password is the server's upload password, if any.
// It returns the sender ID and one recipient ID per key [FC createXFTPChunk].
func (c *Client) CreateChunk(ctx context.Context, sndKey crypto.PrivateKey, size uint32, digest []byte, rcvKeys []crypto.PublicKey, password []byte) (sndID []byte, rcvIDs [][]byte, err error) {
	ctx, cancel := c.withTimeout(ctx, 0)
	defer cancel()
	cmd := xftp.FNEW{SndKey: sndKey.Public(), Size: size, Digest: digest, RcvKeys: rcvKeys}
	if password != nil {
		cmd.Password = &password
	}
	r, err := c.do(ctx, sndKey, nil, cmd, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	ids, err := expect[xftp.SIDS](r)
	if err != nil {
		return nil, nil, fmt.Errorf("FNEW: %w", err)
	}
	if len(ids.RecipientIDs) != len(rcvKeys) {
		return nil, nil, fmt.Errorf("FNEW: %w: %d recipient ids for %d keys", ErrBadResponse, len(ids.RecipientIDs), len(rcvKeys))
	}
	return ids.SenderID, ids.RecipientIDs, nil
}

// AddRecipients adds recipient keys to a chunk (FADD) and returns their IDs
// [FC addXFTPRecipients].
func (c *Client) AddRecipients(ctx context.Context, sndKey crypto.PrivateKey, sndID []byte, rcvKeys []crypto.PublicKey) ([][]byte, error) {
	ctx, cancel := c.withTimeout(ctx, 0)
	defer cancel()
	r, err := c.do(ctx, sndKey, sndID, xftp.FADD{RcvKeys: rcvKeys}, nil, 0)
	if err != nil {
		return nil, err
	}
	ids, err := expect[xftp.RIDS](r)
	if err != nil {
		return nil, fmt.Errorf("FADD: %w", err)
	}
	if len(ids.RecipientIDs) != len(rcvKeys) {
		return nil, fmt.Errorf("FADD: %w: %d recipient ids for %d keys", ErrBadResponse, len(ids.RecipientIDs), len(rcvKeys))
	}
	return ids.RecipientIDs, nil
}

// UploadChunk sends the chunk's size bytes read from chunk (FPUT) [FC
// uploadXFTPChunk]. A short chunk fails the request.
func (c *Client) UploadChunk(ctx context.Context, sndKey crypto.PrivateKey, sndID []byte, chunk io.Reader, size uint32) error {
	ctx, cancel := c.withTimeout(ctx, size)
	defer cancel()
	r, err := c.do(ctx, sndKey, sndID, xftp.FPUT{}, chunk, int64(size))
	if err != nil {
		return err
	}
	if _, err := expect[xftp.OK](r); err != nil {
		return fmt.Errorf("FPUT: %w", err)
	}
	return nil
}

// DownloadChunk fetches a chunk (FGET) with a fresh X25519 key, decrypts
// its body as it arrives and writes it to w. The body is the XSalsa20
// stream of the chunk under DH(our key, the server's key) with the 16-byte
// Poly1305 tag at the end (CONFORMANCE-NOTES §5.2) [FC downloadXFTPChunk,
// FT receiveEncFile]. It checks the size and SHA-256 digest; w may have
// received bytes when it fails.
func (c *Client) DownloadChunk(ctx context.Context, rcvKey crypto.PrivateKey, rcvID []byte, w io.Writer, size uint32, digest []byte) error {
	ctx, cancel := c.withTimeout(ctx, size)
	defer cancel()
	dh, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return fmt.Errorf("FGET: %w", err)
	}
	r, err := c.do(ctx, rcvKey, rcvID, xftp.FGET{RcvDHKey: dh.Public()}, nil, 0)
	if err != nil {
		return err
	}
	defer r.body.Close()
	f, ok := r.resp.(xftp.FILE)
	if !ok {
		return fmt.Errorf("FGET: %w: %s", ErrUnexpectedResponse, r.resp.Tag())
	}
	secret, err := crypto.DH(dh, f.SrvDHKey)
	if err != nil {
		return fmt.Errorf("FGET: %w: server key: %w", ErrBadResponse, err)
	}
	if err := receiveChunk(r.body, secret, f.Nonce, w, size, digest); err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrTransport) {
			return fmt.Errorf("FGET: %w: %w", ErrTransport, err)
		}
		return fmt.Errorf("FGET: %w", err)
	}
	return nil
}

// receiveChunk decrypts an FGET body (XSalsa20 stream ‖ 16-byte tag, key
// from the DH secret) into w and checks its size and SHA-256 [FT
// receiveEncFile, receiveSbFile].
func receiveChunk(body io.Reader, secret []byte, nonce [crypto.NonceSize]byte, w io.Writer, size uint32, digest []byte) error {
	// The encrypted body is exactly size bytes and the tag; read one byte
	// more to detect a longer body.
	lr := io.LimitReader(body, int64(size)+crypto.TagSize+1)
	d, err := crypto.NewBoxStreamDecryptor(lr, secret, nonce)
	if err != nil {
		return err
	}
	h := sha256.New()
	ew := &errWriter{w: w}
	n, err := io.Copy(io.MultiWriter(ew, h), d)
	switch {
	case err == nil:
	case ew.err != nil:
		return fmt.Errorf("write: %w", ew.err)
	case isStreamReadError(err):
		return fmt.Errorf("%w: %w", ErrTransport, err)
	default:
		// A bad tag: the body is not what the server encrypted.
		return fmt.Errorf("%w: %w", ErrChunkDigest, err)
	}
	if n != int64(size) {
		return fmt.Errorf("%w: %d bytes, expected %d", ErrChunkSize, n, size)
	}
	if !bytes.Equal(h.Sum(nil), digest) {
		return ErrChunkDigest
	}
	return nil
}

// isStreamReadError reports whether a decryptor error came from reading
// the body rather than from a bad tag.
func isStreamReadError(err error) bool {
	return err != nil && !errors.Is(err, crypto.ErrDecrypt)
}

// errWriter remembers its writer's error, to tell it from read errors.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// DeleteChunk deletes a chunk (FDEL) [FC deleteXFTPChunk].
func (c *Client) DeleteChunk(ctx context.Context, sndKey crypto.PrivateKey, sndID []byte) error {
	return c.simple(ctx, sndKey, sndID, xftp.FDEL{})
}

// AckChunk acknowledges a downloaded chunk (FACK) [FC ackXFTPChunk].
func (c *Client) AckChunk(ctx context.Context, rcvKey crypto.PrivateKey, rcvID []byte) error {
	return c.simple(ctx, rcvKey, rcvID, xftp.FACK{})
}

// Ping checks the connection (PING → PONG, unsigned) [FC pingXFTP].
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := c.withTimeout(ctx, 0)
	defer cancel()
	r, err := c.do(ctx, crypto.PrivateKey{}, nil, xftp.PING{}, nil, 0)
	if err != nil {
		return err
	}
	if _, err := expect[xftp.PONG](r); err != nil {
		return fmt.Errorf("PING: %w", err)
	}
	return nil
}

func (c *Client) simple(ctx context.Context, key crypto.PrivateKey, id []byte, cmd xftp.Command) error {
	ctx, cancel := c.withTimeout(ctx, 0)
	defer cancel()
	r, err := c.do(ctx, key, id, cmd, nil, 0)
	if err != nil {
		return err
	}
	if _, err := expect[xftp.OK](r); err != nil {
		return fmt.Errorf("%s: %w", cmd.Tag(), err)
	}
	return nil
}
