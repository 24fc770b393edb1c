package rpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/server"
	"github.com/simplexgo/services/xftp/internal/store/bolt"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// TestAdmin drives XFTPAdmin and health over a real gRPC connection against
// a served relay: stats, file lookup, block (the client then gets
// BLOCKED), delete, and the status codes of bad requests.
func TestAdmin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "CA", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "xftp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(server.Options{
		Identity: server.Identity{Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint},
		Store:    st, FilesPath: filepath.Join(dir, "files"), AllowNewFiles: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go srv.Serve(sctx, ln)

	gl, _ := net.Listen("tcp", "127.0.0.1:0")
	g := grpc.NewServer()
	Register(g, &Admin{Srv: srv, KeyHash: id.Fingerprint, Version: "test", StartedAt: time.Now()})
	go g.Serve(gl)
	defer g.Stop()
	conn, err := grpc.NewClient(gl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := adminv1.NewXFTPAdminClient(conn)
	hr, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", hr, err)
	}

	// A file uploaded by a client.
	c, err := xftptest.Dial(ctx, ln.Addr().String(), xftptest.Options{KeyHash: id.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Handshake(ctx); err != nil {
		t.Fatal(err)
	}
	snd, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	data := make([]byte, xftp.ChunkSize0)
	digest := crypto.SHA256(data)
	r, err := c.Do(ctx, snd, nil, xftp.FNEW{SndKey: snd.Public(), Size: xftp.ChunkSize0, Digest: digest,
		RcvKeys: []crypto.PublicKey{snd.Public()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	ids := r.Resp.(xftp.SIDS)
	r, err = c.Do(ctx, snd, ids.SenderID, xftp.FPUT{}, bytes.NewReader(data))
	if err != nil || r.Err() != "" {
		t.Fatalf("FPUT: %v %v", r.Resp, err)
	}
	r.Body.Close()
	rid := ids.RecipientIDs[0]

	stats, err := admin.GetStats(ctx, &adminv1.GetStatsRequest{})
	if err != nil || stats.FilesCreated != 1 || stats.Uploads != 1 || stats.FilesActive != 1 ||
		stats.BytesStored != uint64(xftp.ChunkSize0) || !bytes.Equal(stats.Server.KeyHash, id.Fingerprint) || stats.ConnectionsOpen != 1 {
		t.Fatalf("stats %v %v", stats, err)
	}
	fs, err := admin.GetFile(ctx, &adminv1.EntityRequest{Id: rid})
	if err != nil || !fs.Exists || !fs.Uploaded || fs.SizeBytes != xftp.ChunkSize0 || fs.RecipientCount != 1 {
		t.Fatalf("file %v %v", fs, err)
	}
	if fs, err := admin.GetFile(ctx, &adminv1.EntityRequest{Id: []byte("nope")}); err != nil || fs.Exists {
		t.Fatalf("missing file %v %v", fs, err)
	}
	code := func(err error) codes.Code { return status.Code(err) }
	if _, err := admin.BlockFile(ctx, &adminv1.BlockRequest{Id: rid}); code(err) != codes.InvalidArgument {
		t.Fatalf("block without reason: %v", err)
	}
	if _, err := admin.GetFile(ctx, &adminv1.EntityRequest{}); code(err) != codes.InvalidArgument {
		t.Fatalf("empty id: %v", err)
	}
	if _, err := admin.BlockFile(ctx, &adminv1.BlockRequest{Id: []byte("nope"), Reason: adminv1.BlockReason_BLOCK_REASON_SPAM}); code(err) != codes.NotFound {
		t.Fatalf("block missing: %v", err)
	}
	ttl := int64(60)
	if _, err := admin.BlockFile(ctx, &adminv1.BlockRequest{Id: rid, Reason: adminv1.BlockReason_BLOCK_REASON_CONTENT,
		Notice: &adminv1.BlockNotice{TtlSeconds: &ttl}}); err != nil {
		t.Fatal(err)
	}
	fs, _ = admin.GetFile(ctx, &adminv1.EntityRequest{Id: rid})
	if !fs.Blocked || fs.BlockReason != adminv1.BlockReason_BLOCK_REASON_CONTENT || fs.Uploaded {
		t.Fatalf("blocked file %v", fs)
	}
	_, rr, err := c.Download(ctx, snd, rid)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := rr.Resp.(xftp.ERR)
	if !ok || e.Err.Code != xftp.ErrBLOCKED || e.Err.Blocked.Notice == nil || *e.Err.Blocked.Notice.TTL != 60 {
		t.Fatalf("download of blocked file: %#v", rr.Resp)
	}
	if _, err := admin.DeleteFile(ctx, &adminv1.EntityRequest{Id: rid}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteFile(ctx, &adminv1.EntityRequest{Id: rid}); code(err) != codes.NotFound {
		t.Fatalf("second delete: %v", err)
	}
	stats, _ = admin.GetStats(ctx, &adminv1.GetStatsRequest{})
	if stats.FilesActive != 0 || stats.FilesDeleted != 1 || stats.ErrorsByCode["BLOCKED"] != 1 {
		t.Fatalf("stats after delete %v", stats)
	}
}
