package crypto

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/encoding"
)

func sbcSecret(t testing.TB) []byte {
	t.Helper()
	s, err := DH(PrivateKey{Alg: X25519, Raw: seq(33, 64)}, PrivateKey{Alg: X25519, Raw: seq(1, 32)}.Public())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSbChainVectors pins [MC sbcInit, sbcHkdf] byte for byte.
func TestSbChainVectors(t *testing.T) {
	ck1, ck2 := InitSbChains(seq(0, 31), sbcSecret(t))
	if hex.EncodeToString(ck1[:]) != sbcCK1 || hex.EncodeToString(ck2[:]) != sbcCK2 {
		t.Fatalf("InitSbChains = %x, %x", ck1, ck2)
	}
	for name, ck := range map[string]*ChainKey{"ck1": &ck1, "ck2": &ck2} {
		for i, step := range sbcSteps[name] {
			key, nonce := ck.Next()
			if got := [3]string{hex.EncodeToString(key[:]), hex.EncodeToString(nonce[:]), hex.EncodeToString(ck[:])}; got != step {
				t.Errorf("%s step %d = %v\nwant %v", name, i, got, step)
			}
		}
	}
}

// TestSbChainBlocks checks the server/client pairing and the 16384-byte
// block [CONFORMANCE-NOTES §2.8].
func TestSbChainBlocks(t *testing.T) {
	const blockSize = 16384
	server := NewServerSbChain(seq(0, 31), sbcSecret(t))
	client := NewClientSbChain(seq(0, 31), sbcSecret(t))
	if hex.EncodeToString(server.Send[:]) != sbcCK1 || hex.EncodeToString(client.Recv[:]) != sbcCK1 ||
		hex.EncodeToString(server.Recv[:]) != sbcCK2 || hex.EncodeToString(client.Send[:]) != sbcCK2 {
		t.Fatal("chain directions")
	}
	b0, err := EncryptBlock(&server.Send, []byte("hello block"), blockSize)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(b0); len(b0) != blockSize || hex.EncodeToString(h[:]) != sbcBlock0SHA256 || hex.EncodeToString(b0[:32]) != sbcBlock0Head {
		t.Fatalf("block 0: %d bytes, sha256 %x, head %x", len(b0), h, b0[:32])
	}
	if p, err := DecryptBlock(&client.Recv, b0); err != nil || string(p) != "hello block" {
		t.Fatalf("client decrypt: %q %v", p, err)
	}
	// Several blocks each way stay in step.
	for i := range 5 {
		msg := bytes.Repeat([]byte{byte(i)}, i*1000)
		up, err := EncryptBlock(&client.Send, msg, blockSize)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := DecryptBlock(&server.Recv, up); err != nil || !bytes.Equal(p, msg) {
			t.Fatalf("server decrypt %d: %v", i, err)
		}
		down, err := EncryptBlock(&server.Send, msg, blockSize)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := DecryptBlock(&client.Recv, down); err != nil || !bytes.Equal(p, msg) {
			t.Fatalf("client decrypt %d: %v", i, err)
		}
	}
	// The biggest payload that fits: blockSize - 16 - 2.
	maxBlock, err := EncryptBlock(&client.Send, make([]byte, blockSize-18), blockSize)
	if err != nil {
		t.Fatalf("max payload: %v", err)
	}
	if p, err := DecryptBlock(&server.Recv, maxBlock); err != nil || len(p) != blockSize-18 {
		t.Fatalf("max payload decrypt: %d %v", len(p), err)
	}
	if p, err := DecryptBlock(&server.Recv, make([]byte, blockSize)); err == nil {
		t.Fatalf("garbage block accepted: %x", p)
	}
	// The failed block consumed the server's step: the chains are now out
	// of step for good, as in the reference.
	next, _ := EncryptBlock(&client.Send, []byte("x"), blockSize)
	if _, err := DecryptBlock(&server.Recv, next); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("after a skipped block: %v", err)
	}
}

func TestSbChainErrors(t *testing.T) {
	var ck ChainKey
	before := ck
	if _, err := EncryptBlock(&ck, make([]byte, 100), 117); !errors.Is(err, encoding.ErrPad) {
		t.Fatalf("oversized payload: %v", err)
	}
	if ck != before {
		t.Fatal("a payload that does not fit stepped the chain")
	}
	for _, size := range []int{-1, 0, 17} {
		if _, err := EncryptBlock(&ck, nil, size); !errors.Is(err, ErrBlockSize) {
			t.Errorf("block size %d: %v", size, err)
		}
	}
	if b, err := EncryptBlock(&ck, nil, 18); err != nil || len(b) != 18 {
		t.Errorf("smallest block: %d %v", len(b), err)
	}
	// Every failure still steps the receive chain.
	var rk ChainKey
	for _, bad := range [][]byte{nil, make([]byte, 15), make([]byte, 16384)} {
		prev := rk
		if _, err := DecryptBlock(&rk, bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%d-byte block: %v", len(bad), err)
		}
		if rk == prev {
			t.Error("failed block did not step the chain")
		}
	}
	// A block that authenticates but is not padded.
	var sk, rk2 ChainKey
	key, nonce := sk.Next()
	if _, err := DecryptBlock(&rk2, SecretBox(key, nonce, []byte{0xff, 0xff, 0})); !errors.Is(err, encoding.ErrPad) {
		t.Errorf("bad padding: %v", err)
	}
}

// FuzzDecryptBlock checks that decrypting never fails silently and that a
// successful decryption re-encrypts to the input under the same step.
func FuzzDecryptBlock(f *testing.F) {
	ck1, _ := InitSbChains(seq(0, 31), sbcSecret(f))
	addSeeds(f, "FuzzDecryptBlock")
	f.Fuzz(func(t *testing.T, block []byte) {
		rk := ck1
		p, err := DecryptBlock(&rk, block)
		if rk == ck1 {
			t.Fatal("chain not stepped")
		}
		if err != nil {
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, encoding.ErrPad) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		sk := ck1
		again, err := EncryptBlock(&sk, p, len(block))
		if err != nil || len(again) != len(block) {
			t.Fatalf("re-encrypt: %d bytes, %v", len(again), err)
		}
	})
}

// TestAppendDecryptBlock: decrypting into a reused buffer gives the bytes
// DecryptBlock gives, in that buffer's storage.
func TestAppendDecryptBlock(t *testing.T) {
	var send, recvA, recvB ChainKey
	rand.Read(send[:])
	recvA, recvB = send, send
	buf := make([]byte, 0, 16384)
	for i := range 3 {
		payload := bytes.Repeat([]byte{byte(i)}, 100+i*5000)
		block, err := EncryptBlock(&send, payload, 16384)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DecryptBlock(&recvA, block)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendDecryptBlock(buf, &recvB, block)
		if err != nil || !bytes.Equal(got, want) || !bytes.Equal(got, payload) {
			t.Fatalf("block %d: %v", i, err)
		}
		if &got[0] != &buf[:cap(buf)][2] {
			t.Fatal("payload not in the given buffer")
		}
	}
	if _, err := AppendDecryptBlock(buf, &recvB, make([]byte, 10)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("short block: %v", err)
	}
}
