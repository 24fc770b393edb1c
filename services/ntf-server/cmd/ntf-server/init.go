package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/services/ntf-server/internal/config"
)

// cmdInit creates the server identity and configuration, as
// `ntf-server init` does [NSM]: an offline CA (whose hash is the address
// fingerprint; Ed448 by default, as the reference), an online Ed25519 TLS
// certificate signed by it (Go's TLS has no Ed448), and ntf-server.ini.
func cmdInit(args []string) error {
	f := newFlags("init")
	caAlg := f.fs.String("sign-algorithm", "ED448", "CA key algorithm: ED448 (reference default) or ED25519 (the TLS certificate is always Ed25519)")
	force := f.fs.Bool("force", false, "overwrite an existing configuration")
	ifMissing := f.fs.Bool("if-missing", false, "do nothing, successfully, when a configuration exists (for init containers)")
	if err := f.fs.Parse(args); err != nil {
		return usageError{err}
	}
	c := config.Defaults()
	c.ConfigDir, c.DataDir = f.dirs()
	if f.hosts != "" {
		c.Hosts = splitList(f.hosts)
	}
	if f.ports != "" {
		c.Ports = splitList(f.ports)
	}
	// A server for this machine only gets the built-in fake APNs, so that
	// `make run` works without Apple credentials.
	c.FakeAPNs = config.IsLocalHost(c.Hosts[0])
	if f.fakeAPNs != "" {
		c.FakeAPNs = f.fakeAPNs == "on"
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid options:\n%w", err)
	}
	if config.Exists(c.IniPath()) && !*force {
		if *ifMissing {
			fmt.Printf("%s exists; nothing to do\n", c.IniPath())
			return nil
		}
		return fmt.Errorf("%s exists; use --force to overwrite", c.IniPath())
	}
	alg := crypto.Ed448
	switch strings.ToUpper(*caAlg) {
	case "ED448":
	case "ED25519":
		alg = crypto.Ed25519
	default:
		return usageError{fmt.Errorf("unknown --sign-algorithm %q", *caAlg)}
	}
	for _, d := range []string{c.ConfigDir, c.DataDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	fp, err := certs.CreateServerIdentity(certs.IdentityFiles{
		CACert: c.CACertPath(), CAKey: c.CAKeyPath(), ServerCert: c.ServerCertPath(), ServerKey: c.ServerKeyPath(),
		Fingerprint: c.FingerprintPath(),
	}, alg, "SimpleX notification server CA", c.Hosts[0], rand.Reader)
	if err != nil {
		return err
	}
	err = os.WriteFile(c.IniPath(), []byte(iniContent(c)), 0o600)
	if err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	fmt.Fprintf(os.Stderr, "Configuration written to %s\n", c.ConfigDir)
	fmt.Fprintf(os.Stderr, "The CA key %s is only needed to issue new TLS certificates: store it offline.\n", c.CAKeyPath())
	if c.FakeAPNs {
		fmt.Fprintln(os.Stderr, "Pushes go to the built-in fake APNs ([APNS] fake = on); set key_file, key_id and topic for real APNs.")
	}
	fmt.Println(serverAddress(c, fp))
	return nil
}

// serverAddress is ntf://<fingerprint>@<hosts>[:port], the port omitted
// when it is 443 [NSM printServiceInfo].
func serverAddress(c config.Config, fp []byte) string {
	a := address.ServerAddress{Scheme: address.SchemeNTF, KeyHash: fp, Hosts: c.Hosts}
	if len(c.Ports) > 0 && c.Ports[0] != address.DefaultNTFPort {
		a.Port = c.Ports[0]
	}
	return a.String()
}

// cmdAddress prints the address of an initialised server.
func cmdAddress(args []string) error {
	f := newFlags("address")
	if err := f.fs.Parse(args); err != nil {
		return usageError{err}
	}
	c, _, err := f.load()
	if err != nil {
		return err
	}
	ca, err := certs.ReadCertFile(c.CACertPath())
	if err != nil {
		return err
	}
	fmt.Println(serverAddress(c, certs.Fingerprint(ca[0])))
	return nil
}

// cmdCheckConfig validates the configuration and the certificate files.
func cmdCheckConfig(args []string) error {
	f := newFlags("check-config")
	if err := f.fs.Parse(args); err != nil {
		return usageError{err}
	}
	c, unused, err := f.load()
	if err != nil {
		return err
	}
	for _, k := range unused {
		fmt.Printf("note: %s is not used by ntf-server\n", k)
	}
	if err := c.ValidateAPNs(); err != nil {
		return err
	}
	if _, err := certs.LoadServerIdentity(c.CACertPath(), c.ServerCertPath(), c.ServerKeyPath()); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	fmt.Println("configuration OK")
	return nil
}

// iniContent writes ntf-server.ini with the reference's sections and keys
// that apply, plus ours.
func iniContent(c config.Config) string {
	fake := "off"
	if c.FakeAPNs {
		fake = "on"
	}
	return fmt.Sprintf(`# ntf-server configuration. Keys of the reference ntf-server.ini that apply
# are honoured; the others are accepted and ignored. Flags, APNS_KEY_FILE,
# APNS_KEY_ID and NTF_SERVER_* environment variables override.

[STORE_LOG]
# Tokens, subscriptions and last notifications are always kept in ntf.db.
enable = on
log_stats = off

[TRANSPORT]
# Host is only used to print the server address.
host = %s
port = %s
log_tls_errors = off
websockets = off

[SUBSCRIBER]
# host_mode = public

[INACTIVE_CLIENTS]
disconnect = off
# ttl = 21600

[APNS]
# Token-based APNs authentication: the .p8 key, its key id, your team id
# and the app's bundle id (topic). The official app's topic and team are
# chat.simplex.app and 5NN7GUYB6T; only the holder of that team's key can
# push to it.
# key_file = /etc/opt/simplex-notifications/AuthKey_XXXXXXXXXX.p8
# key_id = XXXXXXXXXX
team_id = %s
topic = %s
production_url = %s
development_url = %s
# test_url is where apns_test tokens go.
test_url = %s
# ca_file = extra trusted CA (PEM) for a local APNs
# fake = on sends every push to a built-in fake APNs (local runs only).
fake = %s

[PUSH]
workers = %d
retries = %d
# seconds between scheduling runs of periodic (TCRN) pushes
periodic_interval = %d

[NATS]
# NATS URL where smp-relays of the same operator publish notifier events
# (optional fast path next to NSUB).
# url = nats://127.0.0.1:4222

[RUNTIME]
# While the live heap is under half of this (MB), the garbage collector
# runs as if the heap were this big: fewer collections for a small server
# that pushes a lot, at most this much more memory. 0 = Go's default;
# GOGC in the environment overrides it.
gc_min_heap_mb = %d

[ADMIN]
grpc = %s
metrics = %s
log_level = info
`, strings.Join(c.Hosts, ", "), strings.Join(c.Ports, ","), c.APNSTeamID, c.APNSTopic,
		c.APNSProdURL, c.APNSDevURL, c.APNSTestURL, fake, c.PushWorkers, c.PushRetries,
		int(c.PeriodicInterval.Seconds()), c.GCMinHeapMB, c.GRPCAddr, c.MetricsAddr)
}
