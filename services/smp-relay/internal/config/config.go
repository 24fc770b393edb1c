// Package config is smp-relay's configuration: defaults, the INI file (the
// keys of the reference smp-server.ini that apply, plus our own sections),
// environment, validation and a redacted copy for logs.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/simplexgo/protocol/ini"
)

// FileName is the INI file in the config directory, named as the reference's.
const FileName = "smp-server.ini"

// Config is everything smp-relay needs to run.
type Config struct {
	ConfigDir string // certificates and smp-server.ini
	DataDir   string // smp.db

	// [TRANSPORT]
	Hosts      []string // advertised host names (address only)
	Ports      []string // ports to listen on
	ListenAddr string   // bind address for the SMP ports ("" = all)

	// [AUTH]
	NewQueues      bool
	CreatePassword string // "" = anyone may create queues

	// [STORE_LOG]
	MsgExpiration time.Duration // expire_messages_days
	NtfExpiration time.Duration // expire_ntfs_hours
	Quota         int           // messages per queue (reference default 128)

	// [INACTIVE_CLIENTS]
	DisconnectInactive bool
	InactiveTTL        time.Duration
	InactiveCheck      time.Duration

	// [PROXY]: private routing, this relay as a sender's proxy
	ProxyEnabled     bool // "enable" (ours: the reference always proxies)
	ProxyConcurrency int  // client_concurrency: proxied commands in flight per connection
	ProxyPrivate     bool // "allow_private" (ours): destinations on loopback/private networks
	ProxyMaxRelays   int  // "max_relays" (ours): destination connections at once

	// [LIMITS] (ours)
	HandshakeTimeout time.Duration
	MaxConnections   int
	SendQueueBlocks  int // per-connection outgoing queue; a client that lets it fill is dropped

	// [NATS] (ours)
	NATSURL      string
	EmbeddedNATS bool
	NATSListen   string // embedded server's client port ("" = in-process only)

	// [ADMIN] (ours)
	GRPCAddr    string // gRPC health + admin; "" disables
	MetricsAddr string // Prometheus /metrics; "" disables

	LogLevel string
}

// Defaults returns the configuration of a fresh install, matching the
// reference where it has a default.
func Defaults() Config {
	return Config{
		ConfigDir:          ".",
		DataDir:            ".",
		Hosts:              []string{"localhost"},
		Ports:              []string{"5223"},
		NewQueues:          true,
		MsgExpiration:      21 * 24 * time.Hour,
		NtfExpiration:      24 * time.Hour,
		Quota:              128,
		DisconnectInactive: true,
		InactiveTTL:        6 * time.Hour,
		InactiveCheck:      time.Hour,
		ProxyEnabled:       true,
		ProxyConcurrency:   32,
		ProxyMaxRelays:     10_000,
		HandshakeTimeout:   2 * time.Minute,
		MaxConnections:     100_000,
		SendQueueBlocks:    64,
		GRPCAddr:           "127.0.0.1:5226",
		MetricsAddr:        "127.0.0.1:5227",
		LogLevel:           "info",
	}
}

// LoadFile applies the INI file at path to c. Keys of the reference file
// that apply are honoured (listed in the README); unknown keys are returned
// so the caller can warn about them.
func (c *Config) LoadFile(path string) (unused []string, err error) {
	f, err := ini.Load(path)
	if err != nil {
		return nil, err
	}
	r := &ini.Reader{F: f}
	r.Duration("STORE_LOG", "expire_messages_days", 24*time.Hour, &c.MsgExpiration)
	r.Duration("STORE_LOG", "expire_ntfs_hours", time.Hour, &c.NtfExpiration)
	r.Bool("AUTH", "new_queues", &c.NewQueues)
	r.String("AUTH", "create_password", &c.CreatePassword)
	r.List("TRANSPORT", "host", &c.Hosts)
	r.List("TRANSPORT", "port", &c.Ports)
	r.Bool("INACTIVE_CLIENTS", "disconnect", &c.DisconnectInactive)
	r.Duration("INACTIVE_CLIENTS", "ttl", time.Second, &c.InactiveTTL)
	r.Duration("INACTIVE_CLIENTS", "check_interval", time.Second, &c.InactiveCheck)
	r.String("TRANSPORT", "listen", &c.ListenAddr)
	r.Bool("PROXY", "enable", &c.ProxyEnabled)
	r.Int("PROXY", "client_concurrency", &c.ProxyConcurrency)
	r.Bool("PROXY", "allow_private", &c.ProxyPrivate)
	r.Int("PROXY", "max_relays", &c.ProxyMaxRelays)
	r.Int("LIMITS", "quota", &c.Quota)
	r.Int("LIMITS", "max_connections", &c.MaxConnections)
	r.Int("LIMITS", "send_queue_blocks", &c.SendQueueBlocks)
	r.Duration("LIMITS", "handshake_timeout", time.Second, &c.HandshakeTimeout)
	r.String("NATS", "url", &c.NATSURL)
	r.Bool("NATS", "embedded", &c.EmbeddedNATS)
	r.String("NATS", "listen", &c.NATSListen)
	r.String("ADMIN", "grpc", &c.GRPCAddr)
	r.String("ADMIN", "metrics", &c.MetricsAddr)
	r.String("ADMIN", "log_level", &c.LogLevel)
	// Keys of the reference that have no meaning here are accepted silently.
	for _, k := range []string{"enable", "store_queues", "store_messages", "restore_messages",
		"expire_messages_on_start", "expire_messages_on_send", "log_stats", "db_store_log"} {
		f.Lookup("STORE_LOG", k)
	}
	return f.Unused(), r.Err()
}

