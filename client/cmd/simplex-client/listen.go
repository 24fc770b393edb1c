package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/simplexgo/client/agent"
)

// listenOpts are the options of listen for scripts: stop once the output
// contains every Until text, fail after Timeout.
type listenOpts struct {
	Until   []string
	Timeout time.Duration
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func parseListen(args []string, out io.Writer) (listenOpts, error) {
	var o listenOpts
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Var((*stringList)(&o.Until), "until", "stop when the output contains this text (repeatable)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "with -until: fail when not all texts appeared within this time")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("listen: unexpected %q", fs.Arg(0))
	}
	return o, nil
}

// watchWriter copies to w and closes done once the output contains every
// text of until.
type watchWriter struct {
	w     io.Writer
	until []string
	mu    sync.Mutex
	seen  bytes.Buffer
	done  chan struct{}
	fired bool
}

func (ww *watchWriter) Write(p []byte) (int, error) {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	ww.seen.Write(p)
	if !ww.fired {
		all := true
		for _, u := range ww.until {
			if !strings.Contains(ww.seen.String(), u) {
				all = false
				break
			}
		}
		if all {
			ww.fired = true
			close(ww.done)
		}
	}
	return ww.w.Write(p)
}

func (ww *watchWriter) missing() []string {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	var m []string
	for _, u := range ww.until {
		if !strings.Contains(ww.seen.String(), u) {
			m = append(m, u)
		}
	}
	return m
}

// listenUntil runs listen, stopping as o says.
func (p *profile) listenUntil(ctx context.Context, ag *agent.Agent, o listenOpts, out io.Writer) error {
	if len(o.Until) == 0 {
		return p.listen(ctx, ag, out)
	}
	ww := &watchWriter{w: out, until: o.Until, done: make(chan struct{})}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timeout <-chan time.Time
	if o.Timeout > 0 {
		t := time.NewTimer(o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	errc := make(chan error, 1)
	go func() { errc <- p.listen(lctx, ag, ww) }()
	select {
	case <-ww.done:
		cancel()
		<-errc
		return nil
	case err := <-errc:
		if err == nil {
			err = ctx.Err()
		}
		return fmt.Errorf("listen stopped before %q: %w", ww.missing(), err)
	case <-timeout:
		cancel()
		<-errc
		return fmt.Errorf("listen: no %q within %v", ww.missing(), o.Timeout)
	}
}
