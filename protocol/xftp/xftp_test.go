package xftp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

func rng(from, to int) []byte {
	b := make([]byte, 0, to-from+1)
	for i := from; i <= to; i++ {
		b = append(b, byte(i))
	}
	return b
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
func short(b []byte) []byte      { return append([]byte{byte(len(b))}, b...) }
func large(b []byte) []byte      { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }

var (
	x25519Prefix = mustHex("302a300506032b656e032100") // XWT "decodeResponse FILE"
	ed25519Pref  = mustHex("302a300506032b6570032100")
	sndKey       = crypto.PublicKey{Alg: crypto.Ed25519, Raw: rng(1, 32)}
	rcvKey1      = crypto.PublicKey{Alg: crypto.Ed25519, Raw: rng(33, 64)}
	rcvKey2      = crypto.PublicKey{Alg: crypto.X25519, Raw: rng(65, 96)}
	dhKey        = crypto.PublicKey{Alg: crypto.X25519, Raw: rng(1, 32)}
)

// commandVectors: layouts from XWT "encodeFNEW with auth", "encodeFNEW
// without auth", "encodeFADD", "encodeFGET", … (the reference test uses
// placeholder key bytes; these use real DER keys) and CONFORMANCE-NOTES §5.2.
func commandVectors() []struct {
	name string
	c    Command
	wire []byte
} {
	pw := []byte("s3cret!")
	digest := rng(31, 62)
	sk := cat(ed25519Pref, rng(1, 32))
	rk1 := cat(ed25519Pref, rng(33, 64))
	rk2 := cat(x25519Prefix, rng(65, 96))
	return []struct {
		name string
		c    Command
		wire []byte
	}{
		{"FNEW with auth", FNEW{SndKey: sndKey, Size: 262144, Digest: digest, RcvKeys: []crypto.PublicKey{rcvKey1, rcvKey2}, Password: &pw},
			cat([]byte("FNEW "), short(sk), []byte{0, 4, 0, 0}, short(digest), []byte{2}, short(rk1), short(rk2), []byte("1"), short(pw))},
		{"FNEW without auth", FNEW{SndKey: sndKey, Size: 12345, Digest: digest, RcvKeys: []crypto.PublicKey{rcvKey1}},
			cat([]byte("FNEW "), short(sk), []byte{0, 0, 0x30, 0x39}, short(digest), []byte{1}, short(rk1), []byte("0"))},
		{"FADD", FADD{RcvKeys: []crypto.PublicKey{rcvKey1, rcvKey2}}, cat([]byte("FADD \x02"), short(rk1), short(rk2))},
		{"FPUT", FPUT{}, []byte("FPUT")},
		{"FDEL", FDEL{}, []byte("FDEL")},
		{"FGET", FGET{RcvDHKey: dhKey}, cat([]byte("FGET "), short(cat(x25519Prefix, rng(1, 32))))},
		{"FACK", FACK{}, []byte("FACK")},
		{"PING", PING{}, []byte("PING")},
	}
}

func TestCommandVectors(t *testing.T) {
	for _, tt := range commandVectors() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeCommand(CurrentVersion, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode = %q\nwant     %q", got, tt.wire)
			}
			back, err := ParseCommand(CurrentVersion, tt.wire)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.c) {
				t.Fatalf("parse = %#v\nwant    %#v", back, tt.c)
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	sk := cat(ed25519Pref, rng(1, 32))
	digest := rng(31, 62)
	tests := []struct {
		in   []byte
		want error
	}{
		{[]byte("FNOP"), ErrUnknownCommand},
		{[]byte("FPUT "), ErrSyntax},
		{[]byte("FACK x"), ErrSyntax},
		{cat([]byte("FNEW "), short(sk), []byte{0, 4, 0, 0}, short(digest), []byte{0}, []byte("0")), ErrSyntax},                                  // no recipients
		{cat([]byte("FNEW "), short(sk), []byte{0, 4, 0, 0}, short(digest), []byte{1}, short(sk)), ErrSyntax},                                    // no maybe tag
		{cat([]byte("FNEW "), short(sk), []byte{0, 4, 0, 0}, short(digest), []byte{1}, short(sk), []byte("1"), short([]byte("a b"))), ErrSyntax}, // bad password
		{cat([]byte("FNEW "), short(sk), []byte{0, 4, 0, 0}, short(digest), []byte{1}, short(sk), []byte("2")), ErrSyntax},                       // bad tag
		{cat([]byte("FGET "), short(sk)), ErrSyntax}, // not X25519
		{[]byte("FADD \x01\x00"), ErrSyntax},
	}
	for _, tt := range tests {
		if c, err := ParseCommand(CurrentVersion, tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ParseCommand(%q) = %#v, %v; want %v", tt.in, c, err, tt.want)
		}
	}
	bad := []byte("a:b")
	if _, err := EncodeCommand(CurrentVersion, FNEW{SndKey: sndKey, RcvKeys: []crypto.PublicKey{rcvKey1}, Password: &bad}); err == nil {
		t.Error("encoded bad password")
	}
	if _, err := EncodeCommand(CurrentVersion, FADD{}); err == nil {
		t.Error("encoded empty FADD")
	}
}

func TestResponseVectors(t *testing.T) {
	ttl := int64(3600)
	tests := []struct {
		name string
		r    Response
		wire []byte
	}{
		// XWT "decodeResponse SIDS", "RIDS", "FILE", "OK", "PONG", "ERR AUTH", "ERR CMD SYNTAX"
		{"SIDS", SIDS{SenderID: rng(1, 24), RecipientIDs: [][]byte{rng(25, 48), rng(49, 72)}},
			cat([]byte("SIDS "), short(rng(1, 24)), []byte{2}, short(rng(25, 48)), short(rng(49, 72)))},
		{"RIDS", RIDS{RecipientIDs: [][]byte{rng(1, 16), rng(17, 32)}}, cat([]byte("RIDS \x02"), short(rng(1, 16)), short(rng(17, 32)))},
		{"FILE", FILE{SrvDHKey: dhKey, Nonce: [24]byte(rng(201, 224))}, cat([]byte("FILE "), short(cat(x25519Prefix, rng(1, 32))), rng(201, 224))},
		{"OK", OK{}, []byte("OK")},
		{"PONG", PONG{}, []byte("PONG")},
		{"ERR AUTH", ERR{Err: ErrorType{Code: ErrAUTH}}, []byte("ERR AUTH")},
		{"ERR CMD SYNTAX", ERR{Err: CmdError(CmdSYNTAX)}, []byte("ERR CMD SYNTAX")},
		// [MP StrEncoding BlockingInfo]
		{"ERR BLOCKED", ERR{Err: ErrorType{Code: ErrBLOCKED, Blocked: &BlockingInfo{Reason: BlockedSpam}}}, []byte("ERR BLOCKED reason=spam")},
		{"ERR BLOCKED notice", ERR{Err: ErrorType{Code: ErrBLOCKED, Blocked: &BlockingInfo{Reason: BlockedContent, Notice: &ClientNotice{TTL: &ttl}}}},
			[]byte(`ERR BLOCKED reason=content,notice={"ttl":3600}`)},
		{"ERR BLOCKED notice empty", ERR{Err: ErrorType{Code: ErrBLOCKED, Blocked: &BlockingInfo{Reason: BlockedSpam, Notice: &ClientNotice{}}}},
			[]byte(`ERR BLOCKED reason=spam,notice={}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeResponse(CurrentVersion, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode = %q, want %q", got, tt.wire)
			}
			back, err := ParseResponse(CurrentVersion, tt.wire)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.r) {
				t.Fatalf("parse = %#v, want %#v", back, tt.r)
			}
		})
	}
	// BLOCKED is AUTH below v3 [FP encodeProtocol FRErr]
	got, _ := EncodeResponse(2, ERR{Err: ErrorType{Code: ErrBLOCKED, Blocked: &BlockingInfo{Reason: BlockedSpam}}})
	if string(got) != "ERR AUTH" {
		t.Fatalf("v2 BLOCKED = %q", got)
	}
	for _, c := range []string{"BLOCK", "SESSION", "HANDSHAKE", "SIZE", "QUOTA", "DIGEST", "CRYPTO", "NO_FILE", "HAS_FILE", "FILE_IO", "TIMEOUT", "INTERNAL",
		"CMD UNKNOWN", "CMD PROHIBITED", "CMD NO_AUTH", "CMD HAS_AUTH", "CMD NO_ENTITY"} {
		r, err := ParseResponse(CurrentVersion, []byte("ERR "+c))
		if err != nil {
			t.Errorf("ERR %s: %v", c, err)
			continue
		}
		if out, _ := EncodeResponse(CurrentVersion, r); string(out) != "ERR "+c {
			t.Errorf("round trip ERR %s -> %q", c, out)
		}
	}
	// notice JSON is parsed like aeson: extra fields ignored, null ttl, whitespace
	r, err := ParseResponse(3, []byte(`ERR BLOCKED reason=spam,notice= {"ttl": null, "x": 1} `))
	if err != nil || r.(ERR).Err.Blocked.Notice == nil || r.(ERR).Err.Blocked.Notice.TTL != nil {
		t.Fatalf("notice: %#v %v", r, err)
	}
	for _, s := range []string{"ERR", "ERR BLOCKED", "ERR BLOCKED reason=ham", "ERR BLOCKED reason=spam,", "ERR BLOCKED reason=spam,notice=[]",
		`ERR BLOCKED reason=spam,notice={"ttl":1.5}`, `ERR BLOCKED reason=spam,notice={"ttl":"1"}`, `ERR BLOCKED reason=spam,notice={}x`,
		"ERR AUTH ", "ERR NOPE", "SIDS \x01a\x00", "RIDS \x00", "FILE " + string(short(cat(x25519Prefix, rng(1, 32)))) + "short",
		"OK x", "HELLO"} {
		if r, err := ParseResponse(CurrentVersion, []byte(s)); err == nil {
			t.Errorf("ParseResponse(%q) = %#v", s, r)
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	// [FP checkCredentials]
	id := []byte("id")
	type tc struct {
		c      Command
		auth   bool
		entity []byte
		want   CommandError
	}
	for _, tt := range []tc{
		{FNEW{}, true, nil, ""}, {FNEW{}, false, nil, CmdNOAUTH}, {FNEW{}, true, id, CmdHASAUTH},
		{PING{}, false, nil, ""}, {PING{}, true, nil, CmdHASAUTH}, {PING{}, false, id, CmdHASAUTH},
		{FGET{}, true, id, ""}, {FPUT{}, false, id, CmdNOAUTH}, {FACK{}, true, nil, CmdNOAUTH},
	} {
		err := CheckCredentials(tt.c, tt.auth, tt.entity)
		var e ErrorType
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%T: %v", tt.c, err)
		case tt.want != "" && (!errors.As(err, &e) || e.Cmd != tt.want):
			t.Errorf("%T auth=%v entity=%q: %v, want CMD %s", tt.c, tt.auth, tt.entity, err, tt.want)
		}
	}
	if CheckResponseCredentials(SIDS{}, id) == nil || CheckResponseCredentials(OK{}, nil) == nil || CheckResponseCredentials(ERR{}, nil) != nil ||
		CheckResponseCredentials(FILE{}, id) != nil {
		t.Error("response credentials")
	}
}

func TestHandshakes(t *testing.T) {
	sessID := rng(1, 32)
	cert1, cert2 := rng(101, 200), rng(201, 232)
	signedKey := rng(1, 120)
	// XWT "decodeServerHandshake without webIdentityProof": the body the server encodes
	base := cat([]byte{0, 1, 0, 3}, short(sessID), []byte{2}, large(cert1), large(cert2), large(signedKey))
	h := ServerHandshake{VRange: SupportedVRange, SessionID: sessID, CertChain: [][]byte{cert1, cert2}, SignedKey: signedKey}
	got, err := h.Encode()
	if err != nil || !bytes.Equal(got, cat(base, []byte{0})) {
		t.Fatalf("encode = %x, %v", got, err)
	}
	for name, in := range map[string][]byte{"no proof field": base, "empty proof": cat(base, []byte{0}), "padded": cat(base, []byte{0}, []byte("####"))} {
		back, err := ParseServerHandshake(in)
		if err != nil || !reflect.DeepEqual(back, h) {
			t.Errorf("%s: %+v, %v", name, back, err)
		}
	}
	// XWT "decodeServerHandshake with webIdentityProof"
	sig := rng(1, 64)
	hp := h
	hp.WebIdentityProof = sig
	got, _ = hp.Encode()
	if !bytes.Equal(got, cat(base, short(sig))) {
		t.Fatalf("encode with proof = %x", got)
	}
	back, err := ParseServerHandshake(cat(base, short(sig), []byte("##")))
	if err != nil || !reflect.DeepEqual(back, hp) {
		t.Fatalf("parse with proof: %+v %v", back, err)
	}
	// a proof that is not a signature size is ignored [FT smpP XFTPServerHandshake]
	if back, err := ParseServerHandshake(cat(base, short(rng(1, 10)))); err != nil || back.WebIdentityProof != nil {
		t.Fatalf("odd proof: %+v %v", back, err)
	}
	for _, bad := range [][]byte{
		cat([]byte{0, 3, 0, 1}, short(sessID), []byte{1}, large(cert1), large(signedKey)), // min > max
		cat([]byte{0, 1, 0, 3}, short(sessID), []byte{0}, large(signedKey)),               // no certificates
		cat([]byte{0, 1, 0, 3}, short(sessID), []byte{1}, large(cert1)),                   // no signed key
	} {
		if h, err := ParseServerHandshake(bad); err == nil {
			t.Errorf("parsed %x as %+v", bad, h)
		}
	}
	// XWT "encodeClientHandshake": w16 version short(keyHash)
	ch := ClientHandshake{Version: 3, KeyHash: rng(1, 32)}
	got, _ = ch.Encode()
	if !bytes.Equal(got, cat([]byte{0, 3}, short(rng(1, 32)))) {
		t.Fatalf("client handshake = %x", got)
	}
	if back, err := ParseClientHandshake(cat(got, []byte("#"))); err != nil || !reflect.DeepEqual(back, ch) {
		t.Fatalf("parse client handshake: %+v %v", back, err)
	}
	// XWT "encodeClientHello (Nothing)" / "(Just challenge)"
	if b, _ := (ClientHello{}).Encode(); string(b) != "0" {
		t.Fatalf("hello nothing = %q", b)
	}
	hello := ClientHello{WebChallenge: rng(1, 32)}
	b, _ := hello.Encode()
	if !bytes.Equal(b, cat([]byte("1"), short(rng(1, 32)))) {
		t.Fatalf("hello = %x", b)
	}
	if back, err := ParseClientHello(cat(b, []byte("##"))); err != nil || !reflect.DeepEqual(back, hello) {
		t.Fatalf("parse hello: %+v %v", back, err)
	}
	if _, err := ParseClientHello(cat([]byte("1"), short(rng(1, 31)))); err == nil {
		t.Fatal("31-byte challenge parsed")
	}
	if _, err := (ClientHello{WebChallenge: rng(1, 3)}).Encode(); err == nil {
		t.Fatal("3-byte challenge encoded")
	}
}

func TestFileDescriptionURI(t *testing.T) {
	// testFileDescriptionURI / testFileDescriptionURIExtras: round trips
	fd := fixtureDesc(t)
	extra := `{"something":"extra","more":true}`
	for _, cd := range []*string{nil, &extra} {
		u := FileDescriptionURI{Description: fd, ClientData: cd}
		s, err := u.String()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "simplex:/file#/?desc=chunkSize%3A%208mb%0Adigest%3A%20YWJj%0A") {
			t.Fatalf("link = %s", s)
		}
		back, err := ParseFileDescriptionURI(s)
		if err != nil || !reflect.DeepEqual(back, u) {
			t.Fatalf("round trip: %+v %v", back, err)
		}
	}
	s, _ := FileDescriptionURI{Description: fd}.String()
	for _, bad := range []string{
		strings.Replace(s, "/file", "/fil", 1),
		strings.Replace(s, "recipient", "sender", 1),
		strings.Replace(s, "26mb", "27mb", 1), // fails validation
		s + " ",
		"simplex:/file#/?data=x",
	} {
		if u, err := ParseFileDescriptionURI(bad); err == nil {
			t.Errorf("parsed %q: %+v", bad, u)
		}
	}
}
