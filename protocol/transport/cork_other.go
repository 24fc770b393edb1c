//go:build !linux

package transport

func setCork(uintptr, bool) error { return nil }
