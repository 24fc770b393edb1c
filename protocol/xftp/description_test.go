package xftp

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
)

// fixtureDesc is the reference's tests/FileDescriptionTests.hs fileDesc,
// whose YAML is testdata/file_description.yaml (tests/fixtures/ there).
func fixtureDesc(t testing.TB) FileDescription {
	t.Helper()
	srv := func(h string) address.ServerAddress {
		a, err := address.ParseServer("xftp://abc=@"+h, address.SchemeXFTP)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	der, err := address.ParseB64("MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe")
	if err != nil {
		t.Fatal(err)
	}
	key, err := crypto.ParsePrivateKeyDER(der)
	if err != nil {
		t.Fatal(err)
	}
	rep := func(h string) FileChunkReplica {
		return FileChunkReplica{Server: srv(h), ReplicaID: []byte("abc"), ReplicaKey: key}
	}
	chunk := func(no int, size uint32, a, b string) FileChunk {
		return FileChunk{ChunkNo: no, ChunkSize: size, Digest: []byte("ghi"), Replicas: []FileChunkReplica{rep(a), rep(b)}}
	}
	mb8 := uint32(MB(8))
	fd := FileDescription{
		Party:     PartyRecipient,
		Size:      MB(26),
		Digest:    []byte("abc"),
		ChunkSize: mb8,
		Chunks: []FileChunk{
			chunk(1, mb8, "example1.com", "example3.com"),
			chunk(2, mb8, "example2.com", "example4.com"),
			chunk(3, mb8, "example1.com", "example4.com"),
			chunk(4, uint32(MB(2)), "example2.com", "example3.com"),
		},
	}
	k, _ := address.ParseB64("00n8p1tJq5E-SGnHcYTOrS4A9I07gTA_WFD6MTFFFOY=")
	copy(fd.Key[:], k)
	n, _ := address.ParseB64("dPSF-wrQpDiK_K6sYv0BDBZ9S4dg-jmu")
	copy(fd.Nonce[:], n)
	return fd
}

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/file_description.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFileDescriptionFixture(t *testing.T) {
	text := readFixture(t)
	want := fixtureDesc(t)
	// testParseFileDescription
	fd, err := ParseFileDescription(text)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fd, want) {
		t.Fatalf("parse =\n%+v\nwant\n%+v", fd, want)
	}
	if err := fd.Validate(); err != nil {
		t.Fatal(err)
	}
	// testSerializeFileDescription: byte-exact text
	out, err := want.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if out != string(text) {
		t.Fatalf("encode =\n%s\nwant\n%s", out, text)
	}
}

func TestFileDescriptionValidate(t *testing.T) {
	// XWT "non-sequential chunks", "mismatched size"
	fd := fixtureDesc(t)
	fd.Chunks[1].ChunkNo = 5
	if err := fd.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "chunk numbers are not sequential") {
		t.Fatalf("non-sequential: %v", err)
	}
	fd = fixtureDesc(t)
	fd.Size = 999
	if err := fd.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "chunks total size is different than file size") {
		t.Fatalf("size: %v", err)
	}
}

func TestFileSize(t *testing.T) {
	// XWT "encodeFileSize" and "decodeFileSize" [FD StrEncoding FileSize]
	sizes := []int64{500, 1024, 2048, 1048576, 8388608, 1073741824, 27262976}
	var got []string
	for _, s := range sizes {
		got = append(got, FormatFileSize(s))
	}
	if j := strings.Join(got, ","); j != "500,1kb,2kb,1mb,8mb,1gb,26mb" {
		t.Fatalf("FormatFileSize = %s", j)
	}
	for s, want := range map[string]int64{"500": 500, "1kb": 1024, "2kb": 2048, "1mb": 1048576, "8mb": 8388608, "1gb": 1073741824, "0": 0} {
		v, err := ParseFileSize(s, 1<<62)
		if err != nil || v != want {
			t.Errorf("ParseFileSize(%q) = %d, %v", s, v, err)
		}
	}
	if FormatFileSize(0) != "0gb" || FormatFileSize(-1024) != "-1kb" || FormatFileSize(GB(5)) != "5gb" {
		t.Error("edge sizes")
	}
	for _, s := range []string{"", "kb", "1k", "1 kb", "-1", "1KB", "4gb", "1mbkb", "99999999999999999999"} {
		if v, err := ParseFileSize(s, 1<<32-1); err == nil {
			t.Errorf("ParseFileSize(%q) = %d", s, v)
		}
	}
}

