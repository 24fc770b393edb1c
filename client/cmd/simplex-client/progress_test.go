package main

import (
	"bytes"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
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

// A QR code of an invitation-sized link renders (the CLI prints it only on
// a terminal).
func TestQRRenders(t *testing.T) {
	var b bytes.Buffer
	printQR(&b, "x")
	if b.Len() != 0 {
		t.Fatal("QR on a non-terminal writer")
	}
	link := "simplex:/invitation#/?v=2-7&smp=" + strings.Repeat("A", 600)
	q, err := qrcode.New(link, qrcode.Low)
	if err != nil || len(q.ToSmallString(false)) == 0 {
		t.Fatalf("QR for a %d-byte link: %v", len(link), err)
	}
}
