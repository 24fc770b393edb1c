// Package ntftest is a minimal NTF client for tests: it plays the
// official app's side of the protocol (TLS with ALPN ntf/1, the NTF
// handshake, signed commands) and decrypts pushes as the app does.
package ntftest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/transport"
)

// Client is one NTF connection.
type Client struct {
	S *transport.Session
}

// Dial connects to the NTF server at addr with identity keyHash, offering
// versions vr (zero: ntf.SupportedClientVRange) and ALPN alpn (nil: ntf/1).
func Dial(ctx context.Context, addr string, keyHash []byte, alpn []string) (*Client, error) {
	if alpn == nil {
		alpn = []string{ntf.ALPN}
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	verify := func(raw [][]byte) error { return certs.VerifyChain(raw, keyHash) }
	c, err := transport.Client(ctx, nc, transport.ClientTLSConfig(alpn, verify))
	if err != nil {
		nc.Close()
		return nil, err
	}
	s, err := transport.NTFClientHandshake(ctx, c, transport.NTFClientParams{Range: ntf.SupportedClientVRange, KeyHash: keyHash})
	if err != nil {
		return nil, err
	}
	return &Client{S: s}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.S.Close() }

// Transmission is a raw transmission to send.
type Transmission struct {
	Key      *crypto.PrivateKey // nil: unsigned
	EntityID []byte
	Command  []byte
}

// Reply is one parsed response.
type Reply struct {
	CorrID, EntityID []byte
	Resp             ntf.Response
}

// SendRaw sends the transmissions in one block (or one per block at v1)
// and reads one response per transmission.
func (c *Client) SendRaw(ts ...Transmission) ([]Reply, error) {
	enc := make([][]byte, len(ts))
	for i, t := range ts {
		corr := make([]byte, 24)
		rand.Read(corr)
		var auth []byte
		if t.Key != nil {
			a, err := transport.SignTransmission(c.S, *t.Key, corr, t.EntityID, t.Command)
			if err != nil {
				return nil, err
			}
			auth = a
		}
		b, err := transport.EncodeTransmission(c.S, transport.Transmission{Auth: auth, CorrID: corr, EntityID: t.EntityID, Command: t.Command})
		if err != nil {
			return nil, err
		}
		enc[i] = b
	}
	blocks, err := transport.PackBatches(c.S, enc)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if err := c.S.WriteBlock(b); err != nil {
			return nil, err
		}
	}
	return c.Read(len(ts))
}

// WriteBlock writes a raw block payload (fuzzing, bad input).
func (c *Client) WriteBlock(payload []byte) error { return c.S.WriteBlock(payload) }

// Read reads responses until it has n.
func (c *Client) Read(n int) ([]Reply, error) {
	var out []Reply
	c.S.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(out) < n {
		p, err := c.S.ReadBlock()
		if err != nil {
			return out, err
		}
		ts, err := transport.ParseBatch(c.S, p)
		if err != nil {
			return out, err
		}
		for _, t := range ts {
			r, err := ntf.ParseResponse(c.S.Version, t.Command)
			if err != nil {
				return out, fmt.Errorf("response %q: %w", t.Command, err)
			}
			out = append(out, Reply{CorrID: t.CorrID, EntityID: t.EntityID, Resp: r})
		}
	}
	return out, nil
}

// Send sends one command, signed with key when not nil.
func (c *Client) Send(key *crypto.PrivateKey, entity []byte, cmd ntf.Command) (ntf.Response, error) {
	b, err := ntf.EncodeCommand(c.S.Version, cmd)
	if err != nil {
		return nil, err
	}
	rs, err := c.SendRaw(Transmission{Key: key, EntityID: entity, Command: b})
	if err != nil {
		return nil, err
	}
	return rs[0].Resp, nil
}

// Device is the app's side of one token: keys and the DH secret.
type Device struct {
	Provider   ntf.Provider
	Token      []byte
	VerifyKey  crypto.PrivateKey // Ed25519
	DHKey      crypto.PrivateKey // X25519
	TokenID    []byte
	DHSecret   []byte
	ServerDHPK crypto.PublicKey
}

// NewDevice makes fresh keys for a device token.
func NewDevice(p ntf.Provider, token string) (*Device, error) {
	vk, err := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	if err != nil {
		return nil, err
	}
	dk, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Device{Provider: p, Token: []byte(token), VerifyKey: vk, DHKey: dk}, nil
}

// Register sends TNEW and records the token id and DH secret.
func (d *Device) Register(c *Client) (ntf.Response, error) {
	r, err := c.Send(&d.VerifyKey, nil, ntf.TNEW{Provider: d.Provider, Token: d.Token, VerifyKey: d.VerifyKey.Public(), DHKey: d.DHKey.Public()})
	if err != nil {
		return nil, err
	}
	if id, ok := r.(ntf.IDTKN); ok {
		d.TokenID, d.ServerDHPK = id.TokenID, id.SrvDHKey
		if d.DHSecret, err = crypto.DH(d.DHKey, id.SrvDHKey); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Cmd sends a token command (entity = token id, signed by the verify key).
func (d *Device) Cmd(c *Client, cmd ntf.Command) (ntf.Response, error) {
	return c.Send(&d.VerifyKey, d.TokenID, cmd)
}

// SubCmd sends a subscription command for subID.
func (d *Device) SubCmd(c *Client, subID []byte, cmd ntf.Command) (ntf.Response, error) {
	return c.Send(&d.VerifyKey, subID, cmd)
}

// Subscribe sends SNEW for a queue and returns the response.
func (d *Device) Subscribe(c *Client, srv address.ServerAddress, notifierID []byte, nkey crypto.PrivateKey) (ntf.Response, error) {
	return c.Send(&d.VerifyKey, nil, ntf.SNEW{TokenID: d.TokenID, SMPServer: srv, NotifierID: notifierID, NotifierKey: nkey})
}

// PushData is notificationData of a push body.
type PushData struct {
	Nonce         string `json:"nonce"`
	Verification  string `json:"verification"`
	Message       string `json:"message"`
	CheckMessages bool   `json:"checkMessages"`
}

// PushBody is a push body as the app reads it.
type PushBody struct {
	APS              map[string]any `json:"aps"`
	NotificationData PushData       `json:"notificationData"`
}

// ErrNoData is returned when a push has no encrypted field.
var ErrNoData = errors.New("ntftest: push has no encrypted data")

// Decrypt parses a push body and decrypts its verification code or
// message list with the device's DH secret [AG, MC cbDecrypt].
func (d *Device) Decrypt(body []byte) (PushBody, []byte, error) {
	var b PushBody
	if err := json.Unmarshal(body, &b); err != nil {
		return b, nil, err
	}
	enc := b.NotificationData.Verification
	if enc == "" {
		enc = b.NotificationData.Message
	}
	if enc == "" {
		return b, nil, ErrNoData
	}
	nonce, err := address.ParseB64(b.NotificationData.Nonce)
	if err != nil {
		return b, nil, err
	}
	box, err := address.ParseB64(enc)
	if err != nil {
		return b, nil, err
	}
	plain, err := crypto.OpenBoxPadded(d.DHSecret, crypto.CbNonce(nonce), box)
	return b, plain, err
}
