package main

import (
	"slices"
	"sync"
	"time"
)

// turnarounds collects, per downloaded chunk, the time from the start of
// its request (the client's preparation included) to the response's first
// bytes: the XFTP response head parsed, or the bare response's headers,
// which the bare server sends with the first piece of the file.
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
