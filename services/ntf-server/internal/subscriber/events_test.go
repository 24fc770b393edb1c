package subscriber

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/smpclient"
	"github.com/simplexgo/services/ntf-server/internal/store/bolt"
)

// TestEventsGroupNMSGs: the NMSGs of one read reach OnNMSG together, in
// order, and an END between them splits the run so that what came before
// it is handed over before the subscription is dropped.
func TestEventsGroupNMSGs(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ntf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var (
		calls [][]ntf.PNMessageData
		order []string
	)
	s := New(Options{Store: st, OnNMSG: func(ms []ntf.PNMessageData) {
		calls = append(calls, ms)
		for _, m := range ms {
			order = append(order, "NMSG "+string(m.Queue.NotifierID))
		}
	}})
	srv := address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: bytes.Repeat([]byte{1}, 32), Hosts: []string{"smp.example.com"}}
	c := &server{s: s, addr: srv, kick: make(chan struct{}, 1), subs: map[string]wanted{"b": {nid: []byte("b")}}}
	nmsg := func(nid string, nonce byte) smpclient.Event {
		return smpclient.Event{EntityID: []byte(nid), Msg: smp.NMSG{Nonce: bytes.Repeat([]byte{nonce}, 24), EncMeta: []byte{nonce}}}
	}
	c.events([]smpclient.Event{nmsg("a", 1), nmsg("b", 2), {EntityID: []byte("b"), Msg: smp.END{}}, nmsg("c", 3)})
	if len(calls) != 2 || len(calls[0]) != 2 || len(calls[1]) != 1 {
		t.Fatalf("calls %d: %v", len(calls), order)
	}
	want := []string{"NMSG a", "NMSG b", "NMSG c"}
	for i, w := range want {
		if order[i] != w {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	m := calls[0][1]
	if !m.Queue.Server.Equal(srv) || m.Nonce[0] != 2 || m.Nonce[23] != 2 || !bytes.Equal(m.EncMeta, []byte{2}) || m.Timestamp != 0 {
		t.Errorf("notification %+v", m)
	}
	if !c.empty() {
		t.Error("END did not drop the subscription")
	}
}
