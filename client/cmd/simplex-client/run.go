package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/store"
)

const usage = `usage: simplex-client -profile DIR [-passphrase-file F] COMMAND
commands:
  init -server SMP_ADDRESS -name NAME [-private-routing]
  invite ALIAS          create a one-time invitation link
  address               create (or show) the long-term contact address
  join ALIAS LINK       join a connection from a link
  send ALIAS TEXT       send a message
  listen [-until TEXT]... [-timeout D]
                        print events and messages until interrupted, or until
                        the output contains every TEXT (error after D)
  contacts              list contacts
  push register|subscribe|status|wait   push notifications (push -h for help)
  file send -xftp XFTP_ADDRESS ALIAS PATH | file receive [-out DIR]
                        send / receive a file over XFTP (file -h for help)`

// opTimeout bounds the network part of one command.
const opTimeout = 30 * time.Second

// run is the whole command line; kdf is for tests (zero = default).
func run(ctx context.Context, args []string, out io.Writer) error {
	return runKDF(ctx, args, out, store.KDFParams{})
}

func runKDF(ctx context.Context, args []string, out io.Writer, kdf store.KDFParams) error {
	fs := flag.NewFlagSet("simplex-client", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("profile", "", "profile directory")
	passFile := fs.String("passphrase-file", "", "file with the state passphrase (default $SIMPLEX_PASSPHRASE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if *dir == "" || len(rest) == 0 {
		return errors.New(usage)
	}
	pass, err := loadPassphrase(*passFile)
	if err != nil {
		return err
	}
	if rest[0] == "init" {
		return cmdInit(*dir, pass, rest[1:], kdf)
	}
	p, err := openProfile(*dir, pass, kdf)
	if err != nil {
		return err
	}
	defer p.close()
	switch cmd, a := rest[0], rest[1:]; {
	case cmd == "invite" && len(a) == 1:
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.invite(ctx, ag, a[0], out) })
	case cmd == "join" && len(a) == 2:
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.join(ctx, ag, a[0], a[1], out) })
	case cmd == "send" && len(a) == 2:
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.send(ctx, ag, a[0], a[1], out) })
	case cmd == "listen":
		lo, err := parseListen(a, out)
		if err != nil {
			return err
		}
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.listenUntil(ctx, ag, lo, out) })
	case cmd == "address" && len(a) == 0:
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.address(ctx, ag, out) })
	case cmd == "contacts" && len(a) == 0:
		return p.list(out)
	case cmd == "push":
		return p.pushCmd(ctx, a, out)
	case cmd == "file":
		return p.fileCmd(ctx, a, out)
	}
	return errors.New(usage)
}

