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

// adminCommands are `ntf-server admin` operations on the running server's
// gRPC admin API (read-only: the NTF admin service has no actions).
var adminCommands = map[string]admincli.Command{
	"stats": {Usage: "stats                           the server's counters",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			if len(args) != 0 {
				return nil, admincli.ErrUsage
			}
			return adminv1.NewNTFAdminClient(c).GetStats(ctx, &adminv1.GetStatsRequest{})
		}},
	"token": {Usage: "token TOKEN_ID                  a token's status",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewNTFAdminClient(c).GetToken(ctx, &adminv1.EntityRequest{Id: id})
		}},
	"subscription": {Usage: "subscription SUBSCRIPTION_ID    a subscription's status",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewNTFAdminClient(c).GetSubscription(ctx, &adminv1.EntityRequest{Id: id})
		}},
}

func cmdAdmin(args []string) error {
	err := admincli.Main("ntf-server", "127.0.0.1:5228", adminCommands, args, os.Stdout, os.Stderr)
	if errors.Is(err, admincli.ErrUsage) {
		return usageError{err}
	}
	return err
}
