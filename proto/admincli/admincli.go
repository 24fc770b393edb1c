// Package admincli is the command-line side of the servers' gRPC admin
// APIs (simplexgo.admin.v1): what the `admin` subcommand of smp-relay,
// ntf-server and xftp-server shares. The admin port is plain gRPC, meant
// for the loopback interface or a cluster-internal network.
package admincli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
)

// Command is one admin operation: its usage line and what it runs with
// the connection and its arguments after the command word.
type Command struct {
	Usage string
	Run   func(ctx context.Context, conn *grpc.ClientConn, args []string) (proto.Message, error)
}

// ErrUsage: the command line is wrong; the usage was printed.
var ErrUsage = errors.New("wrong admin command line (usage above)")

// Main runs `<binary> admin [-addr A] [-timeout D] COMMAND ARGS...`,
// printing the response as JSON (protojson, ids in standard base64).
func Main(binary, defaultAddr string, cmds map[string]Command, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(errOut)
	addr := fs.String("addr", defaultAddr, "the server's gRPC admin address ([ADMIN] grpc)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "usage: %s admin [-addr %s] [-timeout D] COMMAND\ncommands:\n", binary, defaultAddr)
		for _, name := range slices.Sorted(maps.Keys(cmds)) {
			fmt.Fprintf(errOut, "  %s\n", cmds[name].Usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return ErrUsage
	}
	cmd, ok := cmds[fs.Arg(0)]
	if !ok {
		fs.Usage()
		return ErrUsage
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	m, err := cmd.Run(ctx, conn, fs.Args()[1:])
	if errors.Is(err, ErrUsage) {
		fs.Usage()
		return err
	}
	if err != nil {
		return fmt.Errorf("admin %s: %w", fs.Arg(0), err)
	}
	b, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	// protojson varies its spacing on purpose; indent it the same way
	// every time, for scripts.
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, b, "", "  "); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", pretty.Bytes())
	return err
}

// ID parses an entity id as operators find it: base64url as in links
// (with or without padding), or standard base64.
func ID(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("admincli: id %q is not base64", s)
}

// OneID is the argument check of commands that take one id.
func OneID(args []string) ([]byte, error) {
	if len(args) != 1 {
		return nil, ErrUsage
	}
	return ID(args[0])
}

// BlockRequest parses `[-reason spam|content] [-notice-ttl D] ID`.
func BlockRequest(args []string) (*adminv1.BlockRequest, error) {
	fs := flag.NewFlagSet("block", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reason := fs.String("reason", "spam", "spam or content")
	ttl := fs.Duration("notice-ttl", 0, "send a notice with this ttl to the clients (0: no notice)")
	if err := fs.Parse(args); err != nil {
		return nil, ErrUsage
	}
	id, err := OneID(fs.Args())
	if err != nil {
		return nil, err
	}
	r := &adminv1.BlockRequest{Id: id}
	switch strings.ToLower(*reason) {
	case "spam":
		r.Reason = adminv1.BlockReason_BLOCK_REASON_SPAM
	case "content":
		r.Reason = adminv1.BlockReason_BLOCK_REASON_CONTENT
	default:
		return nil, fmt.Errorf("admincli: reason %q: spam or content", *reason)
	}
	if *ttl > 0 {
		s := int64(ttl.Seconds())
		r.Notice = &adminv1.BlockNotice{TtlSeconds: &s}
	}
	return r, nil
}

// Call is one admin RPC of a command, on the connection.
type Call[Req, Resp proto.Message] func(ctx context.Context, c *grpc.ClientConn, r Req) (Resp, error)

// NoArgs makes a command without arguments (stats).
func NoArgs[Resp proto.Message](usage string, call Call[*adminv1.GetStatsRequest, Resp]) Command {
	return Command{Usage: usage, Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
		if len(args) != 0 {
			return nil, ErrUsage
		}
		return call(ctx, c, &adminv1.GetStatsRequest{})
	}}
}

// ByID makes a command taking one entity id.
func ByID[Resp proto.Message](usage string, call Call[*adminv1.EntityRequest, Resp]) Command {
	return Command{Usage: usage, Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
		id, err := OneID(args)
		if err != nil {
			return nil, err
		}
		return call(ctx, c, &adminv1.EntityRequest{Id: id})
	}}
}

// Block makes a block command: `[-reason spam|content] [-notice-ttl D] ID`.
func Block[Resp proto.Message](usage string, call Call[*adminv1.BlockRequest, Resp]) Command {
	return Command{Usage: usage, Run: func(ctx context.Context, c *grpc.ClientConn, args []string) (proto.Message, error) {
		r, err := BlockRequest(args)
		if err != nil {
			return nil, err
		}
		return call(ctx, c, r)
	}}
}
