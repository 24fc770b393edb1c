// Command ntf-bench measures ntf-server (make bench) against an smp-relay
// process and a fake APNs in the bench process: notifications per second
// from SEND (with the notification flag) at the relay to the push at the
// fake APNs, next to a bare apns2 client pushing the same body to the same
// fake with the same concurrency; the SEND→push latency; and the time the
// server takes after a restart to resubscribe many notifier subscriptions
// on one relay. It prints a Markdown table.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o options
	flag.StringVar(&o.relay, "relay", "bin/smp-relay", "smp-relay binary")
	flag.StringVar(&o.ntf, "ntf", "bin/ntf-server", "ntf-server binary")
	flag.IntVar(&o.tokens, "tokens", 32, "device tokens, each with one subscription to its own queue")
	flag.IntVar(&o.window, "window", 4, "messages in flight per queue (sent, push not yet at the fake APNs); keep tokens × window ≤ 4096, the server's push queue")
	flag.IntVar(&o.workers, "workers", 32, "ntf-server [PUSH] workers, and the baseline's concurrent pushes")
	flag.DurationVar(&o.duration, "duration", 0, "length of the push and baseline phases (default 10s)")
	flag.IntVar(&o.bodySize, "body", 8000, "SEND body size in bytes")
	flag.IntVar(&o.subs, "subs", 100_000, "notifier subscriptions for the resubscribe phase")
	flag.StringVar(&o.phases, "phases", "push,ntf,resubscribe", "phases to run: push (relay + ntf-server), ntf (ntf-server alone, NMSGs from the bench), resubscribe")
	flag.StringVar(&o.apnsKey, "apns-key", "", "APNs provider key (.p8) for ntf-server and the baseline, e.g. services/ntf-server/internal/apns/testdata/AuthKey_H82WD9K9AQ.p8 (default: a fresh P-256 key)")
	flag.StringVar(&o.apnsKeyID, "apns-key-id", "BENCHKEY01", "the key's id (kid), e.g. H82WD9K9AQ")
	flag.IntVar(&o.rounds, "rounds", 3, "ntf phase: rounds of (ntf-server alone, then bare apns2), each -duration; figures are the medians")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the bench process's CPU profile of the ntf phase's first measured window to this file (the fake APNs and the NMSG source)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ntf-bench:", err)
		os.Exit(1)
	}
}
