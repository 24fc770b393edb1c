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
	dir      string
	prof     profiler
}

type row struct{ metric, value, note string }

// result is one direction of one transfer path.
type result struct {
	bytes int64
	dur   time.Duration
	cpu   time.Duration // server process CPU (the XFTP path only)
}

func (r result) mbps() float64 { return float64(r.bytes) / (1 << 20) / r.dur.Seconds() }

func run(o options) error {
	chunk := uint32(o.chunkKB) << 10
	if !slices.Contains(xftp.ServerChunkSizes, chunk) {
		return fmt.Errorf("-chunk %d KB: want one of 64, 256, 1024, 4096", o.chunkKB)
	}
	if o.sizeMB <= 0 || o.parallel <= 0 {
		return fmt.Errorf("-size and -parallel must be positive")
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
	up, down, rss, err := xftpTransfer(o, base, chunks)
	if err != nil {
		return fmt.Errorf("xftp: %w", err)
	}
	bup, bdown, err := bareTransfer(o, base, chunks)
	if err != nil {
		return fmt.Errorf("bare HTTP/2: %w", err)
	}
	what := fmt.Sprintf("%d × %d KB chunks, %d in flight, TLS 1.3 on loopback", n, o.chunkKB, o.parallel)
	total := float64(len(data))
	rows := []row{
		{"XFTP upload (FNEW+FPUT)", fmt.Sprintf("%.1f MB/s", up.mbps()), what + "; FNEW per chunk included, server SHA-256 + fsync + rename"},
		{"XFTP download (FGET)", fmt.Sprintf("%.1f MB/s", down.mbps()), "server encrypts (X25519 + XSalsa20-Poly1305 stream), client decrypts"},
		{"xftp-server CPU per MB uploaded", fmt.Sprintf("%.1f ms", float64(up.cpu.Microseconds())/1000/(total/(1<<20))), "process user+system time"},
		{"xftp-server CPU per MB downloaded", fmt.Sprintf("%.1f ms", float64(down.cpu.Microseconds())/1000/(total/(1<<20))), ""},
		{"xftp-server RSS after the transfers", mb(rss), ""},
		{"bare HTTP/2 upload into a file", fmt.Sprintf("%.1f MB/s", bup.mbps()), "same TLS config and HTTP/2 server settings, same chunks, fsync + rename per chunk"},
		{"bare HTTP/2 download from a file", fmt.Sprintf("%.1f MB/s", bdown.mbps()), "no application-level encryption"},
		{"XFTP upload / bare limit", fmt.Sprintf("%.0f %%", 100*up.mbps()/bup.mbps()), "target ≥ 70 %"},
		{"XFTP download / bare limit", fmt.Sprintf("%.0f %%", 100*down.mbps()/bdown.mbps()), "target ≥ 70 %"},
	}
	fmt.Printf("\n| metric | value | notes |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.metric, r.value, r.note)
	}
	return nil
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
