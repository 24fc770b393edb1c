package transport

import (
	"net"
	"testing"
	"time"
)

// corked reads TCP_CORK back from nc's socket.
func corked(t *testing.T, nc net.Conn) bool {
	t.Helper()
	on, err := Corked(nc)
	if err != nil {
		t.Fatal(err)
	}
	return on
}

func TestCork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if corked(t, s) {
		t.Fatal("TCP_CORK set on a new socket")
	}
	if err := Cork(s, true); err != nil {
		t.Fatal(err)
	}
	if !corked(t, s) {
		t.Fatal("after Cork(true): TCP_CORK not set")
	}
	// Corked bytes still arrive once the cork is cleared.
	if _, err := s.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	if err := Cork(s, false); err != nil {
		t.Fatal(err)
	}
	if corked(t, s) {
		t.Fatal("after Cork(false): TCP_CORK still set")
	}
	buf := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(buf); err != nil || string(buf) != "tail" {
		t.Fatalf("read %q, %v", buf, err)
	}
	// Not a socket: nothing to do, no error.
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if err := Cork(p, true); err != nil {
		t.Fatalf("Cork(net.Pipe): %v", err)
	}
	if on, err := Corked(p); on || err != nil {
		t.Fatalf("Corked(net.Pipe): %v, %v", on, err)
	}
	// A closed socket reports the failure.
	s.Close()
	if err := Cork(s, true); err == nil {
		t.Fatal("Cork on a closed socket: no error")
	}
}
