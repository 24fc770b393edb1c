// Package rpc serves smp-relay's gRPC API: the standard health service and
// the SMPAdmin service of proto/simplexgo/admin/v1.
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
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/metrics"
	"github.com/simplexgo/services/smp-relay/internal/server"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// Admin implements SMPAdmin over a Server.
type Admin struct {
	adminv1.UnimplementedSMPAdminServer
	Srv       *server.Server
	KeyHash   []byte
	Version   string
	StartedAt time.Time
}

// Register adds the admin and health services to g and returns the health
// server so the caller can flip it to NOT_SERVING when draining.
func Register(g *grpc.Server, a *Admin) *health.Server {
	adminv1.RegisterSMPAdminServer(g, a)
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus(adminv1.SMPAdmin_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, h)
	return h
}

func u(v float64) uint64 { return uint64(v) }

// GetStats returns the relay's counters.
func (a *Admin) GetStats(ctx context.Context, _ *adminv1.GetStatsRequest) (*adminv1.SMPStats, error) {
	m := a.Srv.Metrics()
	st, err := a.Srv.Store().Stats(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "store stats: %v", err)
	}
	errs := map[string]uint64{}
	for k, v := range metrics.LabelValues(m.Errors) {
		errs[k] = u(v)
	}
	return &adminv1.SMPStats{
		Server:              &adminv1.ServerInfo{KeyHash: a.KeyHash, Version: a.Version, StartedAtSeconds: a.StartedAt.Unix()},
		ConnectionsAccepted: u(metrics.Value(m.ConnectionsTotal)),
		ConnectionsOpen:     u(metrics.Value(m.Connections)),
		QueuesCreated:       u(metrics.Value(m.QueuesCreated)),
		QueuesDeleted:       u(metrics.Value(m.QueuesDeleted)),
		QueuesActive:        uint64(st.Queues),
		MessagesSent:        u(metrics.Value(m.MsgSent)),
		MessagesDelivered:   u(metrics.Value(m.MsgDelivered)),
		MessagesExpired:     u(metrics.Value(m.MsgExpired)),
		ErrorsByCode:        errs,
	}, nil
}

// GetQueue reports a queue's state by sender id.
func (a *Admin) GetQueue(ctx context.Context, r *adminv1.EntityRequest) (*adminv1.QueueStatus, error) {
	if len(r.GetId()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "id required")
	}
	q, n, err := a.Srv.QueueBySender(ctx, r.GetId())
	if errors.Is(err, store.ErrNotFound) {
		return &adminv1.QueueStatus{}, nil
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "%v", err)
	}
	qs := &adminv1.QueueStatus{
		Exists:       true,
		Blocked:      q.Status == store.StatusBlocked,
		HasSenderKey: !q.SenderKey.IsZero(),
		HasNotifier:  q.Notifier != nil,
		MessageCount: uint32(n),
	}
	if qs.Blocked {
		qs.BlockReason = adminv1.BlockReason_BLOCK_REASON_SPAM
		if string(q.BlockInfo) == string(smp.BlockedContent) {
			qs.BlockReason = adminv1.BlockReason_BLOCK_REASON_CONTENT
		}
	}
	return qs, nil
}

func actionErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, "no such queue")
	default:
		return status.Errorf(codes.Internal, "%v", err)
	}
}

// BlockQueue blocks a queue by sender id.
func (a *Admin) BlockQueue(ctx context.Context, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
	var reason smp.BlockingReason
	switch r.GetReason() {
	case adminv1.BlockReason_BLOCK_REASON_SPAM:
		reason = smp.BlockedSpam
	case adminv1.BlockReason_BLOCK_REASON_CONTENT:
		reason = smp.BlockedContent
	default:
		return nil, status.Error(codes.InvalidArgument, "reason required")
	}
	if r.GetNotice() != nil {
		return nil, status.Error(codes.Unimplemented, "block notices need SMP v18, not served")
	}
	if err := a.Srv.BlockQueue(ctx, r.GetId(), reason); err != nil {
		return nil, actionErr(err)
	}
	return &adminv1.ActionResponse{}, nil
}

// UnblockQueue unblocks a queue by sender id.
func (a *Admin) UnblockQueue(ctx context.Context, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
	if err := a.Srv.UnblockQueue(ctx, r.GetId()); err != nil {
		return nil, actionErr(err)
	}
	return &adminv1.ActionResponse{}, nil
}

// DeleteQueue deletes a queue by sender id.
func (a *Admin) DeleteQueue(ctx context.Context, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
	if err := a.Srv.DeleteQueue(ctx, r.GetId()); err != nil {
		return nil, actionErr(err)
	}
	return &adminv1.ActionResponse{}, nil
}
