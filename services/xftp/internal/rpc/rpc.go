// Package rpc serves xftp-server's gRPC API: the standard health service
// and the XFTPAdmin service of proto/simplexgo/admin/v1.
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
	"github.com/simplexgo/services/xftp/internal/metrics"
	"github.com/simplexgo/services/xftp/internal/server"
	"github.com/simplexgo/services/xftp/internal/store"
)

// Admin implements XFTPAdmin over a Server.
type Admin struct {
	adminv1.UnimplementedXFTPAdminServer
	Srv       *server.Server
	KeyHash   []byte
	Version   string
	StartedAt time.Time
}

// Register adds the admin and health services to g and returns the health
// server so the caller can flip it to NOT_SERVING when draining.
func Register(g *grpc.Server, a *Admin) *health.Server {
	adminv1.RegisterXFTPAdminServer(g, a)
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus(adminv1.XFTPAdmin_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, h)
	return h
}

func u(v float64) uint64 { return uint64(v) }

// GetStats returns the relay's counters.
func (a *Admin) GetStats(ctx context.Context, _ *adminv1.GetStatsRequest) (*adminv1.XFTPStats, error) {
	m := a.Srv.Metrics()
	st, err := a.Srv.Store().Stats(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "store stats: %v", err)
	}
	errs := map[string]uint64{}
	for k, v := range metrics.LabelValues(m.Errors) {
		errs[k] = u(v)
	}
	return &adminv1.XFTPStats{
		Server:              &adminv1.ServerInfo{KeyHash: a.KeyHash, Version: a.Version, StartedAtSeconds: a.StartedAt.Unix()},
		ConnectionsAccepted: u(metrics.Value(m.ConnectionsTotal)),
		ConnectionsOpen:     u(metrics.Value(m.Connections)),
		FilesCreated:        u(metrics.Value(m.FilesCreated)),
		FilesDeleted:        u(metrics.Value(m.FilesDeleted)),
		FilesExpired:        u(metrics.Value(m.FilesExpired)),
		FilesActive:         uint64(st.Files),
		Uploads:             u(metrics.Value(m.FilesUploaded)),
		Downloads:           u(metrics.Value(m.Downloads)),
		BytesStored:         uint64(st.UsedBytes),
		ErrorsByCode:        errs,
	}, nil
}

func checkID(id []byte) error {
	if len(id) == 0 || len(id) > 255 {
		return status.Error(codes.InvalidArgument, "id must be 1..255 bytes")
	}
	return nil
}

// GetFile reports a file's state by recipient id.
func (a *Admin) GetFile(ctx context.Context, r *adminv1.EntityRequest) (*adminv1.FileStatus, error) {
	if err := checkID(r.GetId()); err != nil {
		return nil, err
	}
	f, err := a.Srv.FileByRecipient(ctx, r.GetId())
	if errors.Is(err, store.ErrNotFound) {
		return &adminv1.FileStatus{}, nil
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "%v", err)
	}
	fs := &adminv1.FileStatus{Exists: true, SizeBytes: f.Size, Uploaded: f.Path != "",
		RecipientCount: uint32(len(f.Recipients)), CreatedAtSeconds: f.CreatedAt}
	if f.Blocked != nil {
		fs.Blocked = true
		fs.BlockReason = adminv1.BlockReason_BLOCK_REASON_SPAM
		if f.Blocked.Reason == "content" {
			fs.BlockReason = adminv1.BlockReason_BLOCK_REASON_CONTENT
		}
	}
	return fs, nil
}

// BlockFile blocks a file by recipient id and deletes its data.
func (a *Admin) BlockFile(ctx context.Context, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
	if err := checkID(r.GetId()); err != nil {
		return nil, err
	}
	var b store.Blocking
	switch r.GetReason() {
	case adminv1.BlockReason_BLOCK_REASON_SPAM:
		b.Reason = "spam"
	case adminv1.BlockReason_BLOCK_REASON_CONTENT:
		b.Reason = "content"
	default:
		return nil, status.Error(codes.InvalidArgument, "block reason required")
	}
	if n := r.GetNotice(); n != nil {
		b.Notice = true
		if n.TtlSeconds != nil {
			ttl := n.GetTtlSeconds()
			b.NoticeTTL = &ttl
		}
	}
	return a.action(a.Srv.BlockByRecipient(ctx, r.GetId(), b))
}

// DeleteFile deletes a file by recipient id.
func (a *Admin) DeleteFile(ctx context.Context, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
	if err := checkID(r.GetId()); err != nil {
		return nil, err
	}
	return a.action(a.Srv.DeleteByRecipient(ctx, r.GetId()))
}

func (a *Admin) action(err error) (*adminv1.ActionResponse, error) {
	switch {
	case err == nil:
		return &adminv1.ActionResponse{}, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, status.Error(codes.NotFound, "no such file")
	case a.Srv.Draining():
		return nil, status.Error(codes.Unavailable, "shutting down")
	}
	return nil, status.Errorf(codes.Internal, "%v", err)
}
