package server

import (
	"context"
	"testing"

	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
)

// BenchmarkFanOut: one sender connection sends one 8 KB message to each of
// 100 queues at once (a group message: smpclient queues them together), as
// the official agent pipelines SENDs to different queues; an op is the
// time until every OK is back.
func BenchmarkFanOut(b *testing.B) {
	ts := startServer(b, "", nil, func(o *Options) { o.Quota = 1 << 30 })
	owner := dial(b, ts)
	const members = 100
	reqs := make([]smpclient.Request, members)
	body := make([]byte, 8000)
	for i := range reqs {
		q := owner.newQueue(false)
		reqs[i] = smpclient.Request{EntityID: q.sid, Cmd: smp.SEND{Body: body}}
	}
	ctx := context.Background()
	snd, err := smpclient.Dial(ctx, ts.addr, ts.id.KeyHash, smpclient.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer snd.Close()
	for b.Loop() {
		for _, r := range snd.SendBatch(ctx, reqs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

// TestPipelinedSends: SENDs of one block are stored concurrently across
// queues but in order within a queue, and each gets its own answer.
func TestPipelinedSends(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv := dial(t, ts)
	q1, q2 := rcv.newQueue(true), rcv.newQueue(true)
	snd := dial(t, ts)
	var cmds []batchCmd
	for i := range 5 {
		cmds = append(cmds, batchCmd{q1.sid, nil, smp.SEND{Body: []byte{'a', byte(i)}}}, batchCmd{q2.sid, nil, smp.SEND{Body: []byte{'b', byte(i)}}})
	}
	for _, m := range snd.sendBatch(cmds) {
		expectOK(t, m)
	}
	got := map[string][]byte{}
	for range 2 { // the first message of each queue, then each ACK brings the next
		e := rcv.event()
		m := expectMsg(t, e.msg)
		q := q1
		if string(e.entity) == string(q2.rid) {
			q = q2
		}
		for {
			body := q.decrypt(t, m).Body
			got[string(body[:1])] = append(got[string(body[:1])], body[1])
			next, ok := rcv.cmd(q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}).(smp.MSG)
			if !ok {
				break
			}
			m = next
		}
	}
	for _, k := range []string{"a", "b"} {
		if string(got[k]) != "\x00\x01\x02\x03\x04" {
			t.Fatalf("queue %s received %v", k, got[k])
		}
	}
}

// BenchmarkFanIn: one recipient connection subscribed to 100 queues, each
// holding a message (messages from 100 contacts after being offline); an
// op is ACKing all 100 at once (pipelined) until every answer is back.
func BenchmarkFanIn(b *testing.B) {
	ts := startServer(b, "", nil, nil)
	rcv := dial(b, ts)
	const contacts = 100
	qs := make([]*queue, contacts)
	for i := range qs {
		qs[i] = rcv.newQueue(true)
	}
	ctx := context.Background()
	snd, err := smpclient.Dial(ctx, ts.addr, ts.id.KeyHash, smpclient.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer snd.Close()
	body := make([]byte, 8000)
	fill := func() []batchCmd {
		var reqs []smpclient.Request
		for _, q := range qs {
			reqs = append(reqs, smpclient.Request{EntityID: q.sid, Cmd: smp.SEND{Body: body}})
		}
		for _, r := range snd.SendBatch(ctx, reqs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		acks := make([]batchCmd, contacts)
		for range contacts {
			e := rcv.event()
			m := expectMsg(b, e.msg)
			for i, q := range qs {
				if string(q.rid) == string(e.entity) {
					acks[i] = batchCmd{q.rid, &q.rcvKey, smp.ACK{MsgID: m.MsgID}}
				}
			}
		}
		return acks
	}
	for b.Loop() {
		b.StopTimer()
		acks := fill()
		b.StartTimer()
		for _, m := range rcv.sendBatch(acks) {
			expectOK(b, m)
		}
	}
}
