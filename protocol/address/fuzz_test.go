package address

import (
	"strings"
	"testing"

	"github.com/simplexgo/protocol/encoding"
)

// Seeds for the fuzz targets; the committed corpora under testdata/fuzz
// hold the same strings.
var (
	serverSeeds = []string{
		"smp://" + testKeyHashB64 + "@localhost:5001",
		"xftp://abc=@example1.com",
		"ntf://1234-w==:pass@a.onion,1.2.3.4,[::1]:443",
		"smp://1234-w@smp.simplex.im," + onionHost + ":05223",
		"smp://1234-w==@h:",
	}
	queueSeeds = []string{
		queueStr,
		queueNewStr,
		"smp://1234-w==@smp5.simplex.im/3456-w==#" + testDhKeyStr,
		"smp://1234-w==@smp.simplex.im:5223/3456-w==#" + testDhKeyStr + "/?v=1-4&extra_param=abc&srv=" + onionHost + "&q=m&k=s",
		"smp://1234-w==@h/3456-w==#/?v=4&dh=" + testDhKeyStr + "&q=c",
	}
	linkSeeds = []string{
		"simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueStr) + "&e2e=" + testE2EStrURI,
		"https://simplex.chat/contact#/?v=1&smp=" + urlEnc(queueStr+";"+queueNewStr) + "&data=" + urlEnc("{}"),
		"simplex:/i#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3/MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY?h=smp.simplex.im",
		"https://smp.simplex.im/g#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY?h=" + onionHost + "&p=5223&c=1234-w",
		"simplex:/invitation#/?v=2-7&smp=" + urlEnc(queueNewStr) + "&e2e=" + urlEnc("v=2-3&x3dh="+testX448Str+","+testX448Str+"&kem_key=AQID"),
	}
)

// hasIPv6 reports whether the text form may be ambiguous: the reference
// writes IPv6 hosts without brackets, so "::1:5223" reads back as one host.
func hasIPv6(s string) bool {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "%3A", ":"), "%253A", ":")
	return strings.Contains(s, "::") || strings.Count(s, ":") > 4
}

func FuzzParseServerAddress(f *testing.F) {
	for _, s := range serverSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseServerAddress(s)
		if err != nil {
			return
		}
		if len(a.Hosts) == 0 || len(a.KeyHash) == 0 {
			t.Fatalf("parsed %q to %+v", s, a)
		}
		out := a.String()
		b, err := ParseServerAddress(out)
		if hasIPv6(out) {
			return
		}
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", out, s, err)
		}
		if !b.Equal(a) || b.String() != out {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v", s, a, out, b)
		}
		// the binary form round-trips too
		w := encoding.NewBuffer(nil)
		a.AppendBinary(w)
		bin, err := w.Bytes()
		if err != nil {
			return // a host or key hash over 255 bytes
		}
		d := encoding.NewDecoder(bin)
		c := DecodeServerAddress(d, a.Scheme)
		if err := d.Finish(); err != nil {
			t.Fatalf("binary decode of %q: %v", bin, err)
		}
		a.BasicAuth = ""
		if !c.Equal(a) {
			t.Fatalf("binary round trip %+v -> %+v", a, c)
		}
	})
}

func FuzzDecodeServerAddress(f *testing.F) {
	f.Add([]byte("\x02\x0esmp.simplex.im\x07a.onion\x045223\x04\xd7\x6d\xf8\xfb"))
	f.Add([]byte("\x01\x091.2.3.004\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := encoding.NewDecoder(b)
		a := DecodeServerAddress(d, SchemeSMP)
		if d.Finish() != nil {
			return
		}
		w := encoding.NewBuffer(nil)
		a.AppendBinary(w)
		out, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		d2 := encoding.NewDecoder(out)
		if a2 := DecodeServerAddress(d2, SchemeSMP); d2.Finish() != nil || !a2.Equal(a) {
			t.Fatalf("re-decode of %q: %+v", out, a2)
		}
	})
}

func FuzzParseQueueURI(f *testing.F) {
	for _, s := range queueSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQueueURI(s)
		if err != nil {
			return
		}
		out := q.String()
		if hasIPv6(out) {
			return
		}
		q2, err := ParseQueueURI(out)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", out, s, err)
		}
		if q2.String() != out {
			t.Fatalf("not a fixpoint: %q -> %q -> %q", s, out, q2.String())
		}
	})
}

func FuzzParseConnectionLink(f *testing.F) {
	for _, s := range linkSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseConnectionLink(s)
		if err != nil {
			return
		}
		if (l.Full == nil) == (l.Short == nil) {
			t.Fatalf("link %q: %+v", s, l)
		}
		out := l.String()
		if hasIPv6(out) {
			return
		}
		l2, err := ParseConnectionLink(out)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", out, s, err)
		}
		if l2.String() != out {
			t.Fatalf("not a fixpoint: %q -> %q -> %q", s, out, l2.String())
		}
	})
}
