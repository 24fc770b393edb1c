package push

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type funcPusher func(context.Context, Notification) error

func (f funcPusher) Push(ctx context.Context, n Notification) error { return f(ctx, n) }

// TestBoundedConcurrency: no more than Workers pushes run at once.
func TestBoundedConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	p := funcPusher(func(context.Context, Notification) error {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return nil
	})
	d := NewDispatcher(p, DispatcherOptions{Workers: 3})
	done := make(chan error, 10)
	for range 10 {
		if err := d.Enqueue(&Job{Done: func(err error) { done <- err }}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range 10 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if peak.Load() != 3 {
		t.Fatalf("peak concurrency %d, want 3", peak.Load())
	}
	d.Close(context.Background())
	if err := d.Enqueue(&Job{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
}

// TestRetriesThenGivesUp: ErrRetry is retried Retries times, then the job
// fails with the last error; other errors are not retried; Close fails
// jobs waiting for a retry at once.
func TestRetriesThenGivesUp(t *testing.T) {
	var calls atomic.Int32
	p := funcPusher(func(_ context.Context, n Notification) error {
		calls.Add(1)
		if n.Kind == Message {
			return ErrPermanent
		}
		return ErrRetry
	})
	d := NewDispatcher(p, DispatcherOptions{Workers: 1, Retries: 2, Backoff: time.Millisecond})
	res := make(chan error, 1)
	d.Enqueue(&Job{Notification: Notification{Kind: CheckMessages}, Done: func(err error) { res <- err }})
	if err := <-res; !errors.Is(err, ErrRetry) || calls.Load() != 3 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	d.Enqueue(&Job{Notification: Notification{Kind: Message}, Done: func(err error) { res <- err }})
	if err := <-res; !errors.Is(err, ErrPermanent) || calls.Load() != 1 {
		t.Fatalf("permanent: %v after %d calls", err, calls.Load())
	}
	d.Close(context.Background())

	d = NewDispatcher(p, DispatcherOptions{Workers: 1, Retries: 5, Backoff: time.Hour})
	d.Enqueue(&Job{Notification: Notification{Kind: CheckMessages}, Done: func(err error) { res <- err }})
	deadline := time.Now().Add(5 * time.Second)
	for {
		d.mu.Lock()
		n := len(d.timers)
		d.mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-res; !errors.Is(err, ErrClosed) || time.Since(start) > time.Second {
		t.Fatalf("pending retry on Close: %v", err)
	}
}

func TestOutcome(t *testing.T) {
	for err, want := range map[error]string{
		nil:                  "ok",
		&TokenInvalidError{}: "token_invalid",
		ErrRetry:             "retry",
		ErrPermanent:         "permanent",
		errors.New("x"):      "error",
	} {
		if got := Outcome(err); got != want {
			t.Errorf("Outcome(%v) = %s", err, got)
		}
	}
}
