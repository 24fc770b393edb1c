package natsfeed

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/simplexgo/proto/simplexgo/events/v1"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
)

var keyHash = bytes.Repeat([]byte{7}, 32)

type call struct {
	srv   address.ServerAddress
	nid   []byte
	nonce [24]byte
	meta  []byte
}

func newFeed(calls *[]call) *Feed {
	srv := address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: keyHash, Hosts: []string{"smp.example.com"}}
	return &Feed{o: Options{
		Resolve: func(kh []byte) (address.ServerAddress, bool) { return srv, bytes.Equal(kh, keyHash) },
		OnNMSG: func(ms []ntf.PNMessageData) {
			for _, m := range ms {
				*calls = append(*calls, call{m.Queue.Server, m.Queue.NotifierID, m.Nonce, m.EncMeta})
			}
		},
		Metrics: metrics.New(),
	}}
}

func event(t testing.TB, kh, nid, nonce, meta []byte) []byte {
	b, err := proto.Marshal(&eventsv1.NotifierMessage{ServerKeyHash: kh, NotifierId: nid, Nonce: nonce, EncryptedMeta: meta, TimestampSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandle: a NotifierMessage of a known server is passed on with its
// fields unchanged; unknown servers and malformed events are counted and
// dropped.
func TestHandle(t *testing.T) {
	var calls []call
	f := newFeed(&calls)
	nonce := bytes.Repeat([]byte{1}, 24)
	f.Handle(event(t, keyHash, []byte("nid"), nonce, []byte("meta")))
	if len(calls) != 1 || string(calls[0].nid) != "nid" || calls[0].nonce != [24]byte(nonce) || string(calls[0].meta) != "meta" ||
		calls[0].srv.Hosts[0] != "smp.example.com" {
		t.Fatalf("calls %+v", calls)
	}
	f.Handle(event(t, make([]byte, 32), []byte("nid"), nonce, nil))
	f.Handle(event(t, keyHash, []byte("nid"), nonce[:23], nil))
	f.Handle(event(t, keyHash, nil, nonce, nil))
	f.Handle([]byte{0xff, 0xff})
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	got := metrics.ByLabel(f.o.Metrics.NtfsReceived, "outcome")
	if got["nats_unknown_server"] != 1 || got["nats_invalid"] != 3 {
		t.Fatalf("counters %v", got)
	}
}

// FuzzHandle feeds arbitrary payloads: the callback only ever sees events
// of a known server with a 24-byte nonce and short fields, which re-encode
// to an equivalent event.
func FuzzHandle(f *testing.F) {
	f.Add(event(f, keyHash, []byte("nid"), bytes.Repeat([]byte{1}, 24), []byte("meta")))
	f.Add(event(f, keyHash, nil, nil, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var calls []call
		feed := newFeed(&calls)
		feed.Handle(data)
		for _, c := range calls {
			if len(c.nid) == 0 || len(c.nid) > 255 || len(c.meta) > 255 {
				t.Fatalf("bad call %+v", c)
			}
			var ev eventsv1.NotifierMessage
			if err := proto.Unmarshal(data, &ev); err != nil || !bytes.Equal(ev.NotifierId, c.nid) || !bytes.Equal(ev.Nonce, c.nonce[:]) {
				t.Fatal("callback does not match the event")
			}
		}
	})
}
