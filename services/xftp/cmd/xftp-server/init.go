package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/config"
)

// cmdInit creates the server identity and configuration, as `xftp-server
// init` does [FSM]: an offline CA (whose hash is the address fingerprint),
// an online Ed25519 TLS certificate signed by it, and file-server.ini.
// Unlike the reference, --path and --quota are optional: they default to
// <data>/files and 1gb.
func cmdInit(args []string) error {
	f := newFlags("init")
	password := f.fs.String("password", "none", `upload password: "none", "auto" (random) or the password`)
	caAlg := f.fs.String("sign-algorithm", "ED25519", "CA key algorithm: ED25519 or ED448 (the TLS certificate is always Ed25519)")
	force := f.fs.Bool("force", false, "overwrite an existing configuration")
	ifMissing := f.fs.Bool("if-missing", false, "do nothing, successfully, when a configuration exists (for init containers)")
	if err := f.fs.Parse(args); err != nil {
		return usageError{err}
	}
	c := config.Defaults()
	c.ConfigDir, c.DataDir = f.dirs()
	c.FilesPath = filepath.Join(c.DataDir, "files")
	if err := f.apply(&c); err != nil {
		return usageError{err}
	}
	if abs, err := filepath.Abs(c.FilesPath); err == nil {
		c.FilesPath = abs
	}
	switch *password {
	case "auto":
		b := make([]byte, 24)
		rand.Read(b)
		c.CreatePassword = strings.TrimRight(encoding.B64URL(b), "=")
	case "none", "":
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
	if *force {
		// Key files are written exclusively: remove the old identity first.
		for _, p := range []string{c.CACertPath(), c.CAKeyPath(), c.ServerCertPath(), c.ServerKeyPath(), c.FingerprintPath()} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	for _, d := range []string{c.ConfigDir, c.DataDir, c.FilesPath} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	fp, err := certs.CreateServerIdentity(certs.IdentityFiles{
		CACert: c.CACertPath(), CAKey: c.CAKeyPath(), ServerCert: c.ServerCertPath(), ServerKey: c.ServerKeyPath(),
		Fingerprint: c.FingerprintPath(),
	}, alg, "XFTP server CA", c.Hosts[0], rand.Reader)
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

// serverAddress is xftp://fingerprint[:password]@hosts[:port]; the port is
// omitted when it is the default 443 [FSM printServiceInfo].
func serverAddress(c config.Config, fp []byte) string {
	a := address.ServerAddress{Scheme: address.SchemeXFTP, KeyHash: fp, BasicAuth: c.CreatePassword, Hosts: c.Hosts}
	if c.Port != address.DefaultXFTPPort {
		a.Port = c.Port
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
		fmt.Printf("note: %s is not used by xftp-server\n", k)
	}
	if _, err := certs.LoadServerIdentity(c.CACertPath(), c.ServerCertPath(), c.ServerKeyPath()); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	fmt.Println("configuration OK")
	return nil
}

// iniContent writes file-server.ini with the reference's sections and keys
// that apply here, plus ours.
func iniContent(c config.Config) string {
	pw := "create_password = " + c.CreatePassword
	if c.CreatePassword == "" {
		pw = "# create_password ="
	}
	return fmt.Sprintf(`# xftp-server configuration. Keys of the reference file-server.ini that
# apply are honoured. Flags and XFTP_SERVER_* environment override.

[STORE_LOG]
# Expire files after the specified number of hours.
expire_files_hours = %d

[AUTH]
# Set new_files to off to prohibit uploading new files.
new_files = on
# Password to upload files; it is part of the server address given to senders:
# xftp://fingerprint:password@host
%s

[TRANSPORT]
# host is only used to print the server address.
host = %s
port = %s

[FILES]
path = %s
storage_quota = %s

[INACTIVE_CLIENTS]
disconnect = off
# ttl = %d

[LIMITS]
handshake_timeout = %d
chunk_timeout = %d
max_connections = %d

[WEB]
# Answer browsers (connections with SNI): web handshake and CORS headers.
enable = off

[ADMIN]
grpc = %s
metrics = %s
log_level = info
`, int(c.FileExpiration.Hours()), pw, strings.Join(c.Hosts, ", "), c.Port, c.FilesPath,
		xftp.FormatFileSize(c.Quota), int(c.InactiveTTL.Seconds()), int(c.HandshakeTimeout.Seconds()),
		int(c.ChunkTimeout.Seconds()), c.MaxConnections, c.GRPCAddr, c.MetricsAddr)
}
