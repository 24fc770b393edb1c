package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/push"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/encoding"
)

const pushUsage = `usage: simplex-client -profile DIR push COMMAND
  register -ntf NTF_ADDRESS -token HEX [-provider apns_test] -fake-apns URL [ALIAS...]
        register the device token with the NTF server (TNEW), verify it with
        the code of the verification push read from the ntf-server's fake
        APNs (TVFY, TCHK until ACTIVE), then subscribe the contacts (all
        when none is named): NKEY on each receiving queue, SNEW.
        URL is http://<ntf-server metrics address> (make run: 127.0.0.1:5229).
  subscribe ALIAS...    subscribe more contacts with the registered token
  status                token status (TCHK) and subscriptions (SCHK)
  wait [-timeout 60s] [-fetch]
        wait for the next message push to the token, decrypt it and print the
        contact and message metadata; with -fetch, also receive and print the
        message(s) it announced`

// pushState is the profile's registered device, kept encrypted.
type pushState struct {
	Device   *push.Device `json:"device"`
	FakeAPNs string       `json:"fakeApns"`
	// NextPush is the fake APNs index after the last push handled.
	NextPush int `json:"nextPush"`
}

const pushKey = "device"

func (p *profile) loadPush() (*pushState, error) {
	bk, err := p.st.Bucket("push")
	if err != nil {
		return nil, err
	}
	b, err := bk.Get(pushKey)
	if err != nil {
		return nil, errors.New("no push token registered (run push register)")
	}
	var s pushState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("push state: %w", err)
	}
	return &s, nil
}

func (p *profile) savePush(s *pushState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	bk, err := p.st.Bucket("push")
	if err != nil {
		return err
	}
	return bk.Put(pushKey, b)
}

func (p *profile) pushCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(pushUsage)
	}
	switch args[0] {
	case "register":
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.pushRegister(ctx, ag, args[1:], out) })
	case "subscribe":
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error {
			s, err := p.loadPush()
			if err != nil {
				return err
			}
			if len(args) < 2 {
				return errors.New(pushUsage)
			}
			return p.pushSubscribe(ctx, ag, s, args[1:], out)
		})
	case "status":
		return p.pushStatus(ctx, out)
	case "wait":
		return p.withAgent(ctx, func(ctx context.Context, ag *agent.Agent) error { return p.pushWait(ctx, ag, args[1:], out) })
	}
	return errors.New(pushUsage)
}

func dialNTF(ctx context.Context, s *pushState) (*push.Client, error) {
	srv, err := address.ParseServer(s.Device.Server, address.SchemeNTF)
	if err != nil {
		return nil, err
	}
	return push.Dial(ctx, srv)
}

