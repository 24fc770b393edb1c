// Command xftp-bench measures xftp-server (make bench): upload and download
// rates of one file split into chunks, over TLS on loopback, against an
// xftp-server process; and, in the same run, the limit for the same bytes
// over a bare HTTP/2 TLS connection (the same TLS settings, HTTP/2 server
// parameters and socket cork) into and out of files on the same disk,
// synced as the server syncs its chunks, its server in a process of its
// own as xftp-server is. The same bare server is also measured inside the
// bench process, the limit of earlier runs. It prints a Markdown table.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if dir := os.Getenv(bareChildEnv); dir != "" {
		if err := serveBareChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "xftp-bench: bare server:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.server, "server", "bin/xftp-server", "xftp-server binary")
	flag.Int64Var(&o.sizeMB, "size", 100, "file size in MB (rounded up to whole chunks)")
	flag.IntVar(&o.chunkKB, "chunk", 4096, "chunk size in KB: 64, 256, 1024 or 4096")
	flag.IntVar(&o.parallel, "parallel", 1, "chunks in flight at once (one connection, HTTP/2 streams)")
	var frameKB uint
	flag.UintVar(&frameKB, "frame", 0, "the clients' SETTINGS_MAX_FRAME_SIZE in KB, the largest DATA frame the servers send them (0: 16 KB, as the official clients; client/xftp asks for 256)")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds of upload and download per path, alternating XFTP and bare; figures are medians")
	flag.StringVar(&o.compare, "compare", "", "a second xftp-server binary: compare the two by downloads only, alternating around the bare limit each round (-rounds rounds)")
	flag.StringVar(&o.dir, "dir", "", "directory for the server's data and the baseline's files (default: a temporary directory)")
	flag.StringVar(&o.prof.prefix, "cpuprofile", "", "write CPU profiles of each phase to PREFIX-<phase>-{bench,server}.pprof")
	flag.IntVar(&o.prof.seconds, "profile-seconds", 2, "length of the server's profile from the start of each phase")
	flag.Parse()
	o.frameKB = uint32(frameKB)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "xftp-bench:", err)
		os.Exit(1)
	}
}
