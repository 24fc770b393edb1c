package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/ntf-server/internal/ntftest"
)

type pushResult struct {
	pushesPerSec   float64
	p50, p99       time.Duration
	samples        int
	sent, pushed   int64   // whole run, warm-up included
	ntfCPUPerPush  float64 // µs
	relayCPUPerMsg float64 // µs
	ntfCores       float64 // ntf-server CPU time / elapsed
	relayCores     float64
	ntfRSS         int64
	body           []byte // one message push body, for the baseline
}

// pushPhase runs smp-relay and ntf-server processes and K pairs, each
// sender keeping up to o.window messages in flight (sent, push not yet at
// the fake APNs), so that the NTF server's queue never backs up and the
// latency is the pipeline's, not a backlog's. It counts the pushes the
// fake receives per second over o.duration (after 1 s of warm-up) and the
// SEND→push latency; then, against the same fake, the apns2 baseline.
func pushPhase(o options, base string, fake *fakeAPNs) (*pushResult, error) {
	r, err := newRelay(o.relay, filepath.Join(base, "relay"))
	if err != nil {
		return nil, err
	}
	defer r.stop()
	ns, c, stopNTF, err := startBenchNTF(o, filepath.Join(base, "ntf"), fake)
	if err != nil {
		return nil, err
	}
	defer stopNTF()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pairs := make([]*pair, o.tokens)
	byToken := map[string]*pair{}
	defer func() {
		for _, p := range pairs {
			if p != nil {
				p.rcv.Close()
				p.snd.Close()
			}
		}
	}()
	err = registerTokens(c, fake, o.tokens, func(i int, d *ntftest.Device) error {
		var err error
		if pairs[i], err = newPair(ctx, r, c, d, o.window); err != nil {
			return fmt.Errorf("pair: %w", err)
		}
		byToken[tokenHex(i)] = pairs[i]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := waitActive(c, pairs); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "ntf-bench: %d tokens and subscriptions ACTIVE\n", len(pairs))

	var (
		measuring atomic.Bool
		inWindow  atomic.Int64 // message pushes during the measured window
		sent      atomic.Int64
		pushed    atomic.Int64
		latMu     sync.Mutex
		latencies []time.Duration
		bodyMu    sync.Mutex
		sample    []byte
	)
	record := func(d time.Duration) {
		if measuring.Load() {
			latMu.Lock()
			latencies = append(latencies, d)
			latMu.Unlock()
		}
	}
	type arrival struct {
		p    *pair
		body []byte
		at   time.Time
	}
	decode := make(chan arrival, 1<<16)
	fake.setOnPush(func(tok string, body []byte, at time.Time) {
		p := byToken[tok]
		if p == nil {
			return
		}
		pushed.Add(1)
		bodyMu.Lock()
		if sample == nil {
			sample = bytes.Clone(body)
		}
		bodyMu.Unlock()
		if measuring.Load() {
			inWindow.Add(1)
		}
		select {
		case <-p.window:
		default:
		}
		select {
		case decode <- arrival{p, body, at}:
		default: // decoder behind: this push gives no latency sample
		}
	})
	var dwg sync.WaitGroup
	dwg.Add(1)
	go func() { // decoder: push → msgId → SEND time
		defer dwg.Done()
		for a := range decode {
			id, err := pushMsgID(a.p, a.body)
			if err != nil {
				fmt.Fprintln(os.Stderr, "ntf-bench: push:", err)
				continue
			}
			a.p.mu.Lock()
			if t, ok := a.p.byID[id]; ok {
				delete(a.p.byID, id)
				a.p.mu.Unlock()
				record(a.at.Sub(t))
				continue
			}
			a.p.early[id] = a.at
			a.p.mu.Unlock()
		}
	}()

	stop := make(chan struct{})
	var swg, rwg sync.WaitGroup
	body := make([]byte, o.bodySize)
	for _, p := range pairs {
		swg.Add(1)
		go func() { // sender
			defer swg.Done()
			for {
				select {
				case <-stop:
					return
				case p.window <- struct{}{}:
				}
				p.mu.Lock()
				p.sent = append(p.sent, time.Now())
				p.mu.Unlock()
				if _, err := p.snd.Send(ctx, p.sid, &p.sk, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: body}); err != nil {
					if ctx.Err() == nil {
						fmt.Fprintln(os.Stderr, "ntf-bench: SEND:", err)
					}
					return
				}
				sent.Add(1)
			}
		}()
		rwg.Add(1)
		go func() { // recipient
			defer rwg.Done()
			for {
				var m smp.MSG
				select {
				case <-stop:
					return
				case ev, ok := <-p.rcv.Events():
					if !ok {
						return
					}
					mm, isMsg := ev.Msg.(smp.MSG)
					if !isMsg {
						continue
					}
					m = mm
				}
				for { // ACK; the next message may come as the ACK's response
					p.matchMSG(m.MsgID, record)
					resp, err := p.rcv.Send(ctx, p.rid, &p.rk, smp.ACK{MsgID: m.MsgID})
					if err != nil {
						return
					}
					next, ok := resp.(smp.MSG)
					if !ok {
						break
					}
					m = next
				}
			}
		}()
	}
	time.Sleep(time.Second) // warm up
	nCPU0, rCPU0, sent0 := ns.cpu(), r.cpu(), sent.Load()
	t0 := time.Now()
	measuring.Store(true)
	time.Sleep(o.duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	n := inWindow.Load()
	nCPU1, rCPU1, sent1 := ns.cpu(), r.cpu(), sent.Load()
	close(stop)
	swg.Wait()
	// Let the pushes of messages already sent arrive (lost ones never do).
	for deadline := time.Now().Add(5 * time.Second); pushed.Load() < sent.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	for _, p := range pairs {
		p.rcv.Close()
		p.snd.Close()
	}
	rwg.Wait()
	fake.setOnPush(nil)
	close(decode)
	dwg.Wait()
	if n == 0 {
		return nil, fmt.Errorf("no pushes received")
	}
	latMu.Lock()
	lat := slices.Clone(latencies)
	latMu.Unlock()
	bodyMu.Lock()
	pushBody := sample
	bodyMu.Unlock()
	res := &pushResult{
		pushesPerSec:   float64(n) / elapsed.Seconds(),
		samples:        len(lat),
		sent:           sent.Load(),
		pushed:         pushed.Load(),
		ntfCPUPerPush:  float64((nCPU1 - nCPU0).Microseconds()) / float64(n),
		relayCPUPerMsg: float64((rCPU1 - rCPU0).Microseconds()) / float64(max(sent1-sent0, 1)),
		ntfCores:       (nCPU1 - nCPU0).Seconds() / elapsed.Seconds(),
		relayCores:     (rCPU1 - rCPU0).Seconds() / elapsed.Seconds(),
		ntfRSS:         ns.rss(),
		body:           pushBody,
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.p50, res.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return res, nil
}

// matchMSG pairs the recipient's next MSG with the oldest unmatched SEND.
func (p *pair) matchMSG(msgID []byte, record func(time.Duration)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sent) == 0 {
		return
	}
	t := p.sent[0]
	p.sent = p.sent[1:]
	id := string(msgID)
	if at, ok := p.early[id]; ok {
		delete(p.early, id)
		record(at.Sub(t))
		return
	}
	p.byID[id] = t
}

// pushMsgID decrypts a message push as the app does (token DH secret, then
// the queue's notifier DH secret for the metadata) and returns the msgId
// of its newest notification.
func pushMsgID(p *pair, body []byte) (string, error) {
	_, plain, err := p.dev.Decrypt(body)
	if err != nil {
		return "", err
	}
	list, err := ntf.ParsePNMessages(string(plain))
	if err != nil || len(list) == 0 {
		return "", fmt.Errorf("message list: %v", err)
	}
	last := list[len(list)-1]
	meta, err := crypto.OpenBoxPadded(p.ntfSecret, last.Nonce, last.EncMeta)
	if err != nil {
		return "", fmt.Errorf("metadata: %w", err)
	}
	nm, err := smp.ParseNotificationMeta(meta)
	if err != nil {
		return "", err
	}
	return string(nm.MsgID), nil
}
