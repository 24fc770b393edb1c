package server

import (
	"crypto/rand"
	"testing"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// batchCmd is one command of a block sent with sendBatch.
type batchCmd struct {
	entity []byte
	key    *crypto.PrivateKey
	cmd    smp.Command
}

// sendBatch sends the commands in one block and returns their responses
// in order.
func (c *tclient) sendBatch(cmds []batchCmd) []smp.Message {
	c.t.Helper()
	var txs [][]byte
	chans := make([]chan smp.Message, len(cmds))
	for i, bc := range cmds {
		b, err := smp.EncodeCommand(c.s.Version, bc.cmd)
		if err != nil {
			c.t.Fatal(err)
		}
		corrID := make([]byte, 24)
		rand.Read(corrID)
		var auth []byte
		if bc.key != nil {
			if auth, err = transport.SignTransmission(c.s, *bc.key, corrID, bc.entity, b); err != nil {
				c.t.Fatal(err)
			}
		}
		tx, err := transport.EncodeTransmission(c.s, transport.Transmission{Auth: auth, CorrID: corrID, EntityID: bc.entity, Command: b})
		if err != nil {
			c.t.Fatal(err)
		}
		txs = append(txs, tx)
		chans[i] = make(chan smp.Message, 1)
		c.mu.Lock()
		c.resps[string(corrID)] = chans[i]
		c.mu.Unlock()
	}
	blocks, err := transport.PackBatches(c.s, txs)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(blocks) != 1 {
		c.t.Fatalf("%d commands took %d blocks", len(cmds), len(blocks))
	}
	c.wmu.Lock()
	err = c.s.WriteBlock(blocks[0])
	c.wmu.Unlock()
	if err != nil {
		c.t.Fatal(err)
	}
	out := make([]smp.Message, len(chans))
	for i, ch := range chans {
		out[i] = c.wait(ch)
	}
	return out
}

// TestBatchVerification checks that verifying a batch's signatures ahead
// of handling it (preverify) changes no answer: a bad signature among
// good ones fails alone, and a key replaced or a queue deleted by an
// earlier command of the same block decides the later commands.
func TestBatchVerification(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	rcv, ntfc, snd := dial(t, ts), dial(t, ts), dial(t, ts)

	// Many NSUBs in one block, the third signed with the wrong key.
	const n = 12
	type notifier struct {
		nid []byte
		key crypto.PrivateKey
	}
	ns := make([]notifier, n)
	var cmds []batchCmd
	for i := range ns {
		q := rcv.newQueue(false)
		ns[i].key = newKey(t, crypto.Ed25519)
		nid := rcv.cmd(q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: ns[i].key.Public(), RcvNtfDHKey: newKey(t, crypto.X25519).Public()}).(smp.NID)
		ns[i].nid = nid.NotifierID
		key := &ns[i].key
		if i == 2 {
			key = &ns[0].key
		}
		cmds = append(cmds, batchCmd{ns[i].nid, key, smp.NSUB{}})
	}
	for i, m := range ntfc.sendBatch(cmds) {
		if i == 2 {
			expectErr(t, m, "AUTH")
		} else {
			expectOK(t, m)
		}
	}

	// NSUB, NKEY replacing the notifier (new id and key), NSUB with the
	// old id and key (AUTH, though it verified when checked ahead), NSUB
	// with the new ones.
	q := rcv.newQueue(false)
	k1, k2 := newKey(t, crypto.Ed25519), newKey(t, crypto.Ed25519)
	dh := newKey(t, crypto.X25519)
	nid := rcv.cmd(q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: k1.Public(), RcvNtfDHKey: dh.Public()}).(smp.NID).NotifierID
	res := rcv.sendBatch([]batchCmd{
		{nid, &k1, smp.NSUB{}},
		{q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: k2.Public(), RcvNtfDHKey: dh.Public()}},
		{nid, &k1, smp.NSUB{}},
	})
	expectOK(t, res[0])
	nid2, ok := res[1].(smp.NID)
	if !ok {
		t.Fatalf("NKEY in a batch: %T %+v", res[1], res[1])
	}
	expectErr(t, res[2], "AUTH")
	expectOK(t, rcv.cmd(nid2.NotifierID, &k2, smp.NSUB{}))

	// A sender key set by KEY earlier in the block authorizes a SEND after
	// it; DEL earlier in the block makes a SEND after it fail.
	q2 := rcv.newQueue(true)
	res = rcv.sendBatch([]batchCmd{
		{q2.rid, &q2.rcvKey, smp.KEY{SndAuthKey: q2.sndKey.Public()}},
		{q2.sid, &q2.sndKey, smp.SEND{Body: []byte("after KEY")}},
		{q2.sid, &q2.sndKey, smp.SEND{Body: []byte("after KEY 2")}},
		{q2.rid, &q2.rcvKey, smp.DEL{}},
		{q2.sid, &q2.sndKey, smp.SEND{Body: []byte("after DEL")}},
	})
	expectOK(t, res[0])
	expectOK(t, res[1])
	expectOK(t, res[2])
	expectOK(t, res[3])
	expectErr(t, res[4], "AUTH")
	if m, ok := snd.cmd(nil, nil, smp.PING{}).(smp.PONG); !ok {
		t.Fatalf("PING after the batches: %T", m)
	}
}

// TestVerifyWithUsesPreOnlyForSameKey: a result checked ahead is reused
// only for the key it was checked against.
func TestVerifyWithUsesPreOnlyForSameKey(t *testing.T) {
	a, b := newKey(t, crypto.Ed25519), newKey(t, crypto.Ed25519)
	msg := []byte("authorized bytes")
	sig, _ := crypto.Sign(a, msg)
	c := &client{}
	r := &request{auth: sig, authorized: msg, pre: &preVerified{key: a.Public(), ok: true}}
	if !c.verifyWith(r, a.Public()) {
		t.Fatal("same key: pre-verified result not used")
	}
	if c.verifyWith(r, b.Public()) {
		t.Fatal("another key accepted a signature by a")
	}
	r.pre = &preVerified{key: b.Public(), ok: true} // stale: checked against b
	if !c.verifyWith(r, a.Public()) {
		t.Fatal("key a rejected its own signature when the stale result was for b")
	}
}
