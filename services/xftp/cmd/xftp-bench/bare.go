//lint:file-ignore SA1019 net/http cannot serve HTTP/2 on a connection whose ALPN is xftp/1 (CONFORMANCE-NOTES, Go notes); x/net/http2 ServeConn/NewClientConn can

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/net/http2"

	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/transport"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// bareServer is the limit: HTTP/2 over TLS with xftp-server's TLS
// configuration (transport.ServerTLSConfig, ALPN xftp/1, an Ed25519 leaf
// under an Ed25519 CA) and HTTP/2 parameters, whose handler stores a
// request body as a file (read and written in pieces of the server's
// copyBufSize, synced, renamed, the directory synced: the server's
// chunkDir.receive and commit) or sends a stored file back (in pieces of
// the server's sendPiece, each one Write to the HTTP/2 stream, as FGET
// does; the connection cuts them into 16 KB DATA frames, the client's
// SETTINGS_MAX_FRAME_SIZE; the socket corked while a file is sent, as
// xftp-server's is while an FGET body is). No XFTP commands, signatures or
// encryption.
// The client reads response bodies in pieces of the XFTP client's
// decryptor (one flow-control update per read).
//
// These are the buffer sizes of the XFTP path, so the two paths differ
// only in what XFTP adds.
const (
	receivePiece = 128 << 10 // server: chunkDir.receive (copyBufSize)
	sendPiece    = 256 << 10 // server: sendSealed (sendPiece)
	readPiece    = 256 << 10 // client: crypto.StreamDecryptor (streamChunk; its WriteTo reads each piece with one Read of up to this size)
)

// onlyWriter and onlyReader hide ReadFrom/WriteTo so io.CopyBuffer uses
// the given buffer.
type (
	onlyWriter struct{ io.Writer }
	onlyReader struct{ io.Reader }
)
type bareServer struct {
	dir string
	ln  net.Listener
	cfg *tls.Config
	h2  *http2.Server
	key []byte
}

func startBare(dir string) (*bareServer, error) {
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o700); err != nil {
		return nil, err
	}
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "bench CA", "127.0.0.1", rand.Reader)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &bareServer{dir: dir, ln: ln, key: id.Fingerprint,
		cfg: transport.ServerTLSConfig([]tls.Certificate{id.TLS}, []string{transport.ALPNXFTP}),
		h2: &http2.Server{MaxReadFrameSize: 1 << 16, MaxUploadBufferPerStream: 256 << 10,
			MaxUploadBufferPerConnection: 1 << 20}}
	go s.serve()
	return s, nil
}

func (s *bareServer) serve() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			tc, err := transport.Server(ctx, nc, s.cfg)
			cancel()
			if err != nil {
				nc.Close()
				return
			}
			s.h2.ServeConn(tc.TLSConn(), &http2.ServeConnOpts{Handler: connHandler{s, nc}, BaseConfig: &http.Server{}})
		}()
	}
}

func (s *bareServer) close() { s.ln.Close() }

// connHandler serves one connection; a get corks its socket while the
// file is sent, as xftp-server corks an FGET body (transport.Cork), so
// that the limit has xftp-server's socket settings too.
type connHandler struct {
	s  *bareServer
	nc net.Conn
}

func (h connHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-op") == "get" {
		transport.Cork(h.nc, true)
		defer transport.Cork(h.nc, false)
	}
	h.s.ServeHTTP(w, r)
}

// ServeHTTP: x-op put stores the body as x-name, get sends x-name back.
func (s *bareServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.Header.Get("x-name"))
	switch r.Header.Get("x-op") {
	case "put":
		if err := s.store(name, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	case "get":
		f, err := os.Open(filepath.Join(s.dir, name))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		w.WriteHeader(http.StatusOK)
		io.CopyBuffer(w, onlyReader{f}, make([]byte, sendPiece))
	default:
		http.Error(w, "bad op", http.StatusBadRequest)
	}
}

