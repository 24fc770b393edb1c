package server

import (
	"context"
	"time"
)

// expireBatch bounds the files expired per store query.
const expireBatch = 1000

// ExpireFiles deletes every file created more than FileExpiration ago
// (records, recipients and chunk data) and returns how many [FS
// expireServerFiles]. Creation times are rounded to the hour, so a file
// lives between FileExpiration and one hour more [Store expiredFiles].
func (s *Server) ExpireFiles(ctx context.Context) (int, error) {
	// Expired iff createdAt + 3600 < now - expiration [FS expireServerFiles,
	// Store expiredFiles fileTimePrecision].
	before := s.now().Add(-s.opts.FileExpiration).Unix() - 3600
	total := 0
	for {
		fs, err := s.st.Expired(ctx, before, expireBatch)
		if err != nil {
			return total, err
		}
		if len(fs) == 0 {
			return total, nil
		}
		for _, f := range fs {
			if err := s.deleteFile(ctx, f); err != nil {
				s.log.Warn("ExpireFileFailed", "err", err)
				return total, err
			}
			s.m.FilesExpired.Inc()
			total++
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// RunExpiry runs ExpireFiles at start and then every interval until ctx
// ends.
func (s *Server) RunExpiry(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.ExpireFiles(ctx); err != nil {
			s.log.Warn("ExpiryFailed", "err", err)
		} else if n > 0 {
			s.log.Info("FilesExpired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
