package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
)

type throughputResult struct {
	msgsPerSec float64
	p50, p99   time.Duration
	cpuPerMsg  float64 // µs
	// blocks the relay read and wrote per message in the window (its
	// smp_blocks_*_total counters): the crypto limit counts these.
	blocksIn, blocksOut float64
	// proxyCPUPerMsg is the proxy relay's CPU per message (µs), in the
	// proxy phase.
	proxyCPUPerMsg float64
}

// throughput runs K pairs: each sender keeps up to o.window messages in
// flight (sent and not yet received), so the queue never backs up and the
// latency is the relay's, not a backlog's; each recipient is subscribed
// and ACKs every MSG. The body carries the send time, for SEND→MSG
// latency. SENDs are signed (the queue is secured with SKEY).
//
// proxied: the senders are connected to a second relay and send through it
// with private routing (PRXY once, then PFWD per SKEY and SEND), as
// official clients do for queues on servers that are not their own.
func throughput(o options, proxied bool) (*throughputResult, error) {
	dir, port, err := initRelay(o.relay)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r, _, err := startRelay(o.relay, dir, port)
	if err != nil {
		return nil, err
	}
	defer r.stop()
	sndRelay := r // where the senders connect
	if proxied {
		pdir, pport, err := initRelay(o.relay)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(pdir)
		// The destination is on 127.0.0.1, which a proxy refuses by default.
		pr, _, err := startRelay(o.relay, pdir, pport, "SMP_RELAY_PROXY_ALLOW_PRIVATE=true")
		if err != nil {
			return nil, err
		}
		defer pr.stop()
		sndRelay = pr
	}
	dest := address.ServerAddress{Scheme: address.SchemeSMP, Hosts: []string{"127.0.0.1"}, Port: port, KeyHash: r.key}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type pair struct {
		rcv, snd *smpclient.Client
		rid, sid []byte
		dh       crypto.PrivateKey
		srvPub   crypto.PublicKey
		rk, sk   crypto.PrivateKey
		window   chan struct{} // messages in flight (sent, not yet received)
		send     func(ctx context.Context, cmd smp.Command) error
	}
	pairs := make([]*pair, o.pairs)
	for i := range pairs {
		p := &pair{}
		if p.rcv, err = smpclient.Dial(ctx, r.addr, r.key, smpclient.Options{EventBuffer: 256}); err != nil {
			return nil, err
		}
		if p.snd, err = smpclient.Dial(ctx, sndRelay.addr, sndRelay.key, smpclient.Options{}); err != nil {
			return nil, err
		}
		p.rk, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		p.dh, _ = crypto.GenerateKey(crypto.X25519, rand.Reader)
		m, err := p.rcv.Send(ctx, nil, &p.rk, smp.NEW{RcvAuthKey: p.rk.Public(), RcvDHKey: p.dh.Public(), Subscribe: true,
			QueueReq: &smp.QueueReqData{Mode: smp.QueueModeMessaging}})
		if err != nil {
			return nil, err
		}
		ids := m.(smp.IDS)
		p.rid, p.sid, p.srvPub = ids.RcvID, ids.SndID, ids.SrvDHKey
		p.sk, _ = crypto.GenerateKey(crypto.Ed25519, rand.Reader)
		p.send = func(ctx context.Context, cmd smp.Command) error {
			_, err := p.snd.Send(ctx, p.sid, &p.sk, cmd)
			return err
		}
		if proxied {
			relay, err := smpclient.ConnectRelay(ctx, p.snd, dest, nil)
			if err != nil {
				return nil, fmt.Errorf("PRXY: %w", err)
			}
			p.send = func(ctx context.Context, cmd smp.Command) error {
				_, err := relay.Send(ctx, p.sid, &p.sk, cmd)
				return err
			}
		}
		// Secure the queue so that every SEND is signed, as in real use.
		if err := p.send(ctx, smp.SKEY{SndAuthKey: p.sk.Public()}); err != nil {
			return nil, fmt.Errorf("SKEY: %w", err)
		}
		p.window = make(chan struct{}, o.window)
		pairs[i] = p
	}
	body := make([]byte, 8000) // a typical e2e-encrypted message is padded to 16 KB; half is representative
	var (
		mu        sync.Mutex
		latencies []time.Duration
		wg        sync.WaitGroup
	)
	measuring := make(chan struct{})
	var count int64
	stop := make(chan struct{})
	for _, p := range pairs {
		wg.Add(2)
		go func() { // sender
			defer wg.Done()
			b := slices.Clone(body)
			for {
				select {
				case <-stop:
					return
				case p.window <- struct{}{}:
				}
				binary.BigEndian.PutUint64(b, uint64(time.Now().UnixNano()))
				if err := p.send(ctx, smp.SEND{Body: b}); err != nil && ctx.Err() == nil {
					fmt.Fprintln(os.Stderr, "send:", err)
					return
				}
			}
		}()
		go func() { // recipient
			defer wg.Done()
			secret, _ := crypto.DH(p.dh, p.srvPub)
			handle := func(m smp.MSG) []byte {
				var nonce [24]byte
				copy(nonce[:], m.MsgID)
				plain, err := crypto.OpenBoxPadded(secret, nonce, m.EncBody)
				if err == nil {
					if rb, err := smp.ParseRcvMessageBody(plain); err == nil && len(rb.Body) >= 8 {
						sent := time.Unix(0, int64(binary.BigEndian.Uint64(rb.Body)))
						select {
						case <-measuring:
							mu.Lock()
							latencies = append(latencies, time.Since(sent))
							count++
							mu.Unlock()
						default:
						}
					}
				}
				select {
				case <-p.window:
				default:
				}
				return m.MsgID
			}
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
				// ACK; the next message may come as the ACK's response.
				for {
					id := handle(m)
					resp, err := p.rcv.Send(ctx, p.rid, &p.rk, smp.ACK{MsgID: id})
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
	in0, err1 := r.counter("smp_blocks_received_total")
	out0, err2 := r.counter("smp_blocks_sent_total")
	cpu0, pcpu0 := r.cpu(), sndRelay.cpu()
	t0 := time.Now()
	close(measuring)
	time.Sleep(o.duration)
	mu.Lock()
	n := count
	lat := slices.Clone(latencies)
	mu.Unlock()
	elapsed := time.Since(t0)
	cpu1, pcpu1 := r.cpu(), sndRelay.cpu()
	in1, err3 := r.counter("smp_blocks_received_total")
	out1, err4 := r.counter("smp_blocks_sent_total")
	close(stop)
	cancel()
	for _, p := range pairs {
		p.rcv.Close()
		p.snd.Close()
	}
	wg.Wait()
	if n == 0 {
		return nil, fmt.Errorf("no messages delivered")
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("relay metrics: %w", err)
	}
	slices.Sort(lat)
	res := &throughputResult{
		msgsPerSec: float64(n) / elapsed.Seconds(),
		p50:        lat[len(lat)/2],
		p99:        lat[len(lat)*99/100],
		cpuPerMsg:  float64((cpu1 - cpu0).Microseconds()) / float64(n),
		blocksIn:   (in1 - in0) / float64(n),
		blocksOut:  (out1 - out0) / float64(n),
	}
	if proxied {
		res.proxyCPUPerMsg = float64((pcpu1 - pcpu0).Microseconds()) / float64(n)
	}
	return res, nil
}
