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

// adminCommands are `xftp-server admin` operations on the running server's
// gRPC admin API. Files are named by a chunk's recipient or sender id, as
// in the file descriptions users report.
var adminCommands = map[string]admincli.Command{
	"stats": {Usage: "stats                           the server's counters",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			if len(args) != 0 {
				return nil, admincli.ErrUsage
			}
			return adminv1.NewXFTPAdminClient(c).GetStats(ctx, &adminv1.GetStatsRequest{})
		}},
	"file": {Usage: "file ID                         a file chunk's status",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewXFTPAdminClient(c).GetFile(ctx, &adminv1.EntityRequest{Id: id})
		}},
	"block": {Usage: "block [-reason spam|content] [-notice-ttl D] ID",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			r, err := admincli.BlockRequest(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewXFTPAdminClient(c).BlockFile(ctx, r)
		}},
	"delete": {Usage: "delete ID                       delete a file chunk",
		Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
			id, err := admincli.OneID(args)
			if err != nil {
				return nil, err
			}
			return adminv1.NewXFTPAdminClient(c).DeleteFile(ctx, &adminv1.EntityRequest{Id: id})
		}},
}

func cmdAdmin(args []string) error {
	err := admincli.Main("xftp-server", "127.0.0.1:5446", adminCommands, args, os.Stdout, os.Stderr)
	if errors.Is(err, admincli.ErrUsage) {
		return usageError{err}
	}
	return err
}
