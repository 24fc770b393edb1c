package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/services/xftp/internal/config"
)

// TestInitAddress runs init as scripts/run.sh does (only --data, --host,
// --port: path and quota take their defaults), then address and
// check-config.
func TestInitAddress(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"init", "--data", dir, "--host", "localhost", "--port", "5443"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "ca.key", "server.crt", "server.key", "fingerprint", config.FileName, "files"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	c := config.Defaults()
	if _, err := c.LoadFile(filepath.Join(dir, config.FileName)); err != nil {
		t.Fatal(err)
	}
	if c.Port != "5443" || c.Quota != config.DefaultQuota || c.FilesPath != filepath.Join(dir, "files") {
		t.Fatalf("%+v", c)
	}
	fp, _ := os.ReadFile(filepath.Join(dir, "fingerprint"))
	want := "xftp://" + strings.TrimSpace(string(fp)) + "@localhost:5443"
	if got := serverAddress(c, mustFingerprint(t, dir)); got != want {
		t.Fatalf("address %q, want %q", got, want)
	}
	if err := run([]string{"address", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"check-config", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"init", "--data", dir, "--host", "localhost"}); err == nil {
		t.Fatal("second init without --force succeeded")
	}
	if err := run([]string{"init", "--data", dir, "--host", "other", "--if-missing"}); err != nil {
		t.Fatalf("init --if-missing: %v", err)
	}
	if got := serverAddress(c, mustFingerprint(t, dir)); got != want {
		t.Fatal("init --if-missing changed the configuration")
	}
	if err := run([]string{"init", "--data", dir, "--host", "h", "--quota", "10mb", "--path", filepath.Join(dir, "p"), "--force"}); err != nil {
		t.Fatal(err)
	}
	c = config.Defaults()
	c.LoadFile(filepath.Join(dir, config.FileName))
	if c.Quota != 10<<20 || c.FilesPath != filepath.Join(dir, "p") || c.Port != "443" {
		t.Fatalf("%+v", c)
	}
	if err := run([]string{"init", "--data", t.TempDir(), "--quota", "lots"}); err == nil {
		t.Fatal("bad quota accepted")
	}
	if err := run([]string{"address", "--data", t.TempDir()}); err == nil {
		t.Fatal("address without init succeeded")
	}
	if err := run([]string{"bogus"}); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func mustFingerprint(t *testing.T, dir string) []byte {
	t.Helper()
	ca, err := certs.ReadCertFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return certs.Fingerprint(ca[0])
}
