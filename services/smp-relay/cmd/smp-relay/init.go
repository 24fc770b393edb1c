package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/services/smp-relay/internal/config"
)

// cmdInit creates the server identity and configuration, as
// `smp-server init` does: an offline CA (whose hash is the address
// fingerprint), an online TLS certificate signed by it, and smp-server.ini.
func cmdInit(args []string) error {
	f := newFlags("init")
	password := f.fs.String("password", "auto", `queue-creation password: "auto" (random, as the reference), "none", or the password`)
	caAlg := f.fs.String("sign-algorithm", "ED25519", "CA key algorithm: ED25519 or ED448 (the TLS certificate is always Ed25519)")
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
	switch *password {
	case "auto":
		b := make([]byte, 24)
		rand.Read(b)
		c.CreatePassword = strings.TrimRight(encoding.B64URL(b), "=")
	case "none", "":
		c.CreatePassword = ""
	default:
		c.CreatePassword = *password
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
	alg := crypto.Ed25519
	switch strings.ToUpper(*caAlg) {
	case "ED25519":
	case "ED448":
		alg = crypto.Ed448
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
	}, alg, "SMP server CA", c.Hosts[0], rand.Reader)
	if err != nil {
		return err
	}
	err = os.WriteFile(c.IniPath(), []byte(iniContent(c)), 0o600)
	if err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	fmt.Printf("Configuration written to %s\n", c.ConfigDir)
	fmt.Printf("The CA key %s is only needed to issue new TLS certificates: store it offline.\n", c.CAKeyPath())
	fmt.Printf("Server address: %s\n", serverAddress(c, fp))
	return nil
}

func serverAddress(c config.Config, fp []byte) string {
	a := address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: fp, BasicAuth: c.CreatePassword, Hosts: c.Hosts}
	if len(c.Ports) > 0 && c.Ports[0] != address.DefaultSMPPort {
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
		fmt.Printf("note: %s is not used by smp-relay\n", k)
	}
	if _, err := certs.LoadServerIdentity(c.CACertPath(), c.ServerCertPath(), c.ServerKeyPath()); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	fmt.Println("configuration OK")
	return nil
}

// iniContent writes smp-server.ini with the reference's sections and keys
// that apply here, plus ours.
func iniContent(c config.Config) string {
	var b strings.Builder
	pw := "create_password = " + c.CreatePassword
	if c.CreatePassword == "" {
		pw = "# create_password ="
	}
	fmt.Fprintf(&b, `# smp-relay configuration. Keys of the reference smp-server.ini that apply
# are honoured; see README.md. Flags and SMP_RELAY_* environment override.

[STORE_LOG]
# Messages and notifications expiration periods.
expire_messages_days = %d
expire_ntfs_hours = %d

[AUTH]
# Set new_queues to off to prohibit creating new queues.
new_queues = on
# Password to create queues; it is part of the server address given to users:
# smp://fingerprint:password@host
%s

[TRANSPORT]
# Host is only used to print the server address.
host = %s
port = %s

[INACTIVE_CLIENTS]
disconnect = on
ttl = %d
check_interval = %d

[PROXY]
# Private routing: relay senders' messages to other servers (PRXY/PFWD).
# The reference always does; enable = off refuses it. Onion-only servers
# cannot be reached (no SOCKS proxy support).
enable = %s
client_concurrency = %d
# Destinations on loopback, private or link-local addresses are refused
# unless this is on (a client chooses where the relay connects).
allow_private = %s
# Destination relays connected at once (clients choose them).
max_relays = %d

[LIMITS]
quota = %d
max_connections = %d
send_queue_blocks = %d
handshake_timeout = %d

[NATS]
# url = nats://127.0.0.1:4222
embedded = off
# listen = 127.0.0.1:4222

[ADMIN]
grpc = %s
metrics = %s
log_level = info
`, int(c.MsgExpiration.Hours()/24), int(c.NtfExpiration.Hours()), pw,
		strings.Join(c.Hosts, ", "), strings.Join(c.Ports, ","),
		int(c.InactiveTTL.Seconds()), int(c.InactiveCheck.Seconds()),
		onOff(c.ProxyEnabled), c.ProxyConcurrency, onOff(c.ProxyPrivate), c.ProxyMaxRelays,
		c.Quota, c.MaxConnections, c.SendQueueBlocks, int(c.HandshakeTimeout.Seconds()),
		c.GRPCAddr, c.MetricsAddr)
	return b.String()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
