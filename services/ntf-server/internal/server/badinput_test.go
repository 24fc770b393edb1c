package server

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

// TestBadInput: malformed and unauthorized transmissions are answered with
// the protocol's errors and the connection stays usable [MP tDecodeServer,
// NP checkCredentials, NS verifyNtfTransmission].
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	n := e.activate(c, d, 0)
	_ = n
	key := d.VerifyKey
	other := must[crypto.PrivateKey](t)(crypto.GenerateKey(crypto.Ed25519, rand.Reader))
	tnew := must[[]byte](t)(ntf.EncodeCommand(c.S.Version, ntf.TNEW{Provider: ntf.ProviderAPNSTest, Token: []byte("ab"),
		VerifyKey: key.Public(), DHKey: d.DHKey.Public()}))
	for _, tc := range []struct {
		name string
		tr   ntftest.Transmission
		want string
	}{
		{"unknown command", ntftest.Transmission{Key: &key, EntityID: d.TokenID, Command: []byte("HELLO")}, "CMD UNKNOWN"},
		{"syntax", ntftest.Transmission{Key: &key, EntityID: d.TokenID, Command: []byte("TCRN x")}, "CMD SYNTAX"},
		{"bad provider", ntftest.Transmission{Key: &key, Command: []byte("TNEW XX")}, "CMD SYNTAX"},
		{"no auth", ntftest.Transmission{EntityID: d.TokenID, Command: []byte("TCHK")}, "CMD NO_AUTH"},
		{"no entity", ntftest.Transmission{Key: &key, Command: []byte("TCHK")}, "CMD NO_AUTH"},
		{"TNEW with entity", ntftest.Transmission{Key: &key, EntityID: d.TokenID, Command: tnew}, "CMD HAS_AUTH"},
		{"TNEW unsigned", ntftest.Transmission{Command: tnew}, "CMD NO_AUTH"},
		{"TNEW signed by another key", ntftest.Transmission{Key: &other, Command: tnew}, "AUTH"},
		{"PING signed", ntftest.Transmission{Key: &key, Command: []byte("PING")}, "CMD HAS_AUTH"},
		{"wrong key", ntftest.Transmission{Key: &other, EntityID: d.TokenID, Command: []byte("TCHK")}, "AUTH"},
		{"unknown token", ntftest.Transmission{Key: &key, EntityID: make([]byte, 24), Command: []byte("TCHK")}, "AUTH"},
		{"unknown subscription", ntftest.Transmission{Key: &key, EntityID: make([]byte, 24), Command: []byte("SCHK")}, "AUTH"},
		{"X25519 verify key", ntftest.Transmission{Key: &d.DHKey, EntityID: d.TokenID, Command: []byte("TCHK")}, "AUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := c.SendRaw(tc.tr)
			if err != nil {
				t.Fatal(err)
			}
			expectErr(t, rs[0].Resp, tc.want)
		})
	}
	// PING needs nothing
	if r := must[ntf.Response](t)(c.Send(nil, nil, ntf.PING{})); r.Tag() != "PONG" {
		t.Fatalf("PING: %v", r)
	}
	// a block that is not a batch: one ERR BLOCK with empty corrId and entity
	if err := c.WriteBlock([]byte{0}); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Read(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs[0].CorrID) != 0 || len(rs[0].EntityID) != 0 {
		t.Fatal("ERR BLOCK with ids")
	}
	expectErr(t, rs[0].Resp, "BLOCK")
	// an authorization of an impossible length: ERR BLOCK with the corrId
	bad := []byte{1, 0, 5, 'a', 'b', 'c', 'd', 'e', 1, 'c', 0, 'P', 'I', 'N', 'G'}
	bad[0], bad[1] = 0, byte(len(bad)-2)
	payload := append([]byte{1}, bad...)
	if err := c.WriteBlock(payload); err != nil {
		t.Fatal(err)
	}
	rs, err = c.Read(1)
	if err != nil {
		t.Fatal(err)
	}
	expectErr(t, rs[0].Resp, "BLOCK")
	// a batch of several commands gets all its answers, in order
	ping := must[[]byte](t)(ntf.EncodeCommand(c.S.Version, ntf.PING{}))
	rs, err = c.SendRaw(ntftest.Transmission{Command: ping}, ntftest.Transmission{Key: &key, EntityID: d.TokenID, Command: []byte("TCHK")},
		ntftest.Transmission{Command: []byte("NOPE")})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Resp.Tag() != "PONG" || rs[1].Resp.Tag() != "TKN" {
		t.Fatalf("batch: %v %v", rs[0].Resp, rs[1].Resp)
	}
	expectErr(t, rs[2].Resp, "CMD UNKNOWN")
	// the connection still works
	if tokenStatus(t, c, d).Code != ntf.TokenActive {
		t.Fatal("status")
	}
}

// TestLegacyVersion: without ALPN the server offers v1 only (session id in
// every transmission, no batching, INVALID without a reason) [NT]; the
// lifecycle works there too.
func TestLegacyVersion(t *testing.T) {
	e := newEnv(t)
	c, err := ntftest.Dial(context.Background(), e.addr, e.keyHash, []string{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.S.Version != 1 || c.S.Batching {
		t.Fatalf("v%d batching=%v", c.S.Version, c.S.Batching)
	}
	d := must[*ntftest.Device](t)(ntftest.NewDevice(ntf.ProviderAPNSTest, devToken))
	e.fake.ScriptOnce(devToken, apnsfake.Response{Status: 410, Reason: "Unregistered"})
	must[ntf.Response](t)(d.Register(c))
	eventually(t, "INVALID", func() bool { return tokenStatus(t, c, d).Code == ntf.TokenInvalid })
	r := must[ntf.Response](t)(d.Cmd(c, ntf.TCHK{}))
	b, _ := ntf.EncodeResponse(1, r)
	if string(b) != "TKN INVALID" {
		t.Fatalf("v1 status %q", b)
	}
	// two transmissions are answered in two blocks
	ping := must[[]byte](t)(ntf.EncodeCommand(1, ntf.PING{}))
	rs, err := c.SendRaw(ntftest.Transmission{Command: ping}, ntftest.Transmission{Command: ping})
	if err != nil || len(rs) != 2 || rs[1].Resp.Tag() != "PONG" {
		t.Fatalf("v1 pings: %v %v", rs, err)
	}
}
