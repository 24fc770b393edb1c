package transport

import (
	"net"
	"syscall"
)

// Cork sets (on) or clears TCP_CORK on nc's socket where the system has it
// (Linux; elsewhere it does nothing). While a socket is corked the kernel
// sends only full segments, and clearing the option sends what is left at
// once; a partial segment otherwise waits at most 200 ms.
//
// A server streaming a large response body corks its socket for the length
// of the body, as nginx's tcp_nopush does for files. Over TLS every record
// is its own write(2), and an HTTP/2 DATA frame of the usual 16 KB
// SETTINGS_MAX_FRAME_SIZE plus its 9-byte header does not fit one 16 KB
// record: uncorked, each frame leaves as a full segment and a segment of a
// few dozen bytes, and the receiver wakes for both.
//
// A connection that is not a socket (net.Pipe, a wrapper hiding
// syscall.Conn) is left alone: Cork returns nil.
func Cork(nc net.Conn, on bool) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setCork(fd, on) }); err != nil {
		return err
	}
	return serr
}

// Corked reports whether TCP_CORK is set on nc's socket (false where the
// system has no such option or nc is not a socket).
func Corked(nc net.Conn) (bool, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, err
	}
	var on bool
	var gerr error
	if err := rc.Control(func(fd uintptr) { on, gerr = getCork(fd) }); err != nil {
		return false, err
	}
	return on, gerr
}
