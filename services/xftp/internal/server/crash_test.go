package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/store/bolt"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// The crash test runs the server in a child process (this test binary,
// re-executed) so that it can be killed with SIGKILL mid-upload.
const crashChildEnv = "XFTP_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := runCrashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCrashChild serves dir's identity and store and prints its address.
func runCrashChild(dir string) error {
	id, err := certs.LoadServerIdentity(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		return err
	}
	st, err := bolt.Open(filepath.Join(dir, "xftp.db"))
	if err != nil {
		return err
	}
	srv, err := New(Options{
		Identity:      Identity{Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint},
		Store:         st,
		FilesPath:     filepath.Join(dir, "files"),
		AllowNewFiles: true,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	return srv.Serve(context.Background(), ln)
}

func startCrashChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child address: %v", err)
	}
	return cmd, strings.TrimSpace(line)
}

// TestCrash kills the server (SIGKILL) with uploads in progress and checks
// that after a restart every acknowledged chunk downloads intact, no
// temporary file is left, and the interrupted upload can be redone.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	caDER, caKey, _ := certs.NewCA(crypto.Ed25519, "CA", rand.Reader)
	leafKey, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	leafDER, _ := certs.NewServerCert(caDER, caKey, leafKey.Public(), "localhost", rand.Reader)
	for _, err := range []error{
		certs.WriteCertFile(filepath.Join(dir, "ca.crt"), caDER),
		certs.WriteCertFile(filepath.Join(dir, "server.crt"), leafDER),
		certs.WriteKeyFile(filepath.Join(dir, "server.key"), leafKey),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	keyHash := certs.Fingerprint(caDER)
	dial := func(addr string) *xftptest.Client {
		c, err := xftptest.Dial(ctx(t), addr, xftptest.Options{KeyHash: keyHash})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Handshake(ctx(t)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	child, addr := startCrashChild(t, dir)
	c := dial(addr)
	var acked []*file
	for range 20 {
		f := newFile(t, c, int(xftp.ChunkSize0), 1)
		upload(t, c, f)
		acked = append(acked, f)
	}
	// An upload in progress when the server dies.
	partial := newFile(t, c, int(xftp.ChunkSize2), 1)
	pr, pw := io.Pipe()
	go func() {
		r, err := c.Do(context.Background(), partial.snd, partial.sid, xftp.FPUT{}, pr)
		if err == nil {
			r.Body.Close()
		}
	}()
	if _, err := pw.Write(partial.data[:xftp.ChunkSize1]); err != nil {
		t.Fatal(err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	pw.Close()

	_, addr = startCrashChild(t, dir)
	if names, _ := readDir(filepath.Join(dir, "files", tmpDir)); len(names) != 0 {
		t.Fatalf("temporary files after restart: %v", names)
	}
	c = dial(addr)
	lost := 0
	for _, f := range acked {
		data, _, err := c.Download(ctx(t), f.rcv[0], f.rids[0])
		if err != nil || !bytes.Equal(data, f.data) {
			lost++
		}
	}
	if lost != 0 {
		t.Fatalf("%d of %d acknowledged chunks lost", lost, len(acked))
	}
	_, r, err := c.Download(ctx(t), partial.rcv[0], partial.rids[0])
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, errResp(xftp.ErrNOFILE))
	upload(t, c, partial)
	data, _, err := c.Download(ctx(t), partial.rcv[0], partial.rids[0])
	if err != nil || !bytes.Equal(data, partial.data) {
		t.Fatalf("re-upload after crash: %v", err)
	}
}
