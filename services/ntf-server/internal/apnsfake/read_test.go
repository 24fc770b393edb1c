package apnsfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func getPushes(t *testing.T, h http.Handler, query string) (int, []RecordedPush) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fake-apns/pushes?"+query, nil))
	var out []RecordedPush
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: %v", rec.Body, err)
		}
	}
	return rec.Code, out
}

// TestPushesHandler checks the filters, the wait and the errors of the
// read endpoint over recorded pushes.
func TestPushesHandler(t *testing.T) {
	s := &Server{notify: make(chan struct{})}
	s.record(Push{DeviceToken: "aa01", PushType: "background", Status: 200, Body: []byte(`{"aps":{}}`)}, true)
	s.record(Push{DeviceToken: "bb02", PushType: "alert", Status: 200, Body: []byte(`{"aps":{"x":1}}`)}, true)
	s.record(Push{DeviceToken: "AA01", PushType: "alert", Status: 410, Body: []byte(`{"aps":{"y":2}}`)}, true)
	s.record(Push{DeviceToken: "aa01", Body: []byte(`bad`)}, false)
	h := s.PushesHandler()
	tests := []struct {
		query string
		code  int
		index []int
	}{
		{"", 200, []int{0, 1, 2}},
		{"token=aa01", 200, []int{0, 2}},
		{"token=AA01&after=1", 200, []int{2}},
		{"token=cc03", 200, nil},
		{"after=3", 200, nil},
		{"after=-1", 400, nil},
		{"wait=x", 400, nil},
	}
	for _, tt := range tests {
		code, out := getPushes(t, h, tt.query)
		if code != tt.code || len(out) != len(tt.index) {
			t.Fatalf("%q: %d %+v, want %d %v", tt.query, code, out, tt.code, tt.index)
		}
		for i, p := range out {
			if p.Index != tt.index[i] {
				t.Fatalf("%q: index %d, want %d", tt.query, p.Index, tt.index[i])
			}
		}
	}
	if _, out := getPushes(t, h, "token=bb02"); string(out[0].Body) != `{"aps":{"x":1}}` || out[0].PushType != "alert" {
		t.Fatalf("body %+v", out[0])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}

	// wait: answered once a matching push is recorded
	got := make(chan []RecordedPush, 1)
	go func() {
		_, out := getPushes(t, h, "token=dd04&wait=30")
		got <- out
	}()
	s.record(Push{DeviceToken: "cc03", Body: []byte(`{"aps":{}}`)}, true) // not for dd04
	s.record(Push{DeviceToken: "dd04", Body: []byte(`{"aps":{}}`)}, true)
	select {
	case out := <-got:
		if len(out) != 1 || out[0].Index != 4 {
			t.Fatalf("wait: %+v", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not return")
	}
}
