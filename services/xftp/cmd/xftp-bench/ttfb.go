package main

import (
	"io"
	"slices"
	"sync"
	"time"
)

// turnarounds collects, per downloaded chunk, the time from the start of
// its request (the client's preparation included) to the first bytes of
// the chunk read from the response body: after the XFTP response head (and
// the client's key agreement), or after the bare response's headers.
type turnarounds struct {
	mu sync.Mutex
	ds []time.Duration
}

func (t *turnarounds) add(d time.Duration) {
	t.mu.Lock()
	t.ds = append(t.ds, d)
	t.mu.Unlock()
}

// median is the median over every chunk recorded so far, in milliseconds.
func (t *turnarounds) median() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.ds) == 0 {
		return 0
	}
	s := slices.Clone(t.ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// firstRead records, in t, the time from t0 to its first Read that returns
// data.
type firstRead struct {
	r    io.Reader
	t0   time.Time
	t    *turnarounds
	seen bool
}

func (f *firstRead) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.seen {
		f.seen = true
		f.t.add(time.Since(f.t0))
	}
	return n, err
}
