// Package config is xftp-server's configuration: defaults, the INI file (the
// keys of the reference file-server.ini that apply, plus our own sections),
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
	"github.com/simplexgo/protocol/xftp"
)

// FileName is the INI file in the config directory, named as the
// reference's [FSM].
const FileName = "file-server.ini"

// DefaultQuota is the storage quota `init` writes when --quota is not given.
// The reference makes --quota mandatory for init [FSM InitOptions].
const DefaultQuota = 1 << 30

// Config is everything xftp-server needs to run.
type Config struct {
	ConfigDir string // certificates and file-server.ini
	DataDir   string // xftp.db

	// [TRANSPORT]
	Hosts      []string // advertised host names (address only)
	Port       string   // port to listen on
	ListenAddr string   // bind address ("" = all), ours

	// [FILES]
	FilesPath string // directory of chunk files
	Quota     int64  // storage_quota, bytes of stored and reserved chunks

	// [AUTH]
	NewFiles       bool
	CreatePassword string // "" = anyone may upload

	// [STORE_LOG]
	FileExpiration time.Duration // expire_files_hours

	// [INACTIVE_CLIENTS]
	DisconnectInactive bool
	InactiveTTL        time.Duration

	// [LIMITS] (ours)
	HandshakeTimeout time.Duration // TLS handshake
	ChunkTimeout     time.Duration // one FPUT body (reference: 5 min)
	MaxConnections   int

	// [WEB] (ours): answer browsers (SNI connections) with the web handshake and CORS.
	Web bool

	// [ADMIN] (ours)
	GRPCAddr    string // gRPC health + admin; "" disables
	MetricsAddr string // Prometheus /metrics; "" disables
	LogLevel    string
}

// Defaults returns the configuration of a fresh install, matching the
// reference where it has a default.
func Defaults() Config {
	return Config{
		ConfigDir:        ".",
		DataDir:          ".",
		Hosts:            []string{"localhost"},
		Port:             "443",
		Quota:            DefaultQuota,
		NewFiles:         true,
		FileExpiration:   48 * time.Hour,
		InactiveTTL:      6 * time.Hour,
		HandshakeTimeout: 2 * time.Minute,
		ChunkTimeout:     5 * time.Minute,
		MaxConnections:   100_000,
		GRPCAddr:         "127.0.0.1:5446",
		MetricsAddr:      "127.0.0.1:5447",
		LogLevel:         "info",
	}
}

// LoadFile applies the INI file at path to c. Unknown keys are returned so
// the caller can warn about them.
func (c *Config) LoadFile(path string) (unused []string, err error) {
	f, err := ini.Load(path)
	if err != nil {
		return nil, err
	}
	r := &ini.Reader{F: f}
	r.Duration("STORE_LOG", "expire_files_hours", time.Hour, &c.FileExpiration)
	r.Bool("AUTH", "new_files", &c.NewFiles)
	r.String("AUTH", "create_password", &c.CreatePassword)
	r.List("TRANSPORT", "host", &c.Hosts)
	r.String("TRANSPORT", "port", &c.Port)
	r.String("TRANSPORT", "listen", &c.ListenAddr)
	r.String("FILES", "path", &c.FilesPath)
	if v, ok := f.Lookup("FILES", "storage_quota"); ok {
		q, err := xftp.ParseFileSize(v, 1<<62)
		if err != nil {
			r.Errs = append(r.Errs, fmt.Errorf("[FILES] storage_quota: %w", err))
		}
		c.Quota = q
	}
	r.Bool("INACTIVE_CLIENTS", "disconnect", &c.DisconnectInactive)
	r.Duration("INACTIVE_CLIENTS", "ttl", time.Second, &c.InactiveTTL)
	r.Duration("LIMITS", "handshake_timeout", time.Second, &c.HandshakeTimeout)
	r.Duration("LIMITS", "chunk_timeout", time.Second, &c.ChunkTimeout)
	r.Int("LIMITS", "max_connections", &c.MaxConnections)
	r.Bool("WEB", "enable", &c.Web)
	r.String("ADMIN", "grpc", &c.GRPCAddr)
	r.String("ADMIN", "metrics", &c.MetricsAddr)
	r.String("ADMIN", "log_level", &c.LogLevel)
	// Keys of the reference that have no meaning here are accepted silently.
	for _, k := range [][2]string{{"STORE_LOG", "enable"}, {"STORE_LOG", "store_files"}, {"STORE_LOG", "log_stats"},
		{"STORE_LOG", "prometheus_interval"}, {"STORE_LOG", "db_store_log"}, {"TRANSPORT", "log_tls_errors"},
		{"TRANSPORT", "control_port"}, {"INACTIVE_CLIENTS", "check_interval"}, {"WEB", "static_path"}} {
		f.Lookup(k[0], k[1])
	}
	return f.Unused(), r.Err()
}

