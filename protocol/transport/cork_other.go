//go:build !linux

package transport

func setCork(uintptr, bool) error { return nil }

func getCork(uintptr) (bool, error) { return false, nil }
