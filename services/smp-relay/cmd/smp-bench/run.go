package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type options struct {
	relay       string
	pairs       int
	window      int
	duration    time.Duration
	queues      int
	idle        int
	startQueues int
	settle      time.Duration
	phases      string
}

type row struct{ metric, value, note string }

func run(o options) error {
	if o.duration == 0 {
		o.duration = 10 * time.Second
	}
	if _, err := os.Stat(o.relay); err != nil {
		return fmt.Errorf("relay binary %s: %w (run make build)", o.relay, err)
	}
	var rows []row
	has := func(p string) bool { return strings.Contains(","+o.phases+",", ","+p+",") }
	var tput *throughputResult
	if has("throughput") {
		r, err := throughput(o, false)
		if err != nil {
			return fmt.Errorf("throughput: %w", err)
		}
		tput = r
		rows = append(rows,
			row{"messages/s (SEND→MSG→ACK)", fmt.Sprintf("%.0f", r.msgsPerSec), fmt.Sprintf("%d pairs × %d in flight, %s, 8 KB bodies, TLS 1.3 on loopback, v14 with block encryption, signed SEND and ACK", o.pairs, o.window, o.duration)},
			row{"SEND→MSG latency p50", r.p50.Round(time.Microsecond).String(), ""},
			row{"SEND→MSG latency p99", r.p99.Round(time.Microsecond).String(), ""},
			row{"relay CPU per message", fmt.Sprintf("%.0f µs", r.cpuPerMsg), "relay process user+system time / messages"},
			row{"blocks per message, in / out", fmt.Sprintf("%.2f / %.2f", r.blocksIn, r.blocksOut), "the relay's smp_blocks_received_total / smp_blocks_sent_total"},
		)
	}
	if has("proxy") {
		r, err := throughput(o, true)
		if err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
		rows = append(rows,
			row{"messages/s through a proxy relay (PFWD→RFWD→MSG→ACK)", fmt.Sprintf("%.0f", r.msgsPerSec), fmt.Sprintf("%d pairs × %d in flight, %s: senders on a second relay, private routing", o.pairs, o.window, o.duration)},
			row{"SEND→MSG latency through the proxy, p50 / p99", r.p50.Round(time.Microsecond).String() + " / " + r.p99.Round(time.Microsecond).String(), ""},
			row{"CPU per message, proxy relay / destination relay", fmt.Sprintf("%.0f / %.0f µs", r.proxyCPUPerMsg, r.cpuPerMsg), "process user+system time / messages"},
		)
	}
	if has("crypto") {
		in, out := 2.0, 2.0 // without a throughput phase: the least per message
		if tput != nil {
			in, out = max(tput.blocksIn, in), max(tput.blocksOut, out)
		}
		costs, err := measureCrypto()
		if err != nil {
			return err
		}
		lim := cryptoLimit(costs, in, out)
		rows = append(rows,
			row{"crypto per message (per core)", fmt.Sprintf("%.0f µs", lim.perMsg.Seconds()*1e6), lim.what},
			row{"crypto-bound limit", fmt.Sprintf("%.0f msg/s", lim.msgsPerSec), fmt.Sprintf("%d cores", runtime.NumCPU())},
		)
		if tput != nil {
			rows = append(rows,
				row{"throughput / crypto-bound limit", fmt.Sprintf("%.0f %%", 100*tput.msgsPerSec/lim.msgsPerSec), "target ≥ 50 %; the load generator shares the cores"},
				row{"relay at its CPU cost / crypto-bound limit", fmt.Sprintf("%.0f %%", 100*(float64(runtime.NumCPU())/(tput.cpuPerMsg/1e6))/lim.msgsPerSec),
					fmt.Sprintf("%d cores / %.0f µs per message", runtime.NumCPU(), tput.cpuPerMsg)},
			)
		}
	}
	if has("memory") {
		r, err := memory(o)
		if err != nil {
			return fmt.Errorf("memory: %w", err)
		}
		rows = append(rows,
			row{fmt.Sprintf("RSS with %d stored queues", o.queues), mb(r.base), "relay process, before connections"},
			row{fmt.Sprintf("RSS with %d idle subscribed TLS connections", r.conns), mb(r.loaded), fmt.Sprintf("%s after the last one connected", o.settle)},
			row{"memory per idle connection", fmt.Sprintf("%.1f KB", float64(r.loaded-r.base)/float64(r.conns)/1024), "target ≤ 40 KB"},
		)
	}
	if has("startup") {
		d, err := startup(o)
		if err != nil {
			return fmt.Errorf("startup: %w", err)
		}
		rows = append(rows, row{fmt.Sprintf("start to serving with %d stored queues", o.startQueues), d.Round(time.Millisecond).String(), "exec to first PING answered; target ≤ 5 s"})
	}
	fmt.Printf("\n| metric | value | notes |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.metric, r.value, r.note)
	}
	return nil
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
