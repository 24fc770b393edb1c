package ini

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A fragment in the shape of the reference's smp-server.ini
// [src/Simplex/Messaging/Server/Main/Init.hs iniFileContent].
const sample = `[STORE_LOG]
# comment
enable = on
expire_messages_days = 21

[AUTH]
new_queues = on
create_password = s3cret

[TRANSPORT]
host = smp.example.com, abc.onion
port = 5223,443
`

func TestParse(t *testing.T) {
	f, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	r := &Reader{F: f}
	var (
		days  time.Duration
		newQ  bool
		pwd   string
		hosts []string
		ports []string
	)
	r.Duration("STORE_LOG", "expire_messages_days", 24*time.Hour, &days)
	r.Bool("AUTH", "new_queues", &newQ)
	r.String("AUTH", "create_password", &pwd)
	r.List("TRANSPORT", "host", &hosts)
	r.List("TRANSPORT", "port", &ports)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if days != 21*24*time.Hour || !newQ || pwd != "s3cret" || len(hosts) != 2 || hosts[1] != "abc.onion" || ports[1] != "443" {
		t.Fatalf("values: %v %v %q %v %v", days, newQ, pwd, hosts, ports)
	}
	if u := f.Unused(); len(u) != 1 || u[0] != "STORE_LOG.enable" {
		t.Fatalf("unused %v", u)
	}
}

func TestErrors(t *testing.T) {
	for _, in := range []string{"key = v\n", "[S\n", "[S]\nnovalue\n"} {
		if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: %v", in, err)
		}
	}
	f, _ := Parse(strings.NewReader("[A]\nb = maybe\nn = x\n"))
	r := &Reader{F: f}
	var b bool
	var n int
	r.Bool("A", "b", &b)
	r.Int("A", "n", &n)
	if len(r.Errs) != 2 {
		t.Fatalf("errors %v", r.Errs)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("[A]\n=\n")
	f.Fuzz(func(t *testing.T, s string) {
		file, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for sec, kv := range file.sections {
			for k := range kv {
				if _, ok := file.Lookup(sec, k); !ok {
					t.Fatal("lookup of a parsed key failed")
				}
			}
		}
	})
}
