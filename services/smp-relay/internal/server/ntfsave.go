package server

import (
	"errors"
	"fmt"
	"os"

	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
)

// Pending notifications (those no notifier subscriber has taken yet) live
// in memory; like the reference's saveServerNtfs/restoreServerNtfs they
// are written to a file on shutdown and read back on start, so that a
// restart does not drop them. A crash does.
//
// File: "SMPNTF1" w32(count) count × (short(notifierId) i64(ts)
// short(nonce) large(encMeta)).
const ntfFileMagic = "SMPNTF1"

// SaveNotifications writes the pending notifications to path (atomically).
func (s *Server) SaveNotifications(path string) (int, error) {
	s.ntfs.mu.Lock()
	w := encoding.NewBuffer(nil).String(ntfFileMagic)
	n := 0
	for _, l := range s.ntfs.m {
		n += len(l)
	}
	w.Word32(uint32(n))
	for nid, l := range s.ntfs.m {
		for _, p := range l {
			w.Short([]byte(nid)).Time(p.ts).Short(p.msg.Nonce).Large(p.msg.EncMeta)
		}
	}
	s.ntfs.mu.Unlock()
	b, err := w.Bytes()
	if err != nil {
		return 0, fmt.Errorf("server: save notifications: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return 0, fmt.Errorf("server: save notifications: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("server: save notifications: %w", err)
	}
	return n, nil
}

// LoadNotifications reads notifications saved by SaveNotifications (a
// missing file is none), skips expired ones, and removes the file.
func (s *Server) LoadNotifications(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("server: load notifications: %w", err)
	}
	d := encoding.NewDecoder(b)
	d.Expect(ntfFileMagic)
	count := int(d.Word32())
	cutoff := s.opts.Now().Add(-s.opts.NtfExpiration)
	loaded := 0
	for i := 0; i < count && d.Err() == nil; i++ {
		nid := d.Short()
		ts := d.Time()
		nonce := d.Short()
		meta := d.Large()
		if d.Err() != nil || ts.Before(cutoff) || len(nonce) != smp.NonceSize {
			continue
		}
		s.ntfs.add(append([]byte(nil), nid...), pendingNtf{
			msg: smp.NMSG{Nonce: append([]byte(nil), nonce...), EncMeta: append([]byte(nil), meta...)},
			ts:  ts,
		})
		loaded++
	}
	if err := d.Err(); err != nil {
		return loaded, fmt.Errorf("server: load notifications: %w", err)
	}
	return loaded, os.Remove(path)
}
