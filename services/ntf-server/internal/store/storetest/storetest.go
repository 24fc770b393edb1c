// Package storetest is the behaviour suite every store.Store
// implementation must pass.
package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Run runs the suite; open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("TokenLifecycle", func(t *testing.T) { testTokenLifecycle(t, open(t)) })
	t.Run("ActivateDeletesOtherRegistrations", func(t *testing.T) { testActivate(t, open(t)) })
	t.Run("Subscriptions", func(t *testing.T) { testSubscriptions(t, open(t)) })
	t.Run("LastNtfs", func(t *testing.T) { testLastNtfs(t, open(t)) })
	t.Run("LastNtfsBatch", func(t *testing.T) { testLastNtfsBatch(t, open(t)) })
	t.Run("Periodic", func(t *testing.T) { testPeriodic(t, open(t)) })
}

func id(n byte) []byte { return bytes.Repeat([]byte{n}, 24) }

func key(t *testing.T, a crypto.Algorithm) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(a, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// NewToken returns a REGISTERED token with fresh keys.
func NewToken(t *testing.T, tid []byte, dev string) store.Token {
	return store.Token{
		ID: tid, Provider: ntf.ProviderAPNSTest, DeviceToken: []byte(dev),
		Status: ntf.TokenStatus{Code: ntf.TokenRegistered}, VerifyKey: key(t, crypto.Ed25519).Public(),
		DHPrivKey: key(t, crypto.X25519), DHSecret: bytes.Repeat([]byte{9}, 32), RegCode: bytes.Repeat([]byte{7}, 32), CreatedAt: 100,
	}
}

func srv(t *testing.T, host string) address.ServerAddress {
	a, err := address.ParseServer("smp://AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=@"+host+":5001", address.SchemeSMP)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newSub(t *testing.T, sid, tid []byte, s address.ServerAddress, nid []byte) store.Subscription {
	return store.Subscription{ID: sid, TokenID: tid, Server: s, NotifierID: nid,
		NotifierKey: key(t, crypto.Ed25519), Status: ntf.SubStatus{Code: ntf.SubNew}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testTokenLifecycle(t *testing.T, s store.Store) {
	tk := NewToken(t, id(1), "aabb")
	must(t, s.AddToken(tk))
	if err := s.AddToken(tk); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate AddToken: %v", err)
	}
	got, err := s.GetToken(id(1))
	must(t, err)
	if !got.VerifyKey.Equal(tk.VerifyKey) || !bytes.Equal(got.DHPrivKey.DER(), tk.DHPrivKey.DER()) ||
		!bytes.Equal(got.RegCode, tk.RegCode) || got.Status != tk.Status || got.CreatedAt != 100 {
		t.Fatalf("GetToken = %+v", got)
	}
	if _, err := s.GetToken(id(2)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing token: %v", err)
	}
	if f, ok, err := s.FindTokenRegistration(tk.Provider, tk.DeviceToken, tk.VerifyKey); err != nil || !ok || !bytes.Equal(f.ID, tk.ID) {
		t.Fatalf("FindTokenRegistration = %v %v %v", f.ID, ok, err)
	}
	if _, ok, _ := s.FindTokenRegistration(tk.Provider, tk.DeviceToken, key(t, crypto.Ed25519).Public()); ok {
		t.Fatal("found with another verify key")
	}
	// confirmed unless active
	notActive := func(st ntf.TokenStatus) bool { return st.Code != ntf.TokenActive }
	ch, err := s.UpdateTokenStatus(id(1), notActive, ntf.TokenStatus{Code: ntf.TokenConfirmed})
	must(t, err)
	if !ch {
		t.Fatal("status not changed")
	}
	// replace the device token (TRPL)
	tk.DeviceToken = []byte("ccdd")
	must(t, s.UpdateToken(tk))
	if _, ok, _ := s.FindTokenRegistration(tk.Provider, []byte("aabb"), tk.VerifyKey); ok {
		t.Fatal("old device token still indexed")
	}
	if _, ok, _ := s.FindTokenRegistration(tk.Provider, []byte("ccdd"), tk.VerifyKey); !ok {
		t.Fatal("new device token not indexed")
	}
	must(t, s.AddSubscription(newSub(t, id(11), id(1), srv(t, "a"), id(21))))
	subs, err := s.DeleteToken(id(1))
	must(t, err)
	if len(subs) != 1 || !bytes.Equal(subs[0].ID, id(11)) {
		t.Fatalf("DeleteToken subs = %v", subs)
	}
	if _, err := s.GetSubscription(id(11)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("subscription survived its token")
	}
	c, err := s.Counts()
	must(t, err)
	if c != (store.Counts{}) {
		t.Fatalf("counts after delete = %+v", c)
	}
}

func testActivate(t *testing.T, s store.Store) {
	a, b := NewToken(t, id(1), "aabb"), NewToken(t, id(2), "aabb")
	must(t, s.AddToken(a))
	must(t, s.AddToken(b))
	must(t, s.AddSubscription(newSub(t, id(11), id(1), srv(t, "a"), id(21))))
	del, err := s.ActivateToken(id(2))
	must(t, err)
	if len(del) != 1 {
		t.Fatalf("deleted subs = %d", len(del))
	}
	if _, err := s.GetToken(id(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("other registration kept")
	}
	got, err := s.GetToken(id(2))
	must(t, err)
	if got.Status.Code != ntf.TokenActive {
		t.Fatalf("status %v", got.Status)
	}
}

func testSubscriptions(t *testing.T, s store.Store) {
	must(t, s.AddToken(NewToken(t, id(1), "aabb")))
	sa := srv(t, "a")
	sub := newSub(t, id(11), id(1), sa, id(21))
	if err := s.AddSubscription(newSub(t, id(12), id(3), sa, id(22))); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("sub of missing token: %v", err)
	}
	must(t, s.AddSubscription(sub))
	if err := s.AddSubscription(newSub(t, id(12), id(1), sa, id(21))); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same queue twice: %v", err)
	}
	// the password is not part of the server's identity
	withPwd := sa
	withPwd.BasicAuth = "secret"
	f, ok, err := s.FindSubscription(withPwd, id(21))
	must(t, err)
	if !ok || !bytes.Equal(f.ID, id(11)) || !bytes.Equal(f.NotifierKey.DER(), sub.NotifierKey.DER()) {
		t.Fatalf("FindSubscription = %+v %v", f, ok)
	}
	n, err := s.SetSubStatus(sa, [][]byte{id(21), id(99)}, ntf.SubStatus{Code: ntf.SubErr, Err: []byte("x y")})
	must(t, err)
	if n != 1 {
		t.Fatalf("SetSubStatus changed %d", n)
	}
	g, err := s.GetSubscription(id(11))
	must(t, err)
	if g.Status.Code != ntf.SubErr || string(g.Status.Err) != "x y" || !g.Server.Equal(sa) {
		t.Fatalf("GetSubscription = %+v", g)
	}
	if c, _ := s.TokenSubscriptionCount(id(1)); c != 1 {
		t.Fatalf("count %d", c)
	}
	var all int
	must(t, s.ForEachSubscription(func(store.Subscription) error { all++; return nil }))
	if all != 1 {
		t.Fatalf("ForEach saw %d", all)
	}
	if _, err := s.DeleteSubscription(id(11)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.FindSubscription(sa, id(21)); ok {
		t.Fatal("deleted subscription found")
	}
	if _, err := s.DeleteSubscription(id(11)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// addLastNtf records one notification, as AddLastNtfs does for each.
func addLastNtf(s store.Store, m ntf.PNMessageData) (store.Token, []ntf.PNMessageData, error) {
	res, err := s.AddLastNtfs([]ntf.PNMessageData{m})
	if err != nil {
		return store.Token{}, nil, err
	}
	return res[0].Token, res[0].List, res[0].Err
}

func testLastNtfs(t *testing.T, s store.Store) {
	must(t, s.AddToken(NewToken(t, id(1), "aabb")))
	sa := srv(t, "a")
	for i := range byte(8) {
		must(t, s.AddSubscription(newSub(t, id(30+i), id(1), sa, id(50+i))))
	}
	msg := func(i byte, ts int64) ntf.PNMessageData {
		return ntf.PNMessageData{Queue: ntf.QueueNtf{Server: sa, NotifierID: id(50 + i)}, Timestamp: ts,
			Nonce: [24]byte{i}, EncMeta: []byte{i, i}}
	}
	if _, _, err := addLastNtf(s, msg(0, 1)); !errors.Is(err, store.ErrNotActive) {
		t.Fatalf("not active: %v", err)
	}
	if _, err := s.ActivateToken(id(1)); err != nil {
		t.Fatal(err)
	}
	unknown := msg(0, 1)
	unknown.Queue.NotifierID = id(99)
	if _, _, err := addLastNtf(s, unknown); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown queue: %v", err)
	}
	for i := range byte(8) {
		tk, list, err := addLastNtf(s, msg(i, int64(10+i)))
		must(t, err)
		if !bytes.Equal(tk.ID, id(1)) {
			t.Fatal("wrong token")
		}
		if want := min(int(i)+1, store.MaxLastNtfs); len(list) != want {
			t.Fatalf("after %d: %d entries, want %d", i, len(list), want)
		}
		if last := list[len(list)-1]; last.Timestamp != int64(10+i) || !bytes.Equal(last.Queue.NotifierID, id(50+i)) {
			t.Fatalf("newest not last: %+v", last)
		}
	}
	// a second message on an old queue replaces its entry
	_, list, err := addLastNtf(s, msg(3, 30))
	must(t, err)
	seen := map[string]bool{}
	for i, m := range list {
		if seen[string(m.Queue.NotifierID)] {
			t.Fatal("two entries for one subscription")
		}
		seen[string(m.Queue.NotifierID)] = true
		if i > 0 && list[i-1].Timestamp > m.Timestamp {
			t.Fatal("not oldest first")
		}
	}
	if list[len(list)-1].Nonce != [24]byte{3} {
		t.Fatal("replaced entry is not the newest")
	}
	c, err := s.Counts()
	must(t, err)
	if c.LastNtfs != store.MaxLastNtfs {
		t.Fatalf("kept %d last notifications", c.LastNtfs)
	}
}

func testPeriodic(t *testing.T, s store.Store) {
	for i := range byte(3) {
		tk := NewToken(t, id(1+i), fmt.Sprintf("%02x", i))
		tk.CronMinutes = 20 * uint16(i)
		tk.CronSentAt = 1000
		must(t, s.AddToken(tk))
		if _, err := s.ActivateToken(tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.PeriodicTokens(1000 + 20*60 - 1)
	must(t, err)
	if len(due) != 0 {
		t.Fatalf("due early: %d", len(due))
	}
	due, err = s.PeriodicTokens(1000 + 20*60)
	must(t, err)
	if len(due) != 1 || !bytes.Equal(due[0].ID, id(2)) {
		t.Fatalf("due = %d", len(due))
	}
	must(t, s.SetCronSentAt(id(2), 1000+20*60+5))
	due, err = s.PeriodicTokens(1000 + 40*60)
	must(t, err)
	if len(due) != 1 || !bytes.Equal(due[0].ID, id(3)) {
		t.Fatalf("due later = %d", len(due))
	}
}

// testLastNtfsBatch: a batch answers each notification as a batch of one
// would, one after another (an unknown queue fails alone, each list includes the
// batch's earlier notifications).
func testLastNtfsBatch(t *testing.T, s store.Store) {
	must(t, s.AddToken(NewToken(t, id(1), "aabb")))
	_, err := s.ActivateToken(id(1))
	must(t, err)
	sa := srv(t, "a")
	for i := range byte(3) {
		must(t, s.AddSubscription(newSub(t, id(30+i), id(1), sa, id(50+i))))
	}
	msg := func(nid byte, ts int64) ntf.PNMessageData {
		return ntf.PNMessageData{Queue: ntf.QueueNtf{Server: sa, NotifierID: id(nid)}, Timestamp: ts,
			Nonce: [24]byte{nid}, EncMeta: []byte{nid}}
	}
	res, err := s.AddLastNtfs([]ntf.PNMessageData{msg(50, 1), msg(99, 2), msg(51, 3), msg(52, 4)})
	must(t, err)
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	if !errors.Is(res[1].Err, store.ErrNotFound) {
		t.Fatalf("unknown queue in a batch: %v", res[1].Err)
	}
	for i, want := range map[int]int{0: 1, 2: 2, 3: 3} {
		r := res[i]
		if r.Err != nil || !bytes.Equal(r.Token.ID, id(1)) || len(r.List) != want {
			t.Fatalf("result %d: %d entries, err %v; want %d", i, len(r.List), r.Err, want)
		}
	}
	if last := res[3].List[2]; last.Timestamp != 4 || !bytes.Equal(last.Queue.NotifierID, id(52)) || !last.Queue.Server.Equal(sa) {
		t.Fatalf("newest entry: %+v", last)
	}
	// queues of two servers with the same notifier id, interleaved in a batch
	sb := srv(t, "b")
	must(t, s.AddSubscription(newSub(t, id(40), id(1), sb, id(50))))
	onB := msg(50, 5)
	onB.Queue.Server = sb
	res, err = s.AddLastNtfs([]ntf.PNMessageData{onB, msg(50, 6), onB})
	must(t, err)
	for i, want := range []address.ServerAddress{sb, sa, sb} {
		if res[i].Err != nil || len(res[i].List) == 0 {
			t.Fatalf("two servers, result %d: %+v", i, res[i])
		}
		if last := res[i].List[len(res[i].List)-1]; !last.Queue.Server.Equal(want) || !bytes.Equal(last.Queue.NotifierID, id(50)) {
			t.Fatalf("two servers, result %d: newest entry on %v", i, last.Queue.Server)
		}
	}
}