func TestFileDescriptionRedirect(t *testing.T) {
	// XWT "encode with redirect round-trips"
	fd := fixtureDesc(t)
	fd.Party = PartySender
	fd.Redirect = &RedirectFileInfo{Size: 512, Digest: []byte{13, 14, 15}}
	out, err := fd.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "party: sender\nredirect:\n  digest: DQ4P\n  size: 512\nreplicas:\n") {
		t.Fatalf("encode:\n%s", out)
	}
	back, err := ParseFileDescription([]byte(out))
	if err != nil || !reflect.DeepEqual(back, fd) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestYAMLStrings(t *testing.T) {
	// [yaml Data.Yaml.Internal defaultStringStyle] and libyaml's plain rules
	for in, want := range map[string]string{
		"26mb":                     "26mb",
		"12345":                    "'12345'",
		"1e5":                      "'1e5'",
		"0x1F":                     "'0x1F'",
		"null":                     "'null'",
		"True":                     "'True'",
		"":                         "''",
		"-w==":                     "-w==",
		"- x":                      "'- x'",
		"a: b":                     "'a: b'",
		"a #b":                     "'a #b'",
		"it's":                     "it's",
		"'q":                       "'''q'",
		"xftp://abc=@example1.com": "xftp://abc=@example1.com",
		"a\x01b":                   `"a\x01b"`,
		"é":                        "é",
	} {
		got, err := yamlString(in)
		if err != nil || got != want {
			t.Errorf("yamlString(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestParseFileDescriptionErrors(t *testing.T) {
	text := string(readFixture(t))
	for name, s := range map[string]string{
		"not yaml":        "{",
		"list":            "- a\n",
		"two docs":        text + "---\n" + text,
		"no party":        strings.Replace(text, "party: recipient\n", "", 1),
		"bad party":       strings.Replace(text, "party: recipient", "party: nobody", 1),
		"numeric size":    strings.Replace(text, "size: 26mb", "size: 27262976", 1),
		"bad key":         strings.Replace(text, "key: 00n8", "key: 00n", 1),
		"server auth":     strings.Replace(text, "xftp://abc=@example1.com", "xftp://abc=:pw@example1.com", 1),
		"smp server":      strings.Replace(text, "xftp://abc=@example1.com", "smp://abc=@example1.com", 1),
		"no digest":       strings.Replace(strings.Replace(text, ":Z2hp\n", "\n", 2), "3:YWJj:MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe:Z2hp", "3:YWJj:MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe", 1),
		"digest conflict": strings.Replace(text, "2:YWJj:MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe\n", "2:YWJj:MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe:AAAA\n", 1),
		"size conflict":   strings.Replace(text, "4:YWJj:MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe\n", "4:YWJj:MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe:Z2hp:1mb\n", 1),
		"bad chunk line":  strings.Replace(text, "- 1:YWJj", "- x:YWJj", 1),
		"public key":      strings.Replace(text, "MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe:Z2hp:2mb", "MCowBQYDK2VwAyEAjiswwI3O_NlS8Fk3HJUW870EY2bAwmttMBsvRB9eV3o=:Z2hp:2mb", 1),
		"redirect string": strings.Replace(text, "replicas:", "redirect:\n  digest: AAAA\n  size: '5'\nreplicas:", 1),
		"chunk not list":  "chunkSize: 8mb\ndigest: YWJj\nkey: 00n8p1tJq5E-SGnHcYTOrS4A9I07gTA_WFD6MTFFFOY=\nnonce: AAAA\nparty: sender\nreplicas:\n- chunks: x\n  server: xftp://abc=@h\nsize: 1\n",
	} {
		if fd, err := ParseFileDescription([]byte(s)); err == nil {
			t.Errorf("%s: parsed %+v", name, fd)
		}
	}
	// quoting, aliases and extra keys are accepted like Data.Yaml does
	ok := strings.Replace(text, "size: 26mb", "size: '26mb'\nextra: [1, 2]", 1)
	ok = strings.Replace(ok, "server: xftp://abc=@example1.com", "server: &s1 \"xftp://abc=@example1.com\"", 1)
	fd, err := ParseFileDescription([]byte(ok))
	if err != nil || !reflect.DeepEqual(fd, fixtureDesc(t)) {
		t.Fatalf("variant: %v", err)
	}
	if _, err := ParseFileDescription(bytes.Repeat([]byte("#"), MaxDescriptionSize+1)); err == nil {
		t.Fatal("oversized description parsed")
	}
}
