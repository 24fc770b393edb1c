package smp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzVersion maps any uint16 into the versions the codec implements.
func fuzzVersion(v uint16) uint16 {
	return EncodableRange.Min + v%(EncodableRange.Max-EncodableRange.Min+1)
}

// checkParseError asserts that a parse failure is a *ParseError of type
// CMD UNKNOWN or CMD SYNTAX.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || !(pe.Type.Equal(ErrCmdUnknown) || pe.Type.Equal(ErrCmdSyntax)) {
		t.Fatalf("parse error %v is not CMD UNKNOWN/SYNTAX", err)
	}
}

func commandSeeds() [][2]any {
	var s [][2]any
	for _, tt := range commandVectors() {
		s = append(s, [2]any{tt.v, []byte(tt.wire)})
	}
	k := sk(edDER)
	s = append(s, [2]any{uint16(18), []byte("HELLO")}, [2]any{uint16(18), []byte("NEW \x01A" + k)},
		[2]any{uint16(6), []byte("SEND F")}, [2]any{uint16(17), []byte("NEW " + k + k + "0S1C1")})
	return s
}

// FuzzParseCommand: every successful parse re-encodes to exactly the input
// (the command encoding is canonical); failures are CMD UNKNOWN/SYNTAX.
func FuzzParseCommand(f *testing.F) {
	for _, s := range commandSeeds() {
		f.Add(s[0].(uint16), s[1].([]byte))
	}
	f.Fuzz(func(t *testing.T, v uint16, in []byte) {
		v = fuzzVersion(v)
		c, err := ParseCommand(v, in)
		if err != nil {
			checkParseError(t, err)
			return
		}
		out, err := EncodeCommand(v, c)
		if err != nil {
			t.Fatalf("v%d %q parsed to %#v but does not encode: %v", v, in, c, err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("v%d: re-encode\n got %q\nwant %q", v, out, in)
		}
	})
}

func messageSeeds() [][2]any {
	var s [][2]any
	for _, tt := range messageVectors() {
		s = append(s, [2]any{tt.v, []byte(tt.wire)})
	}
	for _, tt := range errorVectors() {
		s = append(s, [2]any{uint16(18), []byte("ERR " + tt.wire)})
	}
	s = append(s, [2]any{uint16(9), []byte("DELD")}, [2]any{uint16(11), []byte("ERR BLOCKED reason=spam")},
		[2]any{uint16(6), []byte("ERR CMD NO_QUEUE")}, [2]any{uint16(6), []byte(`INFO { "qiSnd":true, "qiNtf":false, "qiSize":1 }`)})
	return s
}

// canonicalMessage reports whether re-encoding a parsed message must give
// back the input: not for JSON (INFO, BLOCKED notices), the NO_QUEUE alias
// or the version downgrades of DELD, SOK and ERR BLOCKED.
func canonicalMessage(v uint16, m Message, in []byte) bool {
	switch m := m.(type) {
	case INFO:
		return false
	case DELD:
		return v >= VersionDeletedEvent
	case SOK:
		return v >= VersionServiceCerts
	case ERR:
		if m.Err.Code == CodeBlocked && v < VersionBlockedEntity {
			return false
		}
		return !bytes.Contains(in, []byte("NO_QUEUE")) && !bytes.Contains(in, []byte(",notice="))
	}
	return true
}

// FuzzParseMessage: a successful parse re-encodes to the input where the
// encoding is canonical; in every case encoding is idempotent (parse of the
// re-encoding gives the same bytes again).
func FuzzParseMessage(f *testing.F) {
	for _, s := range messageSeeds() {
		f.Add(s[0].(uint16), s[1].([]byte))
	}
	f.Fuzz(func(t *testing.T, v uint16, in []byte) {
		v = fuzzVersion(v)
		m, err := ParseMessage(v, in)
		if err != nil {
			checkParseError(t, err)
			return
		}
		out, err := EncodeMessage(v, m)
		if err != nil {
			t.Fatalf("v%d %q parsed to %#v but does not encode: %v", v, in, m, err)
		}
		if canonicalMessage(v, m, in) && !bytes.Equal(out, in) {
			t.Fatalf("v%d: re-encode\n got %q\nwant %q", v, out, in)
		}
		m2, err := ParseMessage(v, out)
		if err != nil {
			t.Fatalf("v%d: re-encoding %q does not parse: %v", v, out, err)
		}
		out2, err := EncodeMessage(v, m2)
		if err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("v%d: not idempotent: %q then %q (%v)", v, out, out2, err)
		}
	})
}

