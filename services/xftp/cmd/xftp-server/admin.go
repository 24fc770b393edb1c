package main

import (
	"context"
	"errors"
	"os"

	"google.golang.org/grpc"

	"github.com/simplexgo/proto/admincli"
	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

func xftpAdmin(c *grpc.ClientConn) adminv1.XFTPAdminClient { return adminv1.NewXFTPAdminClient(c) }

// adminCommands are `xftp-server admin` operations on the running server's
// gRPC admin API. Files are named by a chunk's recipient or sender id, as
// in the file descriptions users report.
var adminCommands = map[string]admincli.Command{
	"stats": admincli.NoArgs("stats                           the server's counters",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.GetStatsRequest) (*adminv1.XFTPStats, error) {
			return xftpAdmin(c).GetStats(ctx, r)
		}),
	"file": admincli.ByID("file ID                         a file chunk's status",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.FileStatus, error) {
			return xftpAdmin(c).GetFile(ctx, r)
		}),
	"block": admincli.Block("block [-reason spam|content] [-notice-ttl D] ID",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.BlockRequest) (*adminv1.ActionResponse, error) {
			return xftpAdmin(c).BlockFile(ctx, r)
		}),
	"delete": admincli.ByID("delete ID                       delete a file chunk",
		func(ctx context.Context, c *grpc.ClientConn, r *adminv1.EntityRequest) (*adminv1.ActionResponse, error) {
			return xftpAdmin(c).DeleteFile(ctx, r)
		}),
}

func cmdAdmin(args []string) error {
	err := admincli.Main("xftp-server", "127.0.0.1:5446", adminCommands, args, os.Stdout, os.Stderr)
	if errors.Is(err, admincli.ErrUsage) {
		return usageError{err}
	}
	return err
}
