package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadFile reads the keys of the reference file-server.ini [FSM
// iniFileContent] and ours.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	ini := `[STORE_LOG]
enable = on
expire_files_hours = 24
[AUTH]
new_files = off
create_password = secret
[TRANSPORT]
host = a.example, b.example
port = 5443
log_tls_errors = off
[FILES]
path = /srv/files
storage_quota = 10gb
[LIMITS]
chunk_timeout = 60
[WEB]
enable = on
[OTHER]
x = 1
`
	if err := os.WriteFile(p, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	unused, err := c.LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.FileExpiration != 24*time.Hour || c.NewFiles || c.CreatePassword != "secret" || c.Port != "5443" ||
		len(c.Hosts) != 2 || c.FilesPath != "/srv/files" || c.Quota != 10<<30 || c.ChunkTimeout != time.Minute || !c.Web {
		t.Fatalf("%+v", c)
	}
	if len(unused) != 1 || !strings.Contains(unused[0], "x") {
		t.Fatalf("unused %v", unused)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Redacted().CreatePassword == "secret" {
		t.Fatal("password not redacted")
	}
}

func TestValidate(t *testing.T) {
	c := Defaults()
	c.Port, c.Quota, c.CreatePassword = "x", 0, "a b"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"bad port", "path is required", "storage_quota", "create_password"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestLoadEnv(t *testing.T) {
	c := Defaults()
	env := map[string]string{"XFTP_SERVER_QUOTA": "5mb", "XFTP_SERVER_PORT": "1234", "XFTP_SERVER_NEW_FILES": "false"}
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Quota != 5<<20 || c.Port != "1234" || c.NewFiles {
		t.Fatalf("%+v", c)
	}
	if err := c.LoadEnv(func(k string) string { return map[string]string{"XFTP_SERVER_QUOTA": "5xb"}[k] }); err == nil {
		t.Fatal("bad quota accepted")
	}
}
