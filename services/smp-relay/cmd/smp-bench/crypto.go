package main

import (
	"crypto/rand"
	"runtime"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

type cryptoResult struct {
	perMsg     time.Duration
	msgsPerSec float64
	what       string
}

// cryptoLimit times, on one goroutine, exactly the cryptography the relay
// does per message in the throughput phase, at its least: the SEND and the
// ACK blocks in (TLS 1.3 ChaCha20-Poly1305 record open + block-chain
// step + secretbox open each), two blocks out (the SEND's OK, and the MSG,
// which in steady state rides in the ACK's response block), two Ed25519
// verifications (signed SEND, signed ACK) and the server-to-recipient box
// of the 16106-byte padded body. The limit is NumCPU / that time.
func cryptoLimit() cryptoResult {
	aead, _ := chacha20poly1305.New(make([]byte, 32))
	nonce := make([]byte, aead.NonceSize())
	record := make([]byte, transport.SMPBlockSize)
	sealedRecord := aead.Seal(nil, nonce, record, nil)
	var inChain, outChain, peerChain crypto.ChainKey
	rand.Read(inChain[:])
	copy(peerChain[:], inChain[:])
	rand.Read(outChain[:])
	payload := make([]byte, 8100)
	// blocks as the peer would send them, one per chain step
	const n = 2000
	inBlocks := make([][]byte, 2*n)
	for i := range inBlocks {
		inBlocks[i], _ = crypto.EncryptBlock(&peerChain, payload, transport.SMPBlockSize)
	}
	sk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	msg := make([]byte, 300)
	sig, _ := crypto.Sign(sk, msg)
	secret := make([]byte, 32)
	rand.Read(secret)
	var boxNonce [crypto.NonceSize]byte
	body := make([]byte, 8000)

	start := time.Now()
	for i := range n {
		for j := range 2 { // SEND and ACK in
			aead.Open(record[:0], nonce, sealedRecord, nil)
			crypto.DecryptBlock(&inChain, inBlocks[2*i+j])
			crypto.Verify(sk.Public(), msg, sig)
		}
		crypto.BoxPadded(secret, boxNonce, body, smp.RcvMessagePaddedSize)
		for range 2 { // OK and MSG out
			b, _ := crypto.EncryptBlock(&outChain, payload, transport.SMPBlockSize)
			aead.Seal(record[:0], nonce, b, nil)
		}
	}
	per := time.Since(start) / n
	return cryptoResult{
		perMsg:     per,
		msgsPerSec: float64(runtime.NumCPU()) / per.Seconds(),
		what:       "2 TLS+block opens, 2 block+TLS seals, 2 Ed25519 verifies, 1 16 KB box",
	}
}
