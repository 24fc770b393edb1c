package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// binaries are the server commands the deployment runs, by name.
var binaries = map[string]string{
	"smp-relay":   "github.com/simplexgo/services/smp-relay/cmd/smp-relay",
	"ntf-server":  "github.com/simplexgo/services/ntf-server/cmd/ntf-server",
	"xftp-server": "github.com/simplexgo/services/xftp/cmd/xftp-server",
}

// invocation is one run of a server binary in a deployment file.
type invocation struct {
	where  string // file and service or container
	binary string
	args   []string
}

// TestDeployManifests: every server invocation in docker-compose.yml and
// in the rendered Kubernetes base uses a subcommand and flags that the
// binary accepts, each server appears in both, and the image's default
// entrypoint is what the manifests that do not name one expect.
func TestDeployManifests(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	entry := dockerEntrypoint(t, filepath.Join(root, "Dockerfile"))
	var invs []invocation
	invs = append(invs, composeInvocations(t, filepath.Join(root, "docker-compose.yml"))...)
	k8s := k8sInvocations(t, filepath.Join(root, "deploy", "k8s", "base"), entry)
	invs = append(invs, k8s...)
	for name := range binaries {
		if !slices.ContainsFunc(invs, func(i invocation) bool { return i.binary == name && strings.HasPrefix(i.where, "docker-compose") }) {
			t.Errorf("docker-compose.yml does not run %s", name)
		}
		if !slices.ContainsFunc(k8s, func(i invocation) bool { return i.binary == name }) {
			t.Errorf("deploy/k8s/base does not run %s", name)
		}
	}
	dir := t.TempDir()
	flags := map[string]map[string]bool{} // "binary subcommand" -> flag names
	for _, inv := range invs {
		if len(inv.args) == 0 {
			t.Errorf("%s: %s without a subcommand", inv.where, inv.binary)
			continue
		}
		pkg, ok := binaries[inv.binary]
		if !ok {
			t.Errorf("%s: unknown binary %q", inv.where, inv.binary)
			continue
		}
		key := inv.binary + " " + inv.args[0]
		known, ok := flags[key]
		if !ok {
			known = subcommandFlags(t, build(t, root, dir, inv.binary, pkg), inv.args[0])
			flags[key] = known
		}
		if known == nil {
			t.Errorf("%s: %s has no subcommand %q", inv.where, inv.binary, inv.args[0])
			continue
		}
		for _, a := range inv.args[1:] {
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
			if !known[name] {
				t.Errorf("%s: %s %s does not accept --%s", inv.where, inv.binary, inv.args[0], name)
			}
		}
	}
}

// build builds a binary once into dir.
func build(t *testing.T, root, dir, name, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

var flagLine = regexp.MustCompile(`^\s+-([a-zA-Z0-9-]+)`)

// subcommandFlags runs `bin sub -h` and returns the flags it lists; nil
// if the subcommand is unknown.
func subcommandFlags(t *testing.T, bin, sub string) map[string]bool {
	t.Helper()
	out, _ := exec.Command(bin, sub, "-h").CombinedOutput()
	if !bytes.Contains(out, []byte("Usage of ")) {
		return nil
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := flagLine.FindStringSubmatch(sc.Text()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

func dockerEntrypoint(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ENTRYPOINT \["([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("Dockerfile has no ENTRYPOINT")
	}
	return filepath.Base(string(m[1]))
}

func composeInvocations(t *testing.T, path string) []invocation {
	t.Helper()
	var f struct {
		Services map[string]struct {
			Image      string   `yaml:"image"`
			Entrypoint []string `yaml:"entrypoint"`
			Command    []string `yaml:"command"`
		} `yaml:"services"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	var out []invocation
	for name, s := range f.Services {
		if !strings.HasPrefix(s.Image, "simplexgo") {
			continue
		}
		if len(s.Entrypoint) != 1 {
			t.Errorf("docker-compose.yml %s: entrypoint %q, want the binary alone (the image has no shell)", name, s.Entrypoint)
			continue
		}
		out = append(out, invocation{where: "docker-compose.yml " + name, binary: filepath.Base(s.Entrypoint[0]), args: s.Command})
	}
	return out
}

// k8sInvocations reads the containers of every workload in dir's YAML
// files (YAML anchors resolved, as kustomize does).
func k8sInvocations(t *testing.T, dir, entry string) []invocation {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var out []invocation
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(fh)
		for {
			var doc struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
				Spec struct {
					Template struct {
						Spec struct {
							InitContainers []container `yaml:"initContainers"`
							Containers     []container `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			ps := doc.Spec.Template.Spec
			for _, c := range append(ps.InitContainers, ps.Containers...) {
				if !strings.HasPrefix(c.Image, "simplexgo") {
					continue
				}
				bin := entry
				if len(c.Command) > 0 {
					bin = filepath.Base(c.Command[0])
				}
				out = append(out, invocation{where: filepath.Base(file) + " " + doc.Metadata.Name + "/" + c.Name, binary: bin, args: c.Args})
			}
		}
		fh.Close()
	}
	return out
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
}

// TestKustomize renders the single-node overlay with kubectl, when it is
// installed: the base and the overlay must compose.
func TestKustomize(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed")
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join("k8s", "overlays", "single-node")).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	for _, want := range []string{"name: smp-relay", "name: ntf-server", "name: xftp-server", "name: nats", "namespace: simplexgo"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("rendered overlay lacks %q", want)
		}
	}
}
