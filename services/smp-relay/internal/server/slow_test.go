package server

import (
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/smp-relay/internal/metrics"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
)

// stuckWire never finishes a write, like a peer that stopped reading.
type stuckWire struct {
	memWire
	closed chan struct{}
}

func (w *stuckWire) writeTransmissions([][]byte, time.Duration) (int, error) {
	<-w.closed
	return 0, errClosedTest
}
func (w *stuckWire) close() {
	select {
	case <-w.closed:
	default:
		close(w.closed)
	}
}

var errClosedTest = &transportClosed{}

type transportClosed struct{}

func (*transportClosed) Error() string { return "closed" }

// TestSlowConsumerDropped: events for a connection whose writes do not
// complete pile up to the bound, then the connection is closed and
// counted; nothing is buffered without limit.
func TestSlowConsumerDropped(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "smp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Options{Identity: testIdentity(t), Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	w := &stuckWire{memWire: memWire{s: &transport.Session{Version: 14, SessionKey: sk}}, closed: make(chan struct{})}
	c := srv.newClient(w)
	c.mu.Lock()
	c.ntfSubs["n"] = struct{}{}
	c.mu.Unlock()
	for range 3 * (minEventQueue + maxNtfEventsPerSub) {
		c.mu.Lock()
		c.pushLocked(out{entityID: []byte("n"), msg: smp.NMSG{Nonce: make([]byte, 24), EncMeta: make([]byte, 144)}})
		c.mu.Unlock()
	}
	select {
	case <-w.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("slow consumer not dropped")
	}
	<-c.dead
	c.mu.Lock()
	n := len(c.events)
	c.mu.Unlock()
	if n > minEventQueue+maxNtfEventsPerSub {
		t.Fatalf("%d events queued past the bound", n)
	}
	if got := metrics.LabelValues(srv.Metrics().ClientsDropped)["slow"]; got != 1 {
		t.Fatalf("slow drops counted %v", got)
	}
}
