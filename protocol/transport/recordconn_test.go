package transport

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// chunkConn returns its data in reads of up to 40 000 bytes.
type chunkConn struct {
	net.Conn
	data []byte
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.data[:min(len(c.data), 40000)])
	c.data = c.data[n:]
	return n, nil
}

// TestRecordBoundedConn: reads return the stream unchanged and never
// include bytes of two records.
func TestRecordBoundedConn(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var stream []byte
	var ends []int // offsets where a record ends
	for range 50 {
		n := r.IntN(16401)
		if r.IntN(10) == 0 {
			n = 0
		}
		rec := []byte{23, 3, 3, 0, 0}
		binary.BigEndian.PutUint16(rec[3:], uint16(n))
		rec = append(rec, bytes.Repeat([]byte{byte(len(ends))}, n)...)
		stream = append(stream, rec...)
		ends = append(ends, len(stream))
	}
	c := RecordBoundedConn(&chunkConn{data: bytes.Clone(stream)})
	var got []byte
	buf := make([]byte, 65536)
	for {
		n, err := c.Read(buf)
		start, end := len(got), len(got)+n
		got = append(got, buf[:n]...)
		for _, e := range ends {
			if start < e && e < end {
				t.Fatalf("read [%d,%d) crosses the record end at %d", start, end, e)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, stream) {
		t.Fatal("stream changed")
	}
}
