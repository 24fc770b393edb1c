package transport

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

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
	c := RecordBoundedConn(&sizedConn{data: bytes.Clone(stream), chunk: 40000})
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

// FuzzRecordBoundedConn: any byte stream, delivered in any chunk size,
// comes out unchanged, and no read spans two records as their headers
// describe them.
func FuzzRecordBoundedConn(f *testing.F) {
	f.Add([]byte{23, 3, 3, 0, 2, 'h', 'i', 23, 3, 3, 0, 0, 22}, uint16(3))
	f.Add([]byte{22, 3, 1, 0xff, 0xff}, uint16(40000))
	f.Add([]byte{}, uint16(1))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint16) {
		var ends []int
		for off := 0; off+recordHeaderLen <= len(stream); {
			off += recordHeaderLen + int(binary.BigEndian.Uint16(stream[off+3:]))
			ends = append(ends, off)
		}
		c := RecordBoundedConn(&sizedConn{data: bytes.Clone(stream), chunk: max(1, int(chunk))})
		var got []byte
		buf := make([]byte, 70000)
		for {
			n, err := c.Read(buf)
			start, end := len(got), len(got)+n
			got = append(got, buf[:n]...)
			for _, e := range ends {
				if start < e && e < end {
					t.Fatalf("read [%d,%d) crosses the record end at %d", start, end, e)
				}
			}
			if err != nil {
				break
			}
		}
		if !bytes.Equal(got, stream) {
			t.Fatal("stream changed")
		}
	})
}

// sizedConn returns its data in reads of at most chunk bytes.
type sizedConn struct {
	net.Conn
	data  []byte
	chunk int
}

func (c *sizedConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.data[:min(len(c.data), c.chunk)])
	c.data = c.data[n:]
	return n, nil
}
