package push

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Job is a push with the callback that records its final outcome.
type Job struct {
	Notification
	// Done is called once with nil or the last error (after retries).
	Done func(err error)
	// attempt counts failed tries so far.
	attempt int
}

// DispatcherOptions configure a Dispatcher.
type DispatcherOptions struct {
	Workers   int           // concurrent pushes; default 32
	Retries   int           // retries after ErrRetry; default 3 (negative: none)
	Backoff   time.Duration // first retry delay, doubled each time; default 1 s
	MaxDelay  time.Duration // cap of the delay; default 30 s
	QueueSize int           // jobs waiting for a worker; default 4096
	Timeout   time.Duration // per push; default 30 s
	// Observe, if set, is called after every attempt (metrics).
	Observe func(k Kind, err error, d time.Duration)
}

// Dispatcher runs pushes on a fixed pool of workers. A job whose push fails
// with ErrRetry is re-queued after a backoff by a timer, not by a sleeping
// worker.
type Dispatcher struct {
	p    Pusher
	o    DispatcherOptions
	jobs chan *Job

	mu      sync.Mutex
	closed  bool
	pending sync.WaitGroup       // timers waiting to re-queue
	timers  map[*Job]*time.Timer // guarded by mu
	workers sync.WaitGroup
	cancel  context.CancelFunc
	ctx     context.Context
}

// ErrClosed is returned by Enqueue after Close.
var ErrClosed = errors.New("push: dispatcher closed")

// ErrQueueFull is returned by Enqueue when the queue is full.
var ErrQueueFull = errors.New("push: queue full")

// NewDispatcher starts the workers.
func NewDispatcher(p Pusher, o DispatcherOptions) *Dispatcher {
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{p: p, o: o, jobs: make(chan *Job, o.QueueSize), ctx: ctx, cancel: cancel,
		timers: map[*Job]*time.Timer{}}
	for range o.Workers {
		d.workers.Add(1)
		go d.work()
	}
	return d
}

// Enqueue queues a job without blocking; a full queue fails the job.
func (d *Dispatcher) Enqueue(j *Job) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	select {
	case d.jobs <- j:
		return nil
	default:
		return ErrQueueFull
	}
}

func (d *Dispatcher) work() {
	defer d.workers.Done()
	for j := range d.jobs {
		d.run(j)
	}
}

func (d *Dispatcher) run(j *Job) {
	ctx, cancel := context.WithTimeout(d.ctx, d.o.Timeout)
	start := time.Now()
	err := d.p.Push(ctx, j.Notification)
	cancel()
	if d.o.Observe != nil {
		d.o.Observe(j.Kind, err, time.Since(start))
	}
	if errors.Is(err, ErrRetry) && j.attempt < d.o.Retries && d.ctx.Err() == nil {
		delay := min(d.o.Backoff<<j.attempt, d.o.MaxDelay)
		j.attempt++
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			d.finish(j, err)
			return
		}
		d.pending.Add(1)
		d.timers[j] = time.AfterFunc(delay, func() {
			defer d.pending.Done()
			d.mu.Lock()
			delete(d.timers, j)
			if !d.closed {
				select {
				case d.jobs <- j:
					d.mu.Unlock()
					return
				default:
				}
			}
			d.mu.Unlock()
			d.finish(j, err)
		})
		d.mu.Unlock()
		return
	}
	d.finish(j, err)
}

func (d *Dispatcher) finish(j *Job, err error) {
	if j.Done != nil {
		j.Done(err)
	}
}

// Close stops accepting jobs, fails the jobs waiting to be retried, lets
// queued jobs run and waits for the workers until ctx ends, then cancels
// pushes in flight.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	var stopped []*Job
	for j, t := range d.timers {
		if t.Stop() {
			stopped = append(stopped, j)
		}
		delete(d.timers, j)
	}
	d.mu.Unlock()
	for _, j := range stopped {
		d.finish(j, ErrClosed)
		d.pending.Done()
	}
	done := make(chan struct{})
	go func() {
		d.pending.Wait()
		close(d.jobs)
		d.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done
		return ctx.Err()
	}
}
