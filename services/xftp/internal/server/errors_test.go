package server

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// postRaw posts body and parses the response head.
func postRaw(t *testing.T, c *xftptest.Client, body []byte) xftptest.Reply {
	t.Helper()
	r, err := c.Send(ctx(t), body, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return r
}

// TestBadBlocks: heads that are not one padded block of one transmission
// get ERR BLOCK with empty corrId and entity [FS processRequest, FP
// xftpDecodeTransmission, MP tDecodeServer].
func TestBadBlocks(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	ping, err := c.Head(crypto.PrivateKey{}, nil, xftp.PING{})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := transport.EncodeTransmission(c.Session, transport.Transmission{Command: []byte("PING")})
	two, _ := encoding.NewBuffer(nil).Count(2).Large(tb).Large(tb).Bytes()
	twoHead, _ := encoding.Pad(two, xftp.BlockSize)
	badLen := bytes.Clone(ping)
	badLen[0], badLen[1] = 0xff, 0xff
	badAuth, _ := xftptest.RawHead(c.Session, transport.Transmission{Auth: make([]byte, 10), Command: []byte("PING")})
	garbage := bytes.Repeat([]byte{7}, xftp.BlockSize)
	for name, body := range map[string][]byte{
		"short head":        ping[:xftp.BlockSize-1],
		"bad padding":       badLen,
		"two transmissions": twoHead,
		"auth of 10 bytes":  badAuth,
		"garbage":           garbage,
	} {
		t.Run(name, func(t *testing.T) {
			r := postRaw(t, c, body)
			if r.Err() != xftp.ErrBLOCK || len(r.CorrID) != 0 || len(r.EntityID) != 0 {
				t.Fatalf("%#v", r)
			}
		})
	}
}

// TestCommandErrors covers SESSION, CMD and AUTH answers; CMD and AUTH
// echo the entity id [MP tDecodeServer, FP checkCredentials, FS
// verifyXFTPTransmission].
func TestCommandErrors(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	other := key(t, crypto.Ed25519)
	wrongSess := &transport.Session{Version: c.Session.Version, BlockSize: xftp.BlockSize, Batching: true,
		SessionID: bytes.Repeat([]byte{1}, len(c.Session.SessionID))}
	sessHead, _ := xftptest.RawHead(wrongSess, transport.Transmission{Command: []byte("PING")})
	unknown, _ := xftptest.RawHead(c.Session, transport.Transmission{Command: []byte("HELO")})
	syntax, _ := xftptest.RawHead(c.Session, transport.Transmission{Command: []byte("FGET x")})
	noAuth, _ := xftptest.RawHead(c.Session, transport.Transmission{EntityID: f.sid, Command: []byte("FDEL")})
	pingEntity, _ := xftptest.RawHead(c.Session, transport.Transmission{EntityID: f.sid, Command: []byte("PING")})
	fnew, _ := xftp.EncodeCommand(3, xftp.FNEW{SndKey: other.Public(), Size: xftp.ChunkSize0, Digest: f.digest,
		RcvKeys: []crypto.PublicKey{other.Public()}})
	fnewEntity, _ := xftptest.RawHead(c.Session, transport.Transmission{Auth: make([]byte, 64), EntityID: f.sid, Command: fnew})
	fnewNoAuth, _ := xftptest.RawHead(c.Session, transport.Transmission{Command: fnew})
	for _, tc := range []struct {
		name   string
		head   []byte
		code   xftp.ErrorCode
		cmd    xftp.CommandError
		entity []byte
	}{
		{"session", sessHead, xftp.ErrSESSION, "", nil},
		{"unknown", unknown, xftp.ErrCMD, xftp.CmdUNKNOWN, nil},
		{"syntax", syntax, xftp.ErrCMD, xftp.CmdSYNTAX, nil},
		{"no auth", noAuth, xftp.ErrCMD, xftp.CmdNOAUTH, f.sid},
		{"ping with entity", pingEntity, xftp.ErrCMD, xftp.CmdHASAUTH, f.sid},
		{"FNEW with entity", fnewEntity, xftp.ErrCMD, xftp.CmdHASAUTH, f.sid},
		{"FNEW without auth", fnewNoAuth, xftp.ErrCMD, xftp.CmdNOAUTH, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postRaw(t, c, tc.head)
			e, ok := r.Resp.(xftp.ERR)
			if !ok || e.Err.Code != tc.code || e.Err.Cmd != tc.cmd || !bytes.Equal(r.EntityID, tc.entity) {
				t.Fatalf("%#v entity %x", r.Resp, r.EntityID)
			}
		})
	}
	auth := errResp(xftp.ErrAUTH)
	t.Run("AUTH", func(t *testing.T) {
		expect(t, do(t, c, other, f.sid, xftp.FDEL{}, nil), auth)                                           // wrong key
		expect(t, do(t, c, f.snd, f.rids[0], xftp.FDEL{}, nil), auth)                                       // recipient id for a sender command
		expect(t, do(t, c, f.rcv[0], f.sid, xftp.FACK{}, nil), auth)                                        // sender id for a recipient command
		expect(t, do(t, c, f.snd, bytes.Repeat([]byte{9}, 16), xftp.FPUT{}, bytes.NewReader(f.data)), auth) // unknown id
		// A sender command signed for a different FNEW key.
		expect(t, do(t, c, other, nil, xftp.FNEW{SndKey: f.snd.Public(), Size: xftp.ChunkSize0, Digest: f.digest,
			RcvKeys: []crypto.PublicKey{other.Public()}}, nil), auth)
	})
	t.Run("SIZE", func(t *testing.T) {
		expect(t, do(t, c, other, nil, xftp.FNEW{SndKey: other.Public(), Size: 1000, Digest: f.digest,
			RcvKeys: []crypto.PublicKey{other.Public()}}, nil), errResp(xftp.ErrSIZE))
	})
	t.Run("method and path", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, "https://xftp/", nil)
		resp, err := c.CC.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET: %v %v", resp, err)
		}
		req, _ = http.NewRequestWithContext(ctx(t), http.MethodPost, "https://xftp/x", nil)
		resp, err = c.CC.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("POST /x: %v %v", resp, err)
		}
	})
}

