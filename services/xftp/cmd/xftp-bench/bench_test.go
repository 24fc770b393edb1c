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

// TestMain lets the test binary serve as the bare server's child process
// (barePath with own), as the bench binary does.
func TestMain(m *testing.M) {
	if dir := os.Getenv(bareChildEnv); dir != "" {
		if err := serveBareChild(dir); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBareTransfer: the bare HTTP/2 limit stores every chunk as a file
// with the same bytes and reads each back, with several in flight; its
// server in this process, then in a child process.
func TestBareTransfer(t *testing.T) {
	for _, own := range []bool{false, true} {
		t.Run(map[bool]string{false: "this-process", true: "own-process"}[own], func(t *testing.T) { testBareTransfer(t, own) })
	}
}

func testBareTransfer(t *testing.T, own bool) {
	base := t.TempDir()
	chunks := make([][]byte, 5)
	for i := range chunks {
		chunks[i] = make([]byte, 64<<10)
		rand.Read(chunks[i])
	}
	p, err := barePath(options{parallel: 3, rounds: 1}, base, chunks, own)
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
	dir := map[bool]string{false: "bare", true: "bare-own"}[own]
	for i, c := range chunks {
		b, err := os.ReadFile(filepath.Join(base, dir, string(rune('0'+i))))
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
