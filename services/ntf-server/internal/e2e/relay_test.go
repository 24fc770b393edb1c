package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/simplexgo/protocol/address"
)

var (
	buildOnce sync.Once
	relayBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if relayBin != "" {
		os.RemoveAll(filepath.Dir(relayBin))
	}
	os.Exit(code)
}

// buildRelay builds smp-relay from the workspace once per test binary:
// `go build -o DIR/smp-relay github.com/simplexgo/services/smp-relay/cmd/smp-relay`
// run in the workspace root (a build, not an import).
func buildRelay(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOWORK").Output()
		if err != nil {
			buildErr = err
			return
		}
		work := strings.TrimSpace(string(out))
		if work == "" || work == "off" {
			buildErr = errors.New("no go.work: cannot build smp-relay")
			return
		}
		dir, err := os.MkdirTemp("", "ntf-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		relayBin = filepath.Join(dir, "smp-relay")
		cmd := exec.Command("go", "build", "-o", relayBin, "github.com/simplexgo/services/smp-relay/cmd/smp-relay")
		cmd.Dir = filepath.Dir(work)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("build smp-relay: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Skip(buildErr)
	}
	return relayBin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// relay is an smp-relay subprocess.
type relay struct {
	t    *testing.T
	bin  string
	data string
	port int
	addr address.ServerAddress
	cmd  *exec.Cmd
	log  bytes.Buffer
	args []string // extra start flags
}

// startRelay initialises and starts an smp-relay on a free port.
func startRelay(t *testing.T, startArgs ...string) *relay {
	t.Helper()
	r := &relay{t: t, bin: buildRelay(t), data: t.TempDir(), port: freePort(t), args: startArgs}
	out, err := exec.Command(r.bin, "init", "--data", r.data, "--host", "127.0.0.1", "--port", strconv.Itoa(r.port), "--password", "none").CombinedOutput()
	if err != nil {
		t.Fatalf("smp-relay init: %v\n%s", err, out)
	}
	out, err = exec.Command(r.bin, "address", "--data", r.data).Output()
	if err != nil {
		t.Fatalf("smp-relay address: %v", err)
	}
	if r.addr, err = address.ParseServer(strings.TrimSpace(string(out)), address.SchemeSMP); err != nil {
		t.Fatalf("address %q: %v", out, err)
	}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *relay) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, append([]string{"start", "--data", r.data, "--grpc", "off", "--metrics", "off"}, r.args...)...)
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("smp-relay did not start: %v\n%s", err, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the relay with SIGTERM (SIGKILL after 10 s).
func (r *relay) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
	r.cmd = nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
