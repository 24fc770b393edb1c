package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
)

// TestNotificationsSurviveRestart: a notification waiting for a notifier
// subscriber is saved at shutdown and delivered after the restart.
func TestNotificationsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	id := testIdentity(t)
	ntfFile := filepath.Join(dir, "ntfs.bin")
	ts := startServer(t, dir, &id, nil)
	rcv, snd := dial(t, ts), dial(t, ts)
	q := rcv.newQueue(false)
	nKey, nDH := newKey(t, crypto.Ed25519), newKey(t, crypto.X25519)
	nid := rcv.cmd(q.rid, &q.rcvKey, smp.NKEY{NtfAuthKey: nKey.Public(), RcvNtfDHKey: nDH.Public()}).(smp.NID)
	expectOK(t, snd.cmd(q.sid, nil, smp.SEND{Flags: smp.MsgFlags{Notification: true}, Body: []byte("x")}))
	ts.stop()
	if n, err := ts.srv.SaveNotifications(ntfFile); err != nil || n != 1 {
		t.Fatalf("saved %d: %v", n, err)
	}

	ts2 := startServer(t, dir, &id, nil)
	if n, err := ts2.srv.LoadNotifications(ntfFile); err != nil || n != 1 {
		t.Fatalf("loaded %d: %v", n, err)
	}
	if _, err := os.Stat(ntfFile); !os.IsNotExist(err) {
		t.Fatal("notification file not removed after loading")
	}
	ntf := dial(t, ts2)
	expectOK(t, ntf.cmd(nid.NotifierID, &nKey, smp.NSUB{}))
	e := ntf.event()
	nm, ok := e.msg.(smp.NMSG)
	if !ok || !bytes.Equal(e.entity, nid.NotifierID) {
		t.Fatalf("want NMSG after restart, got %T", e.msg)
	}
	secret, _ := crypto.DH(nDH, nid.SrvNtfDHKey)
	var nonce [crypto.NonceSize]byte
	copy(nonce[:], nm.Nonce)
	if _, err := crypto.OpenBoxPadded(secret, nonce, nm.EncMeta); err != nil {
		t.Fatalf("restored notification does not decrypt: %v", err)
	}
	// Expired ones are dropped; garbage is an error, not a panic.
	if _, err := ts2.srv.SaveNotifications(ntfFile); err != nil {
		t.Fatal(err)
	}
	ts2.clock.Add(48 * time.Hour)
	os.WriteFile(ntfFile, []byte("SMPNTF1\x00\x00\x00\x05junk"), 0o600)
	if _, err := ts2.srv.LoadNotifications(ntfFile); err == nil {
		t.Fatal("garbage accepted")
	}
}
