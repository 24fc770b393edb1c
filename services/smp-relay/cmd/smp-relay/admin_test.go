package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAdmin{}
	g := grpc.NewServer()
	adminv1.RegisterSMPAdminServer(g, f)
	go g.Serve(ln)
	defer g.Stop()
	out, err := capture(t, func() error { return run([]string{"admin", "-addr", ln.Addr().String(), "stats"}) })
	if err != nil || !strings.Contains(out, `"queuesActive": "7"`) {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	if _, err := capture(t, func() error { return run([]string{"admin", "-addr", ln.Addr().String(), "delete", "AQID"}) }); err != nil || string(f.deleted) != "\x01\x02\x03" {
		t.Fatalf("delete: %v, %x", err, f.deleted)
	}
	if err := run([]string{"admin", "nope"}); err == nil {
		t.Fatal("unknown admin command accepted")
	}
}
