package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net/http"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/protocol/xftp"
)

// Header names of the web handshake [FS xftpServerHandshakeV1, WHH].
const (
	hdrWebHello     = "Xftp-Web-Hello"
	hdrWebHandshake = "Xftp-Handshake"
)

var errHandshake = errors.New("handshake")

// handshake runs the XFTP handshake on requests of a connection that
// negotiated xftp/1 or http/1.1 (or h2 on a web connection) [FS
// xftpServerHandshakeV1]. It returns the session once the handshake was
// accepted; otherwise it has answered the request itself and returns nil.
//
//	state     request                          answer
//	none      empty body                       pad(server handshake)      → sent
//	none      web hello (SNI + header)         pad(server handshake+proof)→ sent
//	none      anything else                    pad("HANDSHAKE"); SNI: pad("SESSION")
//	sent      web hello                        the hello again, same key
//	sent      pad(w16 version ‖ short(keyHash)) 200, empty                → accepted
//	accepted  web hello                        the hello, same key        → sent
//	accepted  xftp-handshake header            client handshake, same key
//	accepted  command                          (processed)
func (c *conn) handshake(w http.ResponseWriter, r *http.Request, head []byte) *transport.Session {
	webHello := c.web && len(r.Header.Values(hdrWebHello)) > 0
	webHandshake := c.web && len(r.Header.Values(hdrWebHandshake)) > 0
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	switch c.state {
	case hsNone:
		if c.web && !webHello {
			err = &xftp.ErrorType{Code: xftp.ErrSESSION}
		} else {
			err = c.hello(w, head)
		}
	case hsSent:
		if webHello {
			err = c.hello(w, head)
		} else {
			err = c.clientHandshake(w, head)
		}
	case hsAccepted:
		switch {
		case webHello:
			err = c.hello(w, head)
		case webHandshake:
			err = c.clientHandshake(w, head)
		default:
			return c.sess
		}
	}
	if err != nil {
		code := xftp.ErrorType{Code: xftp.ErrHANDSHAKE}
		var et *xftp.ErrorType
		if errors.As(err, &et) {
			code = *et
		}
		c.s.m.Errors.WithLabelValues(string(code.Code)).Inc()
		// Handshake errors are a padded bare error word [FS sendError].
		b, _ := encoding.Pad(code.AppendTo(nil), xftp.BlockSize)
		c.cors(w.Header())
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	}
	return nil
}

// hello answers the client hello: an empty body, or on web connections
// pad(maybe(short(challenge))) [FT XFTPClientHello]. The session key is made
// once per connection and kept when the hello is repeated. Caller holds c.mu.
func (c *conn) hello(w http.ResponseWriter, head []byte) error {
	var challenge []byte
	switch {
	case len(head) == 0:
	case c.web:
		body, err := encoding.Unpad(head)
		if err != nil {
			return errHandshake
		}
		h, err := xftp.ParseClientHello(body)
		if err != nil {
			return errHandshake
		}
		challenge = h.WebChallenge
	default:
		return errHandshake
	}
	if c.key.Alg == 0 {
		k, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
		if err != nil {
			return errHandshake
		}
		c.key = k
	}
	signed, err := crypto.SignKeyDER(c.s.opts.Identity.SignKey, c.key.Public())
	if err != nil {
		return errHandshake
	}
	hs := xftp.ServerHandshake{VRange: c.s.opts.VRange, SessionID: c.sessionID,
		CertChain: c.s.opts.Identity.Chain, SignedKey: signed}
	if challenge != nil {
		// The identity proof signs challenge ‖ sessionId with the leaf key [FS processHello].
		proof, err := crypto.Sign(c.s.opts.Identity.SignKey, append(bytes.Clone(challenge), c.sessionID...))
		if err != nil {
			return errHandshake
		}
		hs.WebIdentityProof = proof
	}
	enc, err := hs.Encode()
	if err != nil {
		return errHandshake
	}
	b, err := encoding.Pad(enc, xftp.BlockSize)
	if err != nil {
		return errHandshake
	}
	// A hello (also a repeated web hello after acceptance) expects the
	// client handshake next [FS processHello: HandshakeSent].
	c.state, c.sess = hsSent, nil
	c.cors(w.Header())
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// clientHandshake accepts pad(w16 version ‖ short(keyHash), 16384): a full
// block, the server's key hash and a version in the offered range [FS
// processClientHandshake]. Caller holds c.mu.
func (c *conn) clientHandshake(w http.ResponseWriter, head []byte) error {
	if len(head) != xftp.BlockSize || c.key.Alg == 0 {
		return errHandshake
	}
	body, err := encoding.Unpad(head)
	if err != nil {
		return errHandshake
	}
	ch, err := xftp.ParseClientHandshake(body)
	if err != nil || !bytes.Equal(ch.KeyHash, c.s.opts.Identity.KeyHash) || !c.s.opts.VRange.Contains(ch.Version) {
		return errHandshake
	}
	c.sess = &transport.Session{Version: ch.Version, ServerRange: c.s.opts.VRange, SessionID: c.sessionID,
		BlockSize: xftp.BlockSize, Batching: true, Server: true, SessionKey: c.key}
	c.state = hsAccepted
	c.cors(w.Header())
	w.WriteHeader(http.StatusOK)
	return nil
}
