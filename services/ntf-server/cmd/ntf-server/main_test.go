package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/services/ntf-server/internal/config"
)

// capture runs f with stdout redirected and returns what it printed.
func capture(t *testing.T, f func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	ferr := f()
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	if ferr != nil {
		t.Fatal(ferr)
	}
	return string(out)
}

// TestInitAddress: init prints ntf://fingerprint@host:port, address prints
// the same, the fingerprint is the CA's, the fake APNs is on for a local
// host, and check-config accepts the result.
func TestInitAddress(t *testing.T) {
	dir := t.TempDir()
	out := capture(t, func() error { return run([]string{"init", "--data", dir, "--host", "localhost", "--port", "5224"}) })
	a, err := address.ParseServer(strings.TrimSpace(out), address.SchemeNTF)
	if err != nil {
		t.Fatalf("init printed %q: %v", out, err)
	}
	if a.Port != "5224" || a.Hosts[0] != "localhost" {
		t.Fatalf("address %v", a)
	}
	ca, err := certs.ReadCertFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(certs.Fingerprint(ca[0])) != string(a.KeyHash) {
		t.Fatal("fingerprint is not the CA's")
	}
	if got := capture(t, func() error { return run([]string{"address", "--data", dir}) }); got != out {
		t.Fatalf("address %q, init %q", got, out)
	}
	c := config.Defaults()
	if _, err := c.LoadFile(filepath.Join(dir, config.FileName)); err != nil {
		t.Fatal(err)
	}
	if !c.FakeAPNs {
		t.Fatal("fake APNs not on for localhost")
	}
	capture(t, func() error { return run([]string{"check-config", "--data", dir}) })
	if err := run([]string{"init", "--data", dir}); err == nil {
		t.Fatal("init over an existing configuration")
	}
	if got := capture(t, func() error { return run([]string{"init", "--data", dir, "--if-missing"}) }); !strings.Contains(got, "nothing to do") {
		t.Fatalf("init --if-missing printed %q", got)
	}
	if got := capture(t, func() error { return run([]string{"address", "--data", dir}) }); got != out {
		t.Fatal("init --if-missing changed the identity")
	}
	// a public host: real APNs, which needs a key
	dir2 := t.TempDir()
	out = capture(t, func() error { return run([]string{"init", "--data", dir2, "--host", "ntf.example.com"}) })
	if !strings.HasPrefix(out, "ntf://") || strings.Contains(out, ":443") {
		t.Fatalf("default port printed: %q", out)
	}
	if err := run([]string{"check-config", "--data", dir2}); err == nil || !strings.Contains(err.Error(), "APNs key") {
		t.Fatalf("check-config without an APNs key: %v", err)
	}
	if err := run([]string{"nope"}); err == nil {
		t.Fatal("unknown command accepted")
	}
	if v := capture(t, func() error { return run([]string{"version"}) }); !strings.HasPrefix(v, "ntf-server ") {
		t.Fatalf("version %q", v)
	}
}
