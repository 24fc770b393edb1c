package transport

import (
	"bytes"
	"crypto/sha512"
	"crypto/tls"
	"errors"
	"testing"
)

var fuzzSuites = []uint16{
	tls.TLS_CHACHA20_POLY1305_SHA256,
	tls.TLS_AES_128_GCM_SHA256,
	tls.TLS_AES_256_GCM_SHA384,
}

// fuzzSecret is a fixed traffic secret of hashLen bytes.
func fuzzSecret(hashLen int) []byte { return bytes.Repeat([]byte{0x5a}, hashLen) }

// FuzzClientFinished13 feeds the TLS 1.3 record parser and decrypter.
// data[0] picks the suite and a fragment size, the rest is the stream.
//
//  1. The raw stream, usually garbage, must give an error or a verify_data
//     of the suite's hash length, never a panic.
//  2. The stream sealed as decrypted handshake content, so that garbage
//     reaches the message reassembly: a verify_data found there must be
//     bytes of the stream.
//  3. Round trip: the stream is also wrapped as the body of a client
//     Certificate message, followed by a Finished whose body is derived
//     from it, sealed into records of the chosen fragment size after a
//     plaintext ClientHello and a CCS; the parser must return that body.
func FuzzClientFinished13(f *testing.F) {
	// The RFC 8448 §3 client Finished record (AES-128-GCM), see
	// finished_test.go, with the RFC's secret swapped for ours: it fails to
	// decrypt, exercising the error path on a well-formed record.
	f.Add(append([]byte{1}, unhex(f, rfc8448ClientFinishedRecord)...))
	f.Add([]byte{0})
	f.Add([]byte{2, 22, 3, 1, 0, 1, 1, 20, 3, 3, 0, 1, 1})
	f.Add([]byte{0, 23, 3, 3, 0x41, 0x01})
	f.Add([]byte{5, 21, 3, 3, 0, 2, 2, 40})
	for i, id := range fuzzSuites {
		s, _ := lookupSuite13(id)
		secret := fuzzSecret(s.hash().Size())
		sl := newSealer(f, id, secret)
		fin := handshakeMsg(handshakeFinished, bytes.Repeat([]byte{byte(i)}, s.hash().Size()))
		stream := append(plainRecord(recordHandshake, 0x0301, handshakeMsg(1, []byte("hello"))),
			sl.sealHandshake(append(handshakeMsg(11, []byte("cert")), fin...), 5, 1)...)
		f.Add(append([]byte{byte(i)}, stream...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		id := fuzzSuites[int(data[0])%len(fuzzSuites)]
		stream := data[1:]
		s, _ := lookupSuite13(id)
		hashLen := s.hash().Size()
		secret := fuzzSecret(hashLen)

		got, err := clientFinished13(stream, id, secret)
		if err == nil && len(got) != hashLen {
			t.Fatalf("verify_data of %d bytes, want %d", len(got), hashLen)
		}
		if err != nil && !isKnownError(err) {
			t.Fatalf("unexpected error kind: %v", err)
		}

		if len(stream) > 1<<12 {
			stream = stream[:1<<12]
		}

		// Garbage as handshake content.
		sl := newSealer(t, id, secret)
		got, err = clientFinished13(sl.sealHandshake(stream, max(1+int(data[0]), len(stream)/64), 0), id, secret)
		if err == nil && (len(got) != hashLen || !bytes.Contains(stream, got)) {
			t.Fatalf("verify_data %x not from the stream", got)
		}
		if err != nil && !isKnownError(err) {
			t.Fatalf("unexpected error kind: %v", err)
		}

		// Round trip through the sealer.
		sum := sha512.Sum512(stream)
		want := sum[:hashLen]
		msgs := append(handshakeMsg(11, stream), handshakeMsg(handshakeFinished, want)...)
		// Small fragments split headers and bodies; at most ~64 records.
		frag := max(1+int(data[0])/len(fuzzSuites), len(msgs)/64)
		sl = newSealer(t, id, secret)
		sealed := append(plainRecord(recordHandshake, 0x0301, handshakeMsg(1, nil)),
			plainRecord(recordChangeCipherSpec, 0x0303, []byte{1})...)
		sealed = append(sealed, sl.sealHandshake(msgs, frag, int(data[0])%4)...)
		got, err = clientFinished13(sealed, id, secret)
		if err != nil {
			t.Fatalf("sealed stream: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("sealed stream: got %x, want %x", got, want)
		}
	})
}

func isKnownError(err error) bool {
	for _, e := range []error{ErrRecord, ErrDecrypt, ErrAlertRecord, ErrFinishedNotFound} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
