package main

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/simplexgo/services/ntf-server/internal/apns"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/config"
)

// cmdFakeAPNs runs the fake APNs of package apnsfake until interrupted,
// logging each request (device tokens shortened). Point ntf-server at it
// with [APNS] *_url = the printed URL and ca_file = --cert-out.
func cmdFakeAPNs(args []string) error {
	fs := flag.NewFlagSet("ntf-server fake-apns", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on")
	keyFile := fs.String("key-file", "", "the .p8 key whose public half verifies the JWTs (required)")
	keyID := fs.String("key-id", "", "expected key id (kid)")
	teamID := fs.String("team-id", config.DefaultTeamID, "expected team id (iss)")
	topic := fs.String("topic", config.DefaultTopic, "expected apns-topic")
	certOut := fs.String("cert-out", "", "write the fake's TLS certificate (PEM) here, for [APNS] ca_file")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *keyFile == "" || *keyID == "" {
		return usageError{fmt.Errorf("--key-file and --key-id are required")}
	}
	key, err := apns.LoadKey(*keyFile)
	if err != nil {
		return err
	}
	f, err := apnsfake.Start(*listen, apnsfake.Config{Key: &key.PublicKey, KeyID: *keyID, TeamID: *teamID, Topic: *topic})
	if err != nil {
		return err
	}
	defer f.Close()
	if *certOut != "" {
		if err := os.WriteFile(*certOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.CertDER()}), 0o644); err != nil {
			return err
		}
	}
	fmt.Println(f.URL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for n := 1; ; n++ {
		ps, err := f.Wait(ctx, n)
		if err != nil {
			return nil
		}
		p := ps[n-1]
		tok := p.DeviceToken
		if len(tok) > 8 {
			tok = tok[:8] + "…"
		}
		fmt.Fprintf(os.Stderr, "push %d: token %s type %s priority %q %d bytes → %d %s\n", n, tok, p.PushType, p.Priority, len(p.Body), p.Status, p.Reason)
	}
}
