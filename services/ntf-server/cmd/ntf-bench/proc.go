package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

// proc is a running server process.
type proc struct {
	cmd     *exec.Cmd
	stopped bool
}

func startProc(bin string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &proc{cmd: cmd}, nil
}

// stop sends SIGINT and waits (SIGKILL after 30 s).
func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil || p.stopped {
		return
	}
	p.stopped = true
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// cpu returns the process's user+system CPU time (/proc/PID/stat fields
// 14 and 15, in USER_HZ = 100 ticks per second).
func (p *proc) cpu() time.Duration { return pidCPU(fmt.Sprint(p.cmd.Process.Pid)) }

// selfCPU is the bench process's own user+system time: the fake APNs, the
// baseline client and the NMSG source run in it.
func selfCPU() time.Duration { return pidCPU("self") }

func pidCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
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

// rss returns the process's resident set size in bytes (VmRSS).
func (p *proc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
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

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p, nil
}

// relay is an smp-relay process in its own data directory.
type relay struct {
	*proc
	bin, dir string
	addr     address.ServerAddress
}

// newRelay runs `smp-relay init` in dir and starts the relay.
func newRelay(bin, dir string) (*relay, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "init", "--data", dir, "--host", "127.0.0.1", "--port", port, "--password", "none").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("smp-relay init: %w: %s", err, out)
	}
	return openRelay(bin, dir)
}

// openRelay starts the relay initialized in dir.
func openRelay(bin, dir string) (*relay, error) {
	out, err := exec.Command(bin, "address", "--data", dir).Output()
	if err != nil {
		return nil, fmt.Errorf("smp-relay address: %w", err)
	}
	r := &relay{bin: bin, dir: dir}
	if r.addr, err = address.ParseServer(strings.TrimSpace(string(out)), address.SchemeSMP); err != nil {
		return nil, fmt.Errorf("smp-relay address %q: %w", out, err)
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	return r, nil
}

// start starts the relay on r.dir and waits until it answers PING.
func (r *relay) start() error {
	// NTF_BENCH_RELAY_PPROF=addr serves the relay's admin listener (pprof)
	// there, for profiling a phase.
	metrics := "off"
	if a := os.Getenv("NTF_BENCH_RELAY_PPROF"); a != "" {
		metrics = a
	}
	p, err := startProc(r.bin, "start", "--data", r.dir, "--grpc", "off", "--metrics", metrics, "--log-level", "warn")
	if err != nil {
		return err
	}
	r.proc = p
	if err := waitFor("smp-relay", func(ctx context.Context) error {
		c, err := r.dial(ctx, smpclient.Options{})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Send(ctx, nil, nil, smp.PING{})
		return err
	}); err != nil {
		r.stop()
		return err
	}
	return nil
}

func (r *relay) dial(ctx context.Context, o smpclient.Options) (*smpclient.Client, error) {
	return smpclient.DialServer(ctx, r.addr, o)
}

// waitFor retries try (with a 2 s timeout each) for up to 60 s.
func waitFor(what string, try func(ctx context.Context) error) error {
	deadline := time.Now().Add(60 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = try(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s did not start: %w", what, err)
}

// ntfServer is an ntf-server process in its own data directory, whose
// pushes go to the bench's fake APNs.
type ntfServer struct {
	*proc
	bin, dir string
	addr     string // 127.0.0.1:port
	key      []byte // CA fingerprint
	metrics  string // /metrics listener
}

// initNTF runs `ntf-server init` in dir and writes an ntf-server.ini that
// sends apns_test pushes to fake with its key, using workers concurrent
// APNs requests.
func initNTF(bin, dir string, fake *fakeAPNs, workers int) (*ntfServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "init", "--data", dir, "--host", "127.0.0.1", "--port", port, "--fake-apns", "off").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ntf-server init: %w: %s", err, out)
	}
	keyFile, caFile := dir+"/bench-apns.p8", dir+"/bench-apns-ca.pem"
	if err := os.WriteFile(keyFile, fake.keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(caFile, fake.certPEM, 0o600); err != nil {
		return nil, err
	}
	ini := fmt.Sprintf(`[TRANSPORT]
host = 127.0.0.1
port = %s

[APNS]
key_file = %s
key_id = %s
team_id = %s
topic = %s
test_url = %s
ca_file = %s
fake = off

[PUSH]
workers = %d
`, port, keyFile, fake.keyID, fake.teamID, fake.topic, fake.url(), caFile, workers)
	if err := os.WriteFile(dir+"/ntf-server.ini", []byte(ini), 0o600); err != nil {
		return nil, err
	}
	if out, err = exec.Command(bin, "address", "--data", dir).Output(); err != nil {
		return nil, fmt.Errorf("ntf-server address: %w", err)
	}
	a, err := address.ParseServer(strings.TrimSpace(string(out)), address.SchemeNTF)
	if err != nil {
		return nil, fmt.Errorf("ntf-server address %q: %w", out, err)
	}
	return &ntfServer{bin: bin, dir: dir, addr: "127.0.0.1:" + port, key: a.KeyHash, metrics: "127.0.0.1:" + mport}, nil
}

// start execs the server and returns once an NTF handshake succeeds, with
// the time since exec.
func (n *ntfServer) start() (time.Duration, error) {
	t0 := time.Now()
	p, err := startProc(n.bin, "start", "--data", n.dir, "--grpc", "off", "--metrics", n.metrics, "--log-level", "warn")
	if err != nil {
		return 0, err
	}
	n.proc = p
	fmt.Fprintf(os.Stderr, "ntf-bench: ntf-server pprof at http://%s/debug/pprof/\n", n.metrics)
	if err := waitFor("ntf-server", func(ctx context.Context) error {
		c, err := n.dial(ctx)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		n.stop()
		return 0, err
	}
	return time.Since(t0), nil
}

func (n *ntfServer) dial(ctx context.Context) (*ntftest.Client, error) {
	return ntftest.Dial(ctx, n.addr, n.key, nil)
}

// startProfile starts the bench process's CPU profile into path ("": none)
// and returns what stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
