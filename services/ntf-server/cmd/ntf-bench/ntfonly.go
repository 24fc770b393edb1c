package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

// ntfOnlyResult is the NTF server measured alone, in rounds that each
// measure it and then the bare apns2 baseline.
type ntfOnlyResult struct {
	rounds       []ntfRound
	p50, p99     time.Duration
	samples      int
	sent, pushed int64
	body         []byte
}

// ntfRound is one round: the NTF server's window, then the baseline's.
type ntfRound struct {
	ntf      float64 // pushes/s at the fake, NMSGs from the bench
	ntfCPU   float64 // ntf-server µs per push
	ntfCores float64
	benchCPU float64 // bench process µs per push: the fake APNs and the NMSG source
	bare     float64 // pushes/s of the bare apns2 client
	bareCPU  float64 // bench process µs per push: the apns2 client and the fake
	own      float64 // pushes/s of ntf-server's APNs client alone (serverPathBaseline)
}

// median returns the median of f over the rounds (the lower middle one
// for an even count).
func median(rs []ntfRound, f func(ntfRound) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[(len(v)-1)/2]
}

// each formats f of every round.
func each(rs []ntfRound, format string, f func(ntfRound) float64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf(format, f(r))
	}
	return strings.Join(s, ", ")
}

// latencySampling: one push in this many is decrypted for its latency
// (parsing and decrypting one costs the bench ~120 µs: at 1 in 16 that was
// ~6% of the bench process's CPU, taken from the cores the server shares).
const latencySampling = 64

