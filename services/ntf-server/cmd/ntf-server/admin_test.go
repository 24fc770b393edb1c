package main

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/simplexgo/proto/admincli/admintest"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

type fakeAdmin struct {
	adminv1.UnimplementedNTFAdminServer
	token []byte
}

func (f *fakeAdmin) GetToken(_ context.Context, r *adminv1.EntityRequest) (*adminv1.TokenStatus, error) {
	f.token = r.Id
	return &adminv1.TokenStatus{}, nil
}

// TestAdmin: `ntf-server admin` talks to the NTFAdmin service.
func TestAdmin(t *testing.T) {
	f := &fakeAdmin{}
	addr := admintest.Serve(t, func(g *grpc.Server) { adminv1.RegisterNTFAdminServer(g, f) })
	capture(t, func() error { return run([]string{"admin", "-addr", addr, "token", "AQID"}) })
	if string(f.token) != "\x01\x02\x03" {
		t.Fatalf("token request %x", f.token)
	}
	if err := run([]string{"admin", "-addr", addr, "block", "AQID"}); err == nil {
		t.Fatal("block accepted by ntf-server admin (it has no actions)")
	}
}
