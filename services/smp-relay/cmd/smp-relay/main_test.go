package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
)

// capture runs f with stdout redirected and returns what it printed.
func capture(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, _ := os.Pipe()
	old := os.Stdout
	os.Stdout = w
	err := f()
	w.Close()
	os.Stdout = old
	b, _ := io.ReadAll(r)
	return string(b), err
}

// TestInitAddressCheckConfig: init writes the reference's file layout and
// an INI that loads back; the printed address carries the CA fingerprint,
// the password and the hosts; init refuses to overwrite.
func TestInitAddressCheckConfig(t *testing.T) {
	dir := t.TempDir()
	out, err := capture(t, func() error {
		return run([]string{"init", "--data", dir, "--host", "smp.example.com,abcdef.onion", "--port", "5223", "--password", "pw"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "ca.key", "server.crt", "server.key", "fingerprint", "smp-server.ini"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	ca, err := certs.ReadCertFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	addrOut, err := capture(t, func() error { return run([]string{"address", "--data", dir}) })
	if err != nil {
		t.Fatal(err)
	}
	a, err := address.ParseServerAddress(strings.TrimSpace(addrOut))
	if err != nil {
		t.Fatal(err)
	}
	if string(a.KeyHash) != string(certs.Fingerprint(ca[0])) || a.BasicAuth != "pw" || len(a.Hosts) != 2 || a.Port != "" {
		t.Fatalf("address %+v", a)
	}
	if !strings.Contains(out, strings.TrimSpace(addrOut)) {
		t.Fatalf("init printed %q, not the address", out)
	}
	if _, err := capture(t, func() error { return run([]string{"check-config", "--data", dir}) }); err != nil {
		t.Fatalf("check-config: %v", err)
	}
	if _, err := capture(t, func() error { return run([]string{"init", "--data", dir}) }); err == nil {
		t.Fatal("init overwrote an existing configuration")
	}
	// --if-missing (init containers): success, and nothing changed.
	before, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if _, err := capture(t, func() error { return run([]string{"init", "--data", dir, "--if-missing"}) }); err != nil {
		t.Fatalf("init --if-missing: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.crt")); string(after) != string(before) {
		t.Fatal("init --if-missing replaced the CA")
	}
}

func TestUsage(t *testing.T) {
	if err := run(nil); err == nil {
		t.Fatal("no command accepted")
	}
	if err := run([]string{"frobnicate"}); err == nil {
		t.Fatal("unknown command accepted")
	}
	if _, err := capture(t, func() error { return run([]string{"start", "--port", "x", "--data", t.TempDir()}) }); err == nil {
		t.Fatal("bad port accepted")
	}
}
