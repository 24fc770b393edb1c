package main

import (
	"context"
	"errors"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/simplexgo/proto/admincli"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

// adminCommands are `smp-relay admin` operations on the running relay's
// gRPC admin API. Queues are named by sender id, as in the links users
// report.
var adminCommands = map[string]admincli.Command{
	"stats": {Usage: "stats                           the relay's counters",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			if len(args) != 0 {
				return nil, admincli.ErrUsage
			}
			return adminv1.NewSMPAdminClient(c).GetStats(ctx, &adminv1.GetStatsRequest{})
		}},
	"queue": {Usage: "queue SENDER_ID                 a queue's status",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewSMPAdminClient(c).GetQueue(ctx, &adminv1.EntityRequest{Id: id})
		}},
	"block": {Usage: "block [-reason spam|content] [-notice-ttl D] SENDER_ID",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			r, err := admincli.BlockRequest(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewSMPAdminClient(c).BlockQueue(ctx, r)
		}},
	"unblock": {Usage: "unblock SENDER_ID",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewSMPAdminClient(c).UnblockQueue(ctx, &adminv1.EntityRequest{Id: id})
		}},
	"delete": {Usage: "delete SENDER_ID                delete a queue and its messages",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewSMPAdminClient(c).DeleteQueue(ctx, &adminv1.EntityRequest{Id: id})
		}},
}

func cmdAdmin(args []string) error {
	err := admincli.Main("smp-relay", "127.0.0.1:5226", adminCommands, args, os.Stdout, os.Stderr)
	if errors.Is(err, admincli.ErrUsage) {
		return usageError{err}
	}
	return err
}
