package transport

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// corked reads TCP_CORK back from nc's socket.
func corked(t *testing.T, nc net.Conn) int {
	t.Helper()
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
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
	if got := corked(t, s); got != 0 {
		t.Fatalf("TCP_CORK %d on a new socket", got)
	}
	if err := Cork(s, true); err != nil {
		t.Fatal(err)
	}
	if got := corked(t, s); got != 1 {
		t.Fatalf("after Cork(true): TCP_CORK %d", got)
	}
	// Corked bytes still arrive once the cork is cleared.
	if _, err := s.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	if err := Cork(s, false); err != nil {
		t.Fatal(err)
	}
	if got := corked(t, s); got != 0 {
		t.Fatalf("after Cork(false): TCP_CORK %d", got)
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
	// A closed socket reports the failure.
	s.Close()
	if err := Cork(s, true); err == nil {
		t.Fatal("Cork on a closed socket: no error")
	}
}
