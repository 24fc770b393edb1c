package server

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// fuzzSession is the fixed session the request parser is fuzzed with.
func fuzzSession() *transport.Session {
	return &transport.Session{Version: xftp.CurrentVersion, SessionID: bytes.Repeat([]byte{0x5a}, 32),
		BlockSize: xftp.BlockSize, Batching: true, Server: true}
}

// fuzzSeeds are unpadded request payloads: one of every command, signed,
// plus broken ones (the fuzz function pads inputs shorter than a block).
func fuzzSeeds() [][]byte {
	s := fuzzSession()
	k := crypto.PrivateKey{Alg: crypto.Ed25519, Raw: bytes.Repeat([]byte{1}, ed25519.SeedSize)}
	x := crypto.PrivateKey{Alg: crypto.X25519, Raw: bytes.Repeat([]byte{2}, 32)}
	pw := []byte("secret")
	id := bytes.Repeat([]byte{3}, 16)
	digest := bytes.Repeat([]byte{4}, 32)
	cmds := []struct {
		cmd xftp.Command
		ent []byte
	}{
		{xftp.FNEW{SndKey: k.Public(), Size: xftp.ChunkSize0, Digest: digest, RcvKeys: []crypto.PublicKey{k.Public(), x.Public()}}, nil},
		{xftp.FNEW{SndKey: k.Public(), Size: xftp.ChunkSize3, Digest: digest, RcvKeys: []crypto.PublicKey{k.Public()}, Password: &pw}, nil},
		{xftp.FADD{RcvKeys: []crypto.PublicKey{k.Public()}}, id},
		{xftp.FPUT{}, id}, {xftp.FDEL{}, id}, {xftp.FGET{RcvDHKey: x.Public()}, id}, {xftp.FACK{}, id}, {xftp.PING{}, nil},
	}
	var out [][]byte
	for _, c := range cmds {
		cb, _ := xftp.EncodeCommand(s.Version, c.cmd)
		var auth []byte
		if _, ping := c.cmd.(xftp.PING); !ping {
			auth, _ = transport.SignTransmission(s, k, nil, c.ent, cb)
		}
		tb, _ := transport.EncodeTransmission(s, transport.Transmission{Auth: auth, EntityID: c.ent, Command: cb})
		b, _ := encoding.NewBuffer(nil).Count(1).Large(tb).Bytes()
		out = append(out, b)
	}
	out = append(out, nil, []byte{0}, []byte{1, 0, 1, 0}, []byte("\x01\x00\x2a\x00\x20"+string(bytes.Repeat([]byte{0x5a}, 32))+"\x00\x00HELO"))
	return out
}

// fuzzHead pads b to a block unless it already is one (or cannot be).
func fuzzHead(b []byte) []byte {
	if len(b) == xftp.BlockSize {
		return b
	}
	if h, err := encoding.Pad(b, xftp.BlockSize); err == nil {
		return h
	}
	return b
}

// FuzzParseRequest drives the request parser with arbitrary heads. A
// failure must be BLOCK, SESSION or CMD; a success must survive a round
// trip: the command re-encodes to the same bytes, and the rebuilt head
// parses to the same request.
func FuzzParseRequest(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := fuzzSession()
		req, perr, _, _ := parseRequest(s, fuzzHead(b))
		if perr != nil {
			switch perr.Code {
			case xftp.ErrBLOCK, xftp.ErrSESSION, xftp.ErrCMD:
			default:
				t.Fatalf("unexpected error %v", perr)
			}
			return
		}
		cb, err := xftp.EncodeCommand(s.Version, req.Cmd)
		if err != nil {
			t.Fatalf("re-encode %T: %v", req.Cmd, err)
		}
		head, err := xftptest.RawHead(s, transport.Transmission{Auth: req.Auth, CorrID: req.CorrID, EntityID: req.EntityID, Command: cb})
		if err != nil {
			t.Fatal(err)
		}
		req2, perr2, _, _ := parseRequest(s, head)
		if perr2 != nil {
			t.Fatalf("re-parse: %v", perr2)
		}
		if !bytes.Equal(req.Authorized, req2.Authorized) || !bytes.Equal(req.Auth, req2.Auth) {
			t.Fatalf("round trip differs:\n%x\n%x", req.Authorized, req2.Authorized)
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/{FuzzParseRequest,FuzzServeHTTP} when
// XFTP_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("XFTP_WRITE_CORPUS") != "1" {
		t.Skip("set XFTP_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	for name, seeds := range map[string][][]byte{"FuzzParseRequest": fuzzSeeds(), "FuzzServeHTTP": handlerSeeds()} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFuzzSeeds checks the valid seeds parse and verify, so the fuzzer
// starts from requests that reach the command parser.
func TestFuzzSeeds(t *testing.T) {
	s := fuzzSession()
	k := crypto.PrivateKey{Alg: crypto.Ed25519, Raw: bytes.Repeat([]byte{1}, ed25519.SeedSize)}
	for i, b := range fuzzSeeds()[:8] {
		req, perr, _, _ := parseRequest(s, fuzzHead(b))
		if perr != nil {
			t.Fatalf("seed %d: %v", i, perr)
		}
		if _, ping := req.Cmd.(xftp.PING); !ping && !transport.VerifyAuth(s, k.Public(), req.CorrID, req.Auth, req.Authorized) {
			t.Fatalf("seed %d: signature does not verify", i)
		}
	}
}
