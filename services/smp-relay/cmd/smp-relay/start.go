package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/services/smp-relay/internal/events"
	"github.com/simplexgo/services/smp-relay/internal/rpc"
	"github.com/simplexgo/services/smp-relay/internal/server"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
)

// drainTimeout bounds the graceful part of shutdown; Kubernetes'
// terminationGracePeriodSeconds must exceed it.
const drainTimeout = 20 * time.Second

func cmdStart(args []string) error {
	f := newFlags("start")
	if err := f.fs.Parse(args); err != nil {
		return usageError{err}
	}
	c, unused, err := f.load()
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel)
	for _, k := range unused {
		log.Warn("ConfigKeyIgnored", "key", k)
	}
	id, err := certs.LoadServerIdentity(c.CACertPath(), c.ServerCertPath(), c.ServerKeyPath())
	if err != nil {
		return fmt.Errorf("load certificates (run `smp-relay init` first?): %w", err)
	}
	st, err := bolt.Open(c.StorePath())
	if err != nil {
		return err
	}
	defer st.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var pub events.Publisher = events.Nop{}
	switch {
	case c.NATSURL != "":
		p, err := events.Connect(c.NATSURL, id.Fingerprint, log)
		if err != nil {
			return err
		}
		pub = p
	case c.EmbeddedNATS:
		ns, url, err := events.StartEmbedded(ctx, filepath.Join(c.DataDir, "nats"), c.NATSListen)
		if err != nil {
			return err
		}
		p, err := events.ConnectEmbedded(ns, id.Fingerprint, log)
		if err != nil {
			return err
		}
		pub = p
		if c.NATSListen != "" {
			log.Info("EmbeddedNATS", "url", url)
		}
	}
	defer pub.Close()

	var pwd []byte
	if c.CreatePassword != "" {
		pwd = []byte(c.CreatePassword)
	}
	srv, err := server.New(server.Options{
		Identity: server.Identity{
			Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint,
		},
		Store:             st,
		Events:            pub,
		Logger:            log,
		NewQueues:         c.NewQueues,
		CreatePassword:    pwd,
		Quota:             c.Quota,
		MsgExpiration:     c.MsgExpiration,
		NtfExpiration:     c.NtfExpiration,
		HandshakeTimeout:  c.HandshakeTimeout,
		IdleTimeout:       idle(c.DisconnectInactive, c.InactiveTTL),
		MaxConnections:    c.MaxConnections,
		SendQueueBlocks:   c.SendQueueBlocks,
		ProxyOff:          !c.ProxyEnabled,
		ProxyConcurrency:  c.ProxyConcurrency,
		ProxyAllowPrivate: c.ProxyPrivate,
		ProxyMaxRelays:    c.ProxyMaxRelays,
	})
	if err != nil {
		return err
	}

	ntfFile := filepath.Join(c.DataDir, "ntfs.bin")
	if n, err := srv.LoadNotifications(ntfFile); err != nil {
		log.Warn("NotificationsRestoreFailed", "err", err)
	} else if n > 0 {
		log.Info("NotificationsRestored", "count", n)
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
		mux.Handle("/metrics", srv.Metrics().Handler())
		// pprof on the admin listener only (never a public port).
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
			if srv.Draining() {
				http.Error(w, "draining", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("ok\n"))
		})
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
	go srv.RunExpiry(serveCtx, time.Hour)

	log.Info("ServerStarted", "address", serverAddress(c, id.Fingerprint), "ports", strings.Join(c.Ports, ","),
		"grpc", c.GRPCAddr, "metrics", c.MetricsAddr, "version", version)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("ShutdownStarted")
	case runErr = <-errc:
		log.Error("ServerFailed", "err", runErr)
	}
	stop() // a second signal now kills the process
	if healthSrv != nil {
		healthSrv.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	}
	cancelServe()
	wg.Wait()
	drainCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		log.Warn("ShutdownForced", "err", err)
	}
	if n, err := srv.SaveNotifications(ntfFile); err != nil {
		log.Error("NotificationsSaveFailed", "err", err)
	} else if n > 0 {
		log.Info("NotificationsSaved", "count", n)
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
