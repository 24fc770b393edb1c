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
	"syscall"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/services/xftp/internal/rpc"
	"github.com/simplexgo/services/xftp/internal/server"
	"github.com/simplexgo/services/xftp/internal/store/bolt"
)

// drainTimeout bounds the graceful part of shutdown (in-flight uploads and
// downloads); Kubernetes' terminationGracePeriodSeconds must exceed it.
const drainTimeout = 30 * time.Second

// expiryInterval is how often expired files are removed.
const expiryInterval = time.Hour

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
		return fmt.Errorf("load certificates (run `xftp-server init` first?): %w", err)
	}
	st, err := bolt.Open(c.StorePath())
	if err != nil {
		return err
	}
	defer st.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var pwd []byte
	if c.CreatePassword != "" {
		pwd = []byte(c.CreatePassword)
	}
	var idle time.Duration
	if c.DisconnectInactive {
		idle = c.InactiveTTL
	}
	srv, err := server.New(server.Options{
		Identity: server.Identity{
			Certificate: id.TLS, Chain: id.Chain, SignKey: id.LeafKey, KeyHash: id.Fingerprint,
		},
		Store:            st,
		FilesPath:        c.FilesPath,
		Quota:            c.Quota,
		AllowNewFiles:    c.NewFiles,
		CreatePassword:   pwd,
		FileExpiration:   c.FileExpiration,
		ChunkTimeout:     c.ChunkTimeout,
		HandshakeTimeout: c.HandshakeTimeout,
		IdleTimeout:      idle,
		MaxConnections:   c.MaxConnections,
		Web:              c.Web,
		Logger:           log,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(c.ListenAddr, c.Port))
	if err != nil {
		return fmt.Errorf("listen on port %s: %w", c.Port, err)
	}
	errc := make(chan error, 3)
	serveCtx, cancelServe := context.WithCancel(ctx)
	defer cancelServe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(serveCtx, ln); err != nil {
			errc <- err
		}
	}()

	var grpcSrv *grpc.Server
	var healthSrv interface {
		SetServingStatus(string, healthpb.HealthCheckResponse_ServingStatus)
	}
	if c.GRPCAddr != "" {
		gl, err := net.Listen("tcp", c.GRPCAddr)
		if err != nil {
			return fmt.Errorf("gRPC listen: %w", err)
		}
		grpcSrv = grpc.NewServer()
		healthSrv = rpc.Register(grpcSrv, &rpc.Admin{Srv: srv, KeyHash: id.Fingerprint, Version: version, StartedAt: time.Now()})
		go func() {
			if err := grpcSrv.Serve(gl); err != nil {
				errc <- fmt.Errorf("gRPC: %w", err)
			}
		}()
	}
	var httpSrv *http.Server
	if c.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", srv.Metrics().Handler())
		// pprof on the admin listener only (never the XFTP port).
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
		httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		ml, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listen: %w", err)
		}
		go func() {
			if err := httpSrv.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics: %w", err)
			}
		}()
	}
	go srv.RunExpiry(serveCtx, expiryInterval)

	log.Info("ServerStarted", "address", serverAddress(c, id.Fingerprint), "port", c.Port,
		"grpc", c.GRPCAddr, "metrics", c.MetricsAddr, "quota", c.Quota, "version", version)

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
	<-served
	drainCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		log.Warn("ShutdownForced", "err", err)
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

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
