package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/xftp"
	"github.com/simplexgo/protocol/address"
	xftpproto "github.com/simplexgo/protocol/xftp"
)

const fileUsage = `usage: simplex-client -profile DIR file COMMAND
  send -xftp XFTP_ADDRESS ALIAS PATH
        encrypt PATH, upload it to the XFTP server and send the contact
        a message "/file <link>" (the recipient description as a link)
  receive [-out DIR] [-timeout 60s]
        wait for the next "/file" message, download, check and decrypt
        the file into DIR (default .)`

// fileMsgPrefix starts the message that carries a file link. (The
// official chat app sends the description in chat-level JSON; this
// terminal client has no chat layer.)
const fileMsgPrefix = "/file "

func (p *profile) fileCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(fileUsage)
	}
	switch args[0] {
	case "send":
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.fileSend(ctx, ag, args[1:], out) })
	case "receive":
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.fileReceive(ctx, ag, args[1:], out) })
	}
	return errors.New(fileUsage)
}

func (p *profile) fileSend(ctx context.Context, ag *agent.Agent, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("file send", flag.ContinueOnError)
	fs.SetOutput(out)
	srvText := fs.String("xftp", "", "XFTP server address xftp://fingerprint[:password]@host[:port]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New(fileUsage)
	}
	alias, path := fs.Arg(0), fs.Arg(1)
	srv, err := address.ParseServerAddress(*srvText)
	if err != nil || srv.Scheme != address.SchemeXFTP {
		return fmt.Errorf("-xftp: an xftp:// address is required (%v)", err)
	}
	c, err := p.contact(alias)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*opTimeout)
	defer cancel()
	res, err := xftp.Send(ctx, path, []address.ServerAddress{srv}, xftp.Options{}, progressBar(os.Stderr, "upload  "))
	if err != nil {
		return err
	}
	link, err := xftpproto.FileDescriptionURI{Description: res.Recipients[0]}.String()
	if err != nil {
		return err
	}
	id, err := ag.SendMessage(ctx, c.ConnID, []byte(fileMsgPrefix+link))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "file %s uploaded; link sent as #%d to %s\n", path, id, alias)
	return nil
}

func (p *profile) fileReceive(ctx context.Context, ag *agent.Agent, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("file receive", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("out", ".", "directory for the received file")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for a file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := ag.SubscribeAll(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no file received: %w", ctx.Err())
		case e := <-ag.Events():
			if err := p.event(ctx, ag, e, out); err != nil {
				fmt.Fprintf(out, "error: %v\n", err)
			}
			if e.Type != agent.EvMSG || !strings.HasPrefix(string(e.Body), fileMsgPrefix) {
				continue
			}
			u, err := xftpproto.ParseFileDescriptionURI(strings.TrimPrefix(string(e.Body), fileMsgPrefix))
			if err != nil {
				return fmt.Errorf("file link: %w", err)
			}
			path, err := xftp.Receive(ctx, u.Description, *dir, xftp.Options{}, progressBar(os.Stderr, "download"))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "received file from %s: %s\n", p.aliasOf(e.ConnID), path)
			return nil
		}
	}
}
