package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/config"
)

// commonFlags are the flags every command shares; values set on the command
// line win over the environment and the INI file.
type commonFlags struct {
	fs        *flag.FlagSet
	configDir string
	dataDir   string
	hosts     string
	port      string
	path      string
	quota     string
	web       bool
	grpcAddr  string
	metrics   string
	logLevel  string
}

func newFlags(name string) *commonFlags {
	f := &commonFlags{fs: flag.NewFlagSet("xftp-server "+name, flag.ContinueOnError)}
	f.fs.StringVar(&f.configDir, "config-dir", "", "directory of certificates and file-server.ini (default: --data, else /etc/opt/simplex-xftp)")
	f.fs.StringVar(&f.dataDir, "data", "", "data directory for xftp.db (default: --config-dir, else /var/opt/simplex-xftp)")
	f.fs.StringVar(&f.hosts, "host", "", "advertised host names, comma-separated")
	f.fs.StringVar(&f.port, "port", "", "port to listen on (default 443)")
	f.fs.StringVar(&f.path, "path", "", "directory of stored chunks (init default: <data>/files)")
	f.fs.StringVar(&f.quota, "quota", "", "storage quota, e.g. 1gb, 512mb (init default: 1gb)")
	f.fs.BoolVar(&f.web, "web", false, "serve browsers: web handshake and CORS on SNI connections")
	f.fs.StringVar(&f.grpcAddr, "grpc", "", "gRPC health/admin address (default 127.0.0.1:5446; \"off\" disables)")
	f.fs.StringVar(&f.metrics, "metrics", "", "Prometheus /metrics address (default 127.0.0.1:5447; \"off\" disables)")
	f.fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	return f
}

func (f *commonFlags) dirs() (configDir, dataDir string) {
	configDir, dataDir = f.configDir, f.dataDir
	if configDir == "" {
		configDir = os.Getenv("XFTP_SERVER_CONFIG_DIR")
	}
	switch {
	case configDir == "" && dataDir == "":
		return "/etc/opt/simplex-xftp", "/var/opt/simplex-xftp"
	case configDir == "":
		return dataDir, dataDir
	case dataDir == "":
		return configDir, configDir
	}
	return configDir, dataDir
}

// apply sets the flags that were given on c.
func (f *commonFlags) apply(c *config.Config) error {
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "host":
			c.Hosts = splitList(f.hosts)
		case "port":
			c.Port = f.port
		case "path":
			c.FilesPath = f.path
		case "quota":
			var q int64
			if q, err = xftp.ParseFileSize(strings.ToLower(f.quota), 1<<62); err == nil {
				c.Quota = q
			}
		case "web":
			c.Web = f.web
		case "grpc":
			c.GRPCAddr = offIsEmpty(f.grpcAddr)
		case "metrics":
			c.MetricsAddr = offIsEmpty(f.metrics)
		case "log-level":
			c.LogLevel = f.logLevel
		}
	})
	return err
}

// load builds the configuration: defaults, then the INI file (which must
// exist), then XFTP_SERVER_* environment, then flags.
func (f *commonFlags) load() (config.Config, []string, error) {
	c := config.Defaults()
	c.ConfigDir, c.DataDir = f.dirs()
	if !config.Exists(c.IniPath()) {
		return c, nil, fmt.Errorf("%s does not exist: run `xftp-server init` first", c.IniPath())
	}
	unused, err := c.LoadFile(c.IniPath())
	if err != nil {
		return c, nil, err
	}
	if err := c.LoadEnv(os.Getenv); err != nil {
		return c, nil, err
	}
	if err := f.apply(&c); err != nil {
		return c, nil, usageError{err}
	}
	if err := c.Validate(); err != nil {
		return c, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, unused, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func offIsEmpty(s string) string {
	if s == "off" {
		return ""
	}
	return s
}
