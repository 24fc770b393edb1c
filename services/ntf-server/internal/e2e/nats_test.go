package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/natsfeed"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

// TestNATSFastPath: with smp-relay publishing notifier events on (its
// embedded) NATS, a notification reaches the NTF server both over NSUB and
// over NATS; exactly one push goes out and it decrypts as usual.
func TestNATSFastPath(t *testing.T) {
	natsPort := freePort(t)
	r := startRelay(t, "--embedded-nats", "--nats-listen", "127.0.0.1:"+strconv.Itoa(natsPort))
	s := newStack(t)
	feed, err := natsfeed.Start(natsfeed.Options{URL: fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
		Resolve: s.sub.ServerByKeyHash, OnNMSG: s.srv.HandleNMSGs, Metrics: s.m})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	c := s.dial()
	d, _ := ntftest.NewDevice(ntf.ProviderAPNSTest, devToken)
	if _, err := d.Register(c); err != nil {
		t.Fatal(err)
	}
	_, code, _ := d.Decrypt(s.waitPushes(1)[0].Body)
	send(t, c, &d.VerifyKey, d.TokenID, ntf.TVFY{Code: code})
	q := newQueue(t, r)
	sub := send(t, c, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: r.addr, NotifierID: q.nid.NotifierID, NotifierKey: q.nKey}).(ntf.IDSUB)
	eventually(t, "ACTIVE", func() bool {
		return send(t, c, &d.VerifyKey, sub.SubID, ntf.SCHK{}).(ntf.SUB).Status.Code == ntf.SubActive
	})
	msgID := q.sendNtf(t, "via NATS too")
	checkPush(t, d, q, r.addr.String(), s.waitPushes(2)[1], msgID)
	eventually(t, "second copy", func() bool { return metrics.ByLabel(s.m.NtfsReceived, "outcome")["duplicate"] == 1 })
	time.Sleep(50 * time.Millisecond)
	if n := len(s.fake.Pushes()); n != 2 {
		t.Fatalf("%d pushes, want 2 (verification + one message)", n)
	}
}
