package server

import (
	"context"
	"errors"

	"github.com/simplexgo/services/xftp/internal/store"
)

// FileByRecipient returns the file that has this recipient id (the admin
// API names files by recipient id, as the reference's control port does
// [FS CPDelete, CPBlock]).
func (s *Server) FileByRecipient(ctx context.Context, rcpID []byte) (store.File, error) {
	_, f, err := s.st.Recipient(ctx, rcpID)
	return f, err
}

// DeleteByRecipient deletes the file that has this recipient id, with its
// data; store.ErrNotFound if there is none.
func (s *Server) DeleteByRecipient(ctx context.Context, rcpID []byte) error {
	f, err := s.FileByRecipient(ctx, rcpID)
	if err != nil {
		return err
	}
	if err := s.deleteFile(ctx, f); err != nil {
		return err
	}
	s.m.FilesDeleted.Inc()
	return nil
}

// BlockByRecipient blocks the file that has this recipient id and deletes
// its data: its users then get BLOCKED [FS blockServerFile].
func (s *Server) BlockByRecipient(ctx context.Context, rcpID []byte, b store.Blocking) error {
	f, err := s.FileByRecipient(ctx, rcpID)
	if err != nil {
		return err
	}
	unlock := s.putMu.lock(f.SenderID)
	defer unlock()
	before, err := s.st.Block(ctx, f.SenderID, b)
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		return err
	}
	if before.Path != "" {
		s.release(int64(before.Size))
		if err := s.chunks.remove(before.Path); err != nil {
			return err
		}
	}
	s.m.FilesBlocked.Inc()
	return nil
}
