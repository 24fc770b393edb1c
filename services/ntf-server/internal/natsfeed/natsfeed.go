// Package natsfeed is the optional fast path for notifications inside one
// operator's fleet: it consumes the NotifierMessage events smp-relay
// publishes on NATS (subject smp.v1.<server-id>.ntf.msg, payload
// proto/simplexgo/events/v1) and hands them to the same callback as NMSG
// received over NSUB. NSUB stays the protocol path (it works with any SMP
// server); the server drops the second copy of a notification that arrives
// both ways (same notifier id and nonce).
package natsfeed

import (
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/simplexgo/proto/simplexgo/events/v1"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/subscriber"
)

// MessageSubjects matches the NotifierMessage events of every SMP server.
const MessageSubjects = "smp.v1.*.ntf.msg"

// Options configure a Feed.
type Options struct {
	URL string
	// Resolve returns the address of a subscribed SMP server by its key
	// hash; events of other servers are ignored.
	Resolve func(keyHash []byte) (address.ServerAddress, bool)
	OnNMSG  subscriber.NMSGFunc
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

// Feed is a NATS subscription to the notifier messages.
type Feed struct {
	nc  *nats.Conn
	sub *nats.Subscription
	o   Options
}

// Start connects to NATS (reconnecting forever) and subscribes.
func Start(o Options) (*Feed, error) {
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	nc, err := nats.Connect(o.URL, nats.Name("ntf-server"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("natsfeed: connect: %w", err)
	}
	f := &Feed{nc: nc, o: o}
	if f.sub, err = nc.Subscribe(MessageSubjects, f.handle); err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsfeed: subscribe: %w", err)
	}
	if err := nc.Flush(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsfeed: flush: %w", err)
	}
	return f, nil
}

// Handle processes one event payload (exported for tests and fuzzing).
func (f *Feed) Handle(data []byte) { f.handle(&nats.Msg{Data: data}) }

func (f *Feed) handle(m *nats.Msg) {
	var ev eventsv1.NotifierMessage
	count := f.o.Metrics.NtfsReceived
	if err := proto.Unmarshal(m.Data, &ev); err != nil || len(ev.Nonce) != 24 || len(ev.NotifierId) == 0 ||
		len(ev.NotifierId) > 255 || len(ev.EncryptedMeta) > 255 {
		count.WithLabelValues("nats_invalid").Inc()
		return
	}
	srv, ok := f.o.Resolve(ev.ServerKeyHash)
	if !ok {
		count.WithLabelValues("nats_unknown_server").Inc()
		return
	}
	n := ntf.PNMessageData{Queue: ntf.QueueNtf{Server: srv, NotifierID: ev.NotifierId}, EncMeta: ev.EncryptedMeta}
	copy(n.Nonce[:], ev.Nonce)
	f.o.OnNMSG([]ntf.PNMessageData{n})
}

// Close unsubscribes and disconnects.
func (f *Feed) Close() {
	f.sub.Unsubscribe()
	f.nc.Close()
}
