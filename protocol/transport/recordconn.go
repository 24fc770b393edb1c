package transport

import (
	"encoding/binary"
	"net"
)

// RecordBoundedConn wraps the network side of a TLS server connection so
// that no Read returns bytes of more than one TLS record.
//
// crypto/tls reads records into an input buffer that grows to fit what a
// read returned and never shrinks. An SMP block is a full 16 KB record,
// and a read that also returns the start of the next record makes the
// buffer grow again (bytes.Buffer doubles), so an idle connection kept a
// buffer of ~36 KB on average (pprof inuse_space of a relay with 10 000
// idle connections). Stopping each read at the record boundary keeps it
// at one record's size. It costs one more read system call per record:
// the header and the body are read separately.
func RecordBoundedConn(c net.Conn) net.Conn { return &recordConn{Conn: c} }

type recordConn struct {
	net.Conn
	hdr  [recordHeaderLen]byte // type, version, length (RFC 8446 §5.1)
	hn   int                   // header bytes read of the current record
	left int                   // body bytes of the current record not yet read
}

func (r *recordConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.hn < recordHeaderLen {
		n, err := r.Conn.Read(p[:min(len(p), recordHeaderLen-r.hn)])
		copy(r.hdr[r.hn:], p[:n])
		r.hn += n
		if r.hn == recordHeaderLen {
			r.left = int(binary.BigEndian.Uint16(r.hdr[3:]))
			if r.left == 0 {
				r.hn = 0
			}
		}
		return n, err
	}
	n, err := r.Conn.Read(p[:min(len(p), r.left)])
	r.left -= n
	if r.left == 0 {
		r.hn = 0
	}
	return n, err
}
