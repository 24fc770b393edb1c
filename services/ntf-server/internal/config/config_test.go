package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), FileName)
	ini := `[STORE_LOG]
enable = on
log_stats = off
[TRANSPORT]
host = example.com, 1.2.3.4
port = 5224
log_tls_errors = off
[SUBSCRIBER]
host_mode = public
[INACTIVE_CLIENTS]
disconnect = on
ttl = 60
[APNS]
key_file = /k.p8
key_id = H82WD9K9AQ
topic = com.example.app
[PUSH]
workers = 4
periodic_interval = 30
[EXTRA]
what = 1
`
	if err := os.WriteFile(p, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	unused, err := c.LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(unused) != 1 || !strings.Contains(unused[0], "what") {
		t.Fatalf("unused = %v", unused)
	}
	if strings.Join(c.Hosts, ",") != "example.com,1.2.3.4" || c.Ports[0] != "5224" || !c.DisconnectInactive ||
		c.InactiveTTL != time.Minute || c.APNSKeyFile != "/k.p8" || c.APNSTopic != "com.example.app" ||
		c.APNSTeamID != DefaultTeamID || c.PushWorkers != 4 || c.PeriodicInterval != 30*time.Second {
		t.Fatalf("config = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateAPNs(); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	c := Defaults()
	c.Ports = []string{"x"}
	c.APNSDevURL = "http://plain"
	c.PushWorkers = 0
	err := c.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("Validate = %v", err)
	}
	c = Defaults()
	if c.ValidateAPNs() == nil {
		t.Fatal("no key accepted")
	}
	if c.LoadEnv(func(k string) string {
		return map[string]string{"APNS_KEY_FILE": "/a.p8", "APNS_KEY_ID": "K"}[k]
	}) != nil || c.ValidateAPNs() != nil {
		t.Fatal("env key not applied")
	}
}
