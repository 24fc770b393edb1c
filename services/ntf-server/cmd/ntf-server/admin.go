package main

import (
	"context"
	"errors"
	"os"

	"google.golang.org/grpc"

	"github.com/simplexgo/proto/admincli"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

func ntfAdmin(c *grpc.ClientConn) adminv1.NTFAdminClient { return adminv1.NewNTFAdminClient(c) }

// adminCommands are `ntf-server admin` operations on the running server's
// gRPC admin API (read-only: the NTF admin service has no actions).
var adminCommands = map[string]admincli.Command{
	"stats": admincli.NoArgs("stats                           the server's counters",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.GetStatsRequest) (*adminv1.NTFStats, error) {
			return ntfAdmin(c).GetStats(ctx, r)
		}),
	"token": admincli.ByID("token TOKEN_ID                  a token's status",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.TokenStatus, error) {
			return ntfAdmin(c).GetToken(ctx, r)
		}),
	"subscription": admincli.ByID("subscription SUBSCRIPTION_ID    a subscription's status",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.SubscriptionStatus, error) {
			return ntfAdmin(c).GetSubscription(ctx, r)
		}),
}

func cmdAdmin(args []string) error {
	err := admincli.Main("ntf-server", "127.0.0.1:5228", adminCommands, args, os.Stdout, os.Stderr)
	if errors.Is(err, admincli.ErrUsage) {
		return usageError{err}
	}
	return err
}
