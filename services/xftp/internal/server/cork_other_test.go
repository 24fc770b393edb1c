//go:build !linux

package server

import (
	"net"
	"testing"
)

func socketCork(t *testing.T, _ net.Conn) int {
	t.Skip("TCP_CORK is Linux's")
	return 0
}