// ntfOnlyPhase measures the NTF server's own rate, o.rounds times, each
// followed by the bare apns2 baseline (alternating, so that a change in
// what else runs on the machine moves both sides of a round's ratio): o.tokens ACTIVE tokens,
// each subscribed to one notifier id on an nmsgSource, which sends NMSG
// keeping up to o.window notifications per token in flight (sent, push not
// yet at the fake APNs). Each NMSG goes through everything ntf-server does
// for one from a relay: the TLS and block decryption of the SMP session,
// recording the last notifications in the store (fsync per batch),
// encrypting the push data for the token and the APNs request.
func ntfOnlyPhase(o options, base string, fake *fakeAPNs) (*ntfOnlyResult, error) {
	src, err := startNMSGSource(o.tokens)
	if err != nil {
		return nil, fmt.Errorf("NMSG source: %w", err)
	}
	defer src.close()
	ns, c, stopNTF, err := startBenchNTF(o, filepath.Join(base, "ntf-only"), fake)
	if err != nil {
		return nil, err
	}
	defer stopNTF()
	devs := make([]*ntftest.Device, o.tokens)
	nids := make([][]byte, o.tokens)
	index := map[string]int{}
	err = registerTokens(c, fake, o.tokens, func(i int, d *ntftest.Device) error {
		devs[i], nids[i] = d, make([]byte, 24)
		rand.Read(nids[i])
		nk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		resp, err := d.Subscribe(c, src.addr, nids[i], nk)
		if err != nil {
			return fmt.Errorf("SNEW: %w", err)
		}
		if _, ok := resp.(ntf.IDSUB); !ok {
			return fmt.Errorf("SNEW: %v", resp)
		}
		index[tokenHex(i)] = i
		return nil
	})
	if err != nil {
		return nil, err
	}
	select {
	case <-src.ready:
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("ntf-server did not subscribe to the NMSG source")
	}
	fmt.Fprintf(os.Stderr, "ntf-bench: %d tokens subscribed to the NMSG source\n", o.tokens)

	// The nonce carries the token, a sequence number and the time the NMSG
	// was sent: the push's newest notification names the NMSG it was made for.
	var (
		measuring atomic.Bool
		paused    atomic.Bool // while the baseline runs: no NMSGs
		inWindow  atomic.Int64
		sent      atomic.Int64
		pushed    atomic.Int64
		latMu     sync.Mutex
		latencies []time.Duration
		sample    atomic.Pointer[[]byte]
	)
	window := make([]chan struct{}, o.tokens)
	for i := range window {
		window[i] = make(chan struct{}, o.window)
	}
	freed := make(chan struct{}, 1)
	type arrival struct {
		i    int
		body []byte
		at   time.Time
	}
	decode := make(chan arrival, 1024)
	fake.setOnPush(func(tok string, body []byte, at time.Time) {
		i, ok := index[tok]
		if !ok {
			return
		}
		pushed.Add(1)
		if sample.Load() == nil {
			b := bytes.Clone(body)
			sample.CompareAndSwap(nil, &b)
		}
		if measuring.Load() {
			inWindow.Add(1)
		}
		select {
		case <-window[i]:
		default:
		}
		select {
		case freed <- struct{}{}:
		default:
		}
		// Decrypting a push costs the bench about what encrypting it costs
		// the server: sample one in latencySampling, so that the load
		// generator takes as little of the shared cores as it can.
		if pushed.Load()%latencySampling == 0 {
			select {
			case decode <- arrival{i, body, at}:
			default: // decoder behind: no latency sample for this push
			}
		}
	})
	var dwg sync.WaitGroup
	dwg.Add(1)
	go func() {
		defer dwg.Done()
		for a := range decode {
			_, plain, err := devs[a.i].Decrypt(a.body)
			if err != nil {
				continue
			}
			list, err := ntf.ParsePNMessages(string(plain))
			if err != nil || len(list) == 0 {
				continue
			}
			last := list[len(list)-1]
			if measuring.Load() {
				t := time.Unix(0, int64(binary.BigEndian.Uint64(last.Nonce[12:])))
				latMu.Lock()
				latencies = append(latencies, a.at.Sub(t))
				latMu.Unlock()
			}
		}
	}()

	stop := make(chan struct{})
	genDone := make(chan error, 1)
	go func() { // generator: fill every token's window, send in one go
		var seq uint64
		for {
			var bn, bnonce [][]byte
			for i := range window {
				if paused.Load() {
					break
				}
				for {
					select {
					case window[i] <- struct{}{}:
						seq++
						nonce := make([]byte, 24)
						binary.BigEndian.PutUint32(nonce, uint32(i))
						binary.BigEndian.PutUint64(nonce[4:], seq)
						binary.BigEndian.PutUint64(nonce[12:], uint64(time.Now().UnixNano()))
						bn, bnonce = append(bn, nids[i]), append(bnonce, nonce)
						continue
					default:
					}
					break
				}
			}
			if len(bn) > 0 {
				if err := src.send(bn, bnonce); err != nil {
					genDone <- err
					return
				}
				sent.Add(int64(len(bn)))
			}
			// Wait for a push to free a slot, then 1 ms more: NMSGs that
			// become due together travel in one block, as a relay's writer
			// sends what is queued for the NTF server in one block.
			select {
			case <-stop:
				genDone <- nil
				return
			case <-freed:
				time.Sleep(time.Millisecond)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	time.Sleep(time.Second) // warm up
	res := &ntfOnlyResult{}
	for r := range o.rounds {
		stopProfile := func() {}
		if r == 0 {
			if stopProfile, err = startProfile(o.cpuProfile); err != nil {
				return nil, err
			}
		}
		n0, cpu0, self0 := inWindow.Load(), ns.cpu(), selfCPU()
		t0 := time.Now()
		measuring.Store(true)
		time.Sleep(o.duration)
		measuring.Store(false)
		elapsed := time.Since(t0)
		n := inWindow.Load() - n0
		cpu1, self1 := ns.cpu(), selfCPU()
		stopProfile()
		if n == 0 {
			return nil, fmt.Errorf("no pushes received")
		}
		rd := ntfRound{
			ntf:      float64(n) / elapsed.Seconds(),
			ntfCPU:   float64((cpu1 - cpu0).Microseconds()) / float64(n),
			ntfCores: (cpu1 - cpu0).Seconds() / elapsed.Seconds(),
			benchCPU: float64((self1 - self0).Microseconds()) / float64(n),
		}
		// The baseline in the same round, with the NTF server idle: the
		// generator stops, what is in flight arrives, then the bare apns2
		// client pushes the body the server sent.
		paused.Store(true)
		for deadline := time.Now().Add(5 * time.Second); pushed.Load() < sent.Load() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		b := sample.Load()
		if b == nil {
			return nil, fmt.Errorf("no push body sampled")
		}
		res.body = *b
		if rd.bare, rd.bareCPU, err = baseline(fake, res.body, o.workers, o.duration); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		if rd.own, _, err = serverPathBaseline(fake, res.body, o.workers, o.duration); err != nil {
			return nil, fmt.Errorf("baseline through internal/apns: %w", err)
		}
		res.rounds = append(res.rounds, rd)
		fmt.Fprintf(os.Stderr, "ntf-bench: round %d: ntf-server alone %.0f/s, bare apns2 %.0f/s: %.0f %%; ntf-server's APNs client alone %.0f/s\n",
			r+1, rd.ntf, rd.bare, 100*rd.ntf/rd.bare, rd.own)
		paused.Store(false)
		time.Sleep(time.Second) // warm up again
	}
	close(stop)
	if err := <-genDone; err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(5 * time.Second); pushed.Load() < sent.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	fake.setOnPush(nil)
	close(decode)
	dwg.Wait()
	res.sent, res.pushed = sent.Load(), pushed.Load()
	latMu.Lock()
	lat := slices.Clone(latencies)
	latMu.Unlock()
	res.samples = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.p50, res.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return res, nil
}