// LoadEnv applies SMP_RELAY_* environment variables (between the file and
// the flags in precedence).
func (c *Config) LoadEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(name); v != "" {
			*dst = strings.Split(v, ",")
		}
	}
	boolean := func(name string, dst *bool) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = b
		}
	}
	str("SMP_RELAY_DATA_DIR", &c.DataDir)
	list("SMP_RELAY_HOSTS", &c.Hosts)
	list("SMP_RELAY_PORTS", &c.Ports)
	str("SMP_RELAY_CREATE_PASSWORD", &c.CreatePassword)
	boolean("SMP_RELAY_NEW_QUEUES", &c.NewQueues)
	boolean("SMP_RELAY_PROXY", &c.ProxyEnabled)
	boolean("SMP_RELAY_PROXY_ALLOW_PRIVATE", &c.ProxyPrivate)
	str("SMP_RELAY_NATS_URL", &c.NATSURL)
	boolean("SMP_RELAY_EMBEDDED_NATS", &c.EmbeddedNATS)
	str("SMP_RELAY_NATS_LISTEN", &c.NATSListen)
	str("SMP_RELAY_GRPC_ADDR", &c.GRPCAddr)
	str("SMP_RELAY_METRICS_ADDR", &c.MetricsAddr)
	str("SMP_RELAY_LOG_LEVEL", &c.LogLevel)
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
	if c.Quota < 1 || c.Quota > 65535 {
		bad("quota %d out of 1..65535", c.Quota)
	}
	if c.MsgExpiration <= 0 {
		bad("message expiration must be positive")
	}
	if c.MaxConnections < 1 {
		bad("max_connections must be positive")
	}
	if c.SendQueueBlocks < 1 {
		bad("send_queue_blocks must be positive")
	}
	if c.HandshakeTimeout <= 0 {
		bad("handshake_timeout must be positive")
	}
	for _, ch := range c.CreatePassword {
		if ch <= ' ' || ch > '~' || ch == '@' || ch == ':' || ch == '/' {
			bad("create_password: printable ASCII without space, '@', ':' or '/'")
			break
		}
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

// Redacted returns a copy safe to log: secrets are replaced.
func (c Config) Redacted() Config {
	if c.CreatePassword != "" {
		c.CreatePassword = "[redacted]"
	}
	if c.NATSURL != "" {
		c.NATSURL = redactURL(c.NATSURL)
	}
	return c
}

func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at >= 0 {
		if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
			return u[:scheme+3] + "[redacted]" + u[at:]
		}
	}
	return u
}

// Paths of the files in the config and data directories.
func (c *Config) CACertPath() string     { return filepath.Join(c.ConfigDir, "ca.crt") }
func (c *Config) CAKeyPath() string      { return filepath.Join(c.ConfigDir, "ca.key") }
func (c *Config) ServerCertPath() string { return filepath.Join(c.ConfigDir, "server.crt") }
func (c *Config) ServerKeyPath() string  { return filepath.Join(c.ConfigDir, "server.key") }
func (c *Config) FingerprintPath() string {
	return filepath.Join(c.ConfigDir, "fingerprint")
}
func (c *Config) IniPath() string   { return filepath.Join(c.ConfigDir, FileName) }
func (c *Config) StorePath() string { return filepath.Join(c.DataDir, "smp.db") }

// Exists reports whether path exists.
func Exists(path string) bool { _, err := os.Stat(path); return err == nil }
