package main

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAdmin{}
	g := grpc.NewServer()
	adminv1.RegisterNTFAdminServer(g, f)
	go g.Serve(ln)
	defer g.Stop()
	capture(t, func() error { return run([]string{"admin", "-addr", ln.Addr().String(), "token", "AQID"}) })
	if string(f.token) != "\x01\x02\x03" {
		t.Fatalf("token request %x", f.token)
	}
	if err := run([]string{"admin", "-addr", ln.Addr().String(), "block", "AQID"}); err == nil {
		t.Fatal("block accepted by ntf-server admin (it has no actions)")
	}
}
