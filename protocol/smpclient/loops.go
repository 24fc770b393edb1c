package smpclient

import (
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// writeLoop sends queued commands. It takes everything queued at the
// moment it wakes up and packs it into as few blocks as fit [MCl
// sendBatch, MP batchTransmissions_]; commands whose context has ended are
// dropped unsent.
func (c *Client) writeLoop() {
	defer c.wg.Done()
	for {
		var reqs []*request
		select {
		case rs := <-c.queue:
			reqs = rs
		case <-c.done:
			return
		}
		if c.writeGate != nil {
			select {
			case <-c.writeGate:
			case <-c.done:
				return
			}
		}
	drain:
		for {
			select {
			case rs := <-c.queue:
				reqs = append(reqs, rs...)
			default:
				break drain
			}
		}
		if err := c.writeBatch(reqs); err != nil {
			c.shutdown(err)
			return
		}
	}
}

// writeBatch packs reqs into blocks and writes them.
func (c *Client) writeBatch(reqs []*request) error {
	b := transport.NewBatchBuilder(c.s)
	for _, r := range reqs {
		if r.ctx.Err() != nil {
			continue
		}
		err := b.Add(r.wire)
		if errors.Is(err, transport.ErrBatchFull) {
			if err := c.s.WriteBlock(b.Payload()); err != nil {
				return err
			}
			err = b.Add(r.wire)
		}
		if err != nil {
			// Sizes were checked in prepare; this cannot happen.
			c.deliver(r.corrID, Result{Err: err})
		}
	}
	if p := b.Payload(); p != nil {
		return c.s.WriteBlock(p)
	}
	return nil
}

// readLoop reads blocks until the connection ends, delivering responses to
// pending commands and everything else to Events.
func (c *Client) readLoop() {
	defer c.wg.Done()
	defer close(c.events)
	for {
		payload, release, err := c.s.ReadBlockPooled()
		if errors.Is(err, transport.ErrBadBlock) {
			// The reference client reports it and goes on [MP tDecodeClient].
			c.event(Event{Err: err})
			continue
		}
		if err != nil {
			c.shutdown(fmt.Errorf("smpclient: connection: %w", err))
			return
		}
		ts, err := transport.ParseBatch(c.s, payload)
		if err != nil {
			release()
			c.event(Event{Err: err})
			continue
		}
		ownCommands(ts)
		for _, t := range ts {
			c.dispatch(t)
		}
		release() // dispatch copied the ids it keeps
	}
}

// ownCommands copies the commands of a block's transmissions out of the
// (pooled) block into one allocation of their total size, so that the
// parsed messages, which keep slices of their command, do not pin or
// alias the block: a block of a few NMSGs then costs ~1 KB instead of
// 16 KB. dispatch copies the correlation and entity ids it keeps.
func ownCommands(ts []transport.ParsedTransmission) {
	n := 0
	for _, t := range ts {
		n += len(t.Command)
	}
	own := make([]byte, 0, n)
	for i, t := range ts {
		start := len(own)
		own = append(own, t.Command...)
		ts[i].Command = own[start:len(own):len(own)]
	}
}

// dispatch routes one received transmission [MCl processMsg].
func (c *Client) dispatch(t transport.ParsedTransmission) {
	var res Result
	switch {
	case t.Err != nil:
		res.Err = t.Err
	default:
		m, err := smp.ParseMessage(c.s.Version, t.Command)
		switch {
		case err != nil:
			res.Err = fmt.Errorf("smpclient: response: %w", err)
		default:
			res.Msg = m
			if e, ok := m.(smp.ERR); ok {
				res.Err = e.Err
			}
		}
	}
	if len(t.CorrID) > 0 && c.deliver(t.CorrID, res) {
		return
	}
	c.event(Event{CorrID: clone(t.CorrID), EntityID: clone(t.EntityID), Msg: res.Msg, Err: res.Err})
}

// deliver hands res to the pending command with corrID, if any.
func (c *Client) deliver(corrID []byte, res Result) bool {
	r := c.take(corrID)
	if r == nil {
		return false
	}
	r.resp <- res
	return true
}

// event passes ev to Events, waiting for room unless the client stops.
func (c *Client) event(ev Event) {
	select {
	case c.events <- ev:
	case <-c.done:
	}
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
