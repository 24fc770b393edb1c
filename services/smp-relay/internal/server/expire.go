package server

import (
	"context"
	"time"
)

// RunExpiry deletes expired messages and notifications every interval
// until ctx is done (and once at start, like expire_messages_on_start).
func (s *Server) RunExpiry(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.ExpireOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ExpireOnce runs one expiry pass with the server's clock.
func (s *Server) ExpireOnce(ctx context.Context) {
	now := s.opts.Now()
	n, err := s.st.ExpireMessages(ctx, now.Add(-s.opts.MsgExpiration))
	if err != nil && ctx.Err() == nil {
		s.log.Error("ExpireMessagesFailed", "err", err)
	}
	if n > 0 {
		s.m.MsgExpired.Add(float64(n))
		s.log.Info("MessagesExpired", "count", n)
	}
	s.ntfs.expire(now.Add(-s.opts.NtfExpiration))
}
