package main

import (
	"fmt"
	"io"
	"os"

	qrcode "github.com/skip2/go-qrcode"
)

// printQR draws link as a QR code (two rows per text line) on w when w is
// a terminal, so a phone can scan an invitation; pipes and files get only
// the link, on stdout.
func printQR(w io.Writer, link string) {
	if !isTerminal(w) {
		return
	}
	q, err := qrcode.New(link, qrcode.Low)
	if err != nil {
		return // too long for a QR code: the link is printed anyway
	}
	fmt.Fprint(w, q.ToSmallString(false))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