func (s *bareServer) store(name string, body io.Reader) error {
	tmp := filepath.Join(s.dir, ".tmp", name)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(onlyWriter{f}, onlyReader{body}, make([]byte, receivePiece)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		return err
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// bareChildEnv names the directory of a bare server run as a child
// process (barePath with own): a bench process started with it serves
// there and does nothing else.
const bareChildEnv = "XFTP_BENCH_BARE_CHILD"

// bareChildPprofEnv, set in a bare server child's environment, makes it
// serve net/http/pprof on a loopback port of its own (for -cpuprofile).
const bareChildPprofEnv = "XFTP_BENCH_BARE_CHILD_PPROF"

// serveBareChild runs the bare server in dir for a parent bench: it prints
// "ADDRESS KEYHASH-HEX PPROF-ADDRESS" ("-" without pprof) and serves until
// its standard input ends (the parent closes it, or exits).
func serveBareChild(dir string) error {
	s, err := startBare(dir)
	if err != nil {
		return err
	}
	admin := "-"
	if os.Getenv(bareChildPprofEnv) != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go http.Serve(ln, mux)
		admin = ln.Addr().String()
	}
	fmt.Printf("%s %x %s\n", s.ln.Addr(), s.key, admin)
	io.Copy(io.Discard, os.Stdin)
	s.close()
	return nil
}

// startBareChild starts this program as a bare server child in dir; with
// profile it serves pprof for the phases' server profiles.
func startBareChild(dir string, profile bool) (proc *serverProc, addr string, key []byte, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), bareChildEnv+"="+dir)
	if profile {
		cmd.Env = append(cmd.Env, bareChildPprofEnv+"=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	var hexKey, admin string
	if _, err = fmt.Fscan(stdout, &addr, &hexKey, &admin); err == nil {
		key, err = hex.DecodeString(hexKey)
	}
	if err != nil {
		stdin.Close()
		cmd.Wait()
		return nil, "", nil, fmt.Errorf("bare server child: %w", err)
	}
	p := &serverProc{cmd: cmd, stdin: stdin}
	if admin != "-" {
		p.admin = admin
	}
	return p, addr, key, nil
}

// barePath starts a bareServer, in this process (base/bare) or, with own,
// in a child process of its own (base/bare-own), as xftp-server runs in
// its own process: up sends every chunk to it, down reads each back, over
// one connection made by the XFTP test client's dialer (the same TLS
// client settings and HTTP/2 client), with o.parallel requests in flight.
// With own, the phases count the child's CPU time as the server's.
func barePath(o options, base string, chunks [][]byte, own bool) (*path, error) {
	var (
		addr  string
		key   []byte
		child *serverProc
		stop  func()
		name  = "bare"
	)
	if own {
		name = "bare-own"
		var err error
		if child, addr, key, err = startBareChild(filepath.Join(base, name), o.prof.prefix != ""); err != nil {
			return nil, err
		}
		stop = child.stop
	} else {
		s, err := startBare(filepath.Join(base, name))
		if err != nil {
			return nil, err
		}
		addr, key, stop = s.ln.Addr().String(), s.key, s.close
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	c, err := xftptest.Dial(ctx, addr, xftptest.Options{KeyHash: key, MaxReadFrameSize: o.frameKB << 10})
	if err != nil {
		cancel()
		stop()
		return nil, err
	}
	post := func(op string, i int, body io.Reader) (*http.Response, error) {
		resp, err := c.Post(ctx, body, http.Header{"X-Op": {op}, "X-Name": {strconv.Itoa(i)}})
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			return nil, fmt.Errorf("%s %d: status %d: %s", op, i, resp.StatusCode, b)
		}
		return resp, nil
	}
	put := func(i int) error {
		resp, err := post("put", i, bytes.NewReader(chunks[i]))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body) // the empty answer
		return resp.Body.Close()
	}
	first := &turnarounds{}
	get := func(i int) error {
		t0 := time.Now()
		resp, err := post("get", i, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := io.CopyBuffer(onlyWriter{io.Discard}, &firstRead{r: resp.Body, t0: t0, t: first}, make([]byte, readPiece))
		if err != nil {
			return err
		}
		if n != int64(len(chunks[i])) {
			return fmt.Errorf("get %d: %d bytes, want %d", i, n, len(chunks[i]))
		}
		return nil
	}
	// Warm-up, not timed, as for XFTP.
	err = put(0)
	if err == nil {
		err = get(0)
	}
	if err != nil {
		c.Close()
		cancel()
		stop()
		return nil, err
	}
	return &path{
		up:    func(r int) (result, error) { return phase(o, phaseName(name+"-upload", r), child, chunks, put) },
		down:  func(r int) (result, error) { return phase(o, phaseName(name+"-download", r), child, chunks, get) },
		rss:   func() int64 { return 0 },
		first: first,
		close: func() { c.Close(); cancel(); stop() },
	}, nil
}
