package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/simplexgo/services/smp-relay/internal/config"
)

// commonFlags are the flags every command shares; values set on the command
// line win over the environment and the INI file.
type commonFlags struct {
	fs        *flag.FlagSet
	configDir string
	dataDir   string
	hosts     string
	ports     string
	natsURL   string
	embedNATS bool
	natsLstn  string
	grpcAddr  string
	metrics   string
	logLevel  string
}

func newFlags(name string) *commonFlags {
	f := &commonFlags{fs: flag.NewFlagSet("smp-relay "+name, flag.ContinueOnError)}
	f.fs.StringVar(&f.configDir, "config-dir", "", "directory of certificates and smp-server.ini (default: --data, else /etc/opt/simplex)")
	f.fs.StringVar(&f.dataDir, "data", "", "data directory for smp.db (default: --config-dir, else /var/opt/simplex)")
	f.fs.StringVar(&f.hosts, "host", "", "advertised host names, comma-separated (.onion allowed)")
	f.fs.StringVar(&f.ports, "port", "", "ports to listen on, comma-separated (default 5223)")
	f.fs.StringVar(&f.natsURL, "nats", "", "NATS URL for notifier events (optional)")
	f.fs.BoolVar(&f.embedNATS, "embedded-nats", false, "run an embedded NATS server for notifier events")
	f.fs.StringVar(&f.natsLstn, "nats-listen", "", "client address of the embedded NATS server (default: in-process only)")
	f.fs.StringVar(&f.grpcAddr, "grpc", "", "gRPC health/admin address (default 127.0.0.1:5226; \"off\" disables)")
	f.fs.StringVar(&f.metrics, "metrics", "", "Prometheus /metrics address (default 127.0.0.1:5227; \"off\" disables)")
	f.fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	return f
}

func (f *commonFlags) dirs() (configDir, dataDir string) {
	configDir, dataDir = f.configDir, f.dataDir
	if configDir == "" {
		configDir = os.Getenv("SMP_RELAY_CONFIG_DIR")
	}
	switch {
	case configDir == "" && dataDir == "":
		return "/etc/opt/simplex", "/var/opt/simplex"
	case configDir == "":
		return dataDir, dataDir
	case dataDir == "":
		return configDir, configDir
	}
	return configDir, dataDir
}

// load builds the configuration: defaults, then the INI file (if present),
// then SMP_RELAY_* environment, then flags.
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
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "host":
			c.Hosts = splitList(f.hosts)
		case "port":
			c.Ports = splitList(f.ports)
		case "nats":
			c.NATSURL = f.natsURL
		case "embedded-nats":
			c.EmbeddedNATS = f.embedNATS
		case "nats-listen":
			c.NATSListen = f.natsLstn
		case "grpc":
			c.GRPCAddr = offIsEmpty(f.grpcAddr)
		case "metrics":
			c.MetricsAddr = offIsEmpty(f.metrics)
		case "log-level":
			c.LogLevel = f.logLevel
		}
	})
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
