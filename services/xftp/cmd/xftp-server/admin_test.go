package main

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAdmin{}
	g := grpc.NewServer()
	adminv1.RegisterXFTPAdminServer(g, f)
	go g.Serve(ln)
	defer g.Stop()
	if err := run([]string{"admin", "-addr", ln.Addr().String(), "block", "-reason", "content", "AQID"}); err != nil {
		t.Fatal(err)
	}
	if f.blocked == nil || string(f.blocked.Id) != "\x01\x02\x03" || f.blocked.Reason != adminv1.BlockReason_BLOCK_REASON_CONTENT {
		t.Fatalf("block request %v", f.blocked)
	}
}
