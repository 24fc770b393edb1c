package xftp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/xftp"
)

// testOpts keeps retries fast and temporary files in the test's directory.
func testOpts(t *testing.T) Options {
	return Options{TempDir: t.TempDir(), Retries: 1, RetryDelay: 1}
}

func writeFile(t *testing.T, dir, name string, size int) (string, []byte) {
	t.Helper()
	b := make([]byte, size)
	detRand(uint64(size)).Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// sendReceive uploads a file of size bytes and downloads it again.
func sendReceive(t *testing.T, ctx context.Context, servers []address.ServerAddress, size int) (*SendResult, []byte) {
	t.Helper()
	dir := t.TempDir()
	src, content := writeFile(t, dir, "file.bin", size)
	var mu sync.Mutex
	var last, total int64
	res, err := Send(ctx, src, servers, testOpts(t), func(done, tot int64) {
		mu.Lock()
		defer mu.Unlock()
		if done < last || done > tot {
			t.Errorf("progress %d/%d after %d", done, tot, last)
		}
		last, total = done, tot
	})
	if err != nil {
		t.Fatalf("Send %d bytes: %v", size, err)
	}
	if last != total || total != res.Sender.Size {
		t.Errorf("progress ended at %d/%d, size %d", last, total, res.Sender.Size)
	}
	checkDescriptions(t, res)
	outDir := t.TempDir()
	var rcvDone int64
	out, err := Receive(ctx, res.Recipients[0], outDir, testOpts(t), func(done, tot int64) {
		if tot != res.Recipients[0].Size {
			t.Errorf("receive progress total %d", tot)
		}
		rcvDone = done
	})
	if err != nil {
		t.Fatalf("Receive %d bytes: %v", size, err)
	}
	if rcvDone != res.Recipients[0].Size {
		t.Errorf("receive progress ended at %d of %d", rcvDone, res.Recipients[0].Size)
	}
	if out != filepath.Join(outDir, "file.bin") {
		t.Errorf("written to %s", out)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("%d bytes: received content differs (%d bytes)", size, len(got))
	}
	return res, content
}

// checkDescriptions: both descriptions validate and survive their YAML
// and link forms.
func checkDescriptions(t *testing.T, res *SendResult) {
	t.Helper()
	for _, fd := range append([]xftp.FileDescription{res.Sender}, res.Recipients...) {
		if err := fd.Validate(); err != nil {
			t.Fatalf("%s description: %v", fd.Party, err)
		}
		y, err := fd.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := xftp.ParseFileDescription([]byte(y))
		if err != nil {
			t.Fatalf("parse own description: %v\n%s", err, y)
		}
		y2, err := back.Encode()
		if err != nil || y2 != y {
			t.Fatalf("description round trip differs:\n%s\n%s", y, y2)
		}
	}
}

// TestSendReceiveSizes: round trips at the edges of the chunk layout.
// The header of "file.bin" is 10 bytes, so 65536 − 8 − 10 − 16 bytes fill
// one 64 KiB chunk exactly.
func TestSendReceiveSizes(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	oneChunk := int(xftp.ChunkSize0) - 8 - 10 - 16
	for _, tt := range []struct {
		size   int
		chunks []uint32
	}{
		{0, []uint32{xftp.ChunkSize0}},
		{1, []uint32{xftp.ChunkSize0}},
		{oneChunk, []uint32{xftp.ChunkSize0}},
		{oneChunk + 1, []uint32{xftp.ChunkSize0, xftp.ChunkSize0}},
	} {
		res, _ := sendReceive(t, ctx, []address.ServerAddress{srv}, tt.size)
		var got []uint32
		for _, c := range res.Recipients[0].Chunks {
			got = append(got, c.ChunkSize)
		}
		if !equalU32(got, tt.chunks) {
			t.Errorf("size %d: chunks %v, want %v", tt.size, got, tt.chunks)
		}
	}
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSendReceiveLarge: 20 MB, five 4 MiB chunks.
func TestSendReceiveLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MB transfer")
	}
	srv := startServer(t)
	res, _ := sendReceive(t, testCtx(t), []address.ServerAddress{srv}, 20_000_000)
	if n := len(res.Recipients[0].Chunks); n != 5 {
		t.Errorf("%d chunks, want 5", n)
	}
}

// TestSendReceiveTwoServers: chunks are spread over both servers.
func TestSendReceiveTwoServers(t *testing.T) {
	srv1, srv2 := startServer(t), startServer(t)
	res, _ := sendReceive(t, testCtx(t), []address.ServerAddress{srv1, srv2}, 2_500_000)
	seen := map[string]int{}
	for _, c := range res.Recipients[0].Chunks {
		seen[c.Replicas[0].Server.String()]++
	}
	if len(seen) != 2 {
		t.Errorf("chunks on %v, want both servers", seen)
	}
}

