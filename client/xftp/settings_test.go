package xftp

import (
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"

	"golang.org/x/net/http2"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/transport"
)

// TestDialAsksForLargeFrames: the client's SETTINGS allow the server DATA
// frames of maxReadFrameSize. A TLS peer with an XFTP identity reads the
// HTTP/2 preface and the first SETTINGS frame, then hangs up.
func TestDialAsksForLargeFrames(t *testing.T) {
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "settings CA", "127.0.0.1", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan map[http2.SettingID]uint32, 1)
	go func() {
		defer close(got)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		tc := tls.Server(nc, transport.ServerTLSConfig([]tls.Certificate{id.TLS}, []string{transport.ALPNXFTP}))
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(tc, preface); err != nil || string(preface) != http2.ClientPreface {
			return
		}
		f, err := http2.NewFramer(nil, tc).ReadFrame()
		if err != nil {
			return
		}
		sf, ok := f.(*http2.SettingsFrame)
		if !ok {
			return
		}
		m := map[http2.SettingID]uint32{}
		sf.ForeachSetting(func(s http2.Setting) error { m[s.ID] = s.Val; return nil })
		got <- m
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	srv := address.ServerAddress{Scheme: address.SchemeXFTP, Hosts: []string{"127.0.0.1"}, Port: port, KeyHash: id.Fingerprint}
	Dial(testCtx(t), srv, Config{}) // fails: the peer hangs up
	m, ok := <-got
	if !ok {
		t.Fatal("no SETTINGS frame from the client")
	}
	if v := m[http2.SettingMaxFrameSize]; v != maxReadFrameSize {
		t.Fatalf("SETTINGS_MAX_FRAME_SIZE %d, want %s", v, strconv.Itoa(maxReadFrameSize))
	}
}
