package apns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/sideshow/apns2"

	"github.com/simplexgo/services/ntf-server/internal/push"
)

// maxErrorBody bounds the JSON error body read from APNs ({"reason": …,
// "timestamp": …} is a few dozen bytes).
const maxErrorBody = 4096

// send makes the request apns2.Client.Push would make for this push and
// returns the status and APNs reason. It uses the apns2 client's host,
// provider token (apns2 renews the JWT) and HTTP/2 client, but not its
// Push: Push runs the body through encoding/json, which re-validates and
// compacts any JSON it is given (a 4 KB message push: ~55 µs, a quarter of
// the server's CPU per notification). The bodies here are built by
// package ntf as compact JSON (TestPayloadsAreCompactJSON), so they go out
// as they are. Headers are set as apns2 sets them [apns2 setHeaders] for
// the fields the reference uses [APNS apnsRequest]; on 200 the (empty)
// body is not decoded. ctx must carry the request's deadline (Push).
func (c *Client) send(ctx context.Context, p *provider, n push.Notification) (status int, reason string, err error) {
	cl := p.cl
	// The request http.NewRequestWithContext would make for
	// cl.Host+"/3/device/"+token, without parsing the URL each time: the
	// token is lower-case hex (ntf.ParseDeviceToken), a path as it is.
	u := *p.base
	u.Path = "/3/device/" + string(n.DeviceToken)
	payload := n.Payload
	req := (&http.Request{
		Method:        http.MethodPost,
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Body:          io.NopCloser(bytes.NewReader(payload)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil },
		ContentLength: int64(len(payload)),
		Host:          u.Host,
	}).WithContext(ctx)
	h := http.Header{
		"Content-Type":   contentType,
		"Apns-Topic":     c.topic,
		"Authorization":  {"bearer " + cl.Token.GenerateIfExpired()},
		"Apns-Push-Type": pushTypeAlert,
	}
	if n.Kind.Background() {
		h["Apns-Push-Type"], h["Apns-Priority"] = pushTypeBackground, priorityLow
	}
	req.Header = h
	// The transport directly: http.Client.Do would add what APNs never
	// needs (redirects, with a copy of the headers per request, cookies)
	// and a second deadline; Push bounds the request with its context.
	res, err := cl.HTTPClient.Transport.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		// APNs sends no body on 200; drain one that is there so that the
		// stream ends cleanly.
		if res.ContentLength != 0 {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
		}
		return res.StatusCode, "", nil
	}
	var r struct {
		Reason string `json:"reason"`
	}
	// As apns2: an error body that is not JSON is an error (retried), an
	// empty one leaves the reason empty.
	if err := json.NewDecoder(io.LimitReader(res.Body, maxErrorBody)).Decode(&r); err != nil && err != io.EOF {
		return 0, "", fmt.Errorf("APNs %d: error body: %w", res.StatusCode, err)
	}
	return res.StatusCode, r.Reason, nil
}

// Header values shared by every request (the transport only reads them).
var (
	contentType        = []string{"application/json; charset=utf-8"}
	pushTypeAlert      = []string{string(apns2.PushTypeAlert)}
	pushTypeBackground = []string{string(apns2.PushTypeBackground)}
	priorityLow        = []string{"5"} // apns2.PriorityLow
)
