package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simplexgo/client/internal/relaytest"
)

// TestWholeFlow is make demo's flow as a test, against smp-relay (with a
// queue-creation password, as make run) and ntf-server processes over
// TCP: Alice invites, Bob joins, messages both ways, Alice sends a file
// over an xftp-server process that Bob receives intact, Bob registers a push
// token (verification code from the fake APNs), Alice sends, Bob decrypts
// the push to his connection and fetches the message.
func TestWholeFlow(t *testing.T) {
	srv := relaytest.StartWithPassword(t)
	if srv.BasicAuth == "" {
		t.Fatal("relay address without password")
	}
	ntfSrv := relaytest.StartNTF(t)
	t.Setenv("SIMPLEX_PASSPHRASE", "pass")
	alice := filepath.Join(t.TempDir(), "alice")
	bob := filepath.Join(t.TempDir(), "bob")
	cli(t, "-profile", alice, "init", "-server", srv.String(), "-name", "Alice")
	cli(t, "-profile", bob, "init", "-server", srv.String(), "-name", "Bob")
	link := strings.TrimSpace(cli(t, "-profile", alice, "invite", "bob"))
	cli(t, "-profile", bob, "join", "alice", link)
	cli(t, "-profile", alice, "listen", "-until", "connected: bob", "-timeout", "30s")
	cli(t, "-profile", bob, "listen", "-until", "connected: alice", "-timeout", "30s")
	cli(t, "-profile", alice, "send", "bob", "Hello Bob")
	cli(t, "-profile", bob, "listen", "-until", "alice> Hello Bob", "-timeout", "30s")
	cli(t, "-profile", bob, "send", "alice", "Hi Alice")
	cli(t, "-profile", alice, "listen", "-until", "bob> Hi Alice", "-until", "delivered: #", "-timeout", "30s")

	// a file over XFTP, announced by a message
	xftpSrv := relaytest.StartXFTP(t)
	file := filepath.Join(t.TempDir(), "photo.bin")
	content := make([]byte, 300_000)
	rand.Read(content)
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, "-profile", alice, "file", "send", "-xftp", xftpSrv.String(), "bob", file)
	rcvDir := filepath.Join(t.TempDir(), "received")
	out := cli(t, "-profile", bob, "file", "receive", "-out", rcvDir, "-timeout", "30s")
	got, err := os.ReadFile(filepath.Join(rcvDir, "photo.bin"))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("received file: %v\n%s", err, out)
	}

	if err := runKDF(context.Background(), []string{"-profile", bob, "push", "wait"}, newOutput(), testKDF); err == nil ||
		!strings.Contains(err.Error(), "no push token") {
		t.Fatalf("wait before register: %v", err)
	}
	out = cli(t, "-profile", bob, "push", "register", "-ntf", ntfSrv.Server.String(), "-token", "AABBCCDDEEFF0011",
		"-fake-apns", ntfSrv.FakeURL)
	if !strings.Contains(out, "token registered and verified: ACTIVE") || !strings.Contains(out, "notifications on for alice") {
		t.Fatalf("register:\n%s", out)
	}
	if out := cli(t, "-profile", bob, "push", "status"); !strings.Contains(out, "token apns_test aabbccddeeff0011: ACTIVE") ||
		!strings.Contains(out, ": ACTIVE\n") {
		t.Fatalf("status:\n%s", out)
	}
	cli(t, "-profile", alice, "send", "bob", "wake up")
	out = cli(t, "-profile", bob, "push", "wait", "-timeout", "30s", "-fetch")
	if !strings.Contains(out, "push: message from alice (server message id ") || !strings.Contains(out, "alice> wake up") {
		t.Fatalf("wait:\n%s", out)
	}
}

// TestListenUntil checks listen's -until and -timeout for scripts.
func TestListenUntil(t *testing.T) {
	srv := relaytest.Start(t)
	t.Setenv("SIMPLEX_PASSPHRASE", "pass")
	alice := filepath.Join(t.TempDir(), "alice")
	cli(t, "-profile", alice, "init", "-server", srv.String(), "-name", "Alice")
	if out := cli(t, "-profile", alice, "listen", "-until", "listening", "-timeout", "10s"); !strings.Contains(out, "listening") {
		t.Fatalf("listen: %q", out)
	}
	err := runKDF(context.Background(), []string{"-profile", alice, "listen", "-until", "never", "-timeout", "100ms"}, newOutput(), testKDF)
	if err == nil || !strings.Contains(err.Error(), `no ["never"] within 100ms`) {
		t.Fatalf("timeout: %v", err)
	}
	if err := runKDF(context.Background(), []string{"-profile", alice, "listen", "extra"}, newOutput(), testKDF); err == nil {
		t.Fatal("extra argument accepted")
	}
}
