package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFileReferenceKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	os.WriteFile(path, []byte(`[STORE_LOG]
enable = on
expire_messages_days = 7
expire_ntfs_hours = 12
[AUTH]
new_queues = off
create_password = pw123
[TRANSPORT]
host = a.example, b.onion
port = 5223,443
log_tls_errors = off
[PROXY]
client_concurrency = 8
allow_private = on
[UNKNOWN]
x = 1
`), 0o600)
	c := Defaults()
	unused, err := c.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.MsgExpiration != 7*24*time.Hour || c.NtfExpiration != 12*time.Hour || c.NewQueues ||
		c.CreatePassword != "pw123" || strings.Join(c.Hosts, ",") != "a.example,b.onion" || len(c.Ports) != 2 ||
		!c.ProxyEnabled || c.ProxyConcurrency != 8 || !c.ProxyPrivate {
		t.Fatalf("config %+v", c)
	}
	if strings.Join(unused, " ") != "TRANSPORT.log_tls_errors UNKNOWN.x" && strings.Join(unused, " ") != "UNKNOWN.x TRANSPORT.log_tls_errors" {
		t.Fatalf("unused %v", unused)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if r := c.Redacted(); strings.Contains(r.CreatePassword, "pw123") {
		t.Fatal("password not redacted")
	}
}

func TestValidateCollectsAll(t *testing.T) {
	c := Defaults()
	c.Ports = []string{"x"}
	c.Quota = 0
	c.CreatePassword = "a b"
	err := c.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("want 3 errors, got %v", err)
	}
}

func TestEnv(t *testing.T) {
	c := Defaults()
	env := map[string]string{"SMP_RELAY_HOSTS": "h1,h2", "SMP_RELAY_NEW_QUEUES": "false"}
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if len(c.Hosts) != 2 || c.NewQueues {
		t.Fatalf("%+v", c)
	}
}

// TestProxyOff: [PROXY] enable = off, or SMP_RELAY_PROXY=false, turns
// proxying off.
func TestProxyOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	os.WriteFile(path, []byte("[PROXY]\nenable = off\n"), 0o600)
	c := Defaults()
	if _, err := c.LoadFile(path); err != nil || c.ProxyEnabled {
		t.Fatalf("enable = off: %v %v", c.ProxyEnabled, err)
	}
	c = Defaults()
	if err := c.LoadEnv(func(k string) string {
		if k == "SMP_RELAY_PROXY" {
			return "false"
		}
		return ""
	}); err != nil || c.ProxyEnabled {
		t.Fatalf("SMP_RELAY_PROXY=false: %v %v", c.ProxyEnabled, err)
	}
}
