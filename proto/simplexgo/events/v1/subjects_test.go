package eventsv1_test

import (
	"testing"

	eventsv1 "github.com/simplexgo/proto/simplexgo/events/v1"
)

// TestSubjects pins the subject table of events.proto. The key hash is the
// 32 bytes 0x00..0x1f; its base64url form was computed with Python's
// base64.urlsafe_b64encode(bytes(range(32))), which ends in '=' (dropped
// here).
func TestSubjects(t *testing.T) {
	kh := make([]byte, 32)
	for i := range kh {
		kh[i] = byte(i)
	}
	const id = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	tests := []struct {
		name, got, want string
	}{
		{"ServerID", eventsv1.ServerID(kh), id},
		{"NotifierSubjects", eventsv1.NotifierSubjects(kh), "smp.v1." + id + ".ntf.>"},
		{"NotifierMessageSubject", eventsv1.NotifierMessageSubject(kh), "smp.v1." + id + ".ntf.msg"},
		{"NotifierEndSubject", eventsv1.NotifierEndSubject(kh), "smp.v1." + id + ".ntf.end"},
		{"NotifierDeletedSubject", eventsv1.NotifierDeletedSubject(kh), "smp.v1." + id + ".ntf.deld"},
		{"AllNotifierSubjects", eventsv1.AllNotifierSubjects, "smp.v1.*.ntf.>"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