// TestUploadErrors: wrong digest, short and long bodies, repeated upload.
func TestUploadErrors(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	put := func(body []byte) xftptest.Reply { return do(t, c, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(body)) }
	wrong := bytes.Clone(f.data)
	wrong[100] ^= 1
	expect(t, put(wrong), errResp(xftp.ErrDIGEST))
	expect(t, put(f.data[:len(f.data)-1]), errResp(xftp.ErrSIZE))
	expect(t, put(append(bytes.Clone(f.data), 0)), errResp(xftp.ErrSIZE))
	expect(t, put(nil), errResp(xftp.ErrSIZE))
	if ts.srv.UsedStorage() != 0 {
		t.Fatalf("reservation leaked: %d", ts.srv.UsedStorage())
	}
	expect(t, put(f.data), xftp.OK{})
	// Repeated upload after success: the body is drained, OK; a wrong
	// length is still SIZE [FS skipCommitted].
	expect(t, put(wrong), xftp.OK{})
	expect(t, put(f.data[:10]), errResp(xftp.ErrSIZE))
	data, _, err := c.Download(ctx(t), f.rcv[0], f.rids[0])
	if err != nil || !bytes.Equal(data, f.data) {
		t.Fatalf("download after repeats: %v", err)
	}
	if ts.srv.UsedStorage() != int64(xftp.ChunkSize0) {
		t.Fatalf("used %d", ts.srv.UsedStorage())
	}
	assertNoTemp(t, ts)
}

// assertNoTemp checks that no temporary upload is left.
func assertNoTemp(t *testing.T, ts *testServer) {
	t.Helper()
	es, err := readDir(ts.srv.chunks.dir + "/" + tmpDir)
	if err != nil || len(es) != 0 {
		t.Fatalf("temporary files left: %v %v", es, err)
	}
}

// TestNewFilesPolicy: new_files off and create_password [FS allowNew].
func TestNewFilesPolicy(t *testing.T) {
	fnew := func(c *xftptest.Client, pw *[]byte) xftptest.Reply {
		k := key(t, crypto.Ed25519)
		_, d := chunk(10)
		return do(t, c, k, nil, xftp.FNEW{SndKey: k.Public(), Size: xftp.ChunkSize1, Digest: d,
			RcvKeys: []crypto.PublicKey{k.Public()}, Password: pw}, nil)
	}
	off := startServer(t, "", nil, nil, func(o *Options) { o.AllowNewFiles = false })
	expect(t, fnew(off.client(), nil), errResp(xftp.ErrAUTH))
	pwd := startServer(t, "", nil, nil, func(o *Options) { o.CreatePassword = []byte("secret") })
	c := pwd.client()
	good, bad := []byte("secret"), []byte("wrong")
	expect(t, fnew(c, nil), errResp(xftp.ErrAUTH))
	expect(t, fnew(c, &bad), errResp(xftp.ErrAUTH))
	expect(t, fnew(c, &good), xftp.SIDS{})
}

