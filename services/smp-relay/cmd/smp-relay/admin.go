package main

import (
	"context"
	"errors"
	"os"

	"google.golang.org/grpc"

	"github.com/simplexgo/proto/admincli"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

func smpAdmin(c *grpc.ClientConn) adminv1.SMPAdminClient { return adminv1.NewSMPAdminClient(c) }

// adminCommands are `smp-relay admin` operations on the running relay's
// gRPC admin API. Queues are named by sender id, as in the links users
// report.
var adminCommands = map[string]admincli.Command{
	"stats": admincli.NoArgs("stats                           the relay's counters",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.GetStatsRequest) (*adminv1.SMPStats, error) {
			return smpAdmin(c).GetStats(ctx, r)
		}),
	"queue": admincli.ByID("queue SENDER_ID                 a queue's status",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.QueueStatus, error) {
			return smpAdmin(c).GetQueue(ctx, r)
		}),
	"block": admincli.Block("block [-reason spam|content] [-notice-ttl D] SENDER_ID",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
			return smpAdmin(c).BlockQueue(ctx, r)
		}),
	"unblock": admincli.ByID("unblock SENDER_ID",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
			return smpAdmin(c).UnblockQueue(ctx, r)
		}),
	"delete": admincli.ByID("delete SENDER_ID                delete a queue and its messages",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
			return smpAdmin(c).DeleteQueue(ctx, r)
		}),
}

func cmdAdmin(args []string) error {
	err := admincli.Main("smp-relay", "127.0.0.1:5226", adminCommands, args, os.Stdout, os.Stderr)
	if errors.Is(err, admincli.ErrUsage) {
		return usageError{err}
	}
	return err
}
