package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// TestFlow: FNEW, FPUT, FGET by every recipient, FACK, FADD, FDEL, PING
// [tests/XFTPServerTests.hs testFileChunkDelivery, testFileChunkAck].
func TestFlow(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	if c.Session.Version != xftp.CurrentVersion {
		t.Fatalf("version %d", c.Session.Version)
	}
	expect(t, do(t, c, crypto.PrivateKey{}, nil, xftp.PING{}, nil), xftp.PONG{})
	f := newFile(t, c, int(xftp.ChunkSize0), 2)
	if len(f.sid) != fileIDSize || len(f.rids) != 2 || len(f.rids[0]) != fileIDSize {
		t.Fatalf("ids %x %x", f.sid, f.rids)
	}
	// Download before upload: NO_FILE.
	_, r, err := c.Download(ctx(t), f.rcv[0], f.rids[0])
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, errResp(xftp.ErrNOFILE))
	upload(t, c, f)
	for i, rid := range f.rids {
		data, r, err := c.Download(ctx(t), f.rcv[i], rid)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, f.data) {
			t.Fatalf("recipient %d: chunk differs (%v)", i, r.Resp)
		}
		if !bytes.Equal(r.EntityID, rid) || !bytes.Equal(r.SessionID, c.Session.SessionID) || len(r.CorrID) != 0 {
			t.Fatal("response transmission fields")
		}
	}
	// FACK removes the recipient id.
	expect(t, do(t, c, f.rcv[0], f.rids[0], xftp.FACK{}, nil), xftp.OK{})
	expect(t, do(t, c, f.rcv[0], f.rids[0], xftp.FACK{}, nil), errResp(xftp.ErrAUTH))
	// FADD adds recipients that can download.
	k := key(t, crypto.Ed25519)
	r = do(t, c, f.snd, f.sid, xftp.FADD{RcvKeys: []crypto.PublicKey{k.Public()}}, nil)
	rids, ok := r.Resp.(xftp.RIDS)
	if !ok || len(rids.RecipientIDs) != 1 {
		t.Fatalf("FADD: %#v", r.Resp)
	}
	data, _, err := c.Download(ctx(t), k, rids.RecipientIDs[0])
	if err != nil || !bytes.Equal(data, f.data) {
		t.Fatalf("download by added recipient: %v", err)
	}
	used := ts.srv.UsedStorage()
	if used != int64(xftp.ChunkSize0) {
		t.Fatalf("used %d", used)
	}
	// FDEL removes everything.
	expect(t, do(t, c, f.snd, f.sid, xftp.FDEL{}, nil), xftp.OK{})
	expect(t, do(t, c, f.rcv[1], f.rids[1], xftp.FGET{RcvDHKey: key(t, crypto.X25519).Public()}, nil), errResp(xftp.ErrAUTH))
	expect(t, do(t, c, f.snd, f.sid, xftp.FDEL{}, nil), errResp(xftp.ErrAUTH))
	if ts.srv.UsedStorage() != 0 {
		t.Fatalf("used after delete %d", ts.srv.UsedStorage())
	}
}

// TestMetrics: /metrics exposes the counters without per-user labels.
func TestMetrics(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, f)
	do(t, c, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(f.data[:5]))
	rec := httptest.NewRecorder()
	ts.srv.Metrics().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"xftp_files_created_total 1", "xftp_files_uploaded_total 1",
		`xftp_errors_total{code="SIZE"} 1`, `xftp_commands_total{command="FPUT"} 2`, "xftp_storage_used_bytes 65536"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q", want)
		}
	}
}

// TestLogsHaveNoIDs: at debug level, a session with every command and
// several errors logs neither file ids nor the client address.
func TestLogsHaveNoIDs(t *testing.T) {
	var buf safeBuffer
	ts := startServer(t, "", nil, nil, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	do(t, c, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(f.data[:10]))
	upload(t, c, f)
	c.Download(ctx(t), f.rcv[0], f.rids[0])
	do(t, c, f.rcv[0], f.rids[0], xftp.FACK{}, nil)
	do(t, c, f.snd, f.sid, xftp.FDEL{}, nil)
	for _, garbage := range []string{"GET / HTTP/1.1\r\n\r\n", ""} { // TLS failures are logged at debug
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write([]byte(garbage))
		nc.Close()
	}
	ts.dial(xftptest.Options{}).Close()
	ts.stop()
	logs := buf.String()
	for _, id := range append([][]byte{f.sid}, f.rids...) {
		for _, enc := range []string{base64.URLEncoding.EncodeToString(id), base64.StdEncoding.EncodeToString(id), fmt.Sprintf("%x", id)} {
			if strings.Contains(logs, enc) {
				t.Fatalf("log contains an id: %s", logs)
			}
		}
	}
	if strings.Contains(logs, "127.0.0.1") {
		t.Fatalf("log contains an address: %s", logs)
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *safeBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestChunkSizes: every allowed chunk size uploads and downloads intact,
// and the FGET body is the chunk plus the 16-byte tag, no padding
// (CONFORMANCE-NOTES §5.2).
func TestChunkSizes(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	for _, size := range xftp.ServerChunkSizes {
		f := newFile(t, c, int(size), 1)
		upload(t, c, f)
		dh := key(t, crypto.X25519)
		r, err := c.Do(ctx(t), f.rcv[0], f.rids[0], xftp.FGET{RcvDHKey: dh.Public()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil || len(enc) != int(size)+16 {
			t.Fatalf("size %d: body of %d bytes: %v", size, len(enc), err)
		}
		data, err := xftptest.Decrypt(bytes.NewReader(enc), dh, r.Resp.(xftp.FILE))
		if err != nil || !bytes.Equal(data, f.data) {
			t.Fatalf("size %d: %v", size, err)
		}
		enc[len(enc)-1] ^= 1
		if _, err := xftptest.Decrypt(bytes.NewReader(enc), dh, r.Resp.(xftp.FILE)); err == nil {
			t.Fatalf("size %d: tampered tag accepted", size)
		}
	}
}
