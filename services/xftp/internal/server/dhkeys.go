package server

import (
	"crypto/rand"

	"github.com/simplexgo/protocol/crypto"
)

// spareDHKeys is how many fresh X25519 keys the server keeps ready for
// FGET. Each key answers exactly one FGET and is then dropped, as a key
// generated for the request would be; generating it between requests
// takes a scalar multiplication (~70 µs here) out of the time a client
// waits for the response head.
const spareDHKeys = 4

// dhKey returns a fresh X25519 key: a spare one or, when none is left, a
// new one.
func (s *Server) dhKey() (crypto.PrivateKey, error) {
	select {
	case k := <-s.spareKeys:
		return k, nil
	default:
		return crypto.GenerateKey(crypto.X25519, rand.Reader)
	}
}

// refillDHKeys tops the spare keys up; FGET calls it on a goroutine of
// its own once the chunk has been sent, while the client finishes
// decrypting it.
func (s *Server) refillDHKeys() {
	for len(s.spareKeys) < cap(s.spareKeys) {
		k, err := crypto.GenerateKey(crypto.X25519, rand.Reader)
		if err != nil {
			return
		}
		select {
		case s.spareKeys <- k:
		default:
			return
		}
	}
}
