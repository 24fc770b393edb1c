package apnsfake

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxReadWait bounds the wait parameter of PushesHandler.
const MaxReadWait = 60 * time.Second

// RecordedPush is one accepted push as PushesHandler returns it. Index is
// its position among all accepted pushes, for the after parameter.
type RecordedPush struct {
	Index       int             `json:"index"`
	DeviceToken string          `json:"deviceToken"`
	PushType    string          `json:"pushType"`
	Status      int             `json:"status"`
	Body        json.RawMessage `json:"body"`
}

// PushesHandler returns a read-only HTTP handler that lets a local client
// play the device: GET ?token=HEX&after=N&wait=S answers a JSON array of
// the accepted pushes to token (all tokens when absent) whose index is at
// least after (default 0). With wait (seconds, at most MaxReadWait) it
// waits until there is at least one such push or the time is up (then
// the array is empty). Real APNs has no such interface: it is for local
// runs (the ntf-server mounts it at /fake-apns/pushes on its metrics
// listener when the fake is on).
func (s *Server) PushesHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		tok := strings.ToLower(q.Get("token"))
		after, err := nonNegative(q.Get("after"))
		if err != nil {
			http.Error(w, "after: "+err.Error(), http.StatusBadRequest)
			return
		}
		waitS, err := nonNegative(q.Get("wait"))
		if err != nil {
			http.Error(w, "wait: "+err.Error(), http.StatusBadRequest)
			return
		}
		wait := min(time.Duration(waitS)*time.Second, MaxReadWait)
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		out := s.matching(ctx, tok, after, wait > 0)
		w.Header().Set("content-type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
}

func nonNegative(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err == nil && n < 0 {
		err = strconv.ErrRange
	}
	return n, err
}

// matching returns the pushes to tok (any when "") from index after on,
// waiting for one until ctx ends when wait is set.
func (s *Server) matching(ctx context.Context, tok string, after int, wait bool) []RecordedPush {
	for {
		s.mu.Lock()
		out := []RecordedPush{}
		for i := after; i < len(s.pushes); i++ {
			p := s.pushes[i]
			if tok != "" && strings.ToLower(p.DeviceToken) != tok {
				continue
			}
			out = append(out, RecordedPush{Index: i, DeviceToken: p.DeviceToken, PushType: p.PushType,
				Status: p.Status, Body: json.RawMessage(p.Body)})
		}
		ch := s.notify
		s.mu.Unlock()
		if len(out) > 0 || !wait {
			return out
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return out
		}
	}
}
