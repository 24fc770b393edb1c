// Command ntf-server is the SimpleX push notification server (APNs).
//
//	ntf-server init       create certificates and ntf-server.ini, print the address
//	ntf-server start      serve
//	ntf-server address    print the server address
//	ntf-server check-config
//	ntf-server fake-apns  run a local fake APNs (tests, local runs)
//	ntf-server version
package main

import (
	"errors"
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ntf-server:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

const usage = `usage: ntf-server <command> [flags]

commands:
  init          create the CA and TLS certificates and ntf-server.ini; print the address
  start         start the server
  address       print the server address (ntf://fingerprint@host:port)
  check-config  validate the configuration and exit
  admin         stats, status, block, delete on the running server (gRPC admin API)
  fake-apns     run a fake APNs (HTTP/2 + TLS) that checks and records pushes
  version       print the version

Run "ntf-server <command> -h" for the flags of a command`

func run(args []string) error {
	if len(args) == 0 {
		return usageError{errors.New(usage)}
	}
	switch args[0] {
	case "init":
		return cmdInit(args[1:])
	case "start":
		return cmdStart(args[1:])
	case "address":
		return cmdAddress(args[1:])
	case "check-config":
		return cmdCheckConfig(args[1:])
	case "admin":
		return cmdAdmin(args[1:])
	case "fake-apns":
		return cmdFakeAPNs(args[1:])
	case "version", "--version", "-v":
		fmt.Println("ntf-server", version)
		return nil
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q\n%s", args[0], usage)}
}
