// Command smp-relay is the SMP message relay.
//
//	smp-relay init     create certificates and smp-server.ini, print the address
//	smp-relay start    serve
//	smp-relay address  print the server address
//	smp-relay check-config
//	smp-relay version
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
		fmt.Fprintln(os.Stderr, "smp-relay:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

const usage = `usage: smp-relay <command> [flags]

commands:
  init          create the CA and TLS certificates and smp-server.ini; print the address
  start         start the relay
  address       print the server address (smp://fingerprint@hosts:port)
  check-config  validate the configuration and exit
  admin         stats, status, block, delete on the running server (gRPC admin API)
  version       print the version

Run "smp-relay <command> -h" for the flags of a command`

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
	case "version", "--version", "-v":
		fmt.Println("smp-relay", version)
		return nil
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q\n%s", args[0], usage)}
}
