package main

import (
	"fmt"
	"path/filepath"
)

// compare runs the paired comparison of -compare: two xftp-server
// binaries (o.server as A, other as B) each upload the chunks once, then
// every round downloads them A, B, bare, B, A (B, A, bare, A, B in odd
// rounds), so that both see the same load on the machine around the same
// bare phase. It prints each round's rates and both ratios to the bare
// limit (its server in a process of its own), then their medians and the median
// turnarounds. Differences of a few points between two variants show here
// where separate runs vary by ±10 %.
func compare(o options, other, base string, chunks [][]byte) error {
	ob := o
	ob.server = other
	a, err := xftpPath(o, filepath.Join(base, "a"), chunks)
	if err != nil {
		return fmt.Errorf("xftp A: %w", err)
	}
	defer a.close()
	b, err := xftpPath(ob, filepath.Join(base, "b"), chunks)
	if err != nil {
		return fmt.Errorf("xftp B: %w", err)
	}
	defer b.close()
	bp, err := barePath(o, base, chunks, true)
	if err != nil {
		return fmt.Errorf("bare HTTP/2: %w", err)
	}
	defer bp.close()
	for _, p := range []*path{a, b, bp} {
		if _, err := p.up(1); err != nil {
			return fmt.Errorf("upload: %w", err)
		}
	}
	fmt.Printf("A %s, B %s, %d in flight\n\n| round | bare MB/s | A MB/s | B MB/s | A / bare | B / bare |\n| --- | --- | --- | --- | --- | --- |\n",
		o.server, other, o.parallel)
	var ra, rb []float64
	for r := 0; r < o.rounds; r++ {
		seq := []*path{a, b, bp, b, a}
		if r%2 == 1 {
			seq = []*path{b, a, bp, a, b}
		}
		got := map[*path][]result{}
		for _, p := range seq {
			res, err := p.down(r + 2)
			if err != nil {
				return fmt.Errorf("download: %w", err)
			}
			got[p] = append(got[p], res)
		}
		mean := func(rs []result) float64 { return (rs[0].mbps() + rs[1].mbps()) / 2 }
		bare, ma, mb := got[bp][0].mbps(), mean(got[a]), mean(got[b])
		ra = append(ra, 100*ma/bare)
		rb = append(rb, 100*mb/bare)
		fmt.Printf("| %d | %.1f | %.1f | %.1f | %.0f %% | %.0f %% |\n", r+1, bare, ma, mb, 100*ma/bare, 100*mb/bare)
	}
	fmt.Printf("\nA / bare %s %%, B / bare %s %%; turnaround A %.2f, B %.2f, bare %.2f ms\n",
		spread(ra, "%.0f"), spread(rb, "%.0f"), a.first.median(), b.first.median(), bp.first.median())
	return nil
}
