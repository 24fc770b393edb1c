package gcfloor

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live, floor uint64
		want        int
	}{
		{8 * mb, 64 * mb, 700},  // target 8·(1+7) = 64 MB
		{16 * mb, 64 * mb, 300}, // 16·4 = 64
		{32 * mb, 64 * mb, 100}, // 32·2 = 64: the default is enough
		{90 * mb, 64 * mb, 100}, // above the floor: unchanged
		{0, 64 * mb, 1500},      // not measured yet: 4 MB assumed, 4·16 = 64
		{2 * mb, 64 * mb, 1500}, // under 4 MB: the same
		{1 * mb, 0, 100},        // no floor
		{33 * mb, 64 * mb, 100}, // 33·2 > 64
		{31 * mb, 64 * mb, 106}, // 31·2.06 ≈ 64
	} {
		if got := Percent(c.live, c.floor); got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.floor, got, c.want)
		}
	}
}

// TestStart: the floor raises GOGC for this test's small heap, GOGC in
// the environment turns it off, and the end of ctx restores 100.
func TestStart(t *testing.T) {
	t.Setenv("GOGC", "")
	ctx, cancel := context.WithCancel(context.Background())
	if !Start(ctx, 1<<30, 10*time.Millisecond) {
		t.Fatal("not started")
	}
	if p := debug.SetGCPercent(100); p <= 100 {
		t.Errorf("GOGC %d with a 1 GB floor", p)
	}
	cancel()
	time.Sleep(50 * time.Millisecond)
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC %d after the end", p)
	}
	t.Setenv("GOGC", "200")
	if Start(context.Background(), 1<<30, time.Second) {
		t.Error("started although GOGC is set")
	}
}

// TestHeapGoal: with the floor on, this test's small heap gets a heap
// goal near the floor, not above it.
func TestHeapGoal(t *testing.T) {
	t.Setenv("GOGC", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const floor = 64 << 20
	Start(ctx, floor, time.Hour)
	runtime.GC()
	Start(ctx, floor, time.Hour) // again, with the live heap measured
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	if g := s[0].Value.Uint64(); g < floor/2 || g > floor+floor/4 {
		t.Fatalf("heap goal %d MB with a %d MB floor", g>>20, floor>>20)
	}
}
