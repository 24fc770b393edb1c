package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar returns a progress callback that draws a bar on w when w is a
// terminal, and nil (no progress output) otherwise, so that scripts and
// pipes get clean output.
func progressBar(w io.Writer, label string) func(done, total int64) {
	if !isTerminal(w) {
		return nil
	}
	var last time.Time
	return func(done, total int64) {
		now := time.Now()
		if done < total && now.Sub(last) < 100*time.Millisecond {
			return
		}
		last = now
		fmt.Fprint(w, "\r"+renderBar(label, done, total))
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// renderBar formats one line: label, a 30-cell bar, percent and sizes.
func renderBar(label string, done, total int64) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	n := int(frac * width)
	return fmt.Sprintf("%s [%s%s] %3.0f%% %s/%s", label, strings.Repeat("=", n), strings.Repeat(" ", width-n),
		frac*100, humanBytes(done), humanBytes(total))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
