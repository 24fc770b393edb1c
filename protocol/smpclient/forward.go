package smpclient

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// ErrUnexpected: the server answered with another message than the
// command's response.
var ErrUnexpected = errors.New("smpclient: unexpected response")

// ErrBadResponse: a forwarded response did not decrypt or parse.
var ErrBadResponse = errors.New("smpclient: bad forwarded response")

// Forward sends a client's transmission to this client's server with RFWD,
// as an SMP proxy does for PFWD, and returns the encrypted response for
// PRES [MC forwardSMPTransmission, CONFORMANCE-NOTES §3.5]:
//
//	RFWD = box_nopad(sessSecret, nonce, short(fwdCorrId) w16(fwdVersion)
//	       key(clientKey) tail(encTransmission)), sent with corrId = nonce
//	RRES = box_nopad(sessSecret, reverse(nonce), short(fwdCorrId) tail(encResponse))
//
// sessSecret is DH(this session's key, the server's signed session key),
// so the session must have both (a proxy's connection, SMP v8 or later).
// A server's ERR comes back as its smp.ErrorType, as from Send.
func (c *Client) Forward(ctx context.Context, fwd smp.FwdTransmission) ([]byte, error) {
	secret, err := c.s.SessionSecret()
	if err != nil {
		return nil, fmt.Errorf("smpclient: forward: %w", err)
	}
	var nonce [crypto.NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("smpclient: forward: %w", err)
	}
	plain, err := smp.EncodeFwdTransmission(fwd)
	if err != nil {
		return nil, fmt.Errorf("smpclient: forward: %w", err)
	}
	enc, err := crypto.Box(secret, nonce, plain)
	if err != nil {
		return nil, fmt.Errorf("smpclient: forward: %w", err)
	}
	res := c.SendBatch(ctx, []Request{{Cmd: smp.RFWD{EncFwdTransmission: enc}, CorrID: nonce[:]}})[0]
	if res.Err != nil {
		return nil, res.Err
	}
	switch m := res.Msg.(type) {
	case smp.RRES:
		body, err := crypto.OpenBox(secret, crypto.ReverseNonce(nonce), m.EncFwdResponse)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		r, err := smp.ParseFwdResponse(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		return r.EncResponse, nil
	}
	return nil, fmt.Errorf("%w: %s to RFWD", ErrUnexpected, res.Msg.Tag())
}
