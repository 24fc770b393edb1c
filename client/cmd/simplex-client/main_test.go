package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/client/internal/relaytest"
	"github.com/simplexgo/client/store"
)

var testKDF = store.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

// output collects a command's output and wakes waiters on every write.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan struct{}
}

func newOutput() *output { return &output{ch: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case o.ch <- struct{}{}:
	default:
	}
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func (o *output) wait(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for !strings.Contains(o.String(), s) {
		select {
		case <-o.ch:
		case <-timeout:
			t.Fatalf("no %q in output:\n%s", s, o.String())
		}
	}
}

func cli(t *testing.T, args ...string) string {
	t.Helper()
	out := newOutput()
	if err := runKDF(context.Background(), args, out, testKDF); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// listen runs "listen" until want appears in its output.
func listen(t *testing.T, dir string, want ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := newOutput()
	done := make(chan error, 1)
	go func() { done <- runKDF(ctx, []string{"-profile", dir, "listen"}, out, testKDF) }()
	for _, w := range want {
		out.wait(t, w)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("listen: %v\n%s", err, out.String())
	}
	return out.String()
}

func TestCLI(t *testing.T) {
	srv := relaytest.Start(t)
	t.Setenv("SIMPLEX_PASSPHRASE", "correct horse")
	alice := filepath.Join(t.TempDir(), "alice")
	bob := filepath.Join(t.TempDir(), "bob")
	cli(t, "-profile", alice, "init", "-server", srv.String(), "-name", "Alice")
	cli(t, "-profile", bob, "init", "-server", srv.String(), "-name", "Bob")

	link := strings.TrimSpace(cli(t, "-profile", alice, "invite", "bob"))
	if !strings.HasPrefix(link, "simplex:/invitation#/?") {
		t.Fatalf("link %q", link)
	}
	cli(t, "-profile", bob, "join", "alice", link)
	listen(t, alice, `CONF: bob is "Bob"`, "connected: bob")
	listen(t, bob, `INFO: alice is "Alice"`, "connected: alice")

	cli(t, "-profile", alice, "send", "bob", "hello bob")
	cli(t, "-profile", alice, "send", "bob", "second")
	listen(t, bob, "alice> hello bob", "alice> second")
	listen(t, alice, "delivered: #", "delivered: #")
	cli(t, "-profile", bob, "send", "alice", "hi alice")
	listen(t, alice, "bob> hi alice")
	if got := cli(t, "-profile", bob, "contacts"); !strings.HasPrefix(got, "alice\tAlice\t") {
		t.Fatalf("contacts: %q", got)
	}

	// Carol connects through Alice's contact address.
	carol := filepath.Join(t.TempDir(), "carol")
	cli(t, "-profile", carol, "init", "-server", srv.String(), "-name", "Carol")
	addr := strings.TrimSpace(cli(t, "-profile", alice, "address"))
	if again := strings.TrimSpace(cli(t, "-profile", alice, "address")); again != addr || !strings.HasPrefix(addr, "simplex:/contact#/?") {
		t.Fatalf("address %q, then %q", addr, again)
	}
	cli(t, "-profile", carol, "join", "alice", addr)
	listen(t, alice, `REQ: "Carol" asked to connect; accepted as Carol`)
	listen(t, carol, `CONF: alice is "Alice"`, "connected: alice")
	listen(t, alice, `INFO: Carol is "Carol"`, "connected: Carol")
	cli(t, "-profile", carol, "send", "alice", "hello from carol")
	listen(t, alice, "Carol> hello from carol")

	t.Setenv("SIMPLEX_PASSPHRASE", "wrong")
	if err := runKDF(context.Background(), []string{"-profile", bob, "contacts"}, newOutput(), testKDF); err == nil {
		t.Fatal("wrong passphrase accepted")
	}
}
