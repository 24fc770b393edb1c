// Package gcfloor keeps the garbage collector from running more often
// than a heap of a given minimum size would make it.
//
// With GOGC=100 the collector runs each time the heap has grown by the
// live heap (and at least every 4 MB). A server whose live heap is small
// but which allocates steadily (an NTF server with few tokens pushing
// thousands of notifications per second: ~14 KB each, a live heap of a
// few MB) then collects twenty times a second, and the fixed cost of each
// cycle (stacks, globals, sweeping) becomes a large share of its CPU. A
// floor sets GOGC so that the heap target is at least the floor while the
// live heap is below half of it, and leaves GOGC at 100 above that: memory
// use grows by at most the floor, and a large deployment (100 000
// subscriptions: ~90 MB live) is not affected. This is what the "GC
// ballast" of Go services did before GOGC could be set at run time.
//
// An operator's GOGC or GOGC=off in the environment wins: the floor is
// then not applied. GOMEMLIMIT keeps working, as the runtime applies it
// whatever GOGC is.
package gcfloor

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// basePercent is GOGC's default.
const basePercent = 100

// minLive is the live heap assumed when it is smaller or not known yet
// (0 before the first collection): the runtime's own minimum heap target
// is 4 MB at GOGC=100.
const minLive = 4 << 20

// Percent returns the GOGC that makes the heap target
// live·(1+GOGC/100) at least floor, and basePercent when that is enough.
// A live heap under minLive counts as minLive, so that the target stays
// near floor while the live heap is not measured yet.
func Percent(live, floor uint64) int {
	live = max(live, minLive)
	if floor <= live*(100+basePercent)/100 {
		return basePercent
	}
	return int((floor - live) * 100 / live)
}

// Start applies the floor (bytes) every interval until ctx ends, unless
// floor is 0 or GOGC is set in the environment; it reports whether it
// started. GOGC goes back to 100 (what it was, GOGC being unset) when ctx
// ends.
func Start(ctx context.Context, floor uint64, interval time.Duration) bool {
	if floor == 0 || os.Getenv("GOGC") != "" {
		return false
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	last := -1
	apply := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if p := Percent(sample[0].Value.Uint64(), floor); p != last {
			debug.SetGCPercent(p)
			last = p
		}
	}
	apply()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				debug.SetGCPercent(basePercent)
				return
			case <-t.C:
				apply()
			}
		}
	}()
	return true
}
