package server

import (
	"bytes"
	"context"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// forwardedAsync runs forwarded off the connection's reader, at most
// ProxyConcurrency at once, and queues the RRES when it is done. A proxy
// sends every forwarded command of its users to this relay on one
// connection; handled in line, each SEND would wait for its own bbolt
// commit before the next block is read (~220 forwarded messages/s through
// a proxy in `smp-bench -phases proxy`), where concurrent ones share a
// commit. Senders wait for each response before their next command to a
// queue, so a queue's messages keep their order.
func (h *handlerCtx) forwardedAsync(ctx context.Context, cmd smp.RFWD) []out {
	c := h.c
	r := *h.r
	r.corrID = bytes.Clone(h.r.corrID) // the block's buffer is reused once this returns
	enc := bytes.Clone(cmd.EncFwdTransmission)
	select {
	case c.proxySem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	c.async.Add(1)
	go func() {
		defer c.async.Done()
		defer func() { <-c.proxySem }()
		hh := &handlerCtx{c: c, v: h.v, r: &r}
		outs := hh.forwarded(ctx, smp.RFWD{EncFwdTransmission: enc})
		c.mu.Lock()
		for _, o := range outs {
			c.pushLocked(o)
		}
		c.mu.Unlock()
	}()
	return nil
}

// forwarded handles RFWD: a sender's command forwarded by another server
// acting as its proxy (private routing) [MS processForwardedCommand,
// CONFORMANCE-NOTES §3.5].
//
//	RFWD = tail(box_nopad(sessSecret, nonce = corrId, fwd))
//	fwd  = short(clientCorrId) w16 fwdVersion short(clientKey) tail(encT)
//	encT = box(DH(clientKey, session key), nonce = clientCorrId, pad(batch, 16226))
//	RRES = tail(box_nopad(sessSecret, reverse(corrId), short(clientCorrId) tail(encR)))
//	encR = box(client secret, reverse(clientCorrId), pad(response batch, 16226))
//
// sessSecret = DH(this session's key, the proxy's key from its hello).
// Inside is exactly one transmission, SEND or SKEY only, at fwdVersion,
// bound to this proxy-relay session's id.
func (h *handlerCtx) forwarded(ctx context.Context, cmd smp.RFWD) []out {
	c := h.c
	res := func(m smp.Message) []out { return []out{{corrID: h.r.corrID, msg: m}} }
	fail := func(e smp.ErrorType) []out { return res(smp.ERR{Err: e}) }
	sw, ok := c.w.(*sessionWire)
	if !ok {
		return fail(smp.ErrInternal)
	}
	sessSecret, err := sw.s.SessionSecret()
	if err != nil {
		return fail(smp.NewProxyError(smp.ProxyError{Code: smp.ProxyBroker,
			Broker: &smp.BrokerError{Code: smp.BrokerTransport, Transport: &smp.TransportError{Code: smp.TransportNoAuth}}}))
	}
	proxyNonce := crypto.CbNonce(h.r.corrID)
	plain, err := crypto.OpenBox(sessSecret, proxyNonce, cmd.EncFwdTransmission)
	if err != nil {
		return fail(smp.ErrCrypto)
	}
	fwd, err := smp.ParseFwdTransmission(plain)
	if err != nil || fwd.ClientKey.Alg != crypto.X25519 || !smp.EncodableRange.Contains(fwd.Version) || fwd.Version < smp.VersionSendingProxy {
		return fail(smp.ErrCmdSyntax)
	}
	clientSecret, err := crypto.DH(sw.s.SessionKey, fwd.ClientKey)
	if err != nil {
		return fail(smp.ErrCrypto)
	}
	clientNonce := crypto.CbNonce(fwd.CorrID)
	block, err := crypto.OpenBoxPadded(clientSecret, clientNonce, fwd.EncTransmission)
	if err != nil {
		return fail(smp.ErrCrypto)
	}
	inner := &transport.Session{
		Version:          fwd.Version,
		SessionID:        sw.s.SessionID,
		BlockSize:        transport.SMPBlockSize,
		ImpliedSessionID: fwd.Version >= smp.VersionAuthCmds,
		ServiceAuth:      fwd.Version >= smp.VersionServiceCerts,
		Batching:         true,
		Server:           true,
		SessionKey:       sw.s.SessionKey,
	}
	pts, err := transport.ParseBatch(inner, block)
	if err != nil || len(pts) != 1 {
		return fail(smp.ErrBlock)
	}
	pt := pts[0]
	r := request{auth: pt.Auth, corrID: pt.CorrID, entityID: pt.EntityID, command: pt.Command, authorized: pt.Authorized(), err: pt.Err}
	outs := c.handleAt(ctx, &r, fwd.Version, true)
	if len(outs) == 0 {
		return fail(smp.ErrInternal)
	}
	o := outs[0] // SEND and SKEY have exactly one response
	cmdBytes, err := smp.EncodeMessage(fwd.Version, o.msg)
	if err != nil {
		return fail(smp.ErrInternal)
	}
	tx, err := transport.EncodeTransmission(inner, transport.Transmission{CorrID: o.corrID, EntityID: o.entityID, Command: cmdBytes})
	if err != nil {
		return fail(smp.ErrBlock)
	}
	batches, err := transport.PackBatches(inner, [][]byte{tx})
	if err != nil || len(batches) != 1 {
		return fail(smp.ErrBlock)
	}
	encR, err := crypto.BoxPadded(clientSecret, crypto.ReverseNonce(clientNonce), batches[0], smp.PaddedProxiedTLength)
	if err != nil {
		return fail(smp.ErrBlock)
	}
	fr, err := smp.EncodeFwdResponse(smp.FwdResponse{CorrID: fwd.CorrID, EncResponse: encR})
	if err != nil {
		return fail(smp.ErrInternal)
	}
	rres, err := crypto.Box(sessSecret, crypto.ReverseNonce(proxyNonce), fr)
	if err != nil {
		return fail(smp.ErrInternal)
	}
	return res(smp.RRES{EncFwdResponse: rres})
}