// LoadEnv applies XFTP_SERVER_* environment variables (between the file and
// the flags in precedence).
func (c *Config) LoadEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	if v := getenv("XFTP_SERVER_HOSTS"); v != "" {
		c.Hosts = strings.Split(v, ",")
	}
	if v := getenv("XFTP_SERVER_NEW_FILES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("XFTP_SERVER_NEW_FILES: %w", err))
		}
		c.NewFiles = b
	}
	if v := getenv("XFTP_SERVER_QUOTA"); v != "" {
		q, err := xftp.ParseFileSize(v, 1<<62)
		if err != nil {
			errs = append(errs, fmt.Errorf("XFTP_SERVER_QUOTA: %w", err))
		}
		c.Quota = q
	}
	str("XFTP_SERVER_DATA_DIR", &c.DataDir)
	str("XFTP_SERVER_PORT", &c.Port)
	str("XFTP_SERVER_FILES_PATH", &c.FilesPath)
	str("XFTP_SERVER_CREATE_PASSWORD", &c.CreatePassword)
	str("XFTP_SERVER_GRPC_ADDR", &c.GRPCAddr)
	str("XFTP_SERVER_METRICS_ADDR", &c.MetricsAddr)
	str("XFTP_SERVER_LOG_LEVEL", &c.LogLevel)
	return errors.Join(errs...)
}

// Validate reports every invalid setting at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Hosts) == 0 {
		bad("no host configured")
	}
	if n, err := strconv.Atoi(c.Port); err != nil || n < 0 || n > 65535 {
		bad("bad port %q", c.Port)
	}
	if c.FilesPath == "" {
		bad("[FILES] path is required")
	}
	if c.Quota <= 0 {
		bad("[FILES] storage_quota must be positive")
	}
	if c.FileExpiration <= 0 {
		bad("expire_files_hours must be positive")
	}
	if c.HandshakeTimeout <= 0 || c.ChunkTimeout <= 0 {
		bad("timeouts must be positive")
	}
	if c.MaxConnections < 1 {
		bad("max_connections must be positive")
	}
	if c.DisconnectInactive && c.InactiveTTL <= 0 {
		bad("[INACTIVE_CLIENTS] ttl must be positive")
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
	return c
}

// CACertPath and the functions below name the files in the config and data
// directories.
func (c *Config) CACertPath() string      { return filepath.Join(c.ConfigDir, "ca.crt") }
func (c *Config) CAKeyPath() string       { return filepath.Join(c.ConfigDir, "ca.key") }
func (c *Config) ServerCertPath() string  { return filepath.Join(c.ConfigDir, "server.crt") }
func (c *Config) ServerKeyPath() string   { return filepath.Join(c.ConfigDir, "server.key") }
func (c *Config) FingerprintPath() string { return filepath.Join(c.ConfigDir, "fingerprint") }
func (c *Config) IniPath() string         { return filepath.Join(c.ConfigDir, FileName) }
func (c *Config) StorePath() string       { return filepath.Join(c.DataDir, "xftp.db") }

// Exists reports whether path exists.
func Exists(path string) bool { _, err := os.Stat(path); return err == nil }
