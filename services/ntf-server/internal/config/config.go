// Package config is ntf-server's configuration: defaults, the INI file (the
// keys of the reference ntf-server.ini that apply, plus our own [APNS],
// [PUSH] and [ADMIN] sections), environment, validation and a redacted copy
// for logs.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/simplexgo/protocol/ini"
)

// FileName is the INI file in the config directory, named as the reference's.
const FileName = "ntf-server.ini"

// Reference APNs defaults [APNS defaultAPNSPushClientConfig, apnsProviderHost].
const (
	DefaultTeamID  = "5NN7GUYB6T"
	DefaultTopic   = "chat.simplex.app"
	DefaultProdURL = "https://api.push.apple.com"
	DefaultDevURL  = "https://api.sandbox.push.apple.com"
	DefaultTestURL = "https://localhost"
)

// Config is everything ntf-server needs to run.
type Config struct {
	ConfigDir string // certificates and ntf-server.ini
	DataDir   string // ntf.db

	// [TRANSPORT]
	Hosts      []string
	Ports      []string
	ListenAddr string

	// [INACTIVE_CLIENTS]
	DisconnectInactive bool
	InactiveTTL        time.Duration

	// [APNS] (ours; the reference reads APNS_KEY_FILE / APNS_KEY_ID from the
	// environment and has the rest as constants)
	APNSKeyFile string // .p8 file (PKCS#8 P-256 key)
	APNSKeyID   string
	APNSTeamID  string
	APNSTopic   string // the app's bundle id
	APNSProdURL string
	APNSDevURL  string
	APNSTestURL string // provider apns_test
	APNSCAFile  string // extra trusted CA (PEM) for a local APNs, e.g. the fake
	FakeAPNs    bool   // run the built-in fake APNs and send every push there (local runs)

	// [PUSH] (ours)
	PushWorkers      int           // concurrent APNs requests
	PushRetries      int           // retries after 429/5xx/connection errors
	PeriodicInterval time.Duration // how often periodic (TCRN) pushes are scheduled

	// [NATS] (ours): smp-relay's notifier events, an optional fast path
	NATSURL string

	// [RUNTIME] (ours)
	GCMinHeapMB int // heap floor for the garbage collector (package gcfloor); 0 = GOGC's default

	// [ADMIN] (ours)
	GRPCAddr    string
	MetricsAddr string
	LogLevel    string
}

// Defaults returns the configuration of a fresh install.
func Defaults() Config {
	return Config{
		ConfigDir:          ".",
		DataDir:            ".",
		Hosts:              []string{"localhost"},
		Ports:              []string{"443"},
		DisconnectInactive: false,
		InactiveTTL:        6 * time.Hour,
		APNSTeamID:         DefaultTeamID,
		APNSTopic:          DefaultTopic,
		APNSProdURL:        DefaultProdURL,
		APNSDevURL:         DefaultDevURL,
		APNSTestURL:        DefaultTestURL,
		PushWorkers:        32,
		PushRetries:        3,
		PeriodicInterval:   5 * time.Minute,
		GCMinHeapMB:        64,
		GRPCAddr:           "127.0.0.1:5228",
		MetricsAddr:        "127.0.0.1:5229",
		LogLevel:           "info",
	}
}

// LoadFile applies the INI file at path to c and returns the keys it does
// not know.
func (c *Config) LoadFile(path string) (unused []string, err error) {
	f, err := ini.Load(path)
	if err != nil {
		return nil, err
	}
	r := &ini.Reader{F: f}
	r.List("TRANSPORT", "host", &c.Hosts)
	r.List("TRANSPORT", "port", &c.Ports)
	r.String("TRANSPORT", "listen", &c.ListenAddr)
	r.Bool("INACTIVE_CLIENTS", "disconnect", &c.DisconnectInactive)
	r.Duration("INACTIVE_CLIENTS", "ttl", time.Second, &c.InactiveTTL)
	r.String("APNS", "key_file", &c.APNSKeyFile)
	r.String("APNS", "key_id", &c.APNSKeyID)
	r.String("APNS", "team_id", &c.APNSTeamID)
	r.String("APNS", "topic", &c.APNSTopic)
	r.String("APNS", "production_url", &c.APNSProdURL)
	r.String("APNS", "development_url", &c.APNSDevURL)
	r.String("APNS", "test_url", &c.APNSTestURL)
	r.String("APNS", "ca_file", &c.APNSCAFile)
	r.Bool("APNS", "fake", &c.FakeAPNs)
	r.Int("PUSH", "workers", &c.PushWorkers)
	r.Int("PUSH", "retries", &c.PushRetries)
	r.Duration("PUSH", "periodic_interval", time.Second, &c.PeriodicInterval)
	r.String("NATS", "url", &c.NATSURL)
	r.Int("RUNTIME", "gc_min_heap_mb", &c.GCMinHeapMB)
	r.String("ADMIN", "grpc", &c.GRPCAddr)
	r.String("ADMIN", "metrics", &c.MetricsAddr)
	r.String("ADMIN", "log_level", &c.LogLevel)
	// Keys of the reference file that have no meaning here are accepted.
	for sec, keys := range map[string][]string{
		"STORE_LOG":        {"enable", "log_stats", "prometheus_interval", "db_deleted_ttl", "db_connection", "db_schema", "db_pool_size", "db_create_schema"},
		"AUTH":             {"control_port_admin_password", "control_port_user_password"},
		"TRANSPORT":        {"log_tls_errors", "websockets", "control_port"},
		"SUBSCRIBER":       {"host_mode", "required_host_mode", "socks_proxy", "socks_mode", "own_server_domains", "use_service_credentials"},
		"INACTIVE_CLIENTS": {"check_interval"},
	} {
		for _, k := range keys {
			f.Lookup(sec, k)
		}
	}
	return f.Unused(), r.Err()
}