// TestSendReceiveRecipientsAndLink: two recipients, each with their own
// description; the second receives through the link form; FACKed chunks
// cannot be downloaded again; Delete removes the rest.
func TestSendReceiveRecipientsAndLink(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	src, content := writeFile(t, dir, "report.pdf", 150_000)
	opts := testOpts(t)
	opts.Recipients = 2
	res, err := Send(ctx, src, []address.ServerAddress{srv}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Recipients) != 2 {
		t.Fatalf("%d recipient descriptions", len(res.Recipients))
	}
	rcvPaths, sndPath, err := SaveDescriptions(dir, "report.pdf", res)
	if err != nil || len(rcvPaths) != 2 || filepath.Base(filepath.Dir(sndPath)) != "report.pdf.xftp" || filepath.Base(rcvPaths[1]) != "rcv2.xftp" {
		t.Fatalf("SaveDescriptions: %v %v %s", err, rcvPaths, sndPath)
	}
	if _, sndPath2, _ := SaveDescriptions(dir, "report.pdf", res); filepath.Base(filepath.Dir(sndPath2)) != "report_1.pdf.xftp" {
		t.Errorf("second SaveDescriptions in %s", sndPath2)
	}
	y, err := os.ReadFile(rcvPaths[0])
	if err != nil {
		t.Fatal(err)
	}
	if fd, err := ParseDescription(y); err != nil || fd.Party != xftp.PartyRecipient {
		t.Fatalf("ParseDescription of rcv1.xftp: %v", err)
	}
	link, err := xftp.FileDescriptionURI{Scheme: address.SimplexScheme, Description: res.Recipients[1]}.String()
	if err != nil {
		t.Fatal(err)
	}
	u := struct{ Description xftp.FileDescription }{}
	if u.Description, err = ParseDescription([]byte(link + "\n")); err != nil {
		t.Fatalf("ParseDescription of link: %v", err)
	}
	if _, err := ParseDescription([]byte("simplex:/file#/?desc=x")); !errors.Is(err, ErrDescription) {
		t.Errorf("bad link: %v", err)
	}
	if _, err := ParseDescription([]byte("party: sender\n")); !errors.Is(err, ErrDescription) {
		t.Errorf("bad yaml: %v", err)
	}
	out := filepath.Join(t.TempDir(), "named.pdf")
	got, err := Receive(ctx, u.Description, out, testOpts(t), nil)
	if err != nil || got != out {
		t.Fatalf("Receive via link: %q %v", got, err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, content) {
		t.Fatal("content differs")
	}
	// The same description again: acknowledged chunks are gone (AUTH).
	if _, err := Receive(ctx, u.Description, t.TempDir(), testOpts(t), nil); !IsServerError(err, xftp.ErrAUTH) {
		t.Fatalf("second Receive: %v, want AUTH", err)
	}
	// An existing output file is not overwritten, a missing directory is
	// not created (both before downloading: the chunks stay available).
	if _, err := Receive(ctx, res.Recipients[0], out, testOpts(t), nil); !errors.Is(err, ErrFileExists) {
		t.Fatalf("Receive onto existing file: %v", err)
	}
	if _, err := Receive(ctx, res.Recipients[0], filepath.Join(dir, "no", "such"), testOpts(t), nil); err == nil {
		t.Fatal("Receive into a missing directory")
	}
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	p, err := Receive(ctx, res.Recipients[0], "", testOpts(t), nil)
	if err != nil || p != "report.pdf" {
		t.Fatalf("Receive to the current directory: %q %v", p, err)
	}
	t.Chdir(wd)
	if err := Delete(ctx, res.Sender, testOpts(t)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := Receive(ctx, res.Recipients[0], t.TempDir(), testOpts(t), nil); !IsServerError(err, xftp.ErrAUTH) {
		t.Fatalf("Receive after Delete: %v, want AUTH", err)
	}
}

// TestReceiveWrongDigests: a wrong chunk digest, file digest or key in the
// description is detected and no file is left behind.
func TestReceiveWrongDigests(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	src, _ := writeFile(t, dir, "f.bin", 400_000)
	opts := testOpts(t)
	opts.Recipients = 4
	res, err := Send(ctx, src, []address.ServerAddress{srv}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	clone := func(fd xftp.FileDescription) xftp.FileDescription {
		y, err := fd.Encode()
		if err != nil {
			t.Fatal(err)
		}
		c, err := xftp.ParseFileDescription([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name   string
		fd     xftp.FileDescription
		mutate func(*xftp.FileDescription)
		want   error
	}{
		{"chunk digest", res.Recipients[0], func(fd *xftp.FileDescription) { fd.Chunks[1].Digest[5] ^= 1 }, ErrChunkDigest},
		{"file digest", res.Recipients[1], func(fd *xftp.FileDescription) { fd.Digest[0] ^= 1 }, ErrFileDigest},
		{"key", res.Recipients[2], func(fd *xftp.FileDescription) { fd.Key[0] ^= 1 }, ErrDecrypt},
		{"party", res.Sender, func(*xftp.FileDescription) {}, ErrDescription},
	}
	for _, tt := range tests {
		fd := clone(tt.fd)
		tt.mutate(&fd)
		outDir := t.TempDir()
		_, err := Receive(ctx, fd, outDir, testOpts(t), nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
			t.Errorf("%s: left %d files", tt.name, len(ents))
		}
	}
	// The untouched fourth recipient still receives the file.
	if _, err := Receive(ctx, res.Recipients[3], t.TempDir(), testOpts(t), nil); err != nil {
		t.Fatalf("intact description: %v", err)
	}
}

// TestSendErrors: no servers, a missing file, a file over the limit, a
// server that refuses the password.
func TestSendErrors(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	src, _ := writeFile(t, dir, "f", 1000)
	if _, err := Send(ctx, src, nil, testOpts(t), nil); !errors.Is(err, ErrNoServers) {
		t.Errorf("no servers: %v", err)
	}
	smp, err := address.ParseServerAddress("smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=@localhost:5223")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Send(ctx, src, []address.ServerAddress{smp}, testOpts(t), nil); !errors.Is(err, ErrServerAddress) {
		t.Errorf("smp server: %v", err)
	}
	srv := startServer(t, "--password", "secret")
	servers := []address.ServerAddress{srv}
	if _, err := Send(ctx, filepath.Join(dir, "missing"), servers, testOpts(t), nil); err == nil {
		t.Error("missing file accepted")
	}
	opts := testOpts(t)
	opts.MaxFileSize = 999
	if _, err := Send(ctx, src, servers, opts, nil); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("large file: %v", err)
	}
	if srv.BasicAuth != "secret" {
		t.Fatalf("server address %s has no password", srv)
	}
	noPwd := srv
	noPwd.BasicAuth = ""
	if _, err := Send(ctx, src, []address.ServerAddress{noPwd}, testOpts(t), nil); !IsServerError(err, xftp.ErrAUTH) {
		t.Errorf("without password: %v, want AUTH", err)
	}
	wrong := srv
	wrong.BasicAuth = "wrong"
	if _, err := Send(ctx, src, []address.ServerAddress{wrong}, testOpts(t), nil); !IsServerError(err, xftp.ErrAUTH) {
		t.Errorf("wrong password: %v, want AUTH", err)
	}
	res, err := Send(ctx, src, servers, testOpts(t), nil)
	if err != nil {
		t.Fatalf("with password: %v", err)
	}
	// Descriptions carry the address without the password.
	for _, fd := range append(res.Recipients, res.Sender) {
		y, _ := fd.Encode()
		if strings.Contains(y, "secret") {
			t.Errorf("%s description includes the server password", fd.Party)
		}
	}
	if _, err := Receive(ctx, res.Recipients[0], t.TempDir(), testOpts(t), nil); err != nil {
		t.Errorf("Receive: %v", err)
	}
}

// TestRetryOnDialFailure: failed connects are retried; with no retries
// left the transport error is returned.
func TestRetryOnDialFailure(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	src, content := writeFile(t, t.TempDir(), "f.bin", 5000)
	var mu sync.Mutex
	fails := 0
	opts := testOpts(t)
	opts.Retries = 2
	opts.Config.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		if fails < 2 {
			fails++
			return nil, errors.New("simulated connect failure")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	res, err := Send(ctx, src, []address.ServerAddress{srv}, opts, nil)
	if err != nil || fails != 2 {
		t.Fatalf("Send with 2 failed connects: %v (fails %d)", err, fails)
	}
	fails = 0
	opts.Retries = 1
	out := t.TempDir()
	if _, err := Receive(ctx, res.Recipients[0], out, opts, nil); !errors.Is(err, ErrTransport) {
		t.Fatalf("Receive with too few retries: %v, want ErrTransport", err)
	}
	fails = 0
	opts.Retries = 2
	p, err := Receive(ctx, res.Recipients[0], out, opts, nil)
	if err != nil {
		t.Fatalf("Receive with retries: %v", err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, content) {
		t.Fatal("content differs")
	}
}

// TestReceiveRedirect: a description whose file is the YAML of another
// description (redirect with that description's size and digest) [FCM
// cliReceiveFile].
func TestReceiveRedirect(t *testing.T) {
	srv := startServer(t)
	ctx := testCtx(t)
	servers := []address.ServerAddress{srv}
	dir := t.TempDir()
	src, content := writeFile(t, dir, "file.bin", 100_000)
	inner, err := Send(ctx, src, servers, testOpts(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := inner.Recipients[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	yp := filepath.Join(dir, "redirect.yaml")
	if err := os.WriteFile(yp, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	outer, err := Send(ctx, yp, servers, testOpts(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	fd := outer.Recipients[0]
	fd.Redirect = &xftp.RedirectFileInfo{Size: inner.Recipients[0].Size, Digest: inner.Recipients[0].Digest}
	bad := fd
	bad.Redirect = &xftp.RedirectFileInfo{Size: fd.Redirect.Size + 1, Digest: fd.Redirect.Digest}
	if _, err := Receive(ctx, bad, t.TempDir(), testOpts(t), nil); !errors.Is(err, ErrDescription) {
		t.Fatalf("redirect with wrong size: %v", err)
	}
	p, err := Receive(ctx, fd, t.TempDir(), testOpts(t), nil)
	if err != nil {
		t.Fatalf("Receive via redirect: %v", err)
	}
	if filepath.Base(p) != "file.bin" {
		t.Errorf("written to %s", p)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, content) {
		t.Fatal("content differs")
	}
}
