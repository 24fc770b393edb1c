package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestTailTagVectors pins the tail-tag variant [MCL sbEncryptTailTagNoPad]
// and checks it is the NaCl box with the tag moved to the end (the
// reference's XFTPWebTests "streaming matches NaCl secretbox").
func TestTailTagVectors(t *testing.T) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	got := SecretBoxTailTag(key, nonce, []byte("hello streaming"))
	if hex.EncodeToString(got) != tailTagVec {
		t.Fatalf("SecretBoxTailTag = %x\nwant %s", got, tailTagVec)
	}
	box := SecretBox(key, nonce, []byte("hello streaming"))
	if !bytes.Equal(got[:len(got)-TagSize], box[TagSize:]) || !bytes.Equal(got[len(got)-TagSize:], box[:TagSize]) {
		t.Fatal("tail-tag is not the box with its tag moved")
	}
	big := make([]byte, 1000)
	for i := range big {
		big[i] = byte(i % 251)
	}
	var buf bytes.Buffer
	e := NewStreamEncryptor(&buf, key, nonce)
	for _, part := range [][]byte{big[:1], big[1:64], big[64:65], big[65:700], big[700:]} {
		if _, err := e.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(buf.Bytes()); hex.EncodeToString(h[:]) != tailTag1000SHA256 {
		t.Fatalf("streamed 1000 bytes: sha256 %x", h)
	}
	if e.Written() != 1000 {
		t.Errorf("Written = %d", e.Written())
	}
	back, err := OpenSecretBoxTailTag(key, nonce, buf.Bytes())
	if err != nil || !bytes.Equal(back, big) {
		t.Fatalf("OpenSecretBoxTailTag: %v", err)
	}
}

// TestStreamChunking checks that any split of writes and reads gives the
// one-shot result, across keystream-block and buffer boundaries.
func TestStreamChunking(t *testing.T) {
	key, nonce := key32(seq(100, 131)), nonce24(seq(7, 30))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, streamChunk - 1, streamChunk, streamChunk + 17, 3*streamChunk + 5} {
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		want := SecretBoxTailTag(key, nonce, msg)

		var buf bytes.Buffer
		e := NewStreamEncryptor(&buf, key, nonce)
		for rest := msg; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(200))
			if rng.IntN(10) == 0 {
				n = len(rest)
			}
			if _, err := e.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("size %d: streamed ciphertext differs", size)
		}

		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(want),
			"one byte": iotest.OneByteReader(bytes.NewReader(want)),
			"half":     iotest.HalfReader(bytes.NewReader(want)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(want)),
		} {
			d := NewStreamDecryptor(r, key, nonce)
			got, err := io.ReadAll(d)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("size %d, %s reader: %v", size, name, err)
			}
			if d.Decrypted() != int64(size) {
				t.Fatalf("Decrypted = %d", d.Decrypted())
			}
		}
	}
}

