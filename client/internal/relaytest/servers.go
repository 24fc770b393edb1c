package relaytest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/address"
)

// binaries built once per test binary, by package path.
var (
	binMu  sync.Mutex
	binDir string
	bins   = map[string]string{}
)

// Binary builds the workspace command pkg (e.g.
// "github.com/simplexgo/services/ntf-server/cmd/ntf-server") once per test
// binary and returns its path; the test is skipped when it cannot be built.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := bins[pkg]; ok {
		return p
	}
	root, err := workspaceRoot()
	if err != nil {
		t.Skipf("no workspace: %v", err)
	}
	if binDir == "" {
		if binDir, err = os.MkdirTemp("", "relaytest-bin"); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(binDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", p, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build %s: %v\n%s", pkg, err, out)
	}
	bins[pkg] = p
	return p
}

// NTF is a running ntf-server with the built-in fake APNs.
type NTF struct {
	Server  address.ServerAddress // ntf://fp@127.0.0.1:port
	FakeURL string                // http://metrics address, serving /fake-apns/pushes
}

// StartNTF builds and starts ntf-server on free 127.0.0.1 ports, with the
// built-in fake APNs (init on 127.0.0.1 turns it on) and its read
// endpoint on the metrics listener. It is stopped when the test ends.
func StartNTF(t testing.TB) NTF {
	t.Helper()
	bin := Binary(t, "github.com/simplexgo/services/ntf-server/cmd/ntf-server")
	data, port, mport := t.TempDir(), freePort(t), freePort(t)
	out := runCmd(t, bin, "init", "--data", data, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	srv, err := address.ParseServer(strings.TrimSpace(lastLine(out)), address.SchemeNTF)
	if err != nil {
		t.Fatalf("ntf-server address %q: %v", out, err)
	}
	metrics := "127.0.0.1:" + strconv.Itoa(mport)
	startProcess(t, "ntf-server", port, bin, "start", "--data", data, "--grpc", "off", "--metrics", metrics,
		"--nats", "off", "--log-level", "warn")
	waitPort(t, "ntf-server", mport, nil)
	return NTF{Server: srv, FakeURL: "http://" + metrics}
}

func runCmd(t testing.TB, bin string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out.String())
	}
	return out.String()
}

// startProcess starts bin args, waits for port and stops it (SIGINT) at
// the end of the test, logging its output when the test failed.
func startProcess(t testing.TB, name string, port int, bin string, args ...string) {
	t.Helper()
	var logs syncBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
	waitPort(t, name, port, func() (bool, string) {
		select {
		case <-done:
			return true, logs.String()
		default:
			return false, ""
		}
	})
}

// waitPort waits up to 20 s for a listener on 127.0.0.1:port; exited
// reports an early exit of the process.
func waitPort(t testing.TB, name string, port int, exited func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
			return
		}
		if exited != nil {
			if gone, logs := exited(); gone {
				t.Fatalf("%s exited:\n%s", name, logs)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s did not start: %v", name, err)
		case <-time.After(20 * time.Millisecond): // polling for the listener, not timing
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process's two output streams
// and the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartXFTP builds and starts xftp-server on a free 127.0.0.1 port (its
// default init: a random upload password, carried in the address). It is
// stopped when the test ends.
func StartXFTP(t testing.TB) address.ServerAddress {
	t.Helper()
	bin := Binary(t, "github.com/simplexgo/services/xftp/cmd/xftp-server")
	data, port := t.TempDir(), freePort(t)
	runCmd(t, bin, "init", "--data", data, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--grpc", "off", "--metrics", "off")
	out := runCmd(t, bin, "address", "--data", data)
	srv, err := address.ParseServerAddress(strings.TrimSpace(lastLine(out)))
	if err != nil {
		t.Fatalf("xftp-server address %q: %v", out, err)
	}
	startProcess(t, "xftp-server", port, bin, "start", "--data", data, "--grpc", "off", "--metrics", "off")
	return srv
}
