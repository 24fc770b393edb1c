package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/apns"
	"github.com/simplexgo/services/ntf-server/internal/apnsfake"
	"github.com/simplexgo/services/ntf-server/internal/config"
	"github.com/simplexgo/services/ntf-server/internal/gcfloor"
	"github.com/simplexgo/services/ntf-server/internal/metrics"
	"github.com/simplexgo/services/ntf-server/internal/natsfeed"
	"github.com/simplexgo/services/ntf-server/internal/push"
	"github.com/simplexgo/services/ntf-server/internal/rpc"
	"github.com/simplexgo/services/ntf-server/internal/server"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
	"github.com/simplexgo/services/ntf-server/internal/subscriber"
)

// drainTimeout bounds the graceful part of shutdown.
const drainTimeout = 20 * time.Second

func cmdStart(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, stop, args, nil)
}

// serve runs the server until ctx ends (stop, if set, is called once
// shutdown begins, so that a second signal kills the process); ready, if
// set, is called once every listener is up.
func serve(ctx context.Context, stop func(), args []string, ready func()) error {
	f := newFlags("start")
	if err := f.fs.Parse(args); err != nil {
		return usageError{err}
	}
	c, unused, err := f.load()
	if err != nil {
		return err
	}
	if err := c.ValidateAPNs(); err != nil {
		return err
	}
	log := newLogger(c.LogLevel)
	if c.GCMinHeapMB > 0 && !gcfloor.Start(ctx, uint64(c.GCMinHeapMB)<<20, time.Second) {
		log.Info("GCHeapFloorOff", "reason", "GOGC is set")
	}
	for _, k := range unused {
		log.Warn("ConfigKeyIgnored", "key", k)
	}
	id, err := certs.LoadServerIdentity(c.CACertPath(), c.ServerCertPath(), c.ServerKeyPath())
	if err != nil {
		return fmt.Errorf("load certificates (run `ntf-server init` first?): %w", err)
	}
	st, err := bolt.Open(c.StorePath())
	if err != nil {
		return err
	}
	defer st.Close()

	m := metrics.New()
	pusher, closePusher, fakeReader, err := newPusher(c, log)
	if err != nil {
		return err
	}
	defer closePusher()
	disp := push.NewDispatcher(pusher, push.DispatcherOptions{
		Workers: c.PushWorkers, Retries: retries(c.PushRetries),
		Observe: func(k push.Kind, err error, d time.Duration) { m.ObservePush(k.String(), push.Outcome(err), d) },
	})
	srv, err := server.New(server.Options{
		Identity:    server.Identity{Certificate: id.TLS, SignKey: id.LeafKey, KeyHash: id.Fingerprint},
		Store:       st,
		Pushes:      disp,
		Metrics:     m,
		Logger:      log,
		IdleTimeout: idle(c.DisconnectInactive, c.InactiveTTL),
	})
	if err != nil {
		return err
	}
	sub := subscriber.New(subscriber.Options{Store: st, OnNMSG: srv.HandleNMSGs, Metrics: m, Logger: log})
	srv.SetSubscriber(sub)
	n, err := sub.Start()
	if err != nil {
		return fmt.Errorf("resubscribe: %w", err)
	}
	log.Info("Resubscribing", "subscriptions", n)
	if c.NATSURL != "" {
		feed, err := natsfeed.Start(natsfeed.Options{URL: c.NATSURL, Resolve: sub.ServerByKeyHash, OnNMSG: srv.HandleNMSGs,
			Metrics: m, Logger: log})
		if err != nil {
			return err
		}
		defer feed.Close()
		log.Info("NATSConnected", "url", c.Redacted().NATSURL)
	}

	var wg sync.WaitGroup
	errc := make(chan error, len(c.Ports)+2)
	serveCtx, cancelServe := context.WithCancel(ctx)
	defer cancelServe()
	for _, port := range c.Ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(c.ListenAddr, port))
		if err != nil {
			return fmt.Errorf("listen on port %s: %w", port, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(serveCtx, ln); err != nil {
				errc <- err
			}
		}()
	}
	go srv.RunPeriodic(serveCtx, c.PeriodicInterval)

	var grpcSrv *grpc.Server
	var healthSrv interface {
		SetServingStatus(string, healthpb.HealthCheckResponse_ServingStatus)
	}
	if c.GRPCAddr != "" {
		ln, err := net.Listen("tcp", c.GRPCAddr)
		if err != nil {
			return fmt.Errorf("gRPC listen: %w", err)
		}
		grpcSrv = grpc.NewServer()
		healthSrv = rpc.Register(grpcSrv, &rpc.Admin{Srv: srv, KeyHash: id.Fingerprint, Version: version, StartedAt: time.Now()})
		go func() {
			if err := grpcSrv.Serve(ln); err != nil {
				errc <- fmt.Errorf("gRPC: %w", err)
			}
		}()
	}
	var httpSrv *http.Server
	if c.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", m.Handler())
		// pprof on the admin listener only (never a public port).
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
		if fakeReader != nil {
			// local runs: clients read the pushes to their token here
			mux.Handle("/fake-apns/pushes", fakeReader)
		}
		httpSrv = &http.Server{Addr: c.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		ln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listen: %w", err)
		}
		go func() {
			if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics: %w", err)
			}
		}()
	}
	log.Info("ServerStarted", "address", serverAddress(c, id.Fingerprint), "ports", strings.Join(c.Ports, ","),
		"grpc", c.GRPCAddr, "metrics", c.MetricsAddr, "fake_apns", c.FakeAPNs, "version", version)

	if ready != nil {
		ready()
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("ShutdownStarted")
	case runErr = <-errc:
		log.Error("ServerFailed", "err", runErr)
	}
	if stop != nil {
		stop()
	}
	if healthSrv != nil {
		healthSrv.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	}
	cancelServe()
	wg.Wait()
	drainCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	sub.Close()
	if err := srv.Shutdown(drainCtx); err != nil {
		log.Warn("ShutdownForced", "err", err)
	}
	if err := disp.Close(drainCtx); err != nil {
		log.Warn("PushDrainForced", "err", err)
	}
	if grpcSrv != nil {
		grpcSrv.GracefulStop()
	}
	if httpSrv != nil {
		httpSrv.Shutdown(drainCtx)
	}
	log.Info("ShutdownComplete")
	return runErr
}

