package smp

import (
	"fmt"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// FwdTransmission is the plaintext inside RFWD, after the proxy-relay
// layer is removed [MP FwdTransmission, CONFORMANCE-NOTES §3.5]:
//
//	fwd = short(clientCorrId) w16(fwdVersion) key(clientKey) tail(encT)
//
// EncTransmission is box(DH(ClientKey, relay session key), nonce =
// CorrID, pad(block, PaddedProxiedTLength)).
type FwdTransmission struct {
	CorrID          []byte
	Version         uint16
	ClientKey       crypto.PublicKey // X25519
	EncTransmission []byte
}

// EncodeFwdTransmission encodes t.
func EncodeFwdTransmission(t FwdTransmission) ([]byte, error) {
	w := encoding.NewBuffer(nil).Short(t.CorrID).Word16(t.Version)
	putKey(w, t.ClientKey, kindDH, "client key")
	return w.Raw(t.EncTransmission).Bytes()
}

// ParseFwdTransmission parses the decrypted body of RFWD.
func ParseFwdTransmission(b []byte) (FwdTransmission, error) {
	d := encoding.NewDecoder(b)
	t := FwdTransmission{CorrID: d.Short(), Version: d.Word16()}
	t.ClientKey = parseKey(d, kindDH, "client key")
	t.EncTransmission = d.Tail()
	if err := d.Finish(); err != nil {
		return FwdTransmission{}, fmt.Errorf("%w: forwarded transmission: %w", ErrSyntax, err)
	}
	return t, nil
}

// FwdResponse is the plaintext inside RRES [MP FwdResponse]:
//
//	fwdResponse = short(clientCorrId) tail(encR)
//
// EncResponse is box(client secret, nonce = reverse(CorrID),
// pad(responseBlock, PaddedProxiedTLength)).
type FwdResponse struct {
	CorrID      []byte
	EncResponse []byte
}

// EncodeFwdResponse encodes r.
func EncodeFwdResponse(r FwdResponse) ([]byte, error) {
	return encoding.NewBuffer(nil).Short(r.CorrID).Raw(r.EncResponse).Bytes()
}

// ParseFwdResponse parses the decrypted body of RRES.
func ParseFwdResponse(b []byte) (FwdResponse, error) {
	d := encoding.NewDecoder(b)
	r := FwdResponse{CorrID: d.Short(), EncResponse: d.Tail()}
	if err := d.Finish(); err != nil {
		return FwdResponse{}, fmt.Errorf("%w: forwarded response: %w", ErrSyntax, err)
	}
	return r, nil
}
