package xftp

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/simplexgo/protocol/address"
)

func commandSeeds() [][]byte {
	var s [][]byte
	for _, v := range commandVectors() {
		s = append(s, v.wire)
	}
	return s
}

var responseSeeds = []string{
	"SIDS \x03abc\x02\x01x\x02yz", "RIDS \x01\x03abc", "OK", "PONG", "ERR AUTH", "ERR CMD SYNTAX",
	`ERR BLOCKED reason=content,notice={"ttl":3600}`, "ERR BLOCKED reason=spam",
	"FILE " + string(short(cat(x25519Prefix, rng(1, 32)))) + string(rng(201, 224)),
}

func handshakeSeeds() [][]byte {
	base := cat([]byte{0, 1, 0, 3}, short(rng(1, 32)), []byte{2}, large(rng(101, 200)), large(rng(201, 232)), large(rng(1, 120)))
	return [][]byte{
		cat(base, []byte{0}),
		cat(base, short(rng(1, 64))),
		cat([]byte{0, 3}, short(rng(1, 32))),
		cat([]byte("1"), short(rng(1, 32))),
		[]byte("0"),
	}
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
		if !bytes.Equal(out, b) {
			t.Fatalf("not byte-exact: %q -> %q", b, out)
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
	})
}

func FuzzParseHandshake(f *testing.F) {
	for _, s := range handshakeSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseServerHandshake(b); err == nil {
			out, err := h.Encode()
			if err != nil {
				t.Fatalf("encode %+v: %v", h, err)
			}
			h2, err := ParseServerHandshake(out)
			if err != nil || !reflect.DeepEqual(h, h2) {
				t.Fatalf("server handshake %q -> %q: %v", b, out, err)
			}
		}
		if h, err := ParseClientHandshake(b); err == nil {
			if out, err := h.Encode(); err != nil || !bytes.HasPrefix(b, out) {
				t.Fatalf("client handshake %q -> %q, %v", b, out, err)
			}
		}
		if h, err := ParseClientHello(b); err == nil {
			if out, err := h.Encode(); err != nil || !bytes.HasPrefix(b, out) {
				t.Fatalf("client hello %q -> %q, %v", b, out, err)
			}
		}
	})
}

// chunkSet is a description's chunks with replicas in a canonical order:
// re-encoding groups replicas by server, which may reorder them.
func chunkSet(fd FileDescription) []FileChunk {
	cs := slices.Clone(fd.Chunks)
	for i := range cs {
		rs := slices.Clone(cs[i].Replicas)
		slices.SortStableFunc(rs, func(a, b FileChunkReplica) int { return address.CompareServers(a.Server, b.Server) })
		cs[i].Replicas = rs
	}
	return cs
}

func FuzzParseFileDescription(f *testing.F) {
	fixture, err := os.ReadFile("testdata/file_description.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add([]byte("chunkSize: 8mb\ndigest: YWJj\nkey: 00n8p1tJq5E-SGnHcYTOrS4A9I07gTA_WFD6MTFFFOY=\nnonce: AAAA\nparty: sender\nredirect:\n  digest: DQ4P\n  size: 512\nreplicas: []\nsize: '0'\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fd, err := ParseFileDescription(b)
		if err != nil {
			return
		}
		s1, err := fd.Encode()
		if err != nil {
			t.Fatalf("encode %+v: %v", fd, err)
		}
		fd2, err := ParseFileDescription([]byte(s1))
		if err != nil {
			t.Fatalf("re-parse of\n%s\nfrom\n%q: %v", s1, b, err)
		}
		fd.Chunks, fd2.Chunks = chunkSet(fd), chunkSet(fd2)
		if !reflect.DeepEqual(fd, fd2) {
			t.Fatalf("round trip changed the description:\n%+v\n%+v", fd, fd2)
		}
		fd2, _ = ParseFileDescription([]byte(s1))
		s2, _ := fd2.Encode()
		fd3, err := ParseFileDescription([]byte(s2))
		if err != nil {
			t.Fatal(err)
		}
		if s3, _ := fd3.Encode(); s3 != s2 {
			t.Fatalf("not a fixpoint:\n%s\n%s", s2, s3)
		}
	})
}

func FuzzParseFileDescriptionURI(f *testing.F) {
	fixture, err := os.ReadFile("testdata/file_description.yaml")
	if err != nil {
		f.Fatal(err)
	}
	q := address.Query{{Name: "desc", Value: string(fixture)}, {Name: "data", Value: "{}"}}
	f.Add("simplex:/file#/?" + q.Encode())
	f.Add("https://simplex.chat:8443/file/#/?" + q[:1].Encode())
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseFileDescriptionURI(s)
		if err != nil {
			return
		}
		s1, err := u.String()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		u2, err := ParseFileDescriptionURI(s1)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", s1, err)
		}
		s2, _ := u2.String()
		u3, err := ParseFileDescriptionURI(s2)
		if err != nil {
			t.Fatal(err)
		}
		if s3, _ := u3.String(); s3 != s2 {
			t.Fatalf("not a fixpoint: %q %q", s2, s3)
		}
	})
}
