package xftp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
)

// pool keeps one connection per server, shared by concurrent requests
// (HTTP/2 multiplexes them), and replaces connections that fail [FA
// XFTPClientAgent, simplified: no idle timeout].
type pool struct {
	cfg     Config
	mu      sync.Mutex
	entries map[string]*poolEntry
}

type poolEntry struct {
	mu sync.Mutex // held while dialing
	c  *Client
}

func newPool(cfg Config) *pool {
	return &pool{cfg: cfg, entries: map[string]*poolEntry{}}
}

func (p *pool) entry(srv address.ServerAddress) *poolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := srv.String()
	e := p.entries[k]
	if e == nil {
		e = &poolEntry{}
		p.entries[k] = e
	}
	return e
}

// get returns a live connection to srv, dialing one if needed.
func (p *pool) get(ctx context.Context, srv address.ServerAddress) (*Client, error) {
	e := p.entry(srv)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil && e.c.Alive() {
		return e.c, nil
	}
	if e.c != nil {
		e.c.Close()
		e.c = nil
	}
	c, err := Dial(ctx, srv, p.cfg)
	if err != nil {
		return nil, err
	}
	e.c = c
	return c, nil
}

// drop closes c if it is still srv's connection.
func (p *pool) drop(srv address.ServerAddress, c *Client) {
	e := p.entry(srv)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == c {
		e.c = nil
	}
	c.Close()
}

// close closes every connection.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		e.mu.Lock()
		if e.c != nil {
			e.c.Close()
			e.c = nil
		}
		e.mu.Unlock()
	}
}

// withRetry runs f on a connection to srv, up to 1+retries times while it
// fails with a retriable error, waiting delay·attempt in between; after a
// transport error the connection is replaced [FCM withRetry,
// withReconnect].
func (p *pool) withRetry(ctx context.Context, srv address.ServerAddress, retries int, delay time.Duration, f func(c *Client, attempt int) error) error {
	var err error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay * time.Duration(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(err, ctx.Err())
			case <-t.C:
			}
		}
		var c *Client
		c, err = p.get(ctx, srv)
		if err != nil {
			if ctx.Err() != nil || !retriable(err) {
				return err
			}
			continue
		}
		if err = f(c, attempt); err == nil {
			return nil
		}
		if ctx.Err() != nil || !retriable(err) {
			return err
		}
		// A server's temporary error (ERR TIMEOUT, INTERNAL…) leaves the
		// connection usable, and other requests may be using it.
		if errors.Is(err, ErrTransport) || errors.Is(err, ErrBadResponse) {
			p.drop(srv, c)
		}
	}
	return fmt.Errorf("after %d attempts: %w", retries+1, err)
}
