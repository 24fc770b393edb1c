package apns

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"

	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/push"
)

// The test key is /work/shared/fixtures/AuthKey_H82WD9K9AQ.p8 (key id
// H82WD9K9AQ), copied to testdata.
const (
	keyID  = "H82WD9K9AQ"
	teamID = "5NN7GUYB6T"
	topic  = "chat.simplex.app"
	dev    = "0123456789abcdef0123456789abcdef"
)

func setup(t *testing.T) (*Client, *apnsfake.Server) {
	t.Helper()
	key, err := LoadKey("testdata/AuthKey_H82WD9K9AQ.p8")
	if err != nil {
		t.Fatal(err)
	}
	f, err := apnsfake.Start("127.0.0.1:0", apnsfake.Config{Key: &key.PublicKey, KeyID: keyID, TeamID: teamID, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	c, err := New(Config{Key: key, KeyID: keyID, TeamID: teamID, Topic: topic, RootCAs: f.CertPool(),
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSTest: f.URL(), ntf.ProviderAPNSDev: f.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

// TestHeaders checks what the reference sends [APNS apnsRequest]:
// background pushes with priority 5, alerts without priority, no expiration.
func TestHeaders(t *testing.T) {
	c, f := setup(t)
	ctx := context.Background()
	var nonce [24]byte
	if err := c.Push(ctx, push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev),
		Kind: push.Verification, Payload: ntf.VerificationPayload(nonce, []byte("code"))}); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, push.Notification{Provider: ntf.ProviderAPNSDev, DeviceToken: []byte(dev),
		Kind: push.Message, Payload: ntf.MessagePayload(nonce, []byte("msg"))}); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, push.Notification{Provider: ntf.ProviderAPNSNull, DeviceToken: []byte(dev),
		Kind: push.Message, Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ps := f.Pushes()
	if len(ps) != 2 || len(f.Rejected()) != 0 {
		t.Fatalf("pushes %d rejected %v", len(ps), f.Rejected())
	}
	if p := ps[0]; p.PushType != "background" || p.Priority != "5" || p.Topic != topic || p.Expiration != "" || p.DeviceToken != dev {
		t.Fatalf("verification push %+v", p)
	}
	if p := ps[1]; p.PushType != "alert" || p.Priority != "" {
		t.Fatalf("message push %+v", p)
	}
	if err := c.Push(ctx, push.Notification{Provider: ntf.ProviderAPNSProd, DeviceToken: []byte(dev)}); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("provider without URL: %v", err)
	}
}

func TestResponses(t *testing.T) {
	c, f := setup(t)
	n := push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.CheckMessages,
		Payload: ntf.CheckMessagesPayload()}
	for _, tc := range []struct {
		r      apnsfake.Response
		reason ntf.InvalidReason
		want   error
	}{
		{apnsfake.Response{Status: 400, Reason: "BadDeviceToken"}, ntf.ReasonBadToken, nil},
		{apnsfake.Response{Status: 400, Reason: "DeviceTokenNotForTopic"}, ntf.ReasonNotForTopic, nil},
		{apnsfake.Response{Status: 410, Reason: "Unregistered"}, ntf.ReasonUnregistered, nil},
		{apnsfake.Response{Status: 410, Reason: "ExpiredToken"}, ntf.ReasonExpiredToken, nil},
		{apnsfake.Response{Status: 410, Reason: "Other"}, "", push.ErrRetry},
		{apnsfake.Response{Status: 429, Reason: "TooManyRequests"}, "", push.ErrRetry},
		{apnsfake.Response{Status: 500, Reason: "InternalServerError"}, "", push.ErrRetry},
		{apnsfake.Response{Status: 503, Reason: "ServiceUnavailable"}, "", push.ErrRetry},
		{apnsfake.Response{Status: 400, Reason: "TopicDisallowed"}, "", push.ErrPermanent},
		{apnsfake.Response{Status: 403, Reason: "InvalidProviderToken"}, "", push.ErrPermanent},
	} {
		f.ScriptOnce(dev, tc.r)
		err := c.Push(context.Background(), n)
		var ti *push.TokenInvalidError
		if tc.want == nil {
			if !errors.As(err, &ti) || ti.Reason != tc.reason {
				t.Errorf("%+v: %v", tc.r, err)
			}
		} else if !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.r, err, tc.want)
		}
	}
}

// TestFakeRejects checks that the fake enforces Apple's rules: a JWT
// signed by another key and an oversized payload are refused.
func TestFakeRejects(t *testing.T) {
	_, f := setup(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c, err := New(Config{Key: other, KeyID: keyID, TeamID: teamID, Topic: topic, RootCAs: f.CertPool(),
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSTest: f.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	n := push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.CheckMessages,
		Payload: ntf.CheckMessagesPayload()}
	if err := c.Push(context.Background(), n); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("foreign key: %v", err)
	}
	c2, f2 := setup(t)
	n.Payload = append([]byte(`{"aps":{},"x":"`), make([]byte, 5000)...)
	for i := 15; i < len(n.Payload); i++ {
		n.Payload[i] = 'a'
	}
	n.Payload = append(n.Payload, `"}`...)
	if err := c2.Push(context.Background(), n); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("large payload: %v", err)
	}
	rej := append(f.Rejected(), f2.Rejected()...)
	if len(rej) != 2 || rej[0].Reason != "InvalidProviderToken" || rej[1].Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("rejected = %+v", rej)
	}
}

