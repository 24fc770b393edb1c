package rpc

import (
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
	"github.com/simplexgo/services/smp-relay/internal/server"
	"github.com/simplexgo/services/smp-relay/internal/store"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
)

// TestAdmin drives the admin service over a real gRPC connection against
// a server whose store holds one queue.
func TestAdmin(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "smp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "ca", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Identity: server.Identity{Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint},
		Store:    st, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	rk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	q := &store.Queue{RecipientID: []byte("rid-0123456789abcdef0123"), SenderID: []byte("sid-0123456789abcdef0123"),
		RecipientKey: rk.Public(), RcvDhSecret: make([]byte, 32), CreatedAt: time.Now()}
	if err := st.CreateQueue(context.Background(), q); err != nil {
		t.Fatal(err)
	}

	g := grpc.NewServer()
	Register(g, &Admin{Srv: srv, KeyHash: id.Fingerprint, Version: "test", StartedAt: time.Now()})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go g.Serve(ln)
	defer g.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	c := adminv1.NewSMPAdminClient(conn)

	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hc.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v %v", hc, err)
	}
	stats, err := c.GetStats(ctx, &adminv1.GetStatsRequest{})
	if err != nil || stats.QueuesActive != 1 || string(stats.Server.KeyHash) != string(id.Fingerprint) {
		t.Fatalf("stats %v %v", stats, err)
	}
	qs, err := c.GetQueue(ctx, &adminv1.EntityRequest{Id: q.SenderID})
	if err != nil || !qs.Exists || qs.Blocked || qs.HasSenderKey {
		t.Fatalf("queue %v %v", qs, err)
	}
	if qs, _ := c.GetQueue(ctx, &adminv1.EntityRequest{Id: []byte("nope")}); qs.Exists {
		t.Fatal("unknown queue exists")
	}
	if _, err := c.BlockQueue(ctx, &adminv1.BlockRequest{Id: q.SenderID, Reason: adminv1.BlockReason_BLOCK_REASON_CONTENT}); err != nil {
		t.Fatal(err)
	}
	if qs, _ := c.GetQueue(ctx, &adminv1.EntityRequest{Id: q.SenderID}); !qs.Blocked || qs.BlockReason != adminv1.BlockReason_BLOCK_REASON_CONTENT {
		t.Fatalf("after block %v", qs)
	}
	if _, err := c.BlockQueue(ctx, &adminv1.BlockRequest{Id: q.SenderID}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("block without reason: %v", err)
	}
	if _, err := c.UnblockQueue(ctx, &adminv1.EntityRequest{Id: q.SenderID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteQueue(ctx, &adminv1.EntityRequest{Id: q.SenderID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteQueue(ctx, &adminv1.EntityRequest{Id: q.SenderID}); status.Code(err) != codes.NotFound {
		t.Fatalf("second delete: %v", err)
	}
}
