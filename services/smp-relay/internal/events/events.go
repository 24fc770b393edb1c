// Package events publishes smp-relay's notifier events on NATS for the
// fleet's NTF server (the fast path next to NSUB; see DESIGN.md). Subjects
// and payloads are defined in proto/simplexgo/events/v1. When NATS is off
// the server uses Nop and nothing depends on it.
package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/simplexgo/proto/simplexgo/events/v1"
)

// Publisher receives the relay's notifier events. Implementations must not
// block the caller for long: events are best effort (NSUB stays the
// protocol path, and the NTF server resubscribes after any gap).
type Publisher interface {
	NotifierMessage(notifierID, nonce, encMeta []byte, ts time.Time)
	NotifierEnd(notifierID []byte, deleted bool)
	Close() error
}

// Nop is the Publisher used when NATS is off.
type Nop struct{}

func (Nop) NotifierMessage([]byte, []byte, []byte, time.Time) {}
func (Nop) NotifierEnd([]byte, bool)                          {}
func (Nop) Close() error                                      { return nil }

// NATS publishes protobuf events on core NATS subjects under the server's
// identity. Publishing is asynchronous in nats.go (buffered), so SEND
// never waits on NATS.
type NATS struct {
	nc      *nats.Conn
	keyHash []byte
	log     *slog.Logger
	embed   *natsserver.Server
}

// Connect dials url and returns a publisher for the server identified by
// keyHash (its address fingerprint).
func Connect(url string, keyHash []byte, log *slog.Logger) (*NATS, error) {
	nc, err := nats.Connect(url, nats.Name("smp-relay"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("events: connect to NATS: %w", err)
	}
	return &NATS{nc: nc, keyHash: keyHash, log: log}, nil
}

// StartEmbedded runs an in-process nats-server with JetStream storing under
// dir, listening on listen ("" = in-process only) and returns its client URL.
func StartEmbedded(ctx context.Context, dir, listen string) (*natsserver.Server, string, error) {
	opts := &natsserver.Options{
		ServerName: "smp-relay-embedded",
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: listen == "",
	}
	if listen != "" {
		host, port, err := splitHostPort(listen)
		if err != nil {
			return nil, "", err
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		return nil, "", fmt.Errorf("events: embedded NATS: %w", err)
	}
	go ns.Start()
	deadline, ok := ctx.Deadline()
	wait := 10 * time.Second
	if ok {
		wait = time.Until(deadline)
	}
	if !ns.ReadyForConnections(wait) {
		ns.Shutdown()
		return nil, "", fmt.Errorf("events: embedded NATS not ready")
	}
	return ns, ns.ClientURL(), nil
}

// ConnectEmbedded connects to an embedded server in process.
func ConnectEmbedded(ns *natsserver.Server, keyHash []byte, log *slog.Logger) (*NATS, error) {
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns), nats.Name("smp-relay"))
	if err != nil {
		return nil, fmt.Errorf("events: connect to embedded NATS: %w", err)
	}
	return &NATS{nc: nc, keyHash: keyHash, log: log, embed: ns}, nil
}

func (p *NATS) publish(subject string, m proto.Message) {
	b, err := proto.Marshal(m)
	if err == nil {
		err = p.nc.Publish(subject, b)
	}
	if err != nil {
		p.log.Debug("EventPublishFailed", "subject", subject, "err", err)
	}
}

// NotifierMessage publishes a "message arrived for notifier" event.
func (p *NATS) NotifierMessage(notifierID, nonce, encMeta []byte, ts time.Time) {
	p.publish(eventsv1.NotifierMessageSubject(p.keyHash), &eventsv1.NotifierMessage{
		ServerKeyHash:    p.keyHash,
		NotifierId:       notifierID,
		Nonce:            nonce,
		EncryptedMeta:    encMeta,
		TimestampSeconds: ts.Unix(),
	})
}

// NotifierEnd publishes the end (deleted=false) or deletion of a notifier.
func (p *NATS) NotifierEnd(notifierID []byte, deleted bool) {
	now := time.Now().Unix()
	if deleted {
		p.publish(eventsv1.NotifierDeletedSubject(p.keyHash), &eventsv1.NotifierDeleted{
			ServerKeyHash: p.keyHash, NotifierId: notifierID, TimestampSeconds: now,
		})
		return
	}
	p.publish(eventsv1.NotifierEndSubject(p.keyHash), &eventsv1.NotifierEnd{
		ServerKeyHash: p.keyHash, NotifierId: notifierID, TimestampSeconds: now,
	})
}

// Close flushes and closes the connection (and the embedded server, if
// this publisher owns one).
func (p *NATS) Close() error {
	err := p.nc.Drain()
	if p.embed != nil {
		p.embed.Shutdown()
		p.embed.WaitForShutdown()
	}
	return err
}
