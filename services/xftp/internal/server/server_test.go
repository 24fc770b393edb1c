package server

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
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
