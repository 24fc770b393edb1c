package rpc

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/server"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
	"github.com/simplexgo/services/ntf-server/internal/store/storetest"
)

type nopPusher struct{}

func (nopPusher) Push(context.Context, push.Notification) error { return nil }

func TestAdmin(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ntf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "ca", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := push.NewDispatcher(nopPusher{}, push.DispatcherOptions{})
	defer d.Close(context.Background())
	srv, err := server.New(server.Options{Identity: server.Identity{Certificate: id.TLS, SignKey: id.LeafKey, KeyHash: id.Fingerprint}, Store: st, Pushes: d})
	if err != nil {
		t.Fatal(err)
	}
	tk := storetest.NewToken(t, []byte("token-id-000000000000000"), "abcd")
	tk.Status = ntf.TokenStatus{Code: ntf.TokenInvalid, Reason: ntf.ReasonUnregistered}
	tk.CronMinutes = 30
	if err := st.AddToken(tk); err != nil {
		t.Fatal(err)
	}
	a := &Admin{Srv: srv, KeyHash: id.Fingerprint, Version: "test"}
	ts, err := a.GetToken(context.Background(), &adminv1.EntityRequest{Id: tk.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !ts.Exists || ts.State != adminv1.TokenState_TOKEN_STATE_INVALID || ts.InvalidReason != "UNREGISTERED" ||
		ts.PushProvider != "AT" || ts.CronIntervalMinutes != 30 {
		t.Fatalf("GetToken = %v", ts)
	}
	if ts, _ := a.GetToken(context.Background(), &adminv1.EntityRequest{Id: []byte("x")}); ts.Exists {
		t.Fatal("missing token exists")
	}
	if ss, _ := a.GetSubscription(context.Background(), &adminv1.EntityRequest{Id: []byte("x")}); ss.Exists {
		t.Fatal("missing subscription exists")
	}
	stats, err := a.GetStats(context.Background(), &adminv1.GetStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.TokensActive != 1 || string(stats.Server.KeyHash) != string(id.Fingerprint) {
		t.Fatalf("GetStats = %v", stats)
	}
}
