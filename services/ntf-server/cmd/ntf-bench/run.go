package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

type options struct {
	relay, ntf string
	tokens     int
	window     int
	workers    int
	bodySize   int
	duration   time.Duration
	subs       int
	phases     string
	apnsKey    string
	apnsKeyID  string
}

type row struct{ metric, value, note string }

func run(o options) error {
	if o.duration == 0 {
		o.duration = 10 * time.Second
	}
	if o.tokens <= 0 || o.window <= 0 || o.workers <= 0 || o.subs <= 0 {
		return fmt.Errorf("-tokens, -window, -workers and -subs must be positive")
	}
	if o.bodySize < 1 || o.bodySize > 16000 {
		return fmt.Errorf("-body: 1..16000 bytes")
	}
	for _, b := range []string{o.relay, o.ntf} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("binary %s: %w (run make build)", b, err)
		}
	}
	base, err := os.MkdirTemp("", "ntf-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	fake, err := startFakeAPNs(o.apnsKey, o.apnsKeyID)
	if err != nil {
		return fmt.Errorf("fake APNs: %w", err)
	}
	defer fake.close()
	var rows []row
	has := func(p string) bool { return strings.Contains(","+o.phases+",", ","+p+",") }
	if has("push") {
		r, err := pushPhase(o, base, fake)
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		if r.baseline, err = baseline(fake, r.body, o.workers, o.duration); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		rows = append(rows,
			row{"notifications/s (SEND→NMSG→push at APNs)", fmt.Sprintf("%.0f", r.pushesPerSec),
				fmt.Sprintf("%d tokens × 1 subscription, %d in flight each, %s, %d push workers, %d-byte SEND bodies, %d-byte pushes", o.tokens, o.window, o.duration, o.workers, o.bodySize, len(r.body))},
			row{"SEND→push latency p50", r.p50.Round(time.Microsecond).String(), fmt.Sprintf("%d samples", r.samples)},
			row{"SEND→push latency p99", r.p99.Round(time.Microsecond).String(), ""},
			row{"ntf-server CPU per push", fmt.Sprintf("%.0f µs", r.ntfCPUPerPush), fmt.Sprintf("process user+system time / pushes; %.2f cores busy", r.ntfCores)},
			row{"smp-relay CPU per message", fmt.Sprintf("%.0f µs", r.relayCPUPerMsg), fmt.Sprintf("SEND, MSG, ACK and NMSG; %.2f cores busy", r.relayCores)},
			row{"ntf-server RSS", mb(r.ntfRSS), "after the run"},
			row{"pushes lost", fmt.Sprintf("%d of %d", r.sent-r.pushed, r.sent), "messages sent whose push never arrived (5 s grace)"},
			row{"bare apns2 pushes/s", fmt.Sprintf("%.0f", r.baseline), fmt.Sprintf("same body, fake, key and transport; %d concurrent pushes", o.workers)},
			row{"notifications / bare apns2", fmt.Sprintf("%.0f %%", 100*r.pushesPerSec/r.baseline), "target ≥ 80 %"},
		)
	}
	if has("resubscribe") {
		r, err := resubscribe(o, base, fake)
		if err != nil {
			return fmt.Errorf("resubscribe: %w", err)
		}
		rows = append(rows,
			row{fmt.Sprintf("resubscribe %d subscriptions after restart", r.n), r.restart.Round(time.Millisecond).String(),
				fmt.Sprintf("exec to every NSUB answered OK, one relay; %d sampled ACTIVE by SCHK; target ≤ 10 s for 100 000", r.sampleSubs)},
			row{"first subscribe after seeding", r.first.Round(time.Millisecond).String(), "same, from NEW"},
			row{"ntf-server CPU during restart", r.ntfCPU.Round(time.Millisecond).String(), fmt.Sprintf("smp-relay: %s", r.relayCPU.Round(time.Millisecond))},
			row{fmt.Sprintf("ntf-server RSS with %d subscriptions", r.n), mb(r.ntfRSS), ""},
			row{"queues with notifiers created (setup)", r.create.Round(time.Millisecond).String(), "NEW + NKEY pipelined on 4 connections"},
		)
		if r.failed > 0 {
			rows = append(rows, row{"NSUB retried (network)", fmt.Sprintf("%.0f", r.failed), ""})
		}
	}
	fmt.Printf("\n| metric | value | notes |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.metric, r.value, r.note)
	}
	return nil
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
