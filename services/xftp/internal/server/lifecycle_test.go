package server

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/store"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// TestConcurrentPut: many FPUTs of one chunk at once. Every one answers OK
// (one commits, the others find it committed), exactly one chunk file
// exists with the right bytes, and the quota counts it once.
func TestConcurrentPut(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize1), 1)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]xftp.ErrorCode, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := c
			if i%2 == 1 {
				cl = ts.client() // half on other connections
			}
			errs[i] = do(t, cl, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(f.data)).Err()
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("FPUT %d: %s", i, e)
		}
	}
	names, err := readDir(ts.srv.chunks.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 { // the chunk and .tmp
		t.Fatalf("files: %v", names)
	}
	assertNoTemp(t, ts)
	if ts.srv.UsedStorage() != int64(xftp.ChunkSize1) {
		t.Fatalf("used %d", ts.srv.UsedStorage())
	}
	data, _, err := c.Download(ctx(t), f.rcv[0], f.rids[0])
	if err != nil || !bytes.Equal(data, f.data) {
		t.Fatalf("download: %v", err)
	}
}

// TestExpiry: files older than the expiration (48 h, creation time rounded
// to the hour) are deleted with their data [FS expireServerFiles].
func TestExpiry(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	old := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, old)
	notUploaded := newFile(t, c, int(xftp.ChunkSize0), 1)
	ts.clock.Add(47 * time.Hour)
	fresh := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, fresh)
	if n, err := ts.srv.ExpireFiles(context.Background()); err != nil || n != 0 {
		t.Fatalf("expired %d %v", n, err)
	}
	ts.clock.Add(2*time.Hour + time.Minute)
	n, err := ts.srv.ExpireFiles(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("expired %d %v", n, err)
	}
	expect(t, do(t, c, old.rcv[0], old.rids[0], xftp.FGET{RcvDHKey: key(t, crypto.X25519).Public()}, nil), errResp(xftp.ErrAUTH))
	expect(t, do(t, c, notUploaded.snd, notUploaded.sid, xftp.FDEL{}, nil), errResp(xftp.ErrAUTH))
	if _, err := os.Stat(filepath.Join(ts.srv.chunks.dir, chunkName(old.sid))); !os.IsNotExist(err) {
		t.Fatalf("expired chunk file remains: %v", err)
	}
	if ts.srv.UsedStorage() != int64(xftp.ChunkSize0) {
		t.Fatalf("used %d", ts.srv.UsedStorage())
	}
	data, _, err := c.Download(ctx(t), fresh.rcv[0], fresh.rids[0])
	if err != nil || !bytes.Equal(data, fresh.data) {
		t.Fatalf("fresh file: %v", err)
	}
}

// TestRestart: committed chunks and records survive a restart; temporary
// uploads and chunk files without a record are removed; the used storage is
// recomputed.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	id := testIdentity(t)
	ts := startServer(t, dir, &id, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 2)
	upload(t, c, f)
	pending := newFile(t, c, int(xftp.ChunkSize0), 1)
	ts.stop()

	files := filepath.Join(dir, "files")
	orphan := filepath.Join(files, chunkName([]byte("orphan-chunk-id!")))
	tmp := filepath.Join(files, tmpDir, "abandoned")
	for _, p := range []string{orphan, tmp} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ts2 := startServer(t, dir, &id, ts.clock, nil)
	for _, p := range []string{orphan, tmp} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not cleaned: %v", p, err)
		}
	}
	if ts2.srv.UsedStorage() != int64(xftp.ChunkSize0) {
		t.Fatalf("used %d", ts2.srv.UsedStorage())
	}
	c2 := ts2.client()
	data, _, err := c2.Download(ctx(t), f.rcv[1], f.rids[1])
	if err != nil || !bytes.Equal(data, f.data) {
		t.Fatalf("download after restart: %v", err)
	}
	upload(t, c2, pending)
	data, _, err = c2.Download(ctx(t), pending.rcv[0], pending.rids[0])
	if err != nil || !bytes.Equal(data, pending.data) {
		t.Fatalf("pending file after restart: %v", err)
	}
}

// TestBlocked: an operator block deletes the data and answers BLOCKED to
// v3 sessions and AUTH below v3 [FS blockServerFile, FP BLOCKED].
func TestBlocked(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize0), 1)
	upload(t, c, f)
	if err := ts.srv.BlockByRecipient(context.Background(), f.rids[0], store.Blocking{Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	r := do(t, c, f.rcv[0], f.rids[0], xftp.FGET{RcvDHKey: key(t, crypto.X25519).Public()}, nil)
	e, ok := r.Resp.(xftp.ERR)
	if !ok || e.Err.Code != xftp.ErrBLOCKED || e.Err.Blocked.Reason != xftp.BlockedSpam {
		t.Fatalf("%#v", r.Resp)
	}
	expect(t, do(t, c, f.snd, f.sid, xftp.FPUT{}, bytes.NewReader(f.data)), errResp(xftp.ErrBLOCKED))
	if ts.srv.UsedStorage() != 0 {
		t.Fatalf("used %d", ts.srv.UsedStorage())
	}
	// A v1 session (no ALPN, no handshake) gets AUTH.
	v1 := ts.dial(xftptestNoALPN())
	expect(t, do(t, v1, f.rcv[0], f.rids[0], xftp.FACK{}, nil), errResp(xftp.ErrAUTH))
	// Admin delete.
	if err := ts.srv.DeleteByRecipient(context.Background(), f.rids[0]); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.DeleteByRecipient(context.Background(), f.rids[0]); err != store.ErrNotFound {
		t.Fatalf("second delete: %v", err)
	}
}

// TestShutdownDrains: Shutdown lets an upload in progress finish (the
// client gets OK), then returns.
func TestShutdownDrains(t *testing.T) {
	ts := startServer(t, "", nil, nil, nil)
	c := ts.client()
	f := newFile(t, c, int(xftp.ChunkSize1), 1)
	receiving := make(chan struct{})
	hook := func() { close(receiving) }
	ts.srv.testHookReceiving.Store(&hook)
	pr, pw := io.Pipe()
	type result struct {
		r   xftptest.Reply
		err error
	}
	res := make(chan result, 1)
	go func() {
		r, err := c.Do(ctx(t), f.snd, f.sid, xftp.FPUT{}, pr)
		res <- result{r, err}
	}()
	if _, err := pw.Write(f.data[:1000]); err != nil {
		t.Fatal(err)
	}
	<-receiving // the server is reading the chunk
	done := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(sctx)
	}()
	if _, err := pw.Write(f.data[1000:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	expect(t, r.r, xftp.OK{})
	r.r.Body.Close()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !ts.srv.Draining() {
		t.Fatal("not draining")
	}
}
