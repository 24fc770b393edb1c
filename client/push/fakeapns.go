package push

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FakePush is one push the ntf-server's built-in fake APNs accepted, as its
// read endpoint returns it.
type FakePush struct {
	Index       int             `json:"index"`
	DeviceToken string          `json:"deviceToken"`
	PushType    string          `json:"pushType"`
	Status      int             `json:"status"`
	Body        json.RawMessage `json:"body"`
}

// maxFakeResponse bounds the endpoint's answer.
const maxFakeResponse = 4 << 20

// FetchFakePushes reads the pushes to token with index ≥ after from the
// fake APNs read endpoint base (http://<ntf-server metrics address>, the
// path /fake-apns/pushes is added unless base has a path), waiting up to
// wait for a first one. This stands in for the device's push delivery in
// local runs; real APNs has nothing like it.
func FetchFakePushes(ctx context.Context, base, token string, after int, wait time.Duration) ([]FakePush, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("push: fake APNs URL: %w", err)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/fake-apns/pushes"
	}
	q := url.Values{"token": {strings.ToLower(token)}, "after": {strconv.Itoa(after)}}
	if wait > 0 {
		q.Set("wait", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("push: fake APNs: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("push: fake APNs: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFakeResponse))
	if err != nil {
		return nil, fmt.Errorf("push: fake APNs: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("push: fake APNs: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	var out []FakePush
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("push: fake APNs answer: %w", err)
	}
	return out, nil
}

// WaitFakePush returns the first push to token with index ≥ after that
// the fake APNs accepted, polling the endpoint's long wait until ctx ends.
func WaitFakePush(ctx context.Context, base, token string, after int) (FakePush, error) {
	for {
		ps, err := FetchFakePushes(ctx, base, token, after, 10*time.Second)
		if err != nil {
			return FakePush{}, err
		}
		if len(ps) > 0 {
			return ps[0], nil
		}
		if err := ctx.Err(); err != nil {
			return FakePush{}, fmt.Errorf("push: no push to the token: %w", err)
		}
	}
}
