// Package admintest serves a fake admin service for the tests of the
// servers' `admin` subcommands.
package admintest

import (
	"net"
	"testing"

	"google.golang.org/grpc"
)

// Serve starts a gRPC server on a loopback port with what register adds
// to it, stops it when the test ends, and returns its address.
func Serve(t testing.TB, register func(*grpc.Server)) string {
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