// TestQuota: FPUT reserves the chunk size; over the quota → QUOTA; deleting
// frees the space [FS receiveServerFile reserve].
func TestQuota(t *testing.T) {
	ts := startServer(t, "", nil, nil, func(o *Options) { o.Quota = int64(xftp.ChunkSize1) + int64(xftp.ChunkSize0) })
	c := ts.client()
	f1 := newFile(t, c, int(xftp.ChunkSize1), 1)
	f2 := newFile(t, c, int(xftp.ChunkSize1), 1)
	f3 := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, f1)
	expect(t, do(t, c, f2.snd, f2.sid, xftp.FPUT{}, bytes.NewReader(f2.data)), errResp(xftp.ErrQUOTA))
	upload(t, c, f3)
	expect(t, do(t, c, f1.snd, f1.sid, xftp.FDEL{}, nil), xftp.OK{})
	upload(t, c, f2)
	if got := ts.srv.UsedStorage(); got != ts.srv.opts.Quota {
		t.Fatalf("used %d", got)
	}
}

// TestX25519Auth: commands authorized with an 80-byte authenticator (key
// X25519 agreed with the session key of the handshake, nonce 24 zero bytes
// for the empty corrId) [MS verifyCmdAuth, FP].
func TestX25519Auth(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	snd := key(t, crypto.X25519)
	rcv := key(t, crypto.X25519)
	data, digest := chunk(int(xftp.ChunkSize0))
	r := do(t, c, snd, nil, xftp.FNEW{SndKey: snd.Public(), Size: xftp.ChunkSize0, Digest: digest,
		RcvKeys: []crypto.PublicKey{rcv.Public()}}, nil)
	ids, ok := r.Resp.(xftp.SIDS)
	if !ok {
		t.Fatalf("%#v", r.Resp)
	}
	expect(t, do(t, c, snd, ids.SenderID, xftp.FPUT{}, bytes.NewReader(data)), xftp.OK{})
	got, _, err := c.Download(ctx(t), rcv, ids.RecipientIDs[0])
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download: %v", err)
	}
	// Without a handshake (no ALPN) there is no session key: AUTH.
	v1 := ts.dial(xftptest.Options{ALPN: []string{}})
	v1.Session.PeerKey = c.Session.PeerKey
	expect(t, do(t, v1, snd, ids.SenderID, xftp.FDEL{}, nil), errResp(xftp.ErrAUTH))
}

// TestTimeout: an upload body that stops arriving gets TIMEOUT after the
// chunk timeout [FS receiveChunk].
func TestTimeout(t *testing.T) {
	ts := startServer(t, "", nil, nil, func(o *Options) { o.ChunkTimeout = 200e6 })
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(f.data[:1000])
	r, err := c.Do(ctx(t), f.snd, f.sid, xftp.FPUT{}, pr)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, errResp(xftp.ErrTIMEOUT))
	pw.Close() // the client's body writer still reads the pipe
	r.Body.Close()
	if ts.srv.UsedStorage() != 0 {
		t.Fatalf("used %d", ts.srv.UsedStorage())
	}
}

// TestCryptoError: FGET with a low-order recipient DH key (the agreed
// secret is all zeros) answers CRYPTO.
func TestCryptoError(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, f)
	zero := crypto.PublicKey{Alg: crypto.X25519, Raw: make([]byte, 32)}
	expect(t, do(t, c, f.rcv[0], f.rids[0], xftp.FGET{RcvDHKey: zero}, nil), errResp(xftp.ErrCRYPTO))
}

// TestFileIOError: a chunk directory that cannot be written answers
// FILE_IO and releases the reservation.
func TestFileIOError(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	tmp := filepath.Join(ts.srv.chunks.dir, tmpDir)
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, nil, 0o600); err != nil { // a file where the directory was
		t.Fatal(err)
	}
	expect(t, do(t, c, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(f.data)), errResp(xftp.ErrFILEIO))
	if ts.srv.UsedStorage() != 0 {
		t.Fatalf("used %d", ts.srv.UsedStorage())
	}
}

// TestHeadTimeout: a request whose head stops arriving is dropped after the
// handshake timeout instead of holding the stream.
func TestHeadTimeout(t *testing.T) {
	ts := startServer(t, "", nil, nil, func(o *Options) { o.HandshakeTimeout = time.Second })
	c := ts.client()
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(make([]byte, 100))
	resp, err := c.Post(ctx(t), pr, nil)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		if len(b) != 0 {
			t.Fatalf("answer of %d bytes", len(b))
		}
	}
	pw.Close()
	if err == nil {
		resp.Body.Close()
	}
	// The connection still serves other requests.
	expect(t, do(t, c, crypto.PrivateKey{}, nil, xftp.PING{}, nil), xftp.PONG{})
}
