package main

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"runtime"
	"slices"
	"sync"
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
	// messageAllCores is message with every core running it at once
	// (per core: wall time / messages per core).
	messageAllCores time.Duration
}

// cryptoState is one goroutine's inputs and keys for the relay's
// per-message cryptography.
type cryptoState struct {
	aead                  cipher.AEAD
	nonce, record, sealed []byte
	inChain, outChain     crypto.ChainKey
	inChain0              crypto.ChainKey // the chain's state before inBlock
	payload               []byte
	inBlock               []byte
	openFailed            bool
	pub                   crypto.PublicKey
	sendMsg, ackMsg       []byte
	sendSig, ackSig       []byte
	secret                []byte
	boxNonce              [crypto.NonceSize]byte
	body                  []byte
}

func newCryptoState() *cryptoState {
	c := &cryptoState{}
	c.aead, _ = chacha20poly1305.New(make([]byte, 32))
	c.nonce = make([]byte, c.aead.NonceSize())
	c.record = make([]byte, transport.SMPBlockSize)
	c.sealed = c.aead.Seal(nil, c.nonce, c.record, nil)
	rand.Read(c.inChain0[:])
	peerChain := c.inChain0
	rand.Read(c.outChain[:])
	c.payload = make([]byte, 8100)
	c.inBlock, _ = crypto.EncryptBlock(&peerChain, c.payload, transport.SMPBlockSize)
	sk, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	c.pub = sk.Public()
	c.sendMsg, c.ackMsg = make([]byte, 8150), make([]byte, 110) // the signed bytes of SEND and ACK
	c.sendSig, _ = crypto.Sign(sk, c.sendMsg)
	c.ackSig, _ = crypto.Sign(sk, c.ackMsg)
	c.secret = make([]byte, 32)
	rand.Read(c.secret)
	c.body = make([]byte, 8000)
	return c
}

// open opens the same block each time, from the same chain state: every
// call steps the chain and decrypts a block that authenticates (one that
// did not would skip the decryption).
func (c *cryptoState) open(int) {
	c.aead.Open(c.record[:0], c.nonce, c.sealed, nil)
	c.inChain = c.inChain0
	if _, err := crypto.DecryptBlock(&c.inChain, c.inBlock); err != nil {
		c.openFailed = true
	}
}

func (c *cryptoState) seal() {
	b, _ := crypto.EncryptBlock(&c.outChain, c.payload, transport.SMPBlockSize)
	c.aead.Seal(c.record[:0], c.nonce, b, nil)
}

func (c *cryptoState) verifySend() { crypto.Verify(c.pub, c.sendMsg, c.sendSig) }
func (c *cryptoState) verifyAck()  { crypto.Verify(c.pub, c.ackMsg, c.ackSig) }
func (c *cryptoState) box() {
	crypto.BoxPadded(c.secret, c.boxNonce, c.body, smp.RcvMessagePaddedSize)
}

// message is one message's cryptography, interleaved as in the relay.
func (c *cryptoState) message(i int) {
	c.open(2 * i) // SEND and ACK in
	c.open(2*i + 1)
	c.verifySend()
	c.verifyAck()
	c.box()
	c.seal() // OK and MSG out
	c.seal()
}

// cryptoRounds is how many times each measurement is repeated; figures are
// medians (this VM's speed varies by ±15 % from second to second).
const cryptoRounds = 3

// measureCrypto times each operation the relay does for a message, on one
// goroutine, and the interleaved message on every core at once.
func measureCrypto() (cryptoCosts, error) {
	const n = 1000
	st := newCryptoState()
	timeIt := func(f func(i int)) time.Duration {
		var ds []time.Duration
		for range cryptoRounds {
			start := time.Now()
			for i := range n {
				f(i)
			}
			ds = append(ds, time.Since(start)/n)
		}
		return median(ds)
	}
	// Every core at once, each goroutine with its own keys: the per-core
	// time of a message when the machine is as busy as the relay makes it.
	cores := runtime.NumCPU()
	states := make([]*cryptoState, cores)
	for i := range states {
		states[i] = newCryptoState()
	}
	var all []time.Duration
	for range cryptoRounds {
		var wg sync.WaitGroup
		start := time.Now()
		for _, s := range states {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n {
					s.message(i)
				}
			}()
		}
		wg.Wait()
		all = append(all, time.Since(start)/n)
	}
	c := cryptoCosts{
		message:         timeIt(st.message),
		messageAllCores: median(all),
		open:            timeIt(st.open),
		seal:            timeIt(func(int) { st.seal() }),
		verifySend:      timeIt(func(int) { st.verifySend() }),
		verifyAck:       timeIt(func(int) { st.verifyAck() }),
		box:             timeIt(func(int) { st.box() }),
	}
	for _, s := range append(states, st) {
		if s.openFailed {
			return c, fmt.Errorf("crypto phase: a block did not decrypt")
		}
	}
	return c, nil
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
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
	extra := time.Duration((blocksIn-2)*float64(c.open) + (blocksOut-2)*float64(c.seal))
	per := c.messageAllCores + extra
	return cryptoResult{
		perMsg:     per,
		msgsPerSec: float64(runtime.NumCPU()) / per.Seconds(),
		what: fmt.Sprintf("interleaved, all %d cores at once: 2 blocks in, 2 out, Ed25519 verify of SEND and ACK, 16 KB box = %.0f µs per core (%.0f µs on one core alone); + %.2f blocks in × %.0f µs + %.2f out × %.0f µs. Alone: open %.0f, seal %.0f, verify SEND %.0f / ACK %.0f, box %.0f µs; medians of %d rounds",
			runtime.NumCPU(), us(c.messageAllCores), us(c.message), blocksIn-2, us(c.open), blocksOut-2, us(c.seal), us(c.open), us(c.seal), us(c.verifySend), us(c.verifyAck), us(c.box), cryptoRounds),
	}
}

func us(d time.Duration) float64 { return d.Seconds() * 1e6 }
