package bolt

import (
	"fmt"
	"sync"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// recordVersion prefixes every record so the layout can evolve.
const recordVersion = 1

// Queue record:
//
//	ver(1) short(rid) short(sid) short(rcvKeyDER) short(rcvDhSecret)
//	maybe(short(sndKeyDER)) bool(senderCanSecure)
//	maybe(short(nid) short(ntfKeyDER) short(ntfDhSecret) time(created))
//	status(1) large(blockInfo) time(created) time(updated)
//	w32(count) i64(nextSeq) bool(canWrite)
func encodeRecord(r *record) ([]byte, error) {
	q := &r.q
	w := encoding.NewBuffer(make([]byte, 0, 256)).Byte(recordVersion)
	w.Short(q.RecipientID).Short(q.SenderID).Short(q.RecipientKey.DER()).Short(q.RcvDhSecret)
	w.Maybe(!q.SenderKey.IsZero())
	if !q.SenderKey.IsZero() {
		w.Short(q.SenderKey.DER())
	}
	w.Bool(q.SenderCanSecure)
	w.Maybe(q.Notifier != nil)
	if n := q.Notifier; n != nil {
		w.Short(n.ID).Short(n.Key.DER()).Short(n.DhSecret).Time(n.CreatedAt)
	}
	w.Byte(byte(q.Status)).Large(q.BlockInfo).Time(q.CreatedAt).Time(q.UpdatedAt)
	w.Word32(r.count).Int64(int64(r.nextSeq)).Bool(r.canWrite)
	return w.Bytes()
}

func decodeRecord(b []byte) (*record, error) {
	d := encoding.NewDecoder(b)
	if v := d.Byte(); d.Err() == nil && v != recordVersion {
		return nil, fmt.Errorf("record version %d", v)
	}
	r := &record{}
	q := &r.q
	q.RecipientID = clone(d.Short())
	q.SenderID = clone(d.Short())
	q.RecipientKey = parseKey(d, d.Short())
	q.RcvDhSecret = clone(d.Short())
	if d.Maybe() {
		q.SenderKey = parseKey(d, d.Short())
	}
	q.SenderCanSecure = d.Bool()
	if d.Maybe() {
		n := &store.NotifierCreds{}
		n.ID = clone(d.Short())
		n.Key = parseKey(d, d.Short())
		n.DhSecret = clone(d.Short())
		n.CreatedAt = d.Time()
		q.Notifier = n
	}
	q.Status = store.Status(d.Byte())
	if bi := d.Large(); len(bi) > 0 {
		q.BlockInfo = clone(bi)
	}
	q.CreatedAt = d.Time()
	q.UpdatedAt = d.Time()
	r.count = d.Word32()
	r.nextSeq = uint64(d.Int64())
	r.canWrite = d.Bool()
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return r, nil
}

// Message record: ver(1) short(id) time(ts) bool(quota) short(flags) tail(body)
func appendMessage(dst []byte, m *store.Message) ([]byte, error) {
	w := encoding.NewBuffer(dst).Byte(recordVersion)
	w.Short(m.ID).Time(m.Ts).Bool(m.Quota).Short(m.Flags).Raw(m.Body)
	return w.Bytes()
}

// msgPool holds buffers for encoding message records (SEND bodies are up
// to 16 KB).
var msgPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10+64); return &b }}

func decodeMessage(b []byte) (*store.Message, error) {
	d := encoding.NewDecoder(b)
	if v := d.Byte(); d.Err() == nil && v != recordVersion {
		return nil, fmt.Errorf("message version %d", v)
	}
	m := &store.Message{}
	m.ID = clone(d.Short())
	m.Ts = d.Time()
	m.Quota = d.Bool()
	m.Flags = clone(d.Short())
	m.Body = clone(d.Tail())
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return m, nil
}

// messageID reads only the id of a message record (ACK compares it before
// deleting, without copying the body out).
func messageID(b []byte) ([]byte, error) {
	d := encoding.NewDecoder(b)
	if v := d.Byte(); d.Err() == nil && v != recordVersion {
		return nil, fmt.Errorf("message version %d", v)
	}
	id := d.Short()
	if err := d.Err(); err != nil {
		return nil, err
	}
	return id, nil
}

func parseKey(d *encoding.Decoder, der []byte) crypto.PublicKey {
	if d.Err() != nil {
		return crypto.PublicKey{}
	}
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil {
		d.Fail(err)
	}
	return k
}

// clone copies b out of bbolt's mmap, which is only valid inside the
// transaction.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
