// Package apns is the Apple Push Notification service Pusher, on
// github.com/sideshow/apns2 with token (JWT, ES256) authentication.
//
// Requests follow the reference [APNS apnsRequest]: POST
// /3/device/<hex token>, apns-topic = the app's bundle id, apns-push-type
// "background" (with apns-priority 5) or "alert" (no priority: APNs
// default 10), no apns-expiration; the body is built by the caller
// (mutable-content is in the alert body). apns2 renews the JWT before it
// expires (its TokenTimeout is 50 minutes; Apple accepts a token for an
// hour, the reference renews every 30 minutes).
//
// Responses map as in the reference [APNS apnsPushProviderClient result]:
// 400 BadDeviceToken / DeviceTokenNotForTopic and 410 ExpiredToken /
// Unregistered invalidate the token; 429, 5xx, other 410 and connection
// errors are retried; anything else is permanent.
package apns

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"

	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/push"
)

// Config configures a Client.
type Config struct {
	Key    *ecdsa.PrivateKey // the .p8 key (token.AuthKeyFromFile)
	KeyID  string
	TeamID string
	Topic  string
	// URLs maps providers to their APNs base URL ("https://host[:port]").
	// apns_null is never pushed.
	URLs map[ntf.Provider]string
	// RootCAs, if set, replaces the system roots (a local APNs).
	RootCAs *x509.CertPool
	// Timeout bounds one request whose context has no deadline of its
	// own; default 30 s.
	Timeout time.Duration
}

// Client pushes to APNs; one HTTP/2 client per provider host.
type Client struct {
	cfg     Config
	topic   []string // the apns-topic header value
	tok     *token.Token
	mu      sync.Mutex
	clients map[ntf.Provider]*provider
}

// provider is the apns2 client of one provider host and its parsed URL.
type provider struct {
	cl   *apns2.Client
	base *url.URL
}

var _ push.Pusher = (*Client)(nil)

// ErrConfig is returned for an unusable configuration.
var ErrConfig = errors.New("apns: bad configuration")

// New returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Key == nil || cfg.KeyID == "" || cfg.TeamID == "" || cfg.Topic == "" {
		return nil, fmt.Errorf("%w: key, key id, team id and topic are required", ErrConfig)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Client{
		cfg:     cfg,
		topic:   []string{cfg.Topic},
		tok:     &token.Token{AuthKey: cfg.Key, KeyID: cfg.KeyID, TeamID: cfg.TeamID},
		clients: map[ntf.Provider]*provider{},
	}, nil
}

// LoadKey reads a .p8 key file.
func LoadKey(path string) (*ecdsa.PrivateKey, error) {
	k, err := token.AuthKeyFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("apns: key %s: %w", path, err)
	}
	return k, nil
}

func (c *Client) client(p ntf.Provider) (*provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[p]; ok {
		return cl, nil
	}
	u, ok := c.cfg.URLs[p]
	if !ok || u == "" {
		return nil, fmt.Errorf("%w: no APNs URL for provider %s", push.ErrPermanent, p.Name())
	}
	cl := apns2.NewTokenClient(c.tok)
	cl.Host = strings.TrimSuffix(u, "/")
	base, err := url.Parse(cl.Host)
	if err != nil || base.Scheme != "https" || base.Host == "" || base.Path != "" || base.RawQuery != "" {
		return nil, fmt.Errorf("%w: APNs URL of provider %s: want https://host[:port]", push.ErrPermanent, p.Name())
	}
	protos := new(http.Protocols)
	protos.SetHTTP2(true)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: c.cfg.RootCAs, MinVersion: tls.VersionTLS12},
		Protocols:       protos,
		HTTP2:           &http.HTTP2Config{SendPingTimeout: apns2.ReadIdleTimeout},
		MaxConnsPerHost: 1, // one HTTP/2 connection per host, as Apple asks
	}
	cl.HTTPClient = &http.Client{Transport: tr}
	pr := &provider{cl: cl, base: base}
	c.clients[p] = pr
	return pr, nil
}

// Push implements push.Pusher.
func (c *Client) Push(ctx context.Context, n push.Notification) error {
	if n.Provider == ntf.ProviderAPNSNull {
		return nil
	}
	cl, err := c.client(n.Provider)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	status, reason, err := c.send(ctx, cl, n)
	if err != nil {
		// connection or timeout: the reference retries these [APNS
		// PPConnection]. Transport errors do not name the URL (only
		// http.Client wraps them in a *url.Error with it), so the device
		// token stays out of the logs (TestConnectionErrorHidesToken).
		return fmt.Errorf("%w: %v", push.ErrRetry, err)
	}
	return Classify(status, reason)
}

// Classify maps an APNs response to nil or a push error.
func Classify(status int, reason string) error {
	invalid := func(r ntf.InvalidReason) error { return &push.TokenInvalidError{Reason: r, Detail: reason} }
	switch {
	case status == http.StatusOK:
		return nil
	case status == http.StatusBadRequest:
		switch reason {
		case apns2.ReasonBadDeviceToken:
			return invalid(ntf.ReasonBadToken)
		case apns2.ReasonDeviceTokenNotForTopic:
			return invalid(ntf.ReasonNotForTopic)
		}
	case status == http.StatusGone:
		switch reason {
		case apns2.ReasonExpiredToken:
			return invalid(ntf.ReasonExpiredToken)
		case apns2.ReasonUnregistered:
			return invalid(ntf.ReasonUnregistered)
		}
		return fmt.Errorf("%w: 410 %s", push.ErrRetry, reason)
	case status == http.StatusTooManyRequests || status >= 500:
		return fmt.Errorf("%w: %d %s", push.ErrRetry, status, reason)
	}
	return fmt.Errorf("%w: %d %s", push.ErrPermanent, status, reason)
}

// Close closes the idle APNs connections (pushes still in flight finish
// on theirs).
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.clients {
		p.cl.HTTPClient.CloseIdleConnections()
	}
}