func (p *profile) pushRegister(ctx context.Context, ag *agent.Agent, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("push register", flag.ContinueOnError)
	fs.SetOutput(out)
	ntfAddr := fs.String("ntf", "", "NTF server address ntf://fingerprint@host[:port]")
	token := fs.String("token", "", "device token (hex)")
	provider := fs.String("provider", "apns_test", "push provider: apns_test, apns_dev, apns_prod")
	fake := fs.String("fake-apns", "", "fake APNs read endpoint http://host:port of the ntf-server (local runs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := address.ParseServer(*ntfAddr, address.SchemeNTF)
	if err != nil {
		return fmt.Errorf("-ntf: %w", err)
	}
	prov, err := push.ParseProvider(*provider)
	if err != nil {
		return err
	}
	if *fake == "" {
		return errors.New("-fake-apns is required: the verification code comes from the device's push, which only the ntf-server's fake APNs lets this client read")
	}
	d, err := push.NewDevice(rand.Reader, srv, prov, *token)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := push.Dial(ctx, srv)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := d.RegisterToken(ctx, c, push.FakeCodeSource(*fake)); err != nil {
		return err
	}
	fmt.Fprintf(out, "token registered and verified: %s\n", d.Status)
	s := &pushState{Device: d, FakeAPNs: *fake}
	// pushes so far (e.g. the verification) are not messages to wait for
	if ps, err := push.FetchFakePushes(ctx, *fake, *token, 0, 0); err == nil && len(ps) > 0 {
		s.NextPush = ps[len(ps)-1].Index + 1
	}
	if err := p.savePush(s); err != nil {
		return err
	}
	aliases := fs.Args()
	if len(aliases) == 0 {
		ids, err := p.contacts.List()
		if err != nil {
			return err
		}
		for _, a := range ids {
			if a != addressAlias {
				aliases = append(aliases, a)
			}
		}
	}
	return p.subscribeWith(ctx, ag, c, s, aliases, out)
}

func (p *profile) pushSubscribe(ctx context.Context, ag *agent.Agent, s *pushState, aliases []string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := dialNTF(ctx, s)
	if err != nil {
		return err
	}
	defer c.Close()
	return p.subscribeWith(ctx, ag, c, s, aliases, out)
}

// subscribeWith enables notifications on each contact's receiving queue
// and subscribes it with the token, waiting until the NTF server has
// subscribed it on the SMP server.
func (p *profile) subscribeWith(ctx context.Context, ag *agent.Agent, c *push.Client, s *pushState, aliases []string, out io.Writer) error {
	for _, alias := range aliases {
		ct, err := p.contact(alias)
		if err != nil {
			return err
		}
		creds, err := ag.EnableNotifications(ctx, ct.ConnID)
		if err != nil {
			return fmt.Errorf("%s: %w", alias, err)
		}
		subID, err := s.Device.Subscribe(ctx, c, creds.Server, creds.NotifierID, creds.NotifierKey)
		if err != nil {
			return fmt.Errorf("%s: %w", alias, err)
		}
		if err := p.savePush(s); err != nil {
			return err
		}
		if err := s.Device.WaitSubscriptionActive(ctx, c, subID); err != nil {
			return fmt.Errorf("%s: %w", alias, err)
		}
		fmt.Fprintf(out, "notifications on for %s (subscription %s)\n", alias, encoding.B64URL(subID))
	}
	return nil
}

func (p *profile) pushStatus(ctx context.Context, out io.Writer) error {
	s, err := p.loadPush()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := dialNTF(ctx, s)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := s.Device.Check(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "token %s %s: %s\n", s.Device.Provider.Name(), s.Device.Token, st)
	for sub := range s.Device.Subscriptions {
		id, err := address.ParseB64(sub)
		if err != nil {
			continue
		}
		ss, err := s.Device.CheckSubscription(ctx, c, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "subscription %s: %s\n", sub, ss)
	}
	return p.savePush(s)
}

func (p *profile) pushWait(ctx context.Context, ag *agent.Agent, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("push wait", flag.ContinueOnError)
	fs.SetOutput(out)
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for a push")
	fetch := fs.Bool("fetch", false, "receive the announced messages")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := p.loadPush()
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var n push.Notification
	for {
		fp, err := push.WaitFakePush(wctx, s.FakeAPNs, string(s.Device.Token), s.NextPush)
		if err != nil {
			return err
		}
		s.NextPush = fp.Index + 1
		if n, err = push.Open(s.Device.DHSecret, fp.Body); err != nil {
			fmt.Fprintf(out, "push #%d does not open: %v\n", fp.Index, err)
			continue
		}
		if n.Kind == push.KindMessages {
			break
		}
		fmt.Fprintf(out, "push #%d: %s\n", fp.Index, n.Kind)
	}
	if err := p.savePush(s); err != nil {
		return err
	}
	want := map[string]int{}
	for _, m := range n.Messages {
		connID, err := ag.NotificationConn(m.Queue.Server.KeyHash, m.Queue.NotifierID)
		if err != nil {
			fmt.Fprintf(out, "push: message on an unknown queue: %v\n", err)
			continue
		}
		meta, err := ag.DecryptNotificationMeta(connID, m.Nonce, m.EncMeta)
		if err != nil {
			return err
		}
		alias := p.aliasOf(connID)
		fmt.Fprintf(out, "push: message from %s (server message id %s, sent %s)\n", alias,
			encoding.B64URL(meta.MsgID), meta.Timestamp.UTC().Format(time.RFC3339))
		want[connID]++
	}
	if !*fetch || len(want) == 0 {
		return nil
	}
	return p.fetch(wctx, ag, want, out)
}

// fetch subscribes the connections and prints their messages until each
// got as many as announced.
func (p *profile) fetch(ctx context.Context, ag *agent.Agent, want map[string]int, out io.Writer) error {
	for id := range want {
		if err := ag.Subscribe(ctx, id); err != nil {
			return err
		}
	}
	for len(want) > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("fetching announced messages: %w", ctx.Err())
		case e := <-ag.Events():
			if e.Type == agent.EvERR {
				return e.Err
			}
			if err := p.event(ctx, ag, e, out); err != nil {
				return err
			}
			if e.Type == agent.EvMSG {
				if want[e.ConnID]--; want[e.ConnID] <= 0 {
					delete(want, e.ConnID)
				}
			}
		}
	}
	return nil
}
