package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/smp-relay/internal/store"
	"github.com/simplexgo/services/smp-relay/internal/store/bolt"
)

type memoryResult struct {
	base, loaded int64
	conns        int
}

// seedQueues writes n queue records with one shared recipient key straight
// into the store (in transactions of 10 000) and returns the recipient
// ids of the first k of them.
func seedQueues(path string, n, k int, rk crypto.PublicKey) ([][]byte, error) {
	st, err := bolt.Open(path)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var first [][]byte
	now := time.Now().UTC()
	for done := 0; done < n; {
		batch := make([]*store.Queue, 0, 10_000)
		for ; len(batch) < cap(batch) && done < n; done++ {
			q := &store.Queue{RecipientID: randomID(), SenderID: randomID(), RecipientKey: rk,
				RcvDhSecret: randomID()[:24], SenderCanSecure: true, CreatedAt: now, UpdatedAt: now}
			q.RcvDhSecret = append(q.RcvDhSecret, 1, 2, 3, 4, 5, 6, 7, 8)
			if len(first) < k {
				first = append(first, q.RecipientID)
			}
			batch = append(batch, q)
		}
		if err := st.ImportQueues(batch); err != nil {
			return nil, err
		}
	}
	return first, nil
}

// memory measures the relay's RSS with o.queues stored queues, then with
// o.idle TLS connections each subscribed to one queue and idle.
func memory(o options) (*memoryResult, error) {
	dir, port, err := initRelay(o.relay)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	rids, err := seedQueues(storePath(dir), o.queues, o.idle, rk.Public())
	if err != nil {
		return nil, err
	}
	r, _, err := startRelay(o.relay, dir, port)
	if err != nil {
		return nil, err
	}
	defer r.stop()
	runtime.GC()
	time.Sleep(time.Second)
	res := &memoryResult{base: r.rss()}
	ctx := context.Background()
	var (
		mu      sync.Mutex
		clients []*smpclient.Client
		wg      sync.WaitGroup
		firstEr error
	)
	sem := make(chan struct{}, 32)
	for _, rid := range rids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := smpclient.Dial(ctx, r.addr, r.key, smpclient.Options{})
			if err == nil {
				_, err = c.Send(ctx, rid, &rk, smp.SUB{})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstEr == nil {
					firstEr = err
				}
				return
			}
			clients = append(clients, c)
		}()
	}
	wg.Wait()
	if len(clients) == 0 {
		return nil, fmt.Errorf("no connection: %v", firstEr)
	}
	time.Sleep(o.settle)
	res.loaded = r.rss()
	res.conns = len(clients)
	for _, c := range clients {
		c.Close()
	}
	return res, nil
}

// startup measures exec-to-serving with o.startQueues stored queues.
func startup(o options) (time.Duration, error) {
	dir, port, err := initRelay(o.relay)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	rk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	if _, err := seedQueues(storePath(dir), o.startQueues, 0, rk.Public()); err != nil {
		return 0, err
	}
	r, d, err := startRelay(o.relay, dir, port)
	if err != nil {
		return 0, err
	}
	r.stop()
	return d, nil
}
