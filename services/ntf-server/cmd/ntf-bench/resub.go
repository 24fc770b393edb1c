package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
	"github.com/simplexgo/services/ntf-server/internal/store"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
)

type resubResult struct {
	n          int
	create     time.Duration // queues with notifiers created on the relay
	first      time.Duration // first start after seeding: exec → all NSUB OK
	restart    time.Duration // restart: exec → all NSUB OK
	failed     float64       // NSUB results other than OK after the restart
	ntfRSS     int64
	ntfCPU     time.Duration // ntf-server CPU during the restart
	relayCPU   time.Duration // relay CPU during the restart
	sampleSubs int           // subscriptions checked ACTIVE with SCHK
}

// resubscribe creates o.subs queues with notifiers on a relay (NEW and
// NKEY over SMP, pipelined with SendBatch on a few connections, one
// recipient key and one notifier key shared by all), seeds the NTF store
// with one ACTIVE token and a subscription per queue (written through the
// store's own API, on tmpfs, then copied into the server's data directory),
// starts ntf-server until every NSUB has been answered, stops it, and times
// a restart from exec until the relay has answered every NSUB OK (the
// ntf_smp_nsub_total counter on /metrics); a sample of subscriptions is
// then checked ACTIVE with SCHK.
func resubscribe(o options, base string, fake *fakeAPNs) (*resubResult, error) {
	res := &resubResult{n: o.subs}
	r, nk, nids, err := notifierRelay(o, base, res)
	if err != nil {
		return nil, err
	}
	defer func() { r.stop() }()

	ns, err := initNTF(o.ntf, filepath.Join(base, "ntf-resub"), fake, o.workers)
	if err != nil {
		return nil, err
	}
	dev, subIDs, err := seedStore(filepath.Join(ns.dir, "ntf.db"), r.addr, nk, nids)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	fake.setOnPush(nil)
	if res.first, _, err = startUntilSubscribed(ns, o.subs); err != nil {
		return nil, fmt.Errorf("first start: %w", err)
	}
	ns.stop()
	fmt.Fprintln(os.Stderr, "ntf-bench: restarting ntf-server")
	rc0 := r.cpu()
	d, failed, err := startUntilSubscribed(ns, o.subs)
	if err != nil {
		return nil, fmt.Errorf("restart: %w", err)
	}
	defer ns.stop()
	res.restart, res.failed = d, failed
	res.ntfCPU, res.relayCPU, res.ntfRSS = ns.cpu(), r.cpu()-rc0, ns.rss()
	// The store says ACTIVE too.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ns.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for i := 0; i < len(subIDs); i += max(1, len(subIDs)/10) {
		if err := waitSubActive(c, dev, subIDs[i]); err != nil {
			return nil, err
		}
		res.sampleSubs++
	}
	return res, nil
}

// notifierRelay starts a relay with o.subs queues with notifiers, in
// base/relay-resub. NTF_BENCH_RESUB_CACHE=dir keeps the relay's data and
// the notifier credentials in dir and reuses them when they are there
// (for profiling runs: creating 100 000 queues takes minutes).
func notifierRelay(o options, base string, res *resubResult) (*relay, crypto.PrivateKey, [][]byte, error) {
	cache := os.Getenv("NTF_BENCH_RESUB_CACHE")
	dir := filepath.Join(base, "relay-resub")
	if cache != "" {
		if nk, nids, err := loadNotifiers(filepath.Join(cache, "notifiers")); err == nil && len(nids) == o.subs {
			if err := copyDir(filepath.Join(cache, "relay"), dir); err != nil {
				return nil, crypto.PrivateKey{}, nil, err
			}
			r, err := openRelay(o.relay, dir)
			return r, nk, nids, err
		}
	}
	// The relay syncs its store on every NEW and NKEY: create the queues
	// with the relay's data on tmpfs, then move it to disk and restart.
	shm, err := os.MkdirTemp(shmDir(), "ntf-bench-relay-*")
	if err != nil {
		return nil, crypto.PrivateKey{}, nil, err
	}
	defer os.RemoveAll(shm)
	r, err := newRelay(o.relay, shm)
	if err != nil {
		return nil, crypto.PrivateKey{}, nil, err
	}
	t0 := time.Now()
	nk, nids, err := createNotifiers(r, o.subs)
	if err != nil {
		r.stop()
		return nil, crypto.PrivateKey{}, nil, err
	}
	res.create = time.Since(t0)
	fmt.Fprintf(os.Stderr, "ntf-bench: %d queues with notifiers in %s\n", o.subs, res.create.Round(time.Millisecond))
	r.stop()
	if cache != "" {
		os.RemoveAll(filepath.Join(cache, "relay"))
		if err := copyDir(shm, filepath.Join(cache, "relay")); err != nil {
			return nil, crypto.PrivateKey{}, nil, err
		}
		if err := saveNotifiers(filepath.Join(cache, "notifiers"), nk, nids); err != nil {
			return nil, crypto.PrivateKey{}, nil, err
		}
	}
	r.dir = dir
	if err := copyDir(shm, r.dir); err != nil {
		return nil, crypto.PrivateKey{}, nil, err
	}
	if err := r.start(); err != nil {
		return nil, crypto.PrivateKey{}, nil, err
	}
	return r, nk, nids, nil
}

