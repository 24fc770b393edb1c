package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/xftp"
	"github.com/simplexgo/services/xftp/internal/xftptest"
)

// stored is one uploaded chunk: the recipient's key and id.
type stored struct {
	rcv    crypto.PrivateKey
	rid    []byte
	digest []byte
}

// forEach runs fn for every index 0..n-1 on par goroutines and returns the
// first error.
func forEach(n, par int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// path is one transfer path, started and warmed up: each call of up
// uploads every chunk, each call of down downloads every chunk of the
// last upload (one timed phase each).
type path struct {
	up, down func(round int) (result, error)
	rss      func() int64 // the server process's RSS (0 for the bare path)
	// first is each downloaded chunk's time to its first body bytes.
	first *turnarounds
	close func()
}

// phaseName names a phase's profiles: name, and name-rN after round 1.
func phaseName(name string, round int) string {
	if round <= 1 {
		return name
	}
	return fmt.Sprintf("%s-r%d", name, round)
}

// xftpPath starts xftp-server in base/xftp (a quota for o.rounds uploads
// of every chunk): up uploads every chunk (FNEW with one recipient, then
// FPUT), down downloads each back (FGET, decrypted and checked against its
// SHA-256); both report the server's CPU time.
func xftpPath(o options, base string, chunks [][]byte) (*path, error) {
	total := int64(len(chunks)) * int64(len(chunks[0]))
	srv, err := startServer(o.server, filepath.Join(base, "xftp"), int64(o.rounds+1)*(total>>20)+64, o.prof.prefix != "")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	c, err := srv.dial(ctx, o.frameKB)
	if err != nil {
		cancel()
		srv.stop()
		return nil, err
	}
	files := make([]stored, len(chunks))
	// The chunk digests are part of the file description, made while the
	// file is encrypted (client/xftp's chunkHasher), before any upload: not
	// timed, as the encryption is not. The download checks every chunk
	// against its digest, as a client does.
	digests := make([][]byte, len(chunks))
	for i, ch := range chunks {
		d := sha256.Sum256(ch)
		digests[i] = d[:]
	}

	upload := func(i int) error {
		data, d := chunks[i], digests[i]
		snd, err := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		if err != nil {
			return err
		}
		rcv, err := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		if err != nil {
			return err
		}
		r, err := do(ctx, c, snd, nil, xftp.FNEW{SndKey: snd.Public(), Size: uint32(len(data)), Digest: d, RcvKeys: []crypto.PublicKey{rcv.Public()}}, nil)
		if err != nil {
			return fmt.Errorf("FNEW: %w", err)
		}
		ids, ok := r.(xftp.SIDS)
		if !ok || len(ids.RecipientIDs) != 1 {
			return fmt.Errorf("FNEW: %#v", r)
		}
		if r, err = do(ctx, c, snd, ids.SenderID, xftp.FPUT{}, bytes.NewReader(data)); err != nil {
			return fmt.Errorf("FPUT: %w", err)
		}
		if _, ok := r.(xftp.OK); !ok {
			return fmt.Errorf("FPUT: %#v", r)
		}
		files[i] = stored{rcv: rcv, rid: ids.RecipientIDs[0], digest: d}
		return nil
	}
	first := &turnarounds{}
	download := func(i int) error {
		f := files[i]
		t0 := time.Now()
		dh, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
		if err != nil {
			return err
		}
		head, err := c.Head(f.rcv, f.rid, xftp.FGET{RcvDHKey: dh.Public()})
		if err != nil {
			return err
		}
		r, err := c.Send(ctx, head, nil)
		if err != nil {
			return fmt.Errorf("FGET: %w", err)
		}
		defer r.Body.Close()
		file, ok := r.Resp.(xftp.FILE)
		if !ok {
			return fmt.Errorf("FGET: %#v", r.Resp)
		}
		secret, err := crypto.DH(dh, file.SrvDHKey)
		if err != nil {
			return err
		}
		dec, err := crypto.NewBoxStreamDecryptor(&firstRead{r: r.Body, t0: t0, t: first}, secret, file.Nonce)
		if err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.Copy(h, dec); err != nil {
			return fmt.Errorf("FGET body: %w", err)
		}
		if !bytes.Equal(h.Sum(nil), f.digest) {
			return errors.New("FGET: downloaded chunk differs from the uploaded one")
		}
		return nil
	}
	// Warm-up, not timed: one chunk up and down (connection windows,
	// server goroutines, page cache).
	err = upload(0)
	if err == nil {
		err = download(0)
	}
	if err != nil {
		c.Close()
		cancel()
		srv.stop()
		return nil, err
	}
	return &path{
		up:    func(r int) (result, error) { return phase(o, phaseName("xftp-upload", r), srv, chunks, upload) },
		down:  func(r int) (result, error) { return phase(o, phaseName("xftp-download", r), srv, chunks, download) },
		rss:   srv.rss,
		first: first,
		close: func() { c.Close(); cancel(); srv.stop() },
	}, nil
}

// phase runs fn for every chunk with o.parallel in flight and measures it
// (and profiles it with -cpuprofile); srv is the xftp-server process, nil
// for the bare paths.
func phase(o options, name string, srv *serverProc, chunks [][]byte, fn func(i int) error) (result, error) {
	admin := ""
	if srv != nil {
		admin = srv.admin
	}
	stop, err := o.prof.start(name, admin)
	if err != nil {
		return result{}, err
	}
	var cpu0 time.Duration
	if srv != nil {
		cpu0 = srv.cpu()
	}
	self0 := selfCPU()
	t0 := time.Now()
	err = forEach(len(chunks), o.parallel, fn)
	r := result{bytes: int64(len(chunks)) * int64(len(chunks[0])), dur: time.Since(t0)}
	r.self = selfCPU() - self0
	if srv != nil {
		r.cpu = srv.cpu() - cpu0
	}
	if perr := stop(); err == nil {
		err = perr
	}
	return r, err
}

// do sends one signed command (with an optional chunk body) and returns the
// response; the rest of the response body is drained.
func do(ctx context.Context, c *xftptest.Client, k crypto.PrivateKey, id []byte, cmd xftp.Command, body io.Reader) (xftp.Response, error) {
	r, err := c.Do(ctx, k, id, cmd, body)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.Resp, nil
}