// LoadEnv applies the environment: the reference's APNS_KEY_FILE and
// APNS_KEY_ID, and NTF_SERVER_* for the rest.
func (c *Config) LoadEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("APNS_KEY_FILE", &c.APNSKeyFile)
	str("APNS_KEY_ID", &c.APNSKeyID)
	str("NTF_SERVER_APNS_TEAM_ID", &c.APNSTeamID)
	str("NTF_SERVER_APNS_TOPIC", &c.APNSTopic)
	str("NTF_SERVER_DATA_DIR", &c.DataDir)
	str("NTF_SERVER_NATS_URL", &c.NATSURL)
	str("NTF_SERVER_GRPC_ADDR", &c.GRPCAddr)
	str("NTF_SERVER_METRICS_ADDR", &c.MetricsAddr)
	str("NTF_SERVER_LOG_LEVEL", &c.LogLevel)
	if v := getenv("NTF_SERVER_FAKE_APNS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("NTF_SERVER_FAKE_APNS: %w", err))
		}
		c.FakeAPNs = b
	}
	return errors.Join(errs...)
}

// Validate reports every invalid setting at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Hosts) == 0 {
		bad("no host configured")
	}
	if len(c.Ports) == 0 {
		bad("no port configured")
	}
	for _, p := range c.Ports {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 {
			bad("bad port %q", p)
		}
	}
	for _, u := range []string{c.APNSProdURL, c.APNSDevURL, c.APNSTestURL} {
		if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" || (p.Path != "" && p.Path != "/") {
			bad("APNs URL %q: want https://host[:port]", u)
		}
	}
	if c.APNSTopic == "" {
		bad("[APNS] topic is empty")
	}
	if c.PushWorkers < 1 {
		bad("[PUSH] workers must be positive")
	}
	if c.PushRetries < 0 {
		bad("[PUSH] retries must not be negative")
	}
	if c.PeriodicInterval <= 0 {
		bad("[PUSH] periodic_interval must be positive")
	}
	if c.GCMinHeapMB < 0 || c.GCMinHeapMB > 1<<20 {
		bad("[RUNTIME] gc_min_heap_mb must be 0..1048576")
	}
	for _, a := range []string{c.GRPCAddr, c.MetricsAddr} {
		if a != "" {
			if _, _, err := net.SplitHostPort(a); err != nil {
				bad("bad address %q: %v", a, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ValidateAPNs checks that pushes can be signed: a key file and key id,
// unless the fake APNs is on. The reference refuses to start without them.
func (c *Config) ValidateAPNs() error {
	if c.FakeAPNs {
		return nil
	}
	var errs []error
	if c.APNSKeyFile == "" {
		errs = append(errs, errors.New("no APNs key: set [APNS] key_file or APNS_KEY_FILE (or [APNS] fake = on for local runs)"))
	}
	if c.APNSKeyID == "" {
		errs = append(errs, errors.New("no APNs key id: set [APNS] key_id or APNS_KEY_ID"))
	}
	return errors.Join(errs...)
}

// Redacted returns a copy safe to log: credentials in the NATS URL are
// replaced (the APNs key itself is never in the config, only its path).
func (c Config) Redacted() Config {
	if u, err := url.Parse(c.NATSURL); err == nil && u.User != nil {
		u.User = url.User("[redacted]")
		c.NATSURL = u.String()
	}
	return c
}

// Paths of the files in the config and data directories.
func (c *Config) CACertPath() string      { return filepath.Join(c.ConfigDir, "ca.crt") }
func (c *Config) CAKeyPath() string       { return filepath.Join(c.ConfigDir, "ca.key") }
func (c *Config) ServerCertPath() string  { return filepath.Join(c.ConfigDir, "server.crt") }
func (c *Config) ServerKeyPath() string   { return filepath.Join(c.ConfigDir, "server.key") }
func (c *Config) FingerprintPath() string { return filepath.Join(c.ConfigDir, "fingerprint") }
func (c *Config) IniPath() string         { return filepath.Join(c.ConfigDir, FileName) }
func (c *Config) StorePath() string       { return filepath.Join(c.DataDir, "ntf.db") }

// IsLocalHost reports whether h names this machine (init enables the fake
// APNs for such servers).
func IsLocalHost(h string) bool {
	h = strings.ToLower(h)
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// Exists reports whether path exists.
func Exists(path string) bool { _, err := os.Stat(path); return err == nil }
