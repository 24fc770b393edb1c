package encoding

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

// Vectors follow the instances in simplexmq src/Simplex/Messaging/Encoding.hs
// [ME] and CONFORMANCE-NOTES §0.
func TestEncodeVectors(t *testing.T) {
	ts := time.Unix(1700000000, 999_000_000) // sub-seconds are dropped [ME SystemTime]
	tests := []struct {
		name string
		enc  func(*Buffer)
		want string // hex
	}{
		{"short", func(w *Buffer) { w.Short([]byte("abc")) }, "03616263"},
		{"short empty", func(w *Buffer) { w.Short(nil) }, "00"},
		{"large", func(w *Buffer) { w.Large([]byte("ab")) }, "00026162"},
		{"w16", func(w *Buffer) { w.Word16(0x1234) }, "1234"},
		{"w32", func(w *Buffer) { w.Word32(0xdeadbeef) }, "deadbeef"},
		// i64 is two w32 halves, high first [ME instance Encoding Int64].
		{"i64", func(w *Buffer) { w.Int64(0x0102030405060708) }, "0102030405060708"},
		{"i64 negative", func(w *Buffer) { w.Int64(-1) }, "ffffffffffffffff"},
		{"time", func(w *Buffer) { w.Time(ts) }, "000000006553f100"},
		{"bool true", func(w *Buffer) { w.Bool(true) }, "54"},
		{"bool false", func(w *Buffer) { w.Bool(false) }, "46"},
		// maybe tags are ASCII '0'/'1', not 0x00/0x01 [ME instance Encoding (Maybe a)].
		{"nothing", func(w *Buffer) { w.Maybe(false) }, "30"},
		{"just short", func(w *Buffer) { w.Maybe(true).Short([]byte("x")) }, "310178"},
		{"list", func(w *Buffer) { w.Count(2).Short([]byte("a")).Short([]byte("b")) }, "0201610162"},
		{"version range", func(w *Buffer) { w.VersionRange(VersionRange{6, 14}) }, "0006000e"},
		{"command word", func(w *Buffer) { w.String("ACK").Space().Short([]byte{1}) }, "41434b200101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewBuffer(nil)
			tt.enc(w)
			got, err := w.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want {
				t.Fatalf("got %x, want %s", got, tt.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := NewBuffer(nil).Short(make([]byte, 256)).Bytes(); !errors.Is(err, ErrTooLong) {
		t.Errorf("short 256: %v", err)
	}
	if _, err := NewBuffer(nil).Large(make([]byte, 65536)).Bytes(); !errors.Is(err, ErrTooLong) {
		t.Errorf("large 65536: %v", err)
	}
	if _, err := NewBuffer(nil).Count(256).Bytes(); !errors.Is(err, ErrTooLong) {
		t.Errorf("count 256: %v", err)
	}
	// The first error is sticky.
	w := NewBuffer(nil).Short(make([]byte, 300)).Short([]byte("ok"))
	if _, err := w.Bytes(); !errors.Is(err, ErrTooLong) {
		t.Errorf("sticky: %v", err)
	}
}

func TestDecode(t *testing.T) {
	in, _ := hex.DecodeString("03616263" + "00026162" + "1234" + "deadbeef" + "ffffffffffffffff" +
		"000000006553f100" + "54" + "30" + "310178" + "0201610162" + "0006000e" + "2074" + "61696c")
	d := NewDecoder(in)
	check := func(name string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: mismatch (err %v)", name, d.Err())
		}
	}
	check("short", string(d.Short()) == "abc")
	check("large", string(d.Large()) == "ab")
	check("w16", d.Word16() == 0x1234)
	check("w32", d.Word32() == 0xdeadbeef)
	check("i64", d.Int64() == -1)
	check("time", d.Time().Equal(time.Unix(1700000000, 0)))
	check("bool", d.Bool())
	check("nothing", !d.Maybe())
	check("just", d.Maybe() && string(d.Short()) == "x")
	n := d.NonEmptyCount()
	var items []string
	for range n {
		items = append(items, string(d.Short()))
	}
	check("list", len(items) == 2 && items[0] == "a" && items[1] == "b")
	check("vrange", d.VersionRange() == VersionRange{6, 14})
	d.Space()
	check("tail", string(d.Tail()) == "tail")
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		read func(*Decoder)
		want error
	}{
		{"short past end", "05616263", func(d *Decoder) { d.Short() }, ErrShort},
		{"large past end", "ffff00", func(d *Decoder) { d.Large() }, ErrShort},
		{"w32 truncated", "0102", func(d *Decoder) { d.Word32() }, ErrShort},
		{"bad bool", "01", func(d *Decoder) { d.Bool() }, ErrBadValue},
		{"binary maybe tag", "01", func(d *Decoder) { d.Maybe() }, ErrBadValue},
		{"empty non-empty list", "00", func(d *Decoder) { d.NonEmptyCount() }, ErrEmptyList},
		{"inverted range", "000e0006", func(d *Decoder) { d.VersionRange() }, ErrBadValue},
		{"bad literal", "41", func(d *Decoder) { d.Space() }, ErrBadValue},
		{"trailing", "0000", func(d *Decoder) { d.Byte() }, ErrTrailing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := hex.DecodeString(tt.in)
			d := NewDecoder(in)
			tt.read(d)
			if err := d.Finish(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			// after an error every read is a zero value
			if d.Err() != nil && (d.Byte() != 0 || d.Short() != nil) {
				t.Fatal("reads after error returned data")
			}
		})
	}
}

func TestWord(t *testing.T) {
	d := NewDecoder([]byte("SEND T body"))
	if w := string(d.Word()); w != "SEND" {
		t.Fatalf("word %q", w)
	}
	d.Space()
	if w := string(d.Word()); w != "T" {
		t.Fatalf("word %q", w)
	}
	d = NewDecoder([]byte("PING"))
	if w := string(d.Word()); w != "PING" || d.Len() != 0 {
		t.Fatalf("word %q left %d", w, d.Len())
	}
}

// Pad follows [MC pad/unPad]: w16 length, message, '#' fill.
func TestPad(t *testing.T) {
	p, err := Pad([]byte("hi"), 8)
	if err != nil || string(p) != "\x00\x02hi####" {
		t.Fatalf("pad %q %v", p, err)
	}
	u, err := Unpad(p)
	if err != nil || string(u) != "hi" {
		t.Fatalf("unpad %q %v", u, err)
	}
	if _, err := Pad(make([]byte, 7), 8); !errors.Is(err, ErrPad) {
		t.Errorf("oversized pad: %v", err)
	}
	if p, err := Pad(make([]byte, 6), 8); err != nil || len(p) != 8 {
		t.Errorf("exact fit: %v", err)
	}
	// tests/CoreTests/CryptoTests.hs "pad should fail on large string":
	// 65533 bytes pad to 65535; 65534 and 65535 bytes never pad.
	if p, err := Pad(make([]byte, 65533), 65535); err != nil || len(p) != 65535 {
		t.Errorf("65533 bytes: %v", err)
	}
	for _, n := range []int{65534, 65535} {
		if _, err := Pad(make([]byte, n), n+2); !errors.Is(err, ErrPad) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	for _, bad := range []string{"", "\x00", "\x00\x05abc"} {
		if _, err := Unpad([]byte(bad)); !errors.Is(err, ErrPad) {
			t.Errorf("unpad %q: %v", bad, err)
		}
	}
}

func TestVersionRange(t *testing.T) {
	srv := VersionRange{6, 14}
	tests := []struct {
		cli    VersionRange
		want   uint16
		wantOK bool
	}{
		{VersionRange{6, 18}, 14, true},
		{VersionRange{1, 7}, 7, true},
		{VersionRange{15, 18}, 0, false},
		{VersionRange{1, 5}, 0, false},
	}
	for _, tt := range tests {
		v, ok := srv.Compatible(tt.cli)
		if v != tt.want || ok != tt.wantOK {
			t.Errorf("%v ∩ %v = %d %v", srv, tt.cli, v, ok)
		}
	}
}

// Text forms are base64url with '=' padding [MES base64urlP, U.encode].
func TestB64URL(t *testing.T) {
	b := []byte{0xfb, 0xff, 0x01}
	if s := B64URL(b); s != "-_8B" {
		t.Fatalf("b64url %q", s)
	}
	if s := B64URL([]byte{1}); s != "AQ==" {
		t.Fatalf("padding %q", s)
	}
	for _, in := range []string{"AQ==", "AQ"} {
		got, err := ParseB64URL(in)
		if err != nil || !bytes.Equal(got, []byte{1}) {
			t.Errorf("parse %q: %x %v", in, got, err)
		}
	}
	if _, err := ParseB64URL("A+=="); err == nil {
		t.Error("standard alphabet accepted")
	}
}

// FuzzDecoder reads a script of primitives from arbitrary input: it must
// never panic, never return more bytes than it was given, and re-encoding
// what it read must give back the consumed bytes.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte("\x03abc\x00\x02ab\x12\x34T1\x01x"), []byte{0, 1, 2, 3, 4, 5})
	f.Add([]byte{0xff, 0xff}, []byte{1})
	f.Add([]byte("0\x00\x06\x00\x0e"), []byte{5, 7})
	f.Fuzz(func(t *testing.T, in, ops []byte) {
		d := NewDecoder(in)
		w := NewBuffer(nil)
		for _, op := range ops {
			switch op % 9 {
			case 0:
				w.Short(d.Short())
			case 1:
				w.Large(d.Large())
			case 2:
				w.Word16(d.Word16())
			case 3:
				w.Int64(d.Int64())
			case 4:
				w.Bool(d.Bool())
			case 5:
				w.Maybe(d.Maybe())
			case 6:
				w.Count(d.Count())
			case 7:
				w.VersionRange(d.VersionRange())
			case 8:
				w.Raw(d.Word())
			}
			if d.Err() != nil {
				return
			}
		}
		out, err := w.Bytes()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(out, in[:d.Offset()]) {
			t.Fatalf("re-encode %x != consumed %x", out, in[:d.Offset()])
		}
	})
}

func FuzzUnpad(f *testing.F) {
	f.Add([]byte("\x00\x02hi####"))
	f.Add([]byte("\xff\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := Unpad(in)
		if err != nil {
			return
		}
		p, err := Pad(u, len(in))
		if err != nil {
			t.Fatalf("repad: %v", err)
		}
		if !bytes.Equal(p[:2+len(u)], in[:2+len(u)]) {
			t.Fatal("repad prefix differs")
		}
	})
}

// PadInto reuses the destination's storage and gives Pad's bytes.
func TestPadInto(t *testing.T) {
	buf := make([]byte, 0, 16)
	p, err := PadInto(buf, []byte("hi"), 8)
	if err != nil || string(p) != "\x00\x02hi####" || &p[0] != &buf[:1][0] {
		t.Fatalf("PadInto %q %v", p, err)
	}
	if _, err := PadInto(buf, make([]byte, 7), 8); !errors.Is(err, ErrPad) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestFill(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 63, 64, 65, 3070, 16384} {
		b := make([]byte, n+2)
		for i := range b {
			b[i] = 0xaa
		}
		Fill(b[1:n+1], '#')
		if b[0] != 0xaa || b[n+1] != 0xaa {
			t.Fatalf("n=%d: wrote outside the slice", n)
		}
		for i := 1; i <= n; i++ {
			if b[i] != '#' {
				t.Fatalf("n=%d: byte %d = %#x", n, i, b[i])
			}
		}
	}
}
