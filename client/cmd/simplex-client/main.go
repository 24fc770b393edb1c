// Command simplex-client is a minimal SimpleX terminal client over package
// agent: one profile directory holds the configuration and the encrypted
// state.
//
//	simplex-client -profile DIR init -server smp://... -name NAME
//	simplex-client -profile DIR invite ALIAS        print a one-time link
//	simplex-client -profile DIR address             print the contact address
//	simplex-client -profile DIR join ALIAS LINK     accept a link or address
//	simplex-client -profile DIR send ALIAS TEXT     send a message
//	simplex-client -profile DIR listen              receive until interrupted
//	                                                (contact requests are accepted)
//	simplex-client -profile DIR contacts            list contacts
//	simplex-client -profile DIR push register -ntf ntf://... -token HEX -fake-apns URL
//	                                                register a device token, subscribe contacts
//	simplex-client -profile DIR push wait [-fetch]  decrypt the next message push
//	simplex-client -profile DIR file send -xftp xftp://... ALIAS PATH
//	simplex-client -profile DIR file receive [-out DIR]
//
// The passphrase of the state is read from $SIMPLEX_PASSPHRASE or from
// the file given with -passphrase-file. Only one command may use a
// profile at a time (the state file is locked).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simplex-client:", err)
		os.Exit(1)
	}
}
