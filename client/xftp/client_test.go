package xftp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/xftp"
)

func mustKey(t *testing.T, alg crypto.Algorithm) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(alg, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestClientCommands runs every command against the server: FNEW, FPUT,
// FADD, FGET (by two recipients), FACK, FDEL, PING, and the server's
// errors for a wrong digest, an unknown file and a wrong key
// (CONFORMANCE-NOTES §5.2).
func TestClientCommands(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	c, err := Dial(ctx, srv, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Version() != xftp.CurrentVersion {
		t.Errorf("version %d, want %d", c.Version(), xftp.CurrentVersion)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("PING: %v", err)
	}

	chunk := make([]byte, xftp.ChunkSize0)
	rand.Read(chunk)
	sum := sha256.Sum256(chunk)
	snd := mustKey(t, crypto.Ed25519)
	rcv1 := mustKey(t, crypto.Ed25519)
	rcv2 := mustKey(t, crypto.Ed25519)
	sndID, rcvIDs, err := c.CreateChunk(ctx, snd, xftp.ChunkSize0, sum[:], []crypto.PublicKey{rcv1.Public()}, nil)
	if err != nil {
		t.Fatalf("FNEW: %v", err)
	}
	if len(rcvIDs) != 1 || len(sndID) == 0 {
		t.Fatalf("FNEW ids: %x %x", sndID, rcvIDs)
	}

	// FGET before FPUT: NO_FILE (CONFORMANCE-NOTES §5.2).
	var buf bytes.Buffer
	err = c.DownloadChunk(ctx, rcv1, rcvIDs[0], &buf, xftp.ChunkSize0, sum[:])
	if !IsServerError(err, xftp.ErrNOFILE) {
		t.Fatalf("FGET before upload: %v, want NO_FILE", err)
	}
	if err := c.UploadChunk(ctx, snd, sndID, bytes.NewReader(chunk), xftp.ChunkSize0); err != nil {
		t.Fatalf("FPUT: %v", err)
	}
	// A repeated FPUT is answered OK.
	if err := c.UploadChunk(ctx, snd, sndID, bytes.NewReader(chunk), xftp.ChunkSize0); err != nil {
		t.Fatalf("second FPUT: %v", err)
	}
	more, err := c.AddRecipients(ctx, snd, sndID, []crypto.PublicKey{rcv2.Public()})
	if err != nil || len(more) != 1 {
		t.Fatalf("FADD: %v %x", err, more)
	}
	for i, r := range []struct {
		key crypto.PrivateKey
		id  []byte
	}{{rcv1, rcvIDs[0]}, {rcv2, more[0]}} {
		buf.Reset()
		if err := c.DownloadChunk(ctx, r.key, r.id, &buf, xftp.ChunkSize0, sum[:]); err != nil {
			t.Fatalf("FGET %d: %v", i, err)
		}
		if !bytes.Equal(buf.Bytes(), chunk) {
			t.Fatalf("FGET %d: content differs", i)
		}
	}
	// A wrong expected digest is detected on download.
	bad := bytes.Clone(sum[:])
	bad[0] ^= 1
	if err := c.DownloadChunk(ctx, rcv1, rcvIDs[0], &buf, xftp.ChunkSize0, bad); !errors.Is(err, ErrChunkDigest) {
		t.Fatalf("FGET with wrong digest: %v, want ErrChunkDigest", err)
	}
	// Wrong key: AUTH.
	if err := c.AckChunk(ctx, rcv2, rcvIDs[0]); !IsServerError(err, xftp.ErrAUTH) {
		t.Fatalf("FACK with wrong key: %v, want AUTH", err)
	}
	if err := c.AckChunk(ctx, rcv1, rcvIDs[0]); err != nil {
		t.Fatalf("FACK: %v", err)
	}
	if err := c.DeleteChunk(ctx, snd, sndID); err != nil {
		t.Fatalf("FDEL: %v", err)
	}
	if err := c.DownloadChunk(ctx, rcv2, more[0], &buf, xftp.ChunkSize0, sum[:]); !IsServerError(err, xftp.ErrAUTH) {
		t.Fatalf("FGET after FDEL: %v, want AUTH", err)
	}

	// A chunk whose bytes do not have the announced digest: DIGEST.
	snd2 := mustKey(t, crypto.Ed25519)
	sndID2, _, err := c.CreateChunk(ctx, snd2, xftp.ChunkSize0, bad, []crypto.PublicKey{rcv1.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadChunk(ctx, snd2, sndID2, bytes.NewReader(chunk), xftp.ChunkSize0); !IsServerError(err, xftp.ErrDIGEST) {
		t.Fatalf("FPUT with wrong digest: %v, want DIGEST", err)
	}
	// A size the server does not accept: SIZE.
	if _, _, err := c.CreateChunk(ctx, snd2, 1000, sum[:], []crypto.PublicKey{rcv1.Public()}, nil); !IsServerError(err, xftp.ErrSIZE) {
		t.Fatalf("FNEW with size 1000: %v, want SIZE", err)
	}
}

// TestDialWrongKeyHash: a server whose identity does not match the address
// is rejected and not retried.
func TestDialWrongKeyHash(t *testing.T) {
	srv := startServer(t)
	srv.KeyHash = bytes.Clone(srv.KeyHash)
	srv.KeyHash[0] ^= 1
	_, err := Dial(testCtx(t), srv, Config{})
	if !errors.Is(err, ErrHandshake) || retriable(err) {
		t.Fatalf("Dial with wrong key hash: %v", err)
	}
}

func TestRetriable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("x: %w", ErrTransport), true},
		{fmt.Errorf("x: %w", ErrBadResponse), true},
		{&ServerError{Type: xftp.ErrorType{Code: xftp.ErrTIMEOUT}}, true},
		{&ServerError{Type: xftp.ErrorType{Code: xftp.ErrINTERNAL}}, true},
		{&ServerError{Type: xftp.ErrorType{Code: xftp.ErrAUTH}}, false},
		{&ServerError{Type: xftp.ErrorType{Code: xftp.ErrQUOTA}}, false},
		{fmt.Errorf("%w: %w", ErrHandshake, errors.New("bad chain")), false},
		{ErrChunkDigest, false},
		{errors.New("other"), false},
	} {
		if got := retriable(tt.err); got != tt.want {
			t.Errorf("retriable(%v) = %v", tt.err, got)
		}
	}
}

type failAfter struct {
	r io.Reader
	n int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// TestReceiveChunk: FGET bodies built with the one-shot tail-tag box
// (protocol/crypto BoxTailTag, vector-tested) decrypt; a wrong tag, size,
// digest or a broken stream are told apart (CONFORMANCE-NOTES §5.2).
func TestReceiveChunk(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	var nonce [24]byte
	nonce[3] = 9
	chunk := make([]byte, 5000)
	detRand(1).Read(chunk)
	sum := sha256.Sum256(chunk)
	body, err := crypto.BoxTailTag(secret, nonce, chunk)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(body)
	flipped[len(flipped)-1] ^= 1
	longer, _ := crypto.BoxTailTag(secret, nonce, append(bytes.Clone(chunk), 0))
	longer2, _ := crypto.BoxTailTag(secret, nonce, append(bytes.Clone(chunk), 0, 0))
	shorter, _ := crypto.BoxTailTag(secret, nonce, chunk[:4999])
	wrongDigest := bytes.Clone(sum[:])
	wrongDigest[0] ^= 1
	for _, tt := range []struct {
		name   string
		body   io.Reader
		digest []byte
		want   error
	}{
		{"ok", bytes.NewReader(body), sum[:], nil},
		{"bad tag", bytes.NewReader(flipped), sum[:], ErrChunkDigest},
		{"longer", bytes.NewReader(longer), sum[:], ErrChunkSize},
		// Read stops one byte past size+tag, so the tag is misplaced.
		{"longer by 2", bytes.NewReader(longer2), sum[:], ErrChunkDigest},
		{"shorter", bytes.NewReader(shorter), sum[:], ErrChunkSize},
		{"digest", bytes.NewReader(body), wrongDigest, ErrChunkDigest},
		{"reset", &failAfter{r: bytes.NewReader(body), n: 3000}, sum[:], ErrTransport},
		{"empty", bytes.NewReader(nil), sum[:], ErrChunkDigest},
	} {
		var out bytes.Buffer
		err := receiveChunk(tt.body, secret, nonce, &out, 5000, tt.digest)
		if tt.want == nil {
			if err != nil || !bytes.Equal(out.Bytes(), chunk) {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestDialVersion: no common version is ErrVersion; a lower maximum is
// agreed.
func TestDialVersion(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	if _, err := Dial(ctx, srv, Config{VersionRange: encoding.VersionRange{Min: 4, Max: 5}}); !errors.Is(err, ErrVersion) {
		t.Fatalf("Dial v4-5: %v", err)
	}
	c, err := Dial(ctx, srv, Config{VersionRange: encoding.VersionRange{Min: 1, Max: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Version() != 2 {
		t.Fatalf("version %d", c.Version())
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	onion := srv
	onion.Hosts = []string{"abc.onion"}
	if _, err := Dial(ctx, onion, Config{}); !errors.Is(err, ErrServerAddress) {
		t.Fatalf("onion only: %v", err)
	}
}

// FuzzReceiveChunk: any body either fails or yields exactly the chunk
// size with the expected digest.
func FuzzReceiveChunk(f *testing.F) {
	secret := bytes.Repeat([]byte{7}, 32)
	var nonce [24]byte
	chunk := []byte("chunk content")
	body, _ := crypto.BoxTailTag(secret, nonce, chunk)
	f.Add(body)
	f.Add([]byte{})
	f.Add(body[:20])
	f.Fuzz(func(t *testing.T, b []byte) {
		sum := sha256.Sum256(chunk)
		var out bytes.Buffer
		if err := receiveChunk(bytes.NewReader(b), secret, nonce, &out, uint32(len(chunk)), sum[:]); err != nil {
			return
		}
		if !bytes.Equal(out.Bytes(), chunk) {
			t.Fatalf("accepted %x as %q", b, out.Bytes())
		}
	})
}
