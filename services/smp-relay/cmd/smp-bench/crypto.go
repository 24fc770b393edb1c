package main

import (
	"crypto/rand"
	"fmt"
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

// cryptoCosts are the relay's cryptographic operations, each timed on one
// goroutine.
type cryptoCosts struct {
	open       time.Duration // a block in: TLS 1.3 record open (ChaCha20-Poly1305), block-chain step, secretbox open
	seal       time.Duration // a block out: block-chain step, secretbox seal, TLS record seal
	verifySend time.Duration // Ed25519 over a signed SEND (8 KB body)
	verifyAck  time.Duration // Ed25519 over a signed ACK
	box        time.Duration // server-to-recipient box of the 16106-byte padded body
	// message is all of the above for one message with 2 blocks in and 2
	// out, interleaved as in the relay (each timed alone in a tight loop,
	// the operations look cheaper than they are among the others).
	message time.Duration
}

// measureCrypto times each operation the relay does for a message.
func measureCrypto() cryptoCosts {
	const n = 2000
	aead, _ := chacha20poly1305.New(make([]byte, 32))
	nonce := make([]byte, aead.NonceSize())
	record := make([]byte, transport.SMPBlockSize)
	sealedRecord := aead.Seal(nil, nonce, record, nil)
	var inChain, outChain, peerChain crypto.ChainKey
	rand.Read(inChain[:])
	copy(peerChain[:], inChain[:])
	rand.Read(outChain[:])
	payload := make([]byte, 8100)
	inBlocks := make([][]byte, 3*n) // as the peer sends them, one per chain step
	for i := range inBlocks {
		inBlocks[i], _ = crypto.EncryptBlock(&peerChain, payload, transport.SMPBlockSize)
	}
	sk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	sendMsg, ackMsg := make([]byte, 8150), make([]byte, 110) // the signed bytes of SEND and ACK
	sendSig, _ := crypto.Sign(sk, sendMsg)
	ackSig, _ := crypto.Sign(sk, ackMsg)
	secret := make([]byte, 32)
	rand.Read(secret)
	var boxNonce [crypto.NonceSize]byte
	body := make([]byte, 8000)
	timeIt := func(f func(i int)) time.Duration {
		start := time.Now()
		for i := range n {
			f(i)
		}
		return time.Since(start) / n
	}
	pub := sk.Public()
	message := timeIt(func(i int) {
		for j := range 2 { // SEND and ACK in
			aead.Open(record[:0], nonce, sealedRecord, nil)
			crypto.DecryptBlock(&inChain, inBlocks[(2*i+j)%n])
		}
		crypto.Verify(pub, sendMsg, sendSig)
		crypto.Verify(pub, ackMsg, ackSig)
		crypto.BoxPadded(secret, boxNonce, body, smp.RcvMessagePaddedSize)
		for range 2 { // OK and MSG out
			b, _ := crypto.EncryptBlock(&outChain, payload, transport.SMPBlockSize)
			aead.Seal(record[:0], nonce, b, nil)
		}
	})
	return cryptoCosts{
		message: message,
		open: timeIt(func(i int) {
			aead.Open(record[:0], nonce, sealedRecord, nil)
			crypto.DecryptBlock(&inChain, inBlocks[2*n+i])
		}),
		seal: timeIt(func(int) {
			b, _ := crypto.EncryptBlock(&outChain, payload, transport.SMPBlockSize)
			aead.Seal(record[:0], nonce, b, nil)
		}),
		verifySend: timeIt(func(int) { crypto.Verify(pub, sendMsg, sendSig) }),
		verifyAck:  timeIt(func(int) { crypto.Verify(pub, ackMsg, ackSig) }),
		box:        timeIt(func(int) { crypto.BoxPadded(secret, boxNonce, body, smp.RcvMessagePaddedSize) }),
	}
}

// cryptoLimit is the cryptography the relay does per message, with the
// blocks per message it read and wrote in the throughput phase (at least
// 2 and 2: the SEND and the ACK in; the SEND's OK and the MSG, which in
// steady state rides in the ACK's response block, out), two Ed25519
// verifications (signed SEND, signed ACK) and the server-to-recipient box.
// The limit is NumCPU / that time.
func cryptoLimit(c cryptoCosts, blocksIn, blocksOut float64) cryptoResult {
	// The interleaved message with 2 blocks each way, plus the blocks
	// beyond those at their own cost.
	per := c.message + time.Duration((blocksIn-2)*float64(c.open)+(blocksOut-2)*float64(c.seal))
	return cryptoResult{
		perMsg:     per,
		msgsPerSec: float64(runtime.NumCPU()) / per.Seconds(),
		what: fmt.Sprintf("interleaved: 2 blocks in, 2 out, Ed25519 verify of SEND and ACK, 16 KB box = %.0f µs; + %.2f blocks in × %.0f µs + %.2f out × %.0f µs. Alone: open %.0f, seal %.0f, verify SEND %.0f / ACK %.0f, box %.0f µs",
			us(c.message), blocksIn-2, us(c.open), blocksOut-2, us(c.seal), us(c.open), us(c.seal), us(c.verifySend), us(c.verifyAck), us(c.box)),
	}
}

func us(d time.Duration) float64 { return d.Seconds() * 1e6 }