// FuzzParseErrorType covers ParseErrorType and ParseTransportError.
func FuzzParseErrorType(f *testing.F) {
	for _, tt := range errorVectors() {
		f.Add([]byte(tt.wire))
	}
	f.Add([]byte("CMD NO_QUEUE"))
	f.Add([]byte("HANDSHAKE PARSE"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if e, err := ParseErrorType(in); err == nil {
			out, err := EncodeErrorType(e)
			if err != nil {
				t.Fatalf("%q parsed to %#v but does not encode: %v", in, e, err)
			}
			canonical := !bytes.Contains(in, []byte("NO_QUEUE")) && !bytes.Contains(in, []byte(",notice="))
			if canonical && !bytes.Equal(out, in) {
				t.Fatalf("re-encode %q, want %q", out, in)
			}
			e2, err := ParseErrorType(out)
			if err != nil || !e2.Equal(e) {
				t.Fatalf("round trip of %q: %#v %v", out, e2, err)
			}
		} else if !errors.Is(err, ErrSyntax) {
			t.Fatalf("error %v is not ErrSyntax", err)
		}
		if te, err := ParseTransportError(in); err == nil {
			out, err := EncodeTransportError(te)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("transport error re-encode %q %v", out, err)
			}
		}
	})
}

// FuzzParseRcvMessageBody: successful parses re-encode to the input unless
// they exceed what the encoder accepts (reserved flags over 6 bytes, body
// over MaxMessageLen), which the parser, like the reference client, allows.
func FuzzParseRcvMessageBody(f *testing.F) {
	f.Add([]byte(ts1700Wire + "T hello"))
	f.Add([]byte("QUOTA " + ts1700Wire))
	f.Add([]byte("QUOTAxyzF hi"))
	f.Add([]byte(ts1700Wire + "F123456789 x"))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := ParseRcvMessageBody(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		out, err := EncodeRcvMessageBody(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || len(b.Flags.Reserved) <= MaxFlagsReserved && len(b.Body) <= MaxMessageLen {
				t.Fatalf("%q parsed to %#v but does not encode: %v", in, b, err)
			}
			return
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("re-encode %q, want %q", out, in)
		}
	})
}

// FuzzParseNotificationMeta: the encoding of a parse is a prefix of the
// input (trailing bytes are an extension).
func FuzzParseNotificationMeta(f *testing.F) {
	f.Add([]byte("\x03mid" + ts1700Wire))
	f.Add([]byte("\x03mid" + ts1700Wire + "ext"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseNotificationMeta(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		out, err := EncodeNotificationMeta(m)
		if err != nil || !bytes.HasPrefix(in, out) {
			t.Fatalf("encoding %q (%v) is not a prefix of %q", out, err, in)
		}
	})
}

// FuzzQueueInfoJSON: JSON that unmarshals marshals (aeson layout) to JSON
// that unmarshals to the same value and marshals to the same bytes.
func FuzzQueueInfoJSON(f *testing.F) {
	f.Add([]byte(`{"qiSnd":false,"qiNtf":false,"qiSize":0}`))
	f.Add([]byte(`{"qiSnd":true,"qiNtf":false,"qiSub":{"qSubThread":"subThread","qDelivered":"AAEC"},"qiSize":2,"qiMsg":{"msgId":"+/8=","msgTs":"2023-11-14T22:13:20.5+01:00","msgType":"message"}}`))
	f.Add([]byte(` { "qiNtf" : true, "x": [null], "qiSub": null, "qiSize": -3, "qiSnd": false } `))
	f.Fuzz(func(t *testing.T, in []byte) {
		var q QueueInfo
		if err := q.UnmarshalJSON(in); err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		out, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("%s unmarshalled to %#v but does not marshal: %v", in, q, err)
		}
		var q2 QueueInfo
		if err := q2.UnmarshalJSON(out); err != nil || !reflect.DeepEqual(q, q2) {
			t.Fatalf("round trip of %s: %#v %v", out, q2, err)
		}
		out2, _ := json.Marshal(q2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not idempotent: %s then %s", out, out2)
		}
	})
}

