package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestBareTransfer: the bare HTTP/2 limit stores every chunk as a file
// with the same bytes and reads each back, with several in flight.
func TestBareTransfer(t *testing.T) {
	base := t.TempDir()
	chunks := make([][]byte, 5)
	for i := range chunks {
		chunks[i] = make([]byte, 64<<10)
		rand.Read(chunks[i])
	}
	p, err := barePath(options{parallel: 3, rounds: 1}, base, chunks)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	up, err := p.up(1)
	if err != nil {
		t.Fatal(err)
	}
	down, err := p.down(1)
	if err != nil {
		t.Fatal(err)
	}
	if up.bytes != 5*64<<10 || down.bytes != up.bytes || up.dur <= 0 || down.dur <= 0 {
		t.Fatalf("up %+v down %+v", up, down)
	}
	for i, c := range chunks {
		b, err := os.ReadFile(filepath.Join(base, "bare", string(rune('0'+i))))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, c) {
			t.Fatalf("chunk %d differs", i)
		}
	}
}

// TestMedian: odd and even counts, and the range shown with several
// rounds.
func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Fatalf("median = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median = %v", m)
	}
	if s := spread([]float64{70, 60, 80}, "%.0f"); s != "70 (60–80)" {
		t.Fatalf("spread = %q", s)
	}
	if s := spread([]float64{70}, "%.0f"); s != "70" {
		t.Fatalf("spread = %q", s)
	}
}

// TestForEach: every index runs once; the first error stops the rest.
func TestForEach(t *testing.T) {
	var seen [100]atomic.Int32
	if err := forEach(len(seen), 4, func(i int) error { seen[i].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d ran %d times", i, seen[i].Load())
		}
	}
	boom := errors.New("boom")
	var ran atomic.Int32
	err := forEach(1000, 1, func(i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 4 {
		t.Fatalf("err %v after %d", err, ran.Load())
	}
}
