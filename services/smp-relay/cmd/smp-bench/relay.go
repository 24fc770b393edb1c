package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
)

// relayProc is a running smp-relay process.
type relayProc struct {
	cmd     *exec.Cmd
	addr    string
	key     []byte
	dir     string
	metrics string // admin listener (/metrics)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p, nil
}

// initRelay runs `smp-relay init` in a new directory.
func initRelay(bin string) (dir, port string, err error) {
	dir, err = os.MkdirTemp("", "smp-bench-*")
	if err != nil {
		return "", "", err
	}
	port, err = freePort()
	if err != nil {
		return "", "", err
	}
	out, err := exec.Command(bin, "init", "--data", dir, "--host", "127.0.0.1", "--port", port, "--password", "none").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("init: %v: %s", err, out)
	}
	return dir, port, nil
}

// startRelay starts the relay, with env added to this process's
// environment, and waits until it answers PING; it returns the time that
// took.
func startRelay(bin, dir, port string, env ...string) (*relayProc, time.Duration, error) {
	out, err := exec.Command(bin, "address", "--data", dir).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("address: %w", err)
	}
	a, err := address.ParseServerAddress(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, 0, err
	}
	metrics, err := metricsAddr()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, "start", "--data", dir, "--grpc", "off", "--metrics", metrics, "--log-level", "warn")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	r := &relayProc{cmd: cmd, addr: "127.0.0.1:" + port, key: a.KeyHash, dir: dir, metrics: metrics}
	deadline := start.Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := smpclient.Dial(ctx, r.addr, r.key, smpclient.Options{})
		if err == nil {
			_, err = c.Send(ctx, nil, nil, smp.PING{})
			c.Close()
		}
		cancel()
		if err == nil {
			return r, time.Since(start), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.stop()
	return nil, 0, fmt.Errorf("relay did not start")
}

func (r *relayProc) stop() {
	r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
}

// cpu returns the process's user+system CPU time.
func (r *relayProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ = 100
}

// rss returns the process's resident set size in bytes.
func (r *relayProc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func storePath(dir string) string { return filepath.Join(dir, "smp.db") }

func randomID() []byte {
	b := make([]byte, 24)
	rand.Read(b)
	return b
}

// metricsAddr is the relay's admin listener (metrics, and pprof for
// profiling a run): SMP_BENCH_PPROF, or a free loopback port.
func metricsAddr() (string, error) {
	if a := os.Getenv("SMP_BENCH_PPROF"); a != "" {
		return a, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// counter reads a counter from the relay's /metrics (0 if absent).
func (r *relayProc) counter(name string) (float64, error) {
	resp, err := http.Get("http://" + r.metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(body), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, nil
}
