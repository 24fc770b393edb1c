package main

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/simplexgo/proto/admincli/admintest"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

type fakeAdmin struct {
	adminv1.UnimplementedXFTPAdminServer
	blocked *adminv1.BlockRequest
}

func (f *fakeAdmin) BlockFile(_ context.Context, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
	f.blocked = r
	return &adminv1.ActionResponse{}, nil
}

// TestAdmin: `xftp-server admin` talks to the XFTPAdmin service.
func TestAdmin(t *testing.T) {
	f := &fakeAdmin{}
	addr := admintest.Serve(t, func(g *grpc.Server) { adminv1.RegisterXFTPAdminServer(g, f) })
	if err := run([]string{"admin", "-addr", addr, "block", "-reason", "content", "AQID"}); err != nil {
		t.Fatal(err)
	}
	if f.blocked == nil || string(f.blocked.Id) != "\x01\x02\x03" || f.blocked.Reason != adminv1.BlockReason_BLOCK_REASON_CONTENT {
		t.Fatalf("block request %v", f.blocked)
	}
}
