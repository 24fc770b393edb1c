package main

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/simplexgo/proto/admincli/admintest"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

type fakeAdmin struct {
	adminv1.UnimplementedSMPAdminServer
	deleted []byte
}

func (f *fakeAdmin) GetStats(context.Context, *adminv1.GetStatsRequest) (*adminv1.SMPStats, error) {
	return &adminv1.SMPStats{QueuesActive: 7}, nil
}

func (f *fakeAdmin) DeleteQueue(_ context.Context, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
	f.deleted = r.Id
	return &adminv1.ActionResponse{}, nil
}

// TestAdmin: `smp-relay admin` talks to the SMPAdmin service.
func TestAdmin(t *testing.T) {
	f := &fakeAdmin{}
	addr := admintest.Serve(t, func(g *grpc.Server) { adminv1.RegisterSMPAdminServer(g, f) })
	out, err := capture(t, func() error { return run([]string{"admin", "-addr", addr, "stats"}) })
	if err != nil || !strings.Contains(out, `"queuesActive": "7"`) {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	if _, err := capture(t, func() error { return run([]string{"admin", "-addr", addr, "delete", "AQID"}) }); err != nil || string(f.deleted) != "\x01\x02\x03" {
		t.Fatalf("delete: %v, %x", err, f.deleted)
	}
	if err := run([]string{"admin", "nope"}); err == nil {
		t.Fatal("unknown admin command accepted")
	}
}
