package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
)

// The crash test runs the server in a child process (this test binary,
// re-executed) so that it can be killed with SIGKILL mid-traffic.
const crashChildEnv = "SMP_RELAY_CRASH_CHILD_DIR"

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

func runCrashChild(dir string) error {
	id, err := certs.LoadServerIdentity(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		return err
	}
	st, err := bolt.Open(filepath.Join(dir, "smp.db"))
	if err != nil {
		return err
	}
	srv, err := New(Options{
		Identity:  Identity{Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint},
		Store:     st,
		NewQueues: true,
		Quota:     100_000,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "addr.tmp")
	os.WriteFile(tmp, []byte(ln.Addr().String()), 0o600)
	os.Rename(tmp, filepath.Join(dir, "addr"))
	return srv.Serve(context.Background(), ln)
}

func startCrashChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			return cmd, strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("child did not start")
	return nil, ""
}

// TestKill9LosesNothingAcknowledged: senders send concurrently; the server
// process is killed with SIGKILL while SENDs are in flight; after a
// restart every message that was answered OK is delivered, exactly once.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	id := testIdentity(t)
	writeIdentity(t, dir, id)

	child, addr := startCrashChild(t, dir)
	ts := &testServer{t: t, addr: addr, id: id}
	rcv := dial(t, ts)
	q := rcv.newQueue(false)

	const senders = 6
	var (
		mu     sync.Mutex
		acked  = map[string]bool{}
		okN    atomic.Int64
		wg     sync.WaitGroup
		killed = make(chan struct{})
	)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialRange(t, ts, smp.ReferenceClientRange, []string{"smp/1"})
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; ; i++ {
				body := fmt.Sprintf("s%d-%d", s, i)
				b, _ := smp.EncodeCommand(c.s.Version, smp.SEND{Body: []byte(body)})
				ch := c.sendRawNoFail(q.sid, b)
				if ch == nil {
					return
				}
				select {
				case m := <-ch:
					if _, ok := m.(smp.OK); ok {
						mu.Lock()
						acked[body] = true
						mu.Unlock()
						okN.Add(1)
					}
				case <-killed:
					return
				}
			}
		}()
	}
	for okN.Load() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	close(killed)
	wg.Wait()

	child2, addr2 := startCrashChild(t, dir)
	defer func() { child2.Process.Kill(); child2.Wait() }()
	ts2 := &testServer{t: t, addr: addr2, id: id}
	rcv2 := dial(t, ts2)
	got := map[string]int{}
	m := rcv2.cmd(q.rid, &q.rcvKey, smp.GET{})
	for {
		msg, ok := m.(smp.MSG)
		if !ok {
			expectOK(t, m) // queue empty
			break
		}
		got[string(q.decrypt(t, msg).Body)]++
		expectOK(t, rcv2.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: msg.MsgID}))
		m = rcv2.cmd(q.rid, &q.rcvKey, smp.GET{})
	}
	lost, dup := 0, 0
	for body := range acked {
		if got[body] == 0 {
			lost++
		}
	}
	for _, n := range got {
		if n > 1 {
			dup++
		}
	}
	t.Logf("acknowledged %d, delivered after restart %d (unacknowledged but stored: %d), lost %d, duplicated %d",
		len(acked), len(got), len(got)-len(acked)+lost, lost, dup)
	if lost != 0 || dup != 0 {
		t.Fatalf("lost %d acknowledged messages, %d duplicated", lost, dup)
	}
}

// sendRawNoFail is sendRaw for a connection that may die: nil on failure.
func (c *tclient) sendRawNoFail(entity, cmdBytes []byte) chan smp.Message {
	ch := make(chan smp.Message, 1)
	corrID := make([]byte, 24)
	rand.Read(corrID)
	tx, err := encodeTx(c, corrID, entity, cmdBytes)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	c.resps[string(corrID)] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.s.WriteBlock(tx); err != nil {
		return nil
	}
	return ch
}

func writeIdentity(t *testing.T, dir string, id Identity) {
	t.Helper()
	if err := certs.WriteCertFile(filepath.Join(dir, "ca.crt"), id.Chain[1]); err != nil {
		t.Fatal(err)
	}
	if err := certs.WriteCertFile(filepath.Join(dir, "server.crt"), id.Chain[0]); err != nil {
		t.Fatal(err)
	}
	if err := certs.WriteKeyFile(filepath.Join(dir, "server.key"), id.SignKey); err != nil {
		t.Fatal(err)
	}
}
