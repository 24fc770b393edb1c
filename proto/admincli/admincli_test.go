package admincli

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

// fakeSMP records the requests of an SMPAdmin client.
type fakeSMP struct {
	adminv1.UnimplementedSMPAdminServer
	got proto.Message
}

func (f *fakeSMP) GetQueue(_ context.Context, r *adminv1.EntityRequest) (*adminv1.QueueStatus, error) {
	f.got = r
	return &adminv1.QueueStatus{Exists: true}, nil
}

func (f *fakeSMP) BlockQueue(_ context.Context, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
	f.got = r
	return &adminv1.ActionResponse{}, nil
}

func serve(t *testing.T, register func(*grpc.Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	register(g)
	go g.Serve(ln)
	t.Cleanup(g.Stop)
	return ln.Addr().String()
}

var testCmds = map[string]Command{
	"queue": ByID("queue ID", func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.QueueStatus, error) {
		return adminv1.NewSMPAdminClient(c).GetQueue(ctx, r)
	}),
	"block": Block("block ID", func(ctx context.Context, c *grpc.ClientConn, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
		return adminv1.NewSMPAdminClient(c).BlockQueue(ctx, r)
	}),
}

func TestMain_(t *testing.T) {
	f := &fakeSMP{}
	addr := serve(t, func(g *grpc.Server) { adminv1.RegisterSMPAdminServer(g, f) })
	id := []byte("0123456789abcdef01234567")
	var out, errOut bytes.Buffer
	if err := Main("smp-relay", "x", testCmds, []string{"-addr", addr, "queue", base64.RawURLEncoding.EncodeToString(id)}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if r, ok := f.got.(*adminv1.EntityRequest); !ok || !bytes.Equal(r.Id, id) {
		t.Fatalf("request %v", f.got)
	}
	if !strings.Contains(out.String(), `"exists": true`) {
		t.Fatalf("printed %q", out.String())
	}
	if err := Main("smp-relay", "x", testCmds, []string{"-addr", addr, "block", "-reason", "content", "-notice-ttl", "1h", base64.StdEncoding.EncodeToString(id)}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	r, ok := f.got.(*adminv1.BlockRequest)
	if !ok || !bytes.Equal(r.Id, id) || r.Reason != adminv1.BlockReason_BLOCK_REASON_CONTENT || r.Notice.GetTtlSeconds() != 3600 {
		t.Fatalf("block request %v", f.got)
	}
	for _, args := range [][]string{{}, {"nope"}, {"-addr", addr, "queue"}, {"-addr", addr, "queue", "a", "b"}, {"-addr", addr, "block", "-reason", "spam"}} {
		errOut.Reset()
		if err := Main("smp-relay", "x", testCmds, args, &out, &errOut); !errors.Is(err, ErrUsage) || !strings.Contains(errOut.String(), "usage: smp-relay admin") {
			t.Errorf("%q: %v, usage %q", args, err, errOut.String())
		}
	}
	if err := Main("smp-relay", "x", testCmds, []string{"-addr", addr, "block", "-reason", "rude", "aaaa"}, &out, &errOut); err == nil {
		t.Error("unknown reason accepted")
	}
}

func TestID(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0x01}
	for _, s := range []string{"-_8B", "-_8B", "+/8B"} {
		if b, err := ID(s); err != nil || !bytes.Equal(b, raw) {
			t.Errorf("%q: %x %v", s, b, err)
		}
	}
	for _, s := range []string{"", "!!", "a"} {
		if _, err := ID(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