func TestStreamBoxVariant(t *testing.T) {
	secret, nonce := seq(1, 32), nonce24(seq(1, 24))
	var buf bytes.Buffer
	e, err := NewBoxStreamEncryptor(&buf, secret, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write([]byte("hello streaming")); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(buf.Bytes()) != tailTagVec {
		t.Fatalf("box stream = %x", buf.Bytes())
	}
	if b, err := BoxTailTag(secret, nonce, []byte("hello streaming")); err != nil || !bytes.Equal(b, buf.Bytes()) {
		t.Fatalf("BoxTailTag: %x %v", b, err)
	}
	if m, err := OpenBoxTailTag(secret, nonce, buf.Bytes()); err != nil || string(m) != "hello streaming" {
		t.Fatalf("OpenBoxTailTag: %q %v", m, err)
	}
	d, err := NewBoxStreamDecryptor(bytes.NewReader(buf.Bytes()), secret, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := io.ReadAll(d); err != nil || string(m) != "hello streaming" {
		t.Fatalf("box stream decrypt: %q %v", m, err)
	}
	short := seq(1, 31)
	if _, err := NewBoxStreamEncryptor(&buf, short, nonce); !errors.Is(err, ErrSecretSize) {
		t.Errorf("short secret encryptor: %v", err)
	}
	if _, err := NewBoxStreamDecryptor(&buf, short, nonce); !errors.Is(err, ErrSecretSize) {
		t.Errorf("short secret decryptor: %v", err)
	}
	if _, err := BoxTailTag(short, nonce, nil); !errors.Is(err, ErrSecretSize) {
		t.Errorf("short secret BoxTailTag: %v", err)
	}
	if _, err := OpenBoxTailTag(short, nonce, nil); !errors.Is(err, ErrSecretSize) {
		t.Errorf("short secret OpenBoxTailTag: %v", err)
	}
}

func TestStreamErrors(t *testing.T) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	good := unhex(t, tailTagVec)
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x80
		if _, err := io.ReadAll(NewStreamDecryptor(bytes.NewReader(bad), key, nonce)); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
		if _, err := OpenSecretBoxTailTag(key, nonce, bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("one-shot, flipped byte %d: %v", i, err)
		}
	}
	for _, n := range []int{0, 1, 15, len(good) - 1} {
		if _, err := io.ReadAll(NewStreamDecryptor(bytes.NewReader(good[:n]), key, nonce)); !errors.Is(err, ErrDecrypt) {
			t.Errorf("truncated to %d: %v", n, err)
		}
		if _, err := OpenSecretBoxTailTag(key, nonce, good[:n]); !errors.Is(err, ErrDecrypt) {
			t.Errorf("one-shot truncated to %d: %v", n, err)
		}
	}
	// Extra bytes after the tag shift the tag: rejected.
	if _, err := io.ReadAll(NewStreamDecryptor(bytes.NewReader(append(bytes.Clone(good), 0)), key, nonce)); !errors.Is(err, ErrDecrypt) {
		t.Errorf("trailing byte: %v", err)
	}
	// Reader errors are passed on, wrapped, and stick.
	d := NewStreamDecryptor(iotest.ErrReader(io.ErrUnexpectedEOF), key, nonce)
	if _, err := d.Read(make([]byte, 8)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reader error: %v", err)
	}
	if _, err := d.Read(make([]byte, 8)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("sticky reader error: %v", err)
	}
	// Writes after Close and writer errors.
	e := NewStreamEncryptor(io.Discard, key, nonce)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write([]byte("x")); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := e.Close(); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("double close: %v", err)
	}
	fw := NewStreamEncryptor(failWriter{}, key, nonce)
	if _, err := fw.Write([]byte("x")); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("writer error: %v", err)
	}
	if err := fw.Close(); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("close after writer error: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

// FuzzOpenTailTag feeds arbitrary streams, split at arbitrary points, to the
// stream decryptor and checks it agrees with the one-shot decryption.
func FuzzOpenTailTag(f *testing.F) {
	key, nonce := key32(seq(1, 32)), nonce24(seq(1, 24))
	addSeeds(f, "FuzzOpenTailTag")
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		want, wantErr := OpenSecretBoxTailTag(key, nonce, b)
		if wantErr != nil && !errors.Is(wantErr, ErrDecrypt) {
			t.Fatalf("unexpected one-shot error %v", wantErr)
		}
		d := NewStreamDecryptor(&chunkReader{b: b, step: int(step)%40 + 1}, key, nonce)
		got, err := io.ReadAll(d)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("stream err %v, one-shot err %v", err, wantErr)
		}
		// WriteTo (io.Copy's path) agrees with Read, after a first Read
		// of step bytes.
		var piped bytes.Buffer
		d2 := NewStreamDecryptor(&chunkReader{b: b, step: int(step)%40 + 1}, key, nonce)
		first := make([]byte, int(step))
		k, rerr := io.ReadFull(d2, first)
		piped.Write(first[:k])
		_, perr := d2.WriteTo(&piped)
		if rerr != nil && rerr != io.ErrUnexpectedEOF && rerr != io.EOF {
			perr = rerr
		}
		if (perr == nil) != (err == nil) || (err == nil && !bytes.Equal(piped.Bytes(), got)) {
			t.Fatalf("WriteTo err %v (plaintext equal %v), Read err %v", perr, bytes.Equal(piped.Bytes(), got), err)
		}
		if err == nil {
			if !bytes.Equal(got, want) {
				t.Fatal("stream plaintext differs")
			}
			if again := SecretBoxTailTag(key, nonce, got); !bytes.Equal(again, b) {
				t.Fatal("re-encryption differs")
			}
		} else if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("unexpected stream error %v", err)
		}
	})
}

// chunkReader returns at most step bytes per Read.
type chunkReader struct {
	b    []byte
	step int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.b)
	r.b = r.b[n:]
	return n, nil
}
