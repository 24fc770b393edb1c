package adminv1_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

// fakeSMPAdmin is an in-test SMPAdmin: fixed stats, one known queue, the
// other methods left to the Unimplemented embedding.
type fakeSMPAdmin struct {
	adminv1.UnimplementedSMPAdminServer
	known []byte
}

func (f *fakeSMPAdmin) GetStats(context.Context, *adminv1.GetStatsRequest) (*adminv1.SMPStats, error) {
	return &adminv1.SMPStats{
		Server: &adminv1.ServerInfo{
			KeyHash:          bytes.Repeat([]byte{0x5a}, 32),
			Version:          "0.1.0",
			StartedAtSeconds: 1700000000,
		},
		ConnectionsAccepted: 10,
		ConnectionsOpen:     3,
		QueuesCreated:       7,
		QueuesDeleted:       2,
		QueuesActive:        5,
		MessagesSent:        40,
		MessagesDelivered:   38,
		MessagesExpired:     1,
		ErrorsByCode:        map[string]uint64{"AUTH": 4, "CMD SYNTAX": 1},
	}, nil
}

func (f *fakeSMPAdmin) GetQueue(_ context.Context, r *adminv1.EntityRequest) (*adminv1.QueueStatus, error) {
	if len(r.GetId()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "empty id")
	}
	if !bytes.Equal(r.GetId(), f.known) {
		return &adminv1.QueueStatus{}, nil // exists = false
	}
	return &adminv1.QueueStatus{
		Exists:       true,
		Blocked:      true,
		BlockReason:  adminv1.BlockReason_BLOCK_REASON_SPAM,
		HasSenderKey: true,
		MessageCount: 2,
	}, nil
}

// startServer serves the fake SMPAdmin and the standard health service on
// 127.0.0.1:0 and returns a connected client. Cleanup stops both.
func startServer(t *testing.T, impl adminv1.SMPAdminServer) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer()
	adminv1.RegisterSMPAdminServer(srv, impl)
	hs := health.NewServer()
	hs.SetServingStatus(adminv1.SMPAdmin_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.Stop()
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() {
		if err := conn.Close(); err != nil {
			t.Errorf("client Close: %v", err)
		}
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return conn
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSMPAdminOverGRPC proves the generated stubs work end to end: a real
// client calls GetStats and GetQueue on a real server over TCP.
func TestSMPAdminOverGRPC(t *testing.T) {
	known := []byte("sender-id-24-bytes-long!")
	conn := startServer(t, &fakeSMPAdmin{known: known})
	client := adminv1.NewSMPAdminClient(conn)
	ctx := testContext(t)

	st, err := client.GetStats(ctx, &adminv1.GetStatsRequest{})
	if err != nil {
		t.Fatalf("GetStats: %v", err)
	}
	if got := st.GetServer().GetVersion(); got != "0.1.0" {
		t.Errorf("server.version = %q, want 0.1.0", got)
	}
	if got := st.GetServer().GetKeyHash(); !bytes.Equal(got, bytes.Repeat([]byte{0x5a}, 32)) {
		t.Errorf("server.key_hash = %x", got)
	}
	counters := []struct {
		name      string
		got, want uint64
	}{
		{"connections_accepted", st.GetConnectionsAccepted(), 10},
		{"connections_open", st.GetConnectionsOpen(), 3},
		{"queues_created", st.GetQueuesCreated(), 7},
		{"queues_deleted", st.GetQueuesDeleted(), 2},
		{"queues_active", st.GetQueuesActive(), 5},
		{"messages_sent", st.GetMessagesSent(), 40},
		{"messages_delivered", st.GetMessagesDelivered(), 38},
		{"messages_expired", st.GetMessagesExpired(), 1},
		{"errors_by_code[AUTH]", st.GetErrorsByCode()["AUTH"], 4},
		{"errors_by_code[CMD SYNTAX]", st.GetErrorsByCode()["CMD SYNTAX"], 1},
	}
	for _, c := range counters {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}

	q, err := client.GetQueue(ctx, &adminv1.EntityRequest{Id: known})
	if err != nil {
		t.Fatalf("GetQueue(known): %v", err)
	}
	if !q.GetExists() || !q.GetBlocked() || q.GetBlockReason() != adminv1.BlockReason_BLOCK_REASON_SPAM ||
		!q.GetHasSenderKey() || q.GetHasNotifier() || q.GetMessageCount() != 2 {
		t.Errorf("GetQueue(known) = %v", q)
	}
	q, err = client.GetQueue(ctx, &adminv1.EntityRequest{Id: []byte("unknown")})
	if err != nil {
		t.Fatalf("GetQueue(unknown): %v", err)
	}
	if q.GetExists() {
		t.Errorf("GetQueue(unknown).exists = true")
	}
}

// TestSMPAdminErrors checks that status codes cross the wire: the fake's
// INVALID_ARGUMENT, and UNIMPLEMENTED for a method it does not override.
func TestSMPAdminErrors(t *testing.T) {
	conn := startServer(t, &fakeSMPAdmin{})
	client := adminv1.NewSMPAdminClient(conn)
	ctx := testContext(t)

	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"GetQueue empty id", func() error {
			_, err := client.GetQueue(ctx, &adminv1.EntityRequest{})
			return err
		}, codes.InvalidArgument},
		{"BlockQueue unimplemented", func() error {
			_, err := client.BlockQueue(ctx, &adminv1.BlockRequest{Id: []byte{1}, Reason: adminv1.BlockReason_BLOCK_REASON_CONTENT})
			return err
		}, codes.Unimplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := status.Code(err); got != tt.want {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestHealth calls the standard grpc.health.v1 Check (not redefined in
// proto/) for the whole server and for the SMPAdmin service.
func TestHealth(t *testing.T) {
	conn := startServer(t, &fakeSMPAdmin{})
	client := healthpb.NewHealthClient(conn)
	ctx := testContext(t)

	for _, service := range []string{"", "simplexgo.admin.v1.SMPAdmin"} {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("Check(%q): %v", service, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v, want SERVING", service, resp.GetStatus())
		}
	}
	_, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("Check(unknown service) error = %v, want NotFound", err)
	}
}