// TestDispatcherRetries: 429 then 500 then 200 is delivered on the third
// try; another token is not held up meanwhile; a 410 is not retried.
func TestDispatcherRetries(t *testing.T) {
	c, f := setup(t)
	const other = "abcdef"
	f.ScriptOnce(dev, apnsfake.Response{Status: 429, Reason: "TooManyRequests"}, apnsfake.Response{Status: 500})
	f.ScriptOnce(other, apnsfake.Response{Status: 410, Reason: "Unregistered"})
	var attempts atomic.Int32
	d := push.NewDispatcher(c, push.DispatcherOptions{Workers: 2, Backoff: 20 * time.Millisecond,
		Observe: func(push.Kind, error, time.Duration) { attempts.Add(1) }})
	defer d.Close(context.Background())
	res := make(chan error, 2)
	n := push.Notification{Provider: ntf.ProviderAPNSTest, Kind: push.CheckMessages, Payload: ntf.CheckMessagesPayload()}
	n1, n2 := n, n
	n1.DeviceToken, n2.DeviceToken = []byte(dev), []byte(other)
	if err := d.Enqueue(&push.Job{Notification: n1, Done: func(err error) { res <- err }}); err != nil {
		t.Fatal(err)
	}
	if err := d.Enqueue(&push.Job{Notification: n2, Done: func(err error) { res <- err }}); err != nil {
		t.Fatal(err)
	}
	first := <-res
	var ti *push.TokenInvalidError
	if !errors.As(first, &ti) {
		t.Fatalf("first result %v, want the 410 (not held up by retries)", first)
	}
	if err := <-res; err != nil {
		t.Fatalf("retried push: %v", err)
	}
	if attempts.Load() != 4 {
		t.Fatalf("attempts = %d", attempts.Load())
	}
}

// TestConnectionErrorHidesToken: a connection failure is retryable and its
// text does not contain the device token (tokens are never logged).
func TestConnectionErrorHidesToken(t *testing.T) {
	c, f := setup(t)
	f.Close()
	err := c.Push(context.Background(), push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev),
		Kind: push.CheckMessages, Payload: ntf.CheckMessagesPayload()})
	if !errors.Is(err, push.ErrRetry) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), dev) {
		t.Fatalf("error text has the device token: %v", err)
	}
}

