// Command smp-bench measures smp-relay (make bench): throughput and latency
// of K sender→recipient pairs over TLS on loopback against a relay process,
// the crypto-bound limit of this machine for the same per-message work, the
// relay's memory with stored queues and idle subscribed connections, and
// its start time with a large store. It prints a Markdown table.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.relay, "relay", "bin/smp-relay", "smp-relay binary")
	flag.IntVar(&o.pairs, "pairs", 16, "sender/recipient pairs")
	flag.IntVar(&o.window, "window", 4, "messages in flight per pair")
	flag.DurationVar(&o.duration, "duration", 0, "throughput phase length (default 10s)")
	flag.IntVar(&o.queues, "queues", 100_000, "stored queues for the memory phase")
	flag.IntVar(&o.idle, "idle", 10_000, "idle subscribed connections for the memory phase")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "memory phase: time between the last connection and the RSS reading")
	flag.IntVar(&o.startQueues, "startup-queues", 1_000_000, "stored queues for the start-time phase")
	flag.StringVar(&o.phases, "phases", "throughput,crypto,memory,startup,proxy", "phases to run: throughput, crypto, memory, startup, proxy (private routing through a second relay)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "smp-bench:", err)
		os.Exit(1)
	}
}
