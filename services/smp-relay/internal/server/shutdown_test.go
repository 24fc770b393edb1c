package server

import (
	"context"
	"testing"
	"time"

	"github.com/simplexgo/protocol/smp"
)

// TestShutdownDrains: Shutdown closes subscribed and idle connections
// without waiting for its deadline, clients see the connection end, and
// readiness reports draining.
func TestShutdownDrains(t *testing.T) {
	ts := startServer(t, "", nil, func(o *Options) { o.IdleTimeout = time.Hour })
	sub, idle := dial(t, ts), dial(t, ts)
	q := sub.newQueue(true)
	expectOK(t, sub.cmd(q.sid, nil, smp.SEND{Body: []byte("x")}))
	expectMsg(t, sub.event().msg)
	if _, ok := idle.cmd(nil, nil, smp.PING{}).(smp.PONG); !ok {
		t.Fatal("PING")
	}
	ts.cancel()
	<-ts.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	if !ts.srv.Draining() {
		t.Fatal("not draining")
	}
	for _, c := range []*tclient{sub, idle} {
		select {
		case _, ok := <-c.events:
			for ok {
				_, ok = <-c.events
			}
		case <-time.After(5 * time.Second):
			t.Fatal("client connection not closed")
		}
	}
}