// TestJWTRefresh: the provider token is renewed before Apple's one-hour
// limit (apns2 renews after token.TokenTimeout, 50 minutes); the fake
// refuses a token older than an hour with ExpiredProviderToken.
func TestJWTRefresh(t *testing.T) {
	c, f := setup(t)
	n := push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.CheckMessages,
		Payload: ntf.CheckMessagesPayload()}
	if err := c.Push(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if f.Pushes()[0].IssuedAt != c.tok.IssuedAt {
		t.Fatal("the fake did not see the token's iat")
	}
	// pretend the token was issued 51 minutes ago: it is renewed before use
	c.tok.IssuedAt -= 51 * 60
	stale := c.tok.IssuedAt
	if err := c.Push(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if c.tok.IssuedAt == stale || f.Pushes()[1].IssuedAt != c.tok.IssuedAt {
		t.Fatalf("token not renewed: iat %d, pushed with %d", c.tok.IssuedAt, f.Pushes()[1].IssuedAt)
	}
	if token.TokenTimeout >= 3600 {
		t.Fatalf("apns2 renews after %d s, past Apple's hour", token.TokenTimeout)
	}
	// a token an hour old is refused by the fake (as by Apple)
	key, _ := LoadKey("testdata/AuthKey_H82WD9K9AQ.p8")
	f2, err := apnsfake.Start("127.0.0.1:0", apnsfake.Config{Key: &key.PublicKey, KeyID: keyID, TeamID: teamID, Topic: topic,
		Now: func() time.Time { return time.Now().Add(61 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	c2, _ := New(Config{Key: key, KeyID: keyID, TeamID: teamID, Topic: topic, RootCAs: f2.CertPool(),
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSTest: f2.URL()}})
	if err := c2.Push(context.Background(), n); !errors.Is(err, push.ErrPermanent) {
		t.Fatalf("expired provider token: %v", err)
	}
	if rej := f2.Rejected(); len(rej) != 1 || rej[0].Reason != "ExpiredProviderToken" {
		t.Fatalf("rejected %+v", rej)
	}
}

// TestPayloadsAreCompactJSON: apns2.Client.Push sends json.Marshal of the
// notification, which for a []byte payload is the payload compacted (and
// HTML-escaped). Push requests skip that step, so every body package ntf
// builds must already be exactly what apns2 would send.
func TestPayloadsAreCompactJSON(t *testing.T) {
	var nonce [24]byte
	rand.Read(nonce[:])
	enc := make([]byte, 3072+16)
	rand.Read(enc)
	for _, p := range [][]byte{
		ntf.VerificationPayload(nonce, enc[:40]),
		ntf.MessagePayload(nonce, enc),
		ntf.MessagePayload(nonce, nil),
		ntf.CheckMessagesPayload(),
	} {
		got, err := json.Marshal(&apns2.Notification{Payload: p})
		if err != nil || !bytes.Equal(got, p) {
			t.Errorf("apns2 would send %s (%v)\nnot %s", got, err, p)
		}
	}
}

// clientFor starts srv (unstarted, with HTTP/2 over TLS) and returns a
// Client whose apns_test provider is srv, trusting its certificate.
func clientFor(t *testing.T, srv *httptest.Server, timeout time.Duration) *Client {
	t.Helper()
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	key, err := LoadKey("testdata/AuthKey_H82WD9K9AQ.p8")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c, err := New(Config{Key: key, KeyID: keyID, TeamID: teamID, Topic: topic, RootCAs: pool, Timeout: timeout,
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSTest: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRequestMatchesApns2 sends the same pushes through Client and through
// apns2.Client.Push (same provider token) to a recording HTTP/2 server:
// method, path, every header and the body must be equal.
func TestRequestMatchesApns2(t *testing.T) {
	type request struct {
		method, path string
		header       http.Header
		body         []byte
	}
	reqs := make(chan request, 2)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.ProtoMajor != 2 {
			t.Errorf("HTTP/%d", r.ProtoMajor)
		}
		reqs <- request{r.Method, r.URL.Path, r.Header, b}
	}))
	c := clientFor(t, srv, 0)
	ours, err := c.client(ntf.ProviderAPNSTest)
	if err != nil {
		t.Fatal(err)
	}
	var nonce [24]byte
	for _, n := range []push.Notification{
		{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.Verification, Payload: ntf.VerificationPayload(nonce, []byte("code"))},
		{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.Message, Payload: ntf.MessagePayload(nonce, []byte("msg"))},
		{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.CheckMessages, Payload: ntf.CheckMessagesPayload()},
	} {
		if err := c.Push(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		got := <-reqs
		an := &apns2.Notification{DeviceToken: dev, Topic: topic, Payload: n.Payload, PushType: apns2.PushTypeAlert}
		if n.Kind.Background() {
			an.PushType, an.Priority = apns2.PushTypeBackground, apns2.PriorityLow
		}
		if res, err := ours.cl.Push(an); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("apns2 Push: %v %v", res, err)
		}
		want := <-reqs
		if got.method != want.method || got.path != want.path || !bytes.Equal(got.body, want.body) {
			t.Errorf("%v: %s %s %s, apns2 %s %s %s", n.Kind, got.method, got.path, got.body, want.method, want.path, want.body)
		}
		if !reflect.DeepEqual(got.header, want.header) {
			t.Errorf("%v: headers\n%v\napns2\n%v", n.Kind, got.header, want.header)
		}
	}
}

// TestTimeout: a push whose context has no deadline is bounded by
// Config.Timeout (a connection that never answers is retried later, and
// the worker is free again).
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	c := clientFor(t, srv, 200*time.Millisecond)
	start := time.Now()
	err := c.Push(context.Background(), push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev), Kind: push.CheckMessages, Payload: ntf.CheckMessagesPayload()})
	if !errors.Is(err, push.ErrRetry) || time.Since(start) > 10*time.Second {
		t.Fatalf("push to a silent APNs: %v after %v", err, time.Since(start))
	}
	if strings.Contains(err.Error(), dev) {
		t.Fatalf("error names the device token: %v", err)
	}
}

// TestOddResponses: what a misbehaving APNs answers is classified, and a
// large body is not read beyond the limit.
func TestOddResponses(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		body   string
		check  func(error) bool
	}{
		{"400 not JSON", http.StatusBadRequest, "<html>oops</html>", func(err error) bool { return errors.Is(err, push.ErrRetry) }},
		{"400 empty", http.StatusBadRequest, "", func(err error) bool { return errors.Is(err, push.ErrPermanent) }},
		{"410 JSON with an unknown reason", http.StatusGone, `{"reason":"Whatever"}`, func(err error) bool { return errors.Is(err, push.ErrRetry) }},
		{"200 with a large body", http.StatusOK, strings.Repeat("x", 1<<20), func(err error) bool { return err == nil }},
		{"400 with a large body", http.StatusBadRequest, `{"reason":"BadDeviceToken"` + strings.Repeat(" ", 1<<20) + `}`, func(err error) bool { return errors.Is(err, push.ErrRetry) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			cl := clientFor(t, srv, 5*time.Second)
			err := cl.Push(context.Background(), push.Notification{Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev),
				Kind: push.CheckMessages, Payload: ntf.CheckMessagesPayload()})
			if !c.check(err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