func cmdInit(dir string, pass []byte, args []string, kdf store.KDFParams) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	server := fs.String("server", "", "SMP server address smp://fingerprint[:password]@host[:port]")
	name := fs.String("name", "", "display name sent to contacts")
	private := fs.Bool("private-routing", false, "send to contacts' servers through your own server (PRXY/PFWD), so that they never see your address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := parseSMPServer(*server); err != nil {
		return fmt.Errorf("-server: %w", err)
	}
	if *name == "" {
		return errors.New("-name is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(config{Server: *server, Name: *name, PrivateRouting: *private}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, configFile), append(b, '\n'), 0o600); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(dir, stateFile), pass, kdf)
	if err != nil {
		return err
	}
	return st.Close()
}

func (p *profile) withAgent(ctx context.Context, f func(context.Context, *agent.Agent) error) error {
	ag, err := p.agent()
	if err != nil {
		return err
	}
	defer ag.Close()
	return f(ctx, ag)
}

func (p *profile) invite(ctx context.Context, ag *agent.Agent, alias string, out io.Writer) error {
	if _, err := p.contact(alias); err == nil {
		return fmt.Errorf("contact %q exists", alias)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	id, link, err := ag.CreateConnection(ctx)
	if err != nil {
		return err
	}
	if err := p.putContact(alias, contact{ConnID: id}); err != nil {
		return err
	}
	fmt.Fprintln(out, link)
	printQR(os.Stderr, link)
	return nil
}

// addressAlias is the contacts record of the profile's contact address.
const addressAlias = "@address"

func (p *profile) address(ctx context.Context, ag *agent.Agent, out io.Writer) error {
	if c, err := p.contact(addressAlias); err == nil {
		fmt.Fprintln(out, c.PeerName) // the link is kept in PeerName
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	id, link, err := ag.CreateContactAddress(ctx)
	if err != nil {
		return err
	}
	if err := p.putContact(addressAlias, contact{ConnID: id, PeerName: link}); err != nil {
		return err
	}
	fmt.Fprintln(out, link)
	return nil
}

// newAlias returns name, or name-2, name-3... when taken.
func (p *profile) newAlias(name string) string {
	if name == "" {
		name = "contact"
	}
	alias := name
	for i := 2; ; i++ {
		if _, err := p.contact(alias); err != nil {
			return alias
		}
		alias = fmt.Sprintf("%s-%d", name, i)
	}
}

func (p *profile) join(ctx context.Context, ag *agent.Agent, alias, link string, out io.Writer) error {
	if _, err := p.contact(alias); err == nil {
		return fmt.Errorf("contact %q exists", alias)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	id, err := ag.JoinConnection(ctx, link, p.connInfo())
	if err != nil {
		return err
	}
	if err := p.putContact(alias, contact{ConnID: id}); err != nil {
		return err
	}
	fmt.Fprintf(out, "joined %s; run listen to complete the connection\n", alias)
	return nil
}

func (p *profile) send(ctx context.Context, ag *agent.Agent, alias, text string, out io.Writer) error {
	c, err := p.contact(alias)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	id, err := ag.SendMessage(ctx, c.ConnID, []byte(text))
	if errors.Is(err, agent.ErrPending) {
		fmt.Fprintf(out, "queued #%d to %s (%v); it is sent again by the next send or listen\n", id, alias, err)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "sent #%d to %s\n", id, alias)
	return nil
}

// listen subscribes all connections and prints events until ctx ends:
// confirmations are allowed at once, messages acknowledged with receipts.
func (p *profile) listen(ctx context.Context, ag *agent.Agent, out io.Writer) error {
	sctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := ag.SubscribeAll(sctx); err != nil {
		return err
	}
	if err := ag.RetryPending(sctx); err != nil {
		fmt.Fprintf(out, "still queued: %v\n", err)
	}
	fmt.Fprintln(out, "listening")
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-ag.Events():
			if !ok {
				return nil
			}
			if err := p.event(ctx, ag, e, out); err != nil {
				fmt.Fprintf(out, "error: %v\n", err)
			}
		}
	}
}

func (p *profile) event(ctx context.Context, ag *agent.Agent, e agent.Event, out io.Writer) error {
	alias := p.aliasOf(e.ConnID)
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	switch e.Type {
	case agent.EvREQ:
		name := peerName(e.ConnInfo)
		id, err := ag.AcceptContact(ctx, e.ConnID, e.InvitationID, p.connInfo())
		if err != nil {
			return err
		}
		alias := p.newAlias(name)
		if err := p.putContact(alias, contact{ConnID: id, PeerName: name}); err != nil {
			return err
		}
		fmt.Fprintf(out, "REQ: %q asked to connect; accepted as %s\n", name, alias)
	case agent.EvCONF, agent.EvINFO:
		if c, err := p.contact(alias); err == nil {
			c.PeerName = peerName(e.ConnInfo)
			if err := p.putContact(alias, c); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%s: %s is %q\n", e.Type, alias, peerName(e.ConnInfo))
		if e.Type == agent.EvCONF {
			return ag.AllowConnection(ctx, e.ConnID, p.connInfo())
		}
	case agent.EvCON:
		fmt.Fprintf(out, "connected: %s\n", alias)
	case agent.EvMSG:
		warn := ""
		if e.Integrity != nil {
			warn = fmt.Sprintf(" (%v)", e.Integrity)
		}
		body := string(e.Body)
		if strings.HasPrefix(body, fileMsgPrefix) {
			body = "[file: run file receive]"
		}
		fmt.Fprintf(out, "%s> %s%s\n", alias, body, warn)
		return ag.AckMessage(ctx, e.ConnID, e.MsgID, true)
	case agent.EvRCVD:
		fmt.Fprintf(out, "delivered: #%d to %s\n", e.MsgID, alias)
	case agent.EvEND:
		fmt.Fprintf(out, "subscription of %s moved to another client\n", alias)
	case agent.EvERR:
		fmt.Fprintf(out, "error on %s: %v\n", alias, e.Err)
	}
	return nil
}

func (p *profile) list(out io.Writer) error {
	ids, err := p.contacts.List()
	if err != nil {
		return err
	}
	for _, a := range ids {
		c, err := p.contact(a)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\t%s\t%s\n", a, c.PeerName, c.ConnID)
	}
	return nil
}
