package events

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/simplexgo/proto/simplexgo/events/v1"
)

// TestEmbeddedPublish runs the real nats-server in process and checks that a
// subscriber on the fleet-wide filter receives the protobuf event.
func TestEmbeddedPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, _, err := StartEmbedded(ctx, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	keyHash := bytes.Repeat([]byte{7}, 32)
	pub, err := ConnectEmbedded(ns, keyHash, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ch := make(chan *nats.Msg, 4)
	if _, err := sub.ChanSubscribe(eventsv1.AllNotifierSubjects, ch); err != nil {
		t.Fatal(err)
	}
	sub.Flush()
	nid, nonce, meta := []byte("notifier-id-24-bytes-xxx"), bytes.Repeat([]byte{1}, 24), bytes.Repeat([]byte{2}, 144)
	pub.NotifierMessage(nid, nonce, meta, time.Unix(1700000000, 0))
	pub.NotifierEnd(nid, true)
	pub.nc.Flush()

	m := <-ch
	if m.Subject != eventsv1.NotifierMessageSubject(keyHash) {
		t.Fatalf("subject %s", m.Subject)
	}
	var ev eventsv1.NotifierMessage
	if err := proto.Unmarshal(m.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ev.NotifierId, nid) || !bytes.Equal(ev.Nonce, nonce) || !bytes.Equal(ev.EncryptedMeta, meta) || ev.TimestampSeconds != 1700000000 {
		t.Fatalf("event %+v", &ev)
	}
	if m := <-ch; m.Subject != eventsv1.NotifierDeletedSubject(keyHash) {
		t.Fatalf("second subject %s", m.Subject)
	}
}