// saveNotifiers writes the notifier key (DER) and ids, one per line in hex.
func saveNotifiers(path string, nk crypto.PrivateKey, nids [][]byte) error {
	var b strings.Builder
	b.WriteString(hex.EncodeToString(nk.DER()) + "\n")
	for _, id := range nids {
		b.WriteString(hex.EncodeToString(id) + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func loadNotifiers(path string) (crypto.PrivateKey, [][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return crypto.PrivateKey{}, nil, err
	}
	lines := strings.Fields(string(data))
	if len(lines) < 1 {
		return crypto.PrivateKey{}, nil, fmt.Errorf("%s: empty", path)
	}
	der, err := hex.DecodeString(lines[0])
	if err != nil {
		return crypto.PrivateKey{}, nil, err
	}
	nk, err := crypto.ParsePrivateKeyDER(der)
	if err != nil {
		return crypto.PrivateKey{}, nil, err
	}
	nids := make([][]byte, 0, len(lines)-1)
	for _, l := range lines[1:] {
		id, err := hex.DecodeString(l)
		if err != nil {
			return crypto.PrivateKey{}, nil, err
		}
		nids = append(nids, id)
	}
	return nk, nids, nil
}

// createNotifiers creates n queues and their notifier credentials; it
// returns the notifier key (the same for all) and the notifier ids.
func createNotifiers(r *relay, n int) (crypto.PrivateKey, [][]byte, error) {
	const conns, batch = 4, 256
	rk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	rdh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	ndh, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nids := make([][]byte, n)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
		done  int
	)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
			}
			cl, err := r.dial(ctx, smpclient.Options{})
			if err != nil {
				fail(err)
				return
			}
			defer cl.Close()
			for ctx.Err() == nil {
				mu.Lock()
				lo := next
				hi := min(lo+batch, n)
				next = hi
				mu.Unlock()
				if lo >= n {
					return
				}
				reqs := make([]smpclient.Request, hi-lo)
				for i := range reqs {
					reqs[i] = smpclient.Request{Key: &rk, Cmd: smp.NEW{RcvAuthKey: rk.Public(), RcvDHKey: rdh.Public(),
						QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}}}
				}
				rs := cl.SendBatch(ctx, reqs)
				for i, res := range rs {
					ids, ok := res.Msg.(smp.IDS)
					if res.Err != nil || !ok {
						fail(fmt.Errorf("NEW: %v %v", res.Msg, res.Err))
						return
					}
					reqs[i] = smpclient.Request{EntityID: ids.RcvID, Key: &rk, Cmd: smp.NKEY{NtfAuthKey: nk.Public(), RcvNtfDHKey: ndh.Public()}}
				}
				rs = cl.SendBatch(ctx, reqs)
				for i, res := range rs {
					nid, ok := res.Msg.(smp.NID)
					if res.Err != nil || !ok {
						fail(fmt.Errorf("NKEY: %v %v", res.Msg, res.Err))
						return
					}
					nids[lo+i] = nid.NotifierID
				}
				mu.Lock()
				done += hi - lo
				if done%20000 < hi-lo {
					fmt.Fprintf(os.Stderr, "ntf-bench: %d/%d queues\n", done, n)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nk, nil, first
	}
	return nk, nids, nil
}

// seedStore writes one ACTIVE apns_test token and a NEW subscription per
// notifier id through the bolt store's API. bbolt syncs every transaction,
// so the store is written on tmpfs (/dev/shm when present) and then copied
// to path. It returns the app's side of the token and the subscription ids.
func seedStore(path string, srv address.ServerAddress, nk crypto.PrivateKey, nids [][]byte) (*ntftest.Device, [][]byte, error) {
	tmp, err := os.MkdirTemp(shmDir(), "ntf-bench-seed-*")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	st, err := bolt.Open(filepath.Join(tmp, "ntf.db"))
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	dev, err := ntftest.NewDevice(ntf.ProviderAPNSTest, tokenHex(1<<20))
	if err != nil {
		return nil, nil, err
	}
	srvDH, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	if dev.DHSecret, err = crypto.DH(dev.DHKey, srvDH.Public()); err != nil {
		return nil, nil, err
	}
	tk := store.Token{ID: randomID(), Provider: dev.Provider, DeviceToken: dev.Token, Status: ntf.TokenStatus{Code: ntf.TokenActive},
		VerifyKey: dev.VerifyKey.Public(), DHPrivKey: srvDH, DHSecret: dev.DHSecret, RegCode: randomID(), CreatedAt: time.Now().Unix()}
	dev.TokenID, dev.ServerDHPK = tk.ID, srvDH.Public()
	if err := st.AddToken(tk); err != nil {
		return nil, nil, err
	}
	subIDs := make([][]byte, len(nids))
	nk = nk.WithPublic(nk.Public()) // as SNEW stores it
	for i, nid := range nids {
		subIDs[i] = randomID()
		if err := st.AddSubscription(store.Subscription{ID: subIDs[i], TokenID: tk.ID, Server: srv, NotifierID: nid,
			NotifierKey: nk, Status: ntf.SubStatus{Code: ntf.SubNew}}); err != nil {
			return nil, nil, err
		}
	}
	if err := st.Close(); err != nil {
		return nil, nil, err
	}
	if err := copyFile(filepath.Join(tmp, "ntf.db"), path); err != nil {
		return nil, nil, err
	}
	return dev, subIDs, nil
}

func shmDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return ""
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyDir copies the regular files of directory from (no subdirectories)
// into a new directory to.
func copyDir(from, to string) error {
	es, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	for _, e := range es {
		if e.Type().IsRegular() {
			if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func randomID() []byte {
	b := make([]byte, 24)
	rand.Read(b)
	return b
}

// startUntilSubscribed starts ns and polls its /metrics until the relay has
// answered n NSUBs OK; it returns the time from exec until then and the
// number of other NSUB outcomes (network errors are retried by the server;
// AUTH and other errors are not, and fail the phase).
func startUntilSubscribed(ns *ntfServer, n int) (time.Duration, float64, error) {
	t0 := time.Now()
	if _, err := ns.start(); err != nil {
		return 0, 0, err
	}
	deadline := t0.Add(10 * time.Minute)
	for {
		c, err := nsubCounts(ns.metrics)
		var other, final float64
		for k, v := range c {
			if k != "ok" {
				other += v
				if k != "network" {
					final += v
				}
			}
		}
		switch {
		case err == nil && c["ok"] >= float64(n):
			return time.Since(t0), other, nil
		case final > 0:
			ns.stop()
			return 0, other, fmt.Errorf("NSUB outcomes %v", c)
		case time.Now().After(deadline):
			ns.stop()
			return 0, other, fmt.Errorf("NSUB outcomes %v of %d after %s (%v)", c, n, time.Since(t0), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nsubCounts reads ntf_smp_nsub_total{outcome=...} from /metrics.
func nsubCounts(addr string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	c := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), `ntf_smp_nsub_total{outcome="`)
		if !found {
			continue
		}
		label, val, found := strings.Cut(rest, `"} `)
		if !found {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			c[label] += v
		}
	}
	return c, sc.Err()
}

// waitSubActive polls SCHK until the subscription is ACTIVE (the status is
// written after the NSUB batch's answers are counted).
func waitSubActive(c *ntftest.Client, d *ntftest.Device, subID []byte) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, err := subStatus(c, d, subID)
		if err != nil {
			return err
		}
		if code == ntf.SubActive {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("subscription %x: %v, want ACTIVE", subID, code)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