func retries(n int) int {
	if n == 0 {
		return -1 // DispatcherOptions: 0 means the default
	}
	return n
}

// newPusher builds the APNs client: real APNs with the configured key, or
// the built-in fake (an ephemeral key it trusts) when [APNS] fake is on;
// then it also returns the fake's read-only pushes handler.
func newPusher(c config.Config, log *slog.Logger) (push.Pusher, func(), http.Handler, error) {
	cfg := apns.Config{KeyID: c.APNSKeyID, TeamID: c.APNSTeamID, Topic: c.APNSTopic,
		URLs: map[ntf.Provider]string{
			ntf.ProviderAPNSProd: c.APNSProdURL, ntf.ProviderAPNSDev: c.APNSDevURL, ntf.ProviderAPNSTest: c.APNSTestURL,
		}}
	closer := func() {}
	var reader http.Handler
	if c.FakeAPNs {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, nil, err
		}
		cfg.Key, cfg.KeyID = key, "FAKEKEY000"
		fake, err := apnsfake.Start("127.0.0.1:0", apnsfake.Config{Key: &key.PublicKey, KeyID: cfg.KeyID,
			TeamID: cfg.TeamID, Topic: cfg.Topic})
		if err != nil {
			return nil, nil, nil, err
		}
		for p := range cfg.URLs {
			cfg.URLs[p] = fake.URL()
		}
		cfg.RootCAs = fake.CertPool()
		closer = func() { fake.Close() }
		reader = fake.PushesHandler()
		log.Warn("FakeAPNs", "url", fake.URL(), "note", "pushes are not delivered to devices")
	} else {
		key, err := apns.LoadKey(c.APNSKeyFile)
		if err != nil {
			return nil, nil, nil, err
		}
		cfg.Key = key
		if c.APNSCAFile != "" {
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			pem, err := os.ReadFile(c.APNSCAFile)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("[APNS] ca_file: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, nil, fmt.Errorf("[APNS] ca_file %s: no certificate", c.APNSCAFile)
			}
			cfg.RootCAs = pool
		}
	}
	p, err := apns.New(cfg)
	if err != nil {
		closer()
		return nil, nil, nil, err
	}
	return p, closer, reader, nil
}

func idle(on bool, ttl time.Duration) time.Duration {
	if !on {
		return 0
	}
	return ttl
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
