package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
)

// profiler writes CPU profiles of one phase (-cpuprofile PREFIX):
// PREFIX-<phase>-bench.pprof of this process (the client, and for the bare
// paths also the bare server) for the whole phase, and, when the phase
// runs against an xftp-server process, PREFIX-<phase>-server.pprof fetched
// from the server's pprof endpoint for the first -profile-seconds of the
// phase (run with a -size large enough that the phase lasts that long).
type profiler struct {
	prefix  string
	seconds int
}

// start begins profiling phase; serverAddr is the xftp-server's admin
// address ("" for none). The returned function stops and writes the
// profiles; it waits for the server's profile.
func (p profiler) start(phase, serverAddr string) (func() error, error) {
	if p.prefix == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(fmt.Sprintf("%s-%s-bench.pprof", p.prefix, phase))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var (
		wg     sync.WaitGroup
		srvErr error
	)
	if serverAddr != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srvErr = fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", serverAddr, p.seconds),
				fmt.Sprintf("%s-%s-server.pprof", p.prefix, phase))
		}()
	}
	return func() error {
		pprof.StopCPUProfile()
		err := f.Close()
		wg.Wait()
		if err != nil {
			return err
		}
		return srvErr
	}, nil
}

func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("server profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server profile: status %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("server profile: %w", err)
	}
	return f.Close()
}
