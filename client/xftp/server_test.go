package xftp

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/address"
)

// The tests run the workspace's xftp-server as a subprocess on 127.0.0.1.

var (
	serverBinOnce sync.Once
	serverBin     string
	serverBinErr  error
	serverBinDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBinDir != "" {
		os.RemoveAll(serverBinDir)
	}
	os.Exit(code)
}

// buildServer builds xftp-server once per test binary.
func buildServer(t *testing.T) string {
	t.Helper()
	serverBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xftp-client-test-*")
		if err != nil {
			serverBinErr = err
			return
		}
		serverBinDir = dir
		serverBin = filepath.Join(dir, "xftp-server")
		out, err := exec.Command("go", "build", "-o", serverBin, "github.com/simplexgo/services/xftp/cmd/xftp-server").CombinedOutput()
		if err != nil {
			serverBinErr = err
			serverBin = string(out)
		}
	})
	if serverBinErr != nil {
		t.Skipf("cannot build xftp-server (needs the workspace): %v: %s", serverBinErr, serverBin)
	}
	return serverBin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// startServer runs a fresh server and returns its address.
func startServer(t *testing.T, extraInit ...string) address.ServerAddress {
	t.Helper()
	bin := buildServer(t)
	data := t.TempDir()
	port := freePort(t)
	args := append([]string{"init", "--data", data, "--host", "127.0.0.1", "--port", port, "--grpc", "off", "--metrics", "off"}, extraInit...)
	if !containsFlag(extraInit, "--password") {
		args = append(args, "--password", "none")
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("init: %v: %s", err, out)
	}
	out, err := exec.Command(bin, "address", "--data", data).Output()
	if err != nil {
		t.Fatalf("address: %v", err)
	}
	srv, err := address.ParseServerAddress(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("address %q: %v", out, err)
	}
	cmd := exec.Command(bin, "start", "--data", data, "--grpc", "off", "--metrics", "off")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "ServerStarted") {
				once.Do(func() { close(started) })
			}
		}
		io.Copy(io.Discard, pr)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case <-started:
	case err := <-exited:
		t.Fatalf("xftp-server exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("xftp-server did not start")
	}
	return srv
}

func containsFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f || strings.HasPrefix(a, f+"=") {
			return true
		}
	}
	return false
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
