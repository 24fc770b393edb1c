package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/simplexgo/services/ntf-server/internal/config"
)

// commonFlags are the flags every command shares; values set on the command
// line win over the environment and the INI file.
type commonFlags struct {
	fs        *flag.FlagSet
	configDir string
	dataDir   string
	hosts     string
	ports     string
	grpcAddr  string
	metrics   string
	logLevel  string
	fakeAPNs  string
	natsURL   string
}

func newFlags(name string) *commonFlags {
	f := &commonFlags{fs: flag.NewFlagSet("ntf-server "+name, flag.ContinueOnError)}
	f.fs.StringVar(&f.configDir, "config-dir", "", "directory of certificates and ntf-server.ini (default: --data, else /etc/opt/simplex-notifications)")
	f.fs.StringVar(&f.dataDir, "data", "", "data directory for ntf.db (default: --config-dir, else /var/opt/simplex-notifications)")
	f.fs.StringVar(&f.hosts, "host", "", "advertised host names, comma-separated")
	f.fs.StringVar(&f.ports, "port", "", "ports to listen on, comma-separated (default 443)")
	f.fs.StringVar(&f.grpcAddr, "grpc", "", "gRPC health/admin address (default 127.0.0.1:5228; \"off\" disables)")
	f.fs.StringVar(&f.metrics, "metrics", "", "Prometheus /metrics address (default 127.0.0.1:5229; \"off\" disables)")
	f.fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	f.fs.StringVar(&f.natsURL, "nats", "", "NATS URL of smp-relay notifier events (optional fast path; \"off\" disables)")
	f.fs.StringVar(&f.fakeAPNs, "fake-apns", "", "on: send every push to a built-in fake APNs (local runs)")
	return f
}

func (f *commonFlags) dirs() (configDir, dataDir string) {
	configDir, dataDir = f.configDir, f.dataDir
	if configDir == "" {
		configDir = os.Getenv("NTF_SERVER_CONFIG_DIR")
	}
	switch {
	case configDir == "" && dataDir == "":
		return "/etc/opt/simplex-notifications", "/var/opt/simplex-notifications"
	case configDir == "":
		return dataDir, dataDir
	case dataDir == "":
		return configDir, configDir
	}
	return configDir, dataDir
}

// load builds the configuration: defaults, the INI file (if present), the
// environment, then flags.
func (f *commonFlags) load() (config.Config, []string, error) {
	c := config.Defaults()
	c.ConfigDir, c.DataDir = f.dirs()
	var unused []string
	if config.Exists(c.IniPath()) {
		var err error
		if unused, err = c.LoadFile(c.IniPath()); err != nil {
			return c, nil, err
		}
	}
	if err := c.LoadEnv(os.Getenv); err != nil {
		return c, nil, err
	}
	var errs []string
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "host":
			c.Hosts = splitList(f.hosts)
		case "port":
			c.Ports = splitList(f.ports)
		case "grpc":
			c.GRPCAddr = offIsEmpty(f.grpcAddr)
		case "metrics":
			c.MetricsAddr = offIsEmpty(f.metrics)
		case "nats":
			c.NATSURL = offIsEmpty(f.natsURL)
		case "log-level":
			c.LogLevel = f.logLevel
		case "fake-apns":
			switch f.fakeAPNs {
			case "on", "true", "1":
				c.FakeAPNs = true
			case "off", "false", "0":
				c.FakeAPNs = false
			default:
				errs = append(errs, "--fake-apns: on or off")
			}
		}
	})
	if len(errs) > 0 {
		return c, nil, usageError{fmt.Errorf("%s", strings.Join(errs, "\n"))}
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
