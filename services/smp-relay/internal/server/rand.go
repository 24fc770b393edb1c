package server

import "crypto/rand"

// cryptoRand adapts crypto/rand for key generation.
type cryptoRand struct{}

func (cryptoRand) Read(p []byte) (int, error) { return rand.Read(p) }
