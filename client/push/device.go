package push

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
)

// Device is the app's side of one device token on one NTF server: the
// token, the keys made for it, and what the server answered. It is plain
// data, so that a client can store it (it holds private keys: store it
// encrypted).
type Device struct {
	Server    string            // ntf:// address
	Provider  ntf.Provider      // AP, AD, AT or AN
	Token     []byte            // lower-case hex ASCII, as APNs gives it
	VerifyKey crypto.PrivateKey // Ed25519, authorizes the token's commands
	DHKey     crypto.PrivateKey // X25519, with the server's key opens the pushes
	TokenID   []byte            `json:",omitempty"`
	DHSecret  []byte            `json:",omitempty"`
	Status    string            `json:",omitempty"` // last TKN status seen
	// Subscriptions maps subscription ids (base64url) to the notifier id
	// (base64url) they were made for.
	Subscriptions map[string]string `json:",omitempty"`
}

// ParseProvider accepts a provider by wire code (AT) or name (apns_test).
func ParseProvider(s string) (ntf.Provider, error) {
	for _, p := range []ntf.Provider{ntf.ProviderAPNSProd, ntf.ProviderAPNSDev, ntf.ProviderAPNSTest, ntf.ProviderAPNSNull} {
		if strings.EqualFold(s, string(p)) || s == p.Name() {
			return p, nil
		}
	}
	return "", fmt.Errorf("push: unknown provider %q (apns_prod, apns_dev, apns_test or apns_null)", s)
}

// NewDevice makes fresh keys for token (hex; upper case is lowered, as
// the app sends it) on the NTF server srv.
func NewDevice(rand io.Reader, srv address.ServerAddress, p ntf.Provider, token string) (*Device, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("push: bad provider %q", p)
	}
	tok := strings.ToLower(token)
	if p != ntf.ProviderAPNSNull && (tok == "" || len(tok)%2 != 0 || strings.Trim(tok, "0123456789abcdef") != "") {
		return nil, fmt.Errorf("push: device token must be hex, got %q", token)
	}
	vk, err := crypto.GenerateKey(crypto.Ed25519, rand)
	if err != nil {
		return nil, err
	}
	dk, err := crypto.GenerateKey(crypto.X25519, rand)
	if err != nil {
		return nil, err
	}
	return &Device{Server: srv.String(), Provider: p, Token: []byte(tok), VerifyKey: vk, DHKey: dk}, nil
}

// Register sends TNEW and keeps the token id and the push DH secret
// [NC ntfRegisterToken].
func (d *Device) Register(ctx context.Context, c *Client) error {
	r, err := c.Send(ctx, &d.VerifyKey, nil, ntf.TNEW{Provider: d.Provider, Token: d.Token,
		VerifyKey: d.VerifyKey.Public(), DHKey: d.DHKey.Public()})
	if err != nil {
		return err
	}
	id, ok := r.(ntf.IDTKN)
	if !ok {
		return fmt.Errorf("%w to TNEW: %s", ErrResponse, r.Tag())
	}
	secret, err := crypto.DH(d.DHKey, id.SrvDHKey)
	if err != nil {
		return fmt.Errorf("push: token DH: %w", err)
	}
	d.TokenID, d.DHSecret, d.Status = id.TokenID, secret, string(ntf.TokenRegistered)
	return nil
}

// Verify sends TVFY with the code from the verification push
// [NC ntfVerifyToken].
func (d *Device) Verify(ctx context.Context, c *Client, code []byte) error {
	return d.ok(ctx, c, ntf.TVFY{Code: code})
}

// Check sends TCHK and returns (and keeps) the token status [NC ntfCheckToken].
func (d *Device) Check(ctx context.Context, c *Client) (ntf.TokenStatus, error) {
	r, err := c.Send(ctx, &d.VerifyKey, d.TokenID, ntf.TCHK{})
	if err != nil {
		return ntf.TokenStatus{}, err
	}
	t, ok := r.(ntf.TKN)
	if !ok {
		return ntf.TokenStatus{}, fmt.Errorf("%w to TCHK: %s", ErrResponse, r.Tag())
	}
	d.Status = t.Status.String()
	return t.Status, nil
}

// Delete sends TDEL [NC ntfDeleteToken].
func (d *Device) Delete(ctx context.Context, c *Client) error { return d.ok(ctx, c, ntf.TDEL{}) }

// Subscribe sends SNEW for a queue's notifier credentials and returns the
// subscription id [NC ntfCreateSubscription].
func (d *Device) Subscribe(ctx context.Context, c *Client, srv address.ServerAddress, notifierID []byte, notifierKey crypto.PrivateKey) ([]byte, error) {
	r, err := c.Send(ctx, &d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: srv, NotifierID: notifierID, NotifierKey: notifierKey})
	if err != nil {
		return nil, err
	}
	s, ok := r.(ntf.IDSUB)
	if !ok {
		return nil, fmt.Errorf("%w to SNEW: %s", ErrResponse, r.Tag())
	}
	if d.Subscriptions == nil {
		d.Subscriptions = map[string]string{}
	}
	d.Subscriptions[address.B64(s.SubID)] = address.B64(notifierID)
	return s.SubID, nil
}

// CheckSubscription sends SCHK for a subscription [NC ntfCheckSubscription].
func (d *Device) CheckSubscription(ctx context.Context, c *Client, subID []byte) (ntf.SubStatus, error) {
	r, err := c.Send(ctx, &d.VerifyKey, subID, ntf.SCHK{})
	if err != nil {
		return ntf.SubStatus{}, err
	}
	s, ok := r.(ntf.SUB)
	if !ok {
		return ntf.SubStatus{}, fmt.Errorf("%w to SCHK: %s", ErrResponse, r.Tag())
	}
	return s.Status, nil
}

func (d *Device) ok(ctx context.Context, c *Client, cmd ntf.Command) error {
	r, err := c.Send(ctx, &d.VerifyKey, d.TokenID, cmd)
	if err != nil {
		return err
	}
	if _, ok := r.(ntf.OK); !ok {
		return fmt.Errorf("%w to %s: %s", ErrResponse, cmd.Tag(), r.Tag())
	}
	return nil
}
