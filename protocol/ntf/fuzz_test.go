package ntf

import (
	"bytes"
	"reflect"
	"testing"
)

func commandSeeds() [][]byte {
	var s [][]byte
	for _, v := range commandVectors() {
		s = append(s, v.wire)
	}
	return s
}

var responseSeeds = []string{
	"IDTKN \x03abc" + string(short(xSPKI)), "IDSUB \x02id", "OK", "PONG", "ERR CMD SYNTAX", "ERR STORE x",
	"TKN INVALID,TOPIC", "SUB ERR x y", "SUB ACTIVE",
}

var pnSeeds = []string{
	"smp://1234-w==@smp.example.com,abc.onion:5223/3456-w== 1700000000 AAECAwQFBgcICQoLDA0ODxAREhMUFRYX AQID;smp://1234-w==@smp4.simplex.im/AA== -5 AQID AQID",
	"smp://1234-w==@h/AA== +7 AQID AQID",
}

var handshakeSeeds = [][]byte{
	cat([]byte{0, 1, 0, 3}, short(seq(32, 1)), []byte{0, 3}, []byte("key")),
	cat([]byte{0, 1, 0, 1}, short(seq(32, 1))),
	cat([]byte{0, 3}, short(seq(32, 9))),
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range commandSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(CurrentVersion, b)
		if err != nil {
			return
		}
		out, err := EncodeCommand(CurrentVersion, c)
		if err != nil {
			t.Fatalf("encode %#v: %v", c, err)
		}
		c2, err := ParseCommand(CurrentVersion, out)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip %q -> %#v -> %q -> %#v, %v", b, c, out, c2, err)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range responseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(CurrentVersion, b)
		if err != nil {
			return
		}
		out, err := EncodeResponse(CurrentVersion, r)
		if err != nil {
			t.Fatalf("encode %#v: %v", r, err)
		}
		r2, err := ParseResponse(CurrentVersion, out)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip %q -> %#v -> %q -> %#v, %v", b, r, out, r2, err)
		}
		if e, ok := r.(ERR); ok && e.Err.Cmd != CmdNOENTITY && !bytes.Equal(out, b) {
			t.Fatalf("ERR not byte-exact: %q -> %q", b, out)
		}
	})
}

func FuzzParsePNMessages(f *testing.F) {
	for _, s := range pnSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParsePNMessages(s)
		if err != nil {
			return
		}
		out := EncodePNMessages(ms)
		ms2, err := ParsePNMessages(out)
		if err != nil || !reflect.DeepEqual(ms, ms2) {
			t.Fatalf("round trip %q -> %q: %v", s, out, err)
		}
	})
}

func FuzzParseHandshake(f *testing.F) {
	for _, s := range handshakeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseServerHandshake(b); err == nil {
			out, err := h.Encode()
			if err != nil || !bytes.HasPrefix(b, out) {
				t.Fatalf("server hello %q -> %+v -> %q, %v", b, h, out, err)
			}
		}
		if h, err := ParseClientHandshake(b); err == nil {
			out, err := h.Encode()
			if err != nil || !bytes.HasPrefix(b, out) {
				t.Fatalf("client hello %q -> %+v -> %q, %v", b, h, out, err)
			}
		}
	})
}
