package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/token"

	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/apns"
	"github.com/simplexgo/services/ntf-server/internal/push"
)

// baselineToken is a device token no phase registers, so that a callback
// set by a phase ignores the baselines' pushes.
var baselineToken = tokenHex(1 << 30)

// baseline pushes body to the fake as fast as it can with a bare apns2
// client (apns2.Client.Push, token authentication with the bench's key,
// the transport internal/apns builds: HTTP/2, one connection per host)
// from workers goroutines, the concurrency the NTF server's dispatcher
// has. It returns the pushes per second the fake received over d (after
// 1 s of warm-up) and the bench process's CPU per push meanwhile (the
// apns2 client and the fake APNs).
func baseline(fake *fakeAPNs, body []byte, workers int, d time.Duration) (float64, float64, error) {
	cl := apns2.NewTokenClient(&token.Token{AuthKey: fake.key, KeyID: fake.keyID, TeamID: fake.teamID})
	cl.Host = fake.url()
	tr := &http.Transport{
		TLSClientConfig: tlsConfig(fake),
		Protocols:       h2Only(),
		HTTP2:           &http.HTTP2Config{SendPingTimeout: apns2.ReadIdleTimeout},
		MaxConnsPerHost: 1,
	}
	defer tr.CloseIdleConnections()
	cl.HTTPClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	n := &apns2.Notification{DeviceToken: baselineToken, Topic: fake.topic, Payload: body, PushType: apns2.PushTypeAlert}
	return measurePushes(fake, workers, d, func(ctx context.Context) error {
		res, err := cl.PushWithContext(ctx, n)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d %s", res.StatusCode, res.Reason)
		}
		return err
	})
}

// serverPathBaseline is baseline through ntf-server's own APNs client
// (internal/apns, which makes the same requests as apns2's Push without
// re-validating the JSON body): the figure that isolates what the server
// adds around its pushes.
func serverPathBaseline(fake *fakeAPNs, body []byte, workers int, d time.Duration) (float64, float64, error) {
	c, err := apns.New(apns.Config{Key: fake.key, KeyID: fake.keyID, TeamID: fake.teamID, Topic: fake.topic, RootCAs: fake.pool,
		URLs: map[ntf.Provider]string{ntf.ProviderAPNSProd: fake.url()}})
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	n := push.Notification{Provider: ntf.ProviderAPNSProd, DeviceToken: []byte(baselineToken), Kind: push.Message, Payload: body}
	return measurePushes(fake, workers, d, func(ctx context.Context) error { return c.Push(ctx, n) })
}

// measurePushes runs push from workers goroutines, 1 s of warm-up and
// then d measured: pushes per second at the fake and the bench process's
// CPU per push.
func measurePushes(fake *fakeAPNs, workers int, d time.Duration, push func(context.Context) error) (float64, float64, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		wg    sync.WaitGroup
		first atomic.Pointer[error]
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := push(ctx); err != nil {
					if ctx.Err() == nil {
						first.CompareAndSwap(nil, &err)
						cancel()
					}
					return
				}
			}
		}()
	}
	time.Sleep(time.Second)
	n0, t0, c0 := fake.accepted.Load(), time.Now(), selfCPU()
	time.Sleep(d)
	n1, elapsed, c1 := fake.accepted.Load(), time.Since(t0), selfCPU()
	cancel()
	wg.Wait()
	if e := first.Load(); e != nil {
		return 0, 0, fmt.Errorf("push: %w", *e)
	}
	return float64(n1-n0) / elapsed.Seconds(), float64((c1 - c0).Microseconds()) / float64(max(n1-n0, 1)), nil
}

func tlsConfig(f *fakeAPNs) *tls.Config {
	return &tls.Config{RootCAs: f.pool, MinVersion: tls.VersionTLS12}
}

func h2Only() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP2(true)
	return p
}
