package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// serverProc is a running xftp-server process.
type serverProc struct {
	cmd  *exec.Cmd
	addr string // 127.0.0.1:port
	key  []byte // the CA fingerprint
	// admin is the metrics/pprof address ("" when off).
	admin string
	// stdin, when set, is the child's standard input: closing it stops
	// the child (the bare server's).
	stdin io.Closer
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

// startServer runs `xftp-server init` in dir (quota quotaMB) and starts the
// server; it returns once an XFTP handshake succeeds. With admin the
// server's metrics and pprof listener is on (for -cpuprofile).
func startServer(bin, dir string, quotaMB int64, admin bool) (*serverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "init", "--data", dir, "--host", "127.0.0.1", "--port", port,
		"--quota", fmt.Sprintf("%dmb", quotaMB), "--password", "none").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("init: %w: %s", err, out)
	}
	out, err = exec.Command(bin, "address", "--data", dir).Output()
	if err != nil {
		return nil, fmt.Errorf("address: %w", err)
	}
	a, err := address.ParseServer(strings.TrimSpace(string(out)), address.SchemeXFTP)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", out, err)
	}
	metrics := "off"
	if admin {
		mp, err := freePort()
		if err != nil {
			return nil, err
		}
		metrics = "127.0.0.1:" + mp
	}
	cmd := exec.Command(bin, "start", "--data", dir, "--grpc", "off", "--metrics", metrics, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serverProc{cmd: cmd, addr: "127.0.0.1:" + port, key: a.KeyHash}
	if admin {
		s.admin = metrics
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := s.dial(ctx, 0)
		cancel()
		if err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("xftp-server did not start")
}

// dial connects and runs the XFTP handshake; frameKB is the client's
// SETTINGS_MAX_FRAME_SIZE in KB (0: 16 KB).
func (s *serverProc) dial(ctx context.Context, frameKB uint32) (*xftptest.Client, error) {
	c, err := xftptest.Dial(ctx, s.addr, xftptest.Options{KeyHash: s.key, MaxReadFrameSize: frameKB << 10})
	if err != nil {
		return nil, err
	}
	if err := c.Handshake(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *serverProc) stop() {
	if s.stdin != nil {
		s.stdin.Close()
	} else {
		s.cmd.Process.Signal(os.Interrupt)
	}
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// cpu returns the process's user+system CPU time (/proc/PID/stat fields
// 14 and 15, in USER_HZ = 100 ticks per second).
func (s *serverProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return 0
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rss returns the process's resident set size in bytes (VmRSS).
func (s *serverProc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) < 2 {
				return 0
			}
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
