package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
)

// sendProxied sends a sender's command for a queue on server through our
// own server own (private routing) [AC sendOrProxySMPCommand]. The
// session with the destination is kept while the connection to own
// lives; if own has lost it (PROXY NO_SESSION) it is asked for again,
// once.
func (a *Agent) sendProxied(ctx context.Context, own address.ServerAddress, server string, entity []byte, key *crypto.PrivateKey, cmd smp.Command) (smp.Message, error) {
	for attempt := 0; ; attempt++ {
		r, err := a.relay(ctx, own, server)
		if err != nil {
			return nil, fmt.Errorf("agent: private routing to %s: %w", hostOf(server), err)
		}
		m, err := r.Send(ctx, entity, key, cmd)
		var e smp.ErrorType
		if attempt == 0 && errors.As(err, &e) && e.String() == "PROXY NO_SESSION" {
			a.dropRelay(server, r)
			continue
		}
		if err != nil {
			return m, fmt.Errorf("agent: %s via proxy: %w", cmd.Tag(), err)
		}
		return m, nil
	}
}

// relay returns the session with server through own, opening it (PRXY)
// when there is none on the current connection to own.
func (a *Agent) relay(ctx context.Context, own address.ServerAddress, server string) (*smpclient.Relay, error) {
	proxy, err := a.client(ctx, own.String())
	if err != nil {
		return nil, err
	}
	a.cmu.Lock()
	r := a.relays[server]
	a.cmu.Unlock()
	if r != nil && r.Proxy == proxy {
		return r, nil
	}
	dest, err := address.ParseServerAddress(server)
	if err != nil {
		return nil, err
	}
	var auth []byte
	if own.BasicAuth != "" {
		auth = []byte(own.BasicAuth)
	}
	r, err = smpclient.ConnectRelay(ctx, proxy, dest, auth)
	if err != nil {
		return nil, err
	}
	a.cmu.Lock()
	if a.relays == nil {
		a.relays = map[string]*smpclient.Relay{}
	}
	a.relays[server] = r
	a.cmu.Unlock()
	return r, nil
}

func (a *Agent) dropRelay(server string, r *smpclient.Relay) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.relays[server] == r {
		delete(a.relays, server)
	}
}

// hostOf is a server's first host, for errors (never its key or password).
func hostOf(server string) string {
	if s, err := address.ParseServerAddress(server); err == nil && len(s.Hosts) > 0 {
		return s.Hosts[0]
	}
	return "server"
}
