// Package relaytest runs smp-relay as a subprocess for the client's
// end-to-end tests: it builds the relay from the workspace, initializes a
// data directory on a free 127.0.0.1 port and starts it.
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

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// workspaceRoot finds the directory of go.work.
func workspaceRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOWORK").Output()
	if err != nil {
		return "", err
	}
	p := strings.TrimSpace(string(out))
	if p == "" || p == "off" {
		return "", os.ErrNotExist
	}
	return filepath.Dir(p), nil
}

func build() {
	root, err := workspaceRoot()
	if err != nil {
		buildErr = err
		return
	}
	dir, err := os.MkdirTemp("", "relaytest")
	if err != nil {
		buildErr = err
		return
	}
	binPath = filepath.Join(dir, "smp-relay")
	cmd := exec.Command("go", "build", "-o", binPath, "github.com/simplexgo/services/smp-relay/cmd/smp-relay")
	cmd.Dir = root
	buildOut, buildErr = cmd.CombinedOutput()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start builds (once per test binary) and starts a relay; it is stopped
// when the test ends. The test is skipped when the relay cannot be built
// (e.g. outside the workspace).
func Start(t testing.TB) address.ServerAddress {
	t.Helper()
	return start(t, "--password", "none")
}

// StartWithPassword is Start with the relay's default init, which sets a
// random queue-creation password (as `make run`): the address returned
// carries it.
func StartWithPassword(t testing.TB) address.ServerAddress {
	t.Helper()
	return start(t)
}

func start(t testing.TB, initArgs ...string) address.ServerAddress {
	t.Helper()
	buildOnce.Do(build)
	if buildErr != nil {
		t.Skipf("cannot build smp-relay: %v\n%s", buildErr, buildOut)
	}
	data := t.TempDir()
	port := freePort(t)
	run := func(args ...string) string {
		var out bytes.Buffer
		cmd := exec.Command(binPath, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("smp-relay %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	run(append([]string{"init", "--data", data, "--host", "127.0.0.1", "--port", strconv.Itoa(port)}, initArgs...)...)
	srv, err := address.ParseServerAddress(strings.TrimSpace(lastLine(run("address", "--data", data))))
	if err != nil {
		t.Fatalf("relay address: %v", err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(binPath, "start", "--data", data, "--grpc", "off", "--metrics", "off", "--log-level", "warn")
	// The relays of a test live on 127.0.0.1: let them proxy to each other.
	cmd.Env = append(os.Environ(), "SMP_RELAY_PROXY_ALLOW_PRIVATE=true")
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
			t.Logf("smp-relay log:\n%s", logs.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
			return srv
		}
		select {
		case <-done:
			t.Fatalf("smp-relay exited:\n%s", logs.String())
		case <-ctx.Done():
			t.Fatalf("smp-relay did not start: %v", err)
		case <-time.After(20 * time.Millisecond): // polling for the listener, not timing
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
