// Package rpc serves ntf-server's gRPC API: the standard health service and
// the NTFAdmin service of proto/simplexgo/admin/v1. Device tokens and keys
// are never returned.
package rpc

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/server"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Admin implements NTFAdmin over a Server.
type Admin struct {
	adminv1.UnimplementedNTFAdminServer
	Srv       *server.Server
	KeyHash   []byte
	Version   string
	StartedAt time.Time
}

// Register adds the admin and health services to g and returns the health
// server so the caller can flip it to NOT_SERVING when draining.
func Register(g *grpc.Server, a *Admin) *health.Server {
	adminv1.RegisterNTFAdminServer(g, a)
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus(adminv1.NTFAdmin_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, h)
	return h
}

func u(v float64) uint64 { return uint64(v) }

// GetStats returns the server's counters and the store's gauges.
func (a *Admin) GetStats(_ context.Context, _ *adminv1.GetStatsRequest) (*adminv1.NTFStats, error) {
	m := a.Srv.Metrics()
	c, err := a.Srv.Store().Counts()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "store: %v", err)
	}
	tok := metrics.ByLabel(m.Tokens, "event")
	subs := metrics.ByLabel(m.Subscriptions, "event")
	var delivered, failed float64
	for _, out := range []string{"ok"} {
		delivered += metrics.ByLabel(m.Pushes, "outcome")[out]
	}
	for k, v := range metrics.ByLabel(m.Pushes, "outcome") {
		if k != "ok" {
			failed += v
		}
	}
	errs := map[string]uint64{}
	for k, v := range metrics.ByLabel(m.Errors, "code") {
		errs[k] = u(v)
	}
	var received float64
	for _, v := range metrics.ByLabel(m.NtfsReceived, "outcome") {
		received += v
	}
	return &adminv1.NTFStats{
		Server:                 &adminv1.ServerInfo{KeyHash: a.KeyHash, Version: a.Version, StartedAtSeconds: a.StartedAt.Unix()},
		ConnectionsAccepted:    u(metrics.Value(m.ConnectionsAccepted)),
		ConnectionsOpen:        u(metrics.Value(m.ConnectionsOpen)),
		TokensCreated:          u(tok["created"]),
		TokensVerified:         u(tok["verified"]),
		TokensDeleted:          u(tok["deleted"]),
		TokensActive:           uint64(c.Tokens),
		SubscriptionsCreated:   u(subs["created"]),
		SubscriptionsDeleted:   u(subs["deleted"]),
		SubscriptionsActive:    uint64(c.Subscriptions),
		NotificationsReceived:  u(received),
		NotificationsDelivered: u(delivered),
		NotificationsFailed:    u(failed),
		ErrorsByCode:           errs,
	}, nil
}

var tokenStates = map[ntf.TokenStatusCode]adminv1.TokenState{
	ntf.TokenNew:        adminv1.TokenState_TOKEN_STATE_NEW,
	ntf.TokenRegistered: adminv1.TokenState_TOKEN_STATE_REGISTERED,
	ntf.TokenInvalid:    adminv1.TokenState_TOKEN_STATE_INVALID,
	ntf.TokenConfirmed:  adminv1.TokenState_TOKEN_STATE_CONFIRMED,
	ntf.TokenActive:     adminv1.TokenState_TOKEN_STATE_ACTIVE,
	ntf.TokenExpired:    adminv1.TokenState_TOKEN_STATE_EXPIRED,
}

var subStates = map[ntf.SubStatusCode]adminv1.SubscriptionState{
	ntf.SubNew:      adminv1.SubscriptionState_SUBSCRIPTION_STATE_NEW,
	ntf.SubPending:  adminv1.SubscriptionState_SUBSCRIPTION_STATE_PENDING,
	ntf.SubActive:   adminv1.SubscriptionState_SUBSCRIPTION_STATE_ACTIVE,
	ntf.SubInactive: adminv1.SubscriptionState_SUBSCRIPTION_STATE_INACTIVE,
	ntf.SubEnd:      adminv1.SubscriptionState_SUBSCRIPTION_STATE_END,
	ntf.SubDeleted:  adminv1.SubscriptionState_SUBSCRIPTION_STATE_DELETED,
	ntf.SubAuth:     adminv1.SubscriptionState_SUBSCRIPTION_STATE_AUTH,
	ntf.SubService:  adminv1.SubscriptionState_SUBSCRIPTION_STATE_SERVICE,
	ntf.SubErr:      adminv1.SubscriptionState_SUBSCRIPTION_STATE_ERROR,
}

// GetToken returns a token's state (not its device token or keys).
func (a *Admin) GetToken(_ context.Context, r *adminv1.EntityRequest) (*adminv1.TokenStatus, error) {
	t, err := a.Srv.Store().GetToken(r.GetId())
	if errors.Is(err, store.ErrNotFound) {
		return &adminv1.TokenStatus{}, nil
	} else if err != nil {
		return nil, status.Errorf(codes.Internal, "store: %v", err)
	}
	n, err := a.Srv.Store().TokenSubscriptionCount(t.ID)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "store: %v", err)
	}
	return &adminv1.TokenStatus{
		Exists: true, State: tokenStates[t.Status.Code], InvalidReason: string(t.Status.Reason),
		PushProvider: string(t.Provider), SubscriptionCount: uint32(n), CronIntervalMinutes: uint32(t.CronMinutes),
	}, nil
}

// GetSubscription returns a subscription's state.
func (a *Admin) GetSubscription(_ context.Context, r *adminv1.EntityRequest) (*adminv1.SubscriptionStatus, error) {
	s, err := a.Srv.Store().GetSubscription(r.GetId())
	if errors.Is(err, store.ErrNotFound) {
		return &adminv1.SubscriptionStatus{}, nil
	} else if err != nil {
		return nil, status.Errorf(codes.Internal, "store: %v", err)
	}
	st := &adminv1.SubscriptionStatus{Exists: true, State: subStates[s.Status.Code], TokenId: s.TokenID,
		SmpServer: s.Server.String()}
	if s.Status.Code == ntf.SubErr {
		st.Error = string(s.Status.Err)
	}
	return st, nil
}
