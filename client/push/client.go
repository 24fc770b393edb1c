package push

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/transport"
)

// Errors of the NTF client.
var (
	ErrResponse = errors.New("push: unexpected response")
	ErrServer   = errors.New("push: server error")
)

// Client is one connection to an NTF server. Commands are sent one at a
// time (the official app pipelines them; one in flight is enough here).
type Client struct {
	mu sync.Mutex
	s  *transport.Session
}

// Dial connects to srv (ntf://fingerprint@host[:port]): TLS with ALPN
// ntf/1, the server's certificate chain checked against the fingerprint,
// then the NTF handshake [NT ntfClientHandshake].
func Dial(ctx context.Context, srv address.ServerAddress) (*Client, error) {
	if len(srv.Hosts) == 0 {
		return nil, fmt.Errorf("push: server address without host")
	}
	port := srv.Port
	if port == "" {
		port = address.DefaultNTFPort
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(srv.Hosts[0], port))
	if err != nil {
		return nil, fmt.Errorf("push: connect: %w", err)
	}
	return NewClient(ctx, nc, srv.KeyHash)
}

// NewClient runs TLS and the NTF handshake over nc (which it closes on
// error).
func NewClient(ctx context.Context, nc net.Conn, keyHash []byte) (*Client, error) {
	verify := func(raw [][]byte) error { return certs.VerifyChain(raw, keyHash) }
	c, err := transport.Client(ctx, nc, transport.ClientTLSConfig([]string{ntf.ALPN}, verify))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("push: TLS: %w", err)
	}
	s, err := transport.NTFClientHandshake(ctx, c, transport.NTFClientParams{Range: ntf.SupportedClientVRange, KeyHash: keyHash})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("push: handshake: %w", err)
	}
	return &Client{s: s}, nil
}

// Version returns the negotiated NTF version.
func (c *Client) Version() uint16 { return c.s.Version }

// Close closes the connection.
func (c *Client) Close() error { return c.s.Close() }

// Send sends one command for entity, signed with key when not nil, and
// returns the response. An ERR response is returned as an error wrapping
// ErrServer.
func (c *Client) Send(ctx context.Context, key *crypto.PrivateKey, entity []byte, cmd ntf.Command) (ntf.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	body, err := ntf.EncodeCommand(c.s.Version, cmd)
	if err != nil {
		return nil, err
	}
	corr := make([]byte, 24)
	if _, err := rand.Read(corr); err != nil {
		return nil, err
	}
	var auth []byte
	if key != nil {
		if auth, err = transport.SignTransmission(c.s, *key, corr, entity, body); err != nil {
			return nil, fmt.Errorf("push: sign %s: %w", cmd.Tag(), err)
		}
	}
	t, err := transport.EncodeTransmission(c.s, transport.Transmission{Auth: auth, CorrID: corr, EntityID: entity, Command: body})
	if err != nil {
		return nil, fmt.Errorf("push: %s: %w", cmd.Tag(), err)
	}
	blocks, err := transport.PackBatches(c.s, [][]byte{t})
	if err != nil {
		return nil, fmt.Errorf("push: %s: %w", cmd.Tag(), err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	c.s.Conn.SetDeadline(deadline)
	defer c.s.Conn.SetDeadline(time.Time{})
	for _, b := range blocks {
		if err := c.s.WriteBlock(b); err != nil {
			return nil, fmt.Errorf("push: send %s: %w", cmd.Tag(), err)
		}
	}
	for {
		p, err := c.s.ReadBlock()
		if err != nil {
			return nil, fmt.Errorf("push: read %s response: %w", cmd.Tag(), err)
		}
		ts, err := transport.ParseBatch(c.s, p)
		if err != nil {
			return nil, fmt.Errorf("push: %s response: %w", cmd.Tag(), err)
		}
		for _, t := range ts {
			if string(t.CorrID) != string(corr) {
				continue // a late answer to an abandoned command
			}
			r, err := ntf.ParseResponse(c.s.Version, t.Command)
			if err != nil {
				return nil, fmt.Errorf("push: %s response: %w", cmd.Tag(), err)
			}
			if e, ok := r.(ntf.ERR); ok {
				return r, fmt.Errorf("%w: %s: %v", ErrServer, cmd.Tag(), e.Err)
			}
			return r, nil
		}
	}
}
