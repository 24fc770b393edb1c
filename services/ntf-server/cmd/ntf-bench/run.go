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
	cpuProfile string
	rounds     int
}

type row struct{ metric, value, note string }

func run(o options) error {
	if o.duration == 0 {
		o.duration = 10 * time.Second
	}
	if o.tokens <= 0 || o.window <= 0 || o.workers <= 0 || o.subs <= 0 || o.rounds <= 0 {
		return fmt.Errorf("-tokens, -window, -workers, -subs and -rounds must be positive")
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
	var (
		pr   *pushResult
		nr   *ntfOnlyResult
		body []byte
		err2 error
	)
	if has("push") {
		if pr, err2 = pushPhase(o, base, fake); err2 != nil {
			return fmt.Errorf("push: %w", err2)
		}
		body = pr.body
	}
	if has("ntf") {
		if nr, err2 = ntfOnlyPhase(o, base, fake); err2 != nil {
			return fmt.Errorf("ntf: %w", err2)
		}
		body = nr.body
	}
	var bare, bareCPU float64
	switch {
	case nr != nil: // measured in the ntf phase's rounds
		bare = median(nr.rounds, func(r ntfRound) float64 { return r.bare })
		bareCPU = median(nr.rounds, func(r ntfRound) float64 { return r.bareCPU })
		rows = append(rows, row{"bare apns2 pushes/s", fmt.Sprintf("%.0f", bare),
			fmt.Sprintf("median of %d rounds (%s); %d-byte push bodies as ntf-server sends them, same fake, key and transport; %d concurrent pushes; bench process (client + fake) %.0f µs CPU per push",
				len(nr.rounds), each(nr.rounds, "%.0f", func(r ntfRound) float64 { return r.bare }), len(body), o.workers, bareCPU)})
	case body != nil:
		if bare, bareCPU, err2 = baseline(fake, body, o.workers, o.duration); err2 != nil {
			return fmt.Errorf("baseline: %w", err2)
		}
		rows = append(rows, row{"bare apns2 pushes/s", fmt.Sprintf("%.0f", bare),
			fmt.Sprintf("%d-byte push bodies as ntf-server sends them, same fake, key and transport; %d concurrent pushes; bench process (client + fake) %.0f µs CPU per push", len(body), o.workers, bareCPU)})
	}
	if nr != nil {
		rs := nr.rounds
		rows = append(rows,
			row{"notifications/s, ntf-server alone (NMSG in → push at APNs)", fmt.Sprintf("%.0f", median(rs, func(r ntfRound) float64 { return r.ntf })),
				fmt.Sprintf("median of rounds (%s); %d tokens, %d in flight each, %s per round, %d push workers; NMSGs from an SMP endpoint in the bench (TLS, handshake, block encryption; no relay behind it)",
					each(rs, "%.0f", func(r ntfRound) float64 { return r.ntf }), o.tokens, o.window, o.duration, o.workers)},
			row{"ntf-server alone / bare apns2", fmt.Sprintf("%.0f %%", median(rs, func(r ntfRound) float64 { return 100 * r.ntf / r.bare })),
				fmt.Sprintf("median of the rounds' ratios (%s); target ≥ 80 %%", each(rs, "%.0f %%", func(r ntfRound) float64 { return 100 * r.ntf / r.bare }))},
			row{"ntf-server's APNs client alone (internal/apns: apns2's token and HTTP/2 client, same requests as apns2's Push without its JSON re-validation)", fmt.Sprintf("%.0f pushes/s", median(rs, func(r ntfRound) float64 { return r.own })),
				fmt.Sprintf("rounds %s; ntf-server alone / this: %.0f %% (rounds %s): what the server adds around its pushes", each(rs, "%.0f", func(r ntfRound) float64 { return r.own }),
					median(rs, func(r ntfRound) float64 { return 100 * r.ntf / r.own }), each(rs, "%.0f %%", func(r ntfRound) float64 { return 100 * r.ntf / r.own }))},
			row{"NMSG→push latency p50 / p99", fmt.Sprintf("%s / %s", nr.p50.Round(time.Microsecond), nr.p99.Round(time.Microsecond)), fmt.Sprintf("%d samples", nr.samples)},
			row{"ntf-server CPU per push (alone)", fmt.Sprintf("%.0f µs", median(rs, func(r ntfRound) float64 { return r.ntfCPU })),
				fmt.Sprintf("rounds %s; %.2f cores busy; bench process (fake APNs + NMSG source) %.0f µs per push",
					each(rs, "%.0f", func(r ntfRound) float64 { return r.ntfCPU }), median(rs, func(r ntfRound) float64 { return r.ntfCores }), median(rs, func(r ntfRound) float64 { return r.benchCPU }))},
			row{"pushes lost (alone)", fmt.Sprintf("%d of %d", nr.sent-nr.pushed, nr.sent), "NMSGs sent whose push never arrived (5 s grace)"},
		)
	}
	if pr != nil {
		rows = append(rows,
			row{"notifications/s with the relay (SEND→NMSG→push at APNs)", fmt.Sprintf("%.0f", pr.pushesPerSec),
				fmt.Sprintf("%d tokens × 1 subscription, %d in flight each, %s, %d push workers, %d-byte SEND bodies, %d-byte pushes", o.tokens, o.window, o.duration, o.workers, o.bodySize, len(pr.body))},
			row{"with the relay / bare apns2", fmt.Sprintf("%.0f %%", 100*pr.pushesPerSec/bare), "bounded by the relay's cost per message on the same 2 cores"},
			row{"SEND→push latency p50", pr.p50.Round(time.Microsecond).String(), fmt.Sprintf("%d samples", pr.samples)},
			row{"SEND→push latency p99", pr.p99.Round(time.Microsecond).String(), ""},
			row{"ntf-server CPU per push", fmt.Sprintf("%.0f µs", pr.ntfCPUPerPush), fmt.Sprintf("process user+system time / pushes; %.2f cores busy", pr.ntfCores)},
			row{"smp-relay CPU per message", fmt.Sprintf("%.0f µs", pr.relayCPUPerMsg), fmt.Sprintf("SEND, MSG, ACK and NMSG; %.2f cores busy", pr.relayCores)},
			row{"ntf-server RSS", mb(pr.ntfRSS), "after the run"},
			row{"pushes lost", fmt.Sprintf("%d of %d", pr.sent-pr.pushed, pr.sent), "messages sent whose push never arrived (5 s grace)"},
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
		)
		if r.create > 0 { // 0: reused from NTF_BENCH_RESUB_CACHE
			rows = append(rows, row{"queues with notifiers created (setup)", r.create.Round(time.Millisecond).String(), "NEW + NKEY pipelined on 4 connections"})
		}
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
