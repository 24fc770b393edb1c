package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/simplexgo/protocol/xftp"
)

type options struct {
	server   string
	sizeMB   int64
	chunkKB  int
	parallel int
	frameKB  uint32 // the clients' SETTINGS_MAX_FRAME_SIZE in KB; 0: 16 KB
	rounds   int
	compare  string // a second xftp-server binary: paired download comparison
	dir      string
	prof     profiler
}

type row struct{ metric, value, note string }

// result is one direction of one transfer path.
type result struct {
	bytes int64
	dur   time.Duration
	cpu   time.Duration // server process CPU (the XFTP path only)
	self  time.Duration // this process's CPU: the client, and the bare server
}

func (r result) mbps() float64 { return float64(r.bytes) / (1 << 20) / r.dur.Seconds() }

func run(o options) error {
	chunk := uint32(o.chunkKB) << 10
	if !slices.Contains(xftp.ServerChunkSizes, chunk) {
		return fmt.Errorf("-chunk %d KB: want one of 64, 256, 1024, 4096", o.chunkKB)
	}
	if o.sizeMB <= 0 || o.parallel <= 0 || o.rounds <= 0 {
		return fmt.Errorf("-size, -parallel and -rounds must be positive")
	}
	if _, err := os.Stat(o.server); err != nil {
		return fmt.Errorf("server binary %s: %w (run make build)", o.server, err)
	}
	n := int((o.sizeMB<<20 + int64(chunk) - 1) / int64(chunk))
	// Random chunk contents (what an encrypted file looks like), made once
	// and shared by both paths; each chunk's bytes differ.
	data := make([]byte, int64(n)*int64(chunk))
	rand.Read(data)
	chunks := make([][]byte, n)
	for i := range chunks {
		chunks[i] = data[i*int(chunk) : (i+1)*int(chunk)]
	}
	base := o.dir
	if base == "" {
		d, err := os.MkdirTemp("", "xftp-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		base = d
	}
	if o.compare != "" {
		if _, err := os.Stat(o.compare); err != nil {
			return fmt.Errorf("-compare %s: %w", o.compare, err)
		}
		return compare(o, o.compare, base, chunks)
	}
	xp, err := xftpPath(o, base, chunks)
	if err != nil {
		return fmt.Errorf("xftp: %w", err)
	}
	defer xp.close()
	bp, err := barePath(o, base, chunks, false)
	if err != nil {
		return fmt.Errorf("bare HTTP/2: %w", err)
	}
	defer bp.close()
	// The same bare server again, in a process of its own as xftp-server
	// is: client and server then no longer share one Go runtime.
	op, err := barePath(o, base, chunks, true)
	if err != nil {
		return fmt.Errorf("bare HTTP/2, own process: %w", err)
	}
	defer op.close()
	// The paths alternate phase by phase, so a round's XFTP and bare
	// figures see the same load on the machine; each figure is the median
	// over the rounds, each ratio the median of the rounds' ratios.
	var up, down, bup, bdown, oup, odown []result
	for r := 1; r <= o.rounds; r++ {
		for _, ph := range []struct {
			run func(int) (result, error)
			to  *[]result
			err string
		}{{xp.up, &up, "xftp upload"}, {bp.up, &bup, "bare HTTP/2 upload"}, {op.up, &oup, "bare HTTP/2 upload, own process"},
			{xp.down, &down, "xftp download"}, {bp.down, &bdown, "bare HTTP/2 download"}, {op.down, &odown, "bare HTTP/2 download, own process"}} {
			res, err := ph.run(r)
			if err != nil {
				return fmt.Errorf("%s: %w", ph.err, err)
			}
			*ph.to = append(*ph.to, res)
		}
	}
	rss := xp.rss()
	frame := o.frameKB
	if frame == 0 {
		frame = 16
	}
	what := fmt.Sprintf("%d × %d KB chunks, %d in flight, %d KB DATA frames to the clients, TLS 1.3 on loopback, median of %d rounds", n, o.chunkKB, o.parallel, frame, o.rounds)
	total := float64(len(data))
	cpu := func(rs []result) string {
		ms := make([]float64, len(rs))
		for i, r := range rs {
			ms[i] = float64(r.cpu.Microseconds()) / 1000 / (total / (1 << 20))
		}
		return fmt.Sprintf("%.1f ms", median(ms))
	}
	// CPU per MB of both ends: the client and the xftp-server process, this
	// process alone for the bare path (client and server), or this process
	// and the bare server's for the bare path in its own process. Unlike the
	// rates it hardly depends on other load on the machine, and when the
	// transfers are CPU-bound its ratio bounds the ratio of the rates.
	both := func(rs []result) string {
		ms := make([]float64, len(rs))
		for i, r := range rs {
			ms[i] = float64((r.cpu + r.self).Microseconds()) / 1000 / (total / (1 << 20))
		}
		return spread(ms, "%.1f") + " ms"
	}
	rows := []row{
		{"XFTP upload (FNEW+FPUT)", rate(up), what + "; FNEW per chunk included, server SHA-256 + fsync + rename"},
		{"XFTP download (FGET)", rate(down), "server encrypts (X25519 + XSalsa20-Poly1305 stream), client decrypts"},
		{"xftp-server CPU per MB uploaded", cpu(up), "process user+system time"},
		{"xftp-server CPU per MB downloaded", cpu(down), ""},
		{"xftp-server RSS after the transfers", mb(rss), ""},
		{"bare HTTP/2 upload into a file, server in its own process", rate(oup), "the limit: same TLS config, HTTP/2 settings, socket cork and buffer sizes, same chunks, fsync + rename per chunk; the bare server runs as a child process, as xftp-server runs in its own"},
		{"bare HTTP/2 download from a file, server in its own process", rate(odown), "no application-level encryption"},
		{"bare HTTP/2 upload, server in the bench process", rate(bup), "the same bare server inside this process: client and server share one Go runtime, which no server process can"},
		{"bare HTTP/2 download, server in the bench process", rate(bdown), ""},
		{"CPU per MB uploaded, client + server: XFTP / bare in its own process / bare in the bench process", both(up) + " / " + both(oup) + " / " + both(bup), "user+system time of both processes (XFTP, bare in its own process), of the bench process (bare in it)"},
		{"CPU per MB downloaded, client + server: XFTP / bare in its own process / bare in the bench process", both(down) + " / " + both(odown) + " / " + both(bdown), ""},
		{"download turnaround per chunk: XFTP / bare in its own process / bare in the bench process", fmt.Sprintf("%.2f / %.2f / %.2f ms", xp.first.median(), op.first.median(), bp.first.median()), "median time from a request's start (the client's signing and key generation included) to the chunk's first bytes read from the response body"},
		{"XFTP upload / bare limit", ratio(up, oup), "target ≥ 70 %; both servers in a process of their own"},
		{"XFTP download / bare limit", ratio(down, odown), "target ≥ 70 %"},
		{"XFTP upload / bare server in the bench process", ratio(up, bup), "for comparison with earlier runs"},
		{"XFTP download / bare server in the bench process", ratio(down, bdown), ""},
	}
	fmt.Printf("\n| metric | value | notes |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.metric, r.value, r.note)
	}
	return nil
}

// median returns the median of xs (the mean of the middle two for an even
// count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread formats the median of xs and, over several rounds, their range.
func spread(xs []float64, format string) string {
	v := fmt.Sprintf(format, median(xs))
	if len(xs) > 1 {
		v += fmt.Sprintf(" ("+format+"–"+format+")", slices.Min(xs), slices.Max(xs))
	}
	return v
}

// rate is the median rate of rs in MB/s, with the range of the rounds.
func rate(rs []result) string {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r.mbps()
	}
	return spread(xs, "%.1f") + " MB/s"
}

// ratio is the median of the rounds' ratios a/b in percent, with their
// range.
func ratio(a, b []result) string {
	xs := make([]float64, len(a))
	for i := range a {
		xs[i] = 100 * a[i].mbps() / b[i].mbps()
	}
	return spread(xs, "%.0f") + " %"
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
