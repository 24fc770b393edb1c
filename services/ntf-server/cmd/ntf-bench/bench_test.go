package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"
)

// TestFakeAPNs: the bench's fake accepts an apns2 push signed with its key
// (and hands it to the callback), and rejects one signed with another key
// (InvalidProviderToken) and a bad device token.
func TestFakeAPNs(t *testing.T) {
	f, err := startFakeAPNs("../../internal/apns/testdata/AuthKey_H82WD9K9AQ.p8", "H82WD9K9AQ")
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	var got atomic.Value
	f.setOnPush(func(tok string, body []byte, _ time.Time) { got.Store(tok + " " + string(body)) })
	push := func(key *ecdsa.PrivateKey, devTok string) *apns2.Response {
		t.Helper()
		cl := apns2.NewTokenClient(&token.Token{AuthKey: key, KeyID: f.keyID, TeamID: f.teamID})
		cl.Host = f.url()
		cl.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(f), Protocols: h2Only()}, Timeout: 10 * time.Second}
		res, err := cl.Push(&apns2.Notification{DeviceToken: devTok, Topic: f.topic, Payload: []byte(`{"aps":{}}`), PushType: apns2.PushTypeAlert})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := push(f.key, tokenHex(0)); res.StatusCode != http.StatusOK {
		t.Fatalf("valid push: %d %s", res.StatusCode, res.Reason)
	}
	if s, _ := got.Load().(string); s != tokenHex(0)+` {"aps":{}}` {
		t.Fatalf("callback got %q", s)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if res := push(other, tokenHex(0)); res.StatusCode != http.StatusForbidden || res.Reason != "InvalidProviderToken" {
		t.Fatalf("foreign key: %d %s", res.StatusCode, res.Reason)
	}
	if res := push(f.key, "xyz"); res.StatusCode != http.StatusBadRequest || res.Reason != "BadDeviceToken" {
		t.Fatalf("bad token: %d %s", res.StatusCode, res.Reason)
	}
	if a, r := f.accepted.Load(), f.rejected.Load(); a != 1 || r != 2 {
		t.Fatalf("accepted %d rejected %d", a, r)
	}
}

// TestNSUBCounts parses the Prometheus text of ntf_smp_nsub_total.
func TestNSUBCounts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `# HELP ntf_smp_nsub_total NSUB results by outcome.
# TYPE ntf_smp_nsub_total counter
ntf_smp_nsub_total{outcome="auth"} 2
ntf_smp_nsub_total{outcome="network"} 900
ntf_smp_nsub_total{outcome="ok"} 99100
ntf_smp_connections 1
`)
	}))
	defer srv.Close()
	c, err := nsubCounts(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if c["ok"] != 99100 || c["network"] != 900 || c["auth"] != 2 || len(c) != 3 {
		t.Fatalf("%v", c)
	}
}

// TestProcStats reads a child process's CPU time and RSS from /proc.
func TestProcStats(t *testing.T) {
	p, err := startProc("/bin/sleep", "5")
	if err != nil {
		t.Skip(err)
	}
	defer p.stop()
	if p.rss() <= 0 {
		t.Fatal("no RSS")
	}
	if p.cpu() < 0 {
		t.Fatal("negative CPU time")
	}
}
