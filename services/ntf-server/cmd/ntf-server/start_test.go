package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	adminv1 "github.com/simplexgo/proto/simplexgo/admin/v1"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestStartLocal runs `init --host localhost` and `start` as `make run`
// does: the built-in fake APNs accepts the verification push, so a token
// becomes CONFIRMED; /metrics, gRPC health and NTFAdmin answer; the server
// stops when its context ends.
func TestStartLocal(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	out := capture(t, func() error { return run([]string{"init", "--data", dir, "--host", "localhost", "--port", port}) })
	a, err := address.ParseServer(strings.TrimSpace(out), address.SchemeNTF)
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr, metricsAddr := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, nil, []string{"--data", dir, "--grpc", grpcAddr, "--metrics", metricsAddr, "--log-level", "error"},
			func() { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("start: %v", err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	c, err := ntftest.Dial(dctx, "127.0.0.1:"+port, a.KeyHash, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, _ := ntftest.NewDevice(ntf.ProviderAPNSProd, "00112233445566778899aabbccddeeff")
	r, err := d.Register(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(ntf.IDTKN); !ok {
		t.Fatalf("TNEW: %v", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := d.Cmd(c, ntf.TCHK{})
		if err != nil {
			t.Fatal(err)
		}
		if r.(ntf.TKN).Status.Code == ntf.TokenConfirmed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %v", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `ntf_pushes_total{kind="verification",outcome="ok"} 1`) {
		t.Fatalf("metrics:\n%s", body)
	}
	if strings.Contains(string(body), "00112233") {
		t.Fatal("device token in metrics")
	}
	// the fake's read endpoint gives the verification push to the device
	resp, err = http.Get("http://" + metricsAddr + "/fake-apns/pushes?token=00112233445566778899aabbccddeeff")
	if err != nil {
		t.Fatal(err)
	}
	var pushes []struct {
		DeviceToken string          `json:"deviceToken"`
		Body        json.RawMessage `json:"body"`
	}
	err = json.NewDecoder(resp.Body).Decode(&pushes)
	resp.Body.Close()
	if err != nil || len(pushes) != 1 {
		t.Fatalf("fake-apns pushes %v %+v", err, pushes)
	}
	if _, code, err := d.Decrypt(pushes[0].Body); err != nil || len(code) == 0 {
		t.Fatalf("verification push: %v", err)
	}
	gc, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	h, err := healthpb.NewHealthClient(gc).Check(dctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v %v", h, err)
	}
	ts, err := adminv1.NewNTFAdminClient(gc).GetToken(dctx, &adminv1.EntityRequest{Id: d.TokenID})
	if err != nil || ts.State != adminv1.TokenState_TOKEN_STATE_CONFIRMED || ts.PushProvider != "AP" {
		t.Fatalf("GetToken %v %v", ts, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
}
