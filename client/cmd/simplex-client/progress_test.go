package main

import (
	"bytes"
	"testing"
)

func TestRenderBar(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 1 << 20, "send [                              ]   0% 0 B/1.0 MiB"},
		{1 << 19, 1 << 20, "send [===============               ]  50% 512.0 KiB/1.0 MiB"},
		{1 << 20, 1 << 20, "send [==============================] 100% 1.0 MiB/1.0 MiB"},
		{5, 0, "send [                              ]   0% 5 B/0 B"},
	}
	for _, tt := range tests {
		if got := renderBar("send", tt.done, tt.total); got != tt.want {
			t.Errorf("renderBar(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
	// Not a terminal: no progress output at all.
	if progressBar(&bytes.Buffer{}, "send") != nil {
		t.Error("progress on a non-terminal writer")
	}
}