// FuzzParseForwarded covers ParseFwdTransmission and ParseFwdResponse,
// whose encodings are canonical.
func FuzzParseForwarded(f *testing.F) {
	f.Add([]byte("\x03cid\x00\x0e" + sk(dhDER) + "enc"))
	f.Add([]byte("\x03cidresp"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if ft, err := ParseFwdTransmission(in); err == nil {
			out, err := EncodeFwdTransmission(ft)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("forwarded transmission re-encode %q %v", out, err)
			}
		}
		if fr, err := ParseFwdResponse(in); err == nil {
			out, err := EncodeFwdResponse(fr)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("forwarded response re-encode %q %v", out, err)
			}
		}
	})
}

// TestWriteSeedCorpus regenerates testdata/fuzz from the vectors when
// SMP_WRITE_CORPUS=1; otherwise it checks that the committed corpus exists.
func TestWriteSeedCorpus(t *testing.T) {
	corpora := map[string][][]any{}
	for _, s := range commandSeeds() {
		corpora["FuzzParseCommand"] = append(corpora["FuzzParseCommand"], []any{s[0], s[1]})
	}
	for _, s := range messageSeeds() {
		corpora["FuzzParseMessage"] = append(corpora["FuzzParseMessage"], []any{s[0], s[1]})
	}
	for _, tt := range errorVectors() {
		corpora["FuzzParseErrorType"] = append(corpora["FuzzParseErrorType"], []any{[]byte(tt.wire)})
	}
	corpora["FuzzParseRcvMessageBody"] = [][]any{{[]byte(ts1700Wire + "T hello")}, {[]byte("QUOTA " + ts1700Wire)}, {[]byte("QUOTAxyzF hi")}}
	corpora["FuzzParseNotificationMeta"] = [][]any{{[]byte("\x03mid" + ts1700Wire)}, {[]byte("\x03mid" + ts1700Wire + "ext")}}
	corpora["FuzzQueueInfoJSON"] = [][]any{{[]byte(`{"qiSnd":false,"qiNtf":false,"qiSize":0}`)},
		{[]byte(`{"qiSnd":true,"qiNtf":true,"qiSub":{"qSubThread":"noSub","qDelivered":"AAEC"},"qiSize":128,"qiMsg":{"msgId":"++//","msgTs":"2023-11-14T22:13:20Z","msgType":"quota"}}`)}}
	corpora["FuzzParseForwarded"] = [][]any{{[]byte("\x03cid\x00\x0e" + sk(dhDER) + "enc")}, {[]byte("\x03cidresp")}}

	write := os.Getenv("SMP_WRITE_CORPUS") == "1"
	for target, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", target)
		if !write {
			if ents, err := os.ReadDir(dir); err != nil || len(ents) == 0 {
				t.Errorf("no committed seed corpus in %s (run with SMP_WRITE_CORPUS=1)", dir)
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, args := range seeds {
			var b bytes.Buffer
			b.WriteString("go test fuzz v1\n")
			for _, a := range args {
				switch a := a.(type) {
				case uint16:
					fmt.Fprintf(&b, "uint16(%d)\n", a)
				case []byte:
					fmt.Fprintf(&b, "[]byte(%q)\n", a)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%03d", i)), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
