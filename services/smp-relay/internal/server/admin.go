package server

import (
	"context"

	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/services/smp-relay/internal/store"
)

// Operator actions, addressed by sender id as the reference's control port
// does. Errors are store errors (store.ErrNotFound for an unknown id).

// QueueBySender returns the queue with this sender id and its size.
func (s *Server) QueueBySender(ctx context.Context, sid []byte) (*store.Queue, int, error) {
	q, err := s.st.GetQueue(ctx, store.Sender, sid)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.st.QueueSize(ctx, q.RecipientID)
	return q, n, err
}

// BlockQueue blocks a queue: its clients get ERR BLOCKED (AUTH below v12).
func (s *Server) BlockQueue(ctx context.Context, sid []byte, reason smp.BlockingReason) error {
	q, err := s.st.GetQueue(ctx, store.Sender, sid)
	if err != nil {
		return err
	}
	return s.st.SetStatus(ctx, q.RecipientID, store.StatusBlocked, []byte(reason))
}

// UnblockQueue makes a blocked queue active again.
func (s *Server) UnblockQueue(ctx context.Context, sid []byte) error {
	q, err := s.st.GetQueue(ctx, store.Sender, sid)
	if err != nil {
		return err
	}
	if q.Status != store.StatusBlocked {
		return nil
	}
	return s.st.SetStatus(ctx, q.RecipientID, store.StatusActive, nil)
}

// DeleteQueue deletes a queue as the recipient's DEL would: its subscriber
// gets DELD, its notifier subscriber DELD.
func (s *Server) DeleteQueue(ctx context.Context, sid []byte) error {
	q, err := s.st.GetQueue(ctx, store.Sender, sid)
	if err != nil {
		return err
	}
	if err := s.st.DeleteQueue(ctx, q.RecipientID); err != nil {
		return err
	}
	s.m.QueuesDeleted.Inc()
	s.queueGone(q)
	return nil
}
