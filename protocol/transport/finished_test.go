package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// unhex decodes hex with spaces and newlines, as RFC 8448 prints it.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8448 §3 "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256).
const (
	// {client} derive secret "tls13 c hs traffic".
	rfc8448ClientHS = "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
	// {server} derive secret "tls13 s hs traffic".
	rfc8448ServerHS = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
	// Transcript hash ClientHello..server Finished, the context of the
	// client's Finished.
	rfc8448HashToServerFinished = "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"
	// {client} construct a Finished handshake message.
	rfc8448ClientFinishedMsg = `14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03
		9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61`
	// {client} send handshake record: complete record.
	rfc8448ClientFinishedRecord = `17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c
		56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98
		fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46`
)

// TestExpandLabel checks HKDF-Expand-Label against the traffic keys of
// RFC 8448 §3 ({client,server} derive write traffic keys for handshake data).
func TestExpandLabel(t *testing.T) {
	s, err := lookupSuite13(tls.TLS_AES_128_GCM_SHA256)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, secret, label string
		length              int
		want                string
	}{
		{"client key", rfc8448ClientHS, "key", 16, "dbfaa693d1762c5b666af5d950258d01"},
		{"client iv", rfc8448ClientHS, "iv", 12, "5bd3c71b836e0b76bb73265f"},
		{"server key", rfc8448ServerHS, "key", 16, "3fce516009c21727d0f2e4e86ee403bc"},
		{"server iv", rfc8448ServerHS, "iv", 12, "5d313eb2671276ee13000b30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandLabel(s.hash, unhex(t, tt.secret), tt.label, nil, tt.length)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, unhex(t, tt.want)) {
				t.Fatalf("got %x, want %s", got, tt.want)
			}
		})
	}
}

// TestFinishedKeyRFC8448 checks the test suite's independent derivation of
// verify_data (RFC 8446 §4.4.4) on RFC 8448 §3: HMAC(finished_key,
// transcript hash) with finished_key = HKDF-Expand-Label(client hs secret,
// "finished", "", 32) is the body of the client's Finished.
func TestFinishedKeyRFC8448(t *testing.T) {
	s, _ := lookupSuite13(tls.TLS_AES_128_GCM_SHA256)
	got := verifyData13(t, s, unhex(t, rfc8448ClientHS), unhex(t, rfc8448HashToServerFinished))
	if want := unhex(t, rfc8448ClientFinishedMsg)[4:]; !bytes.Equal(got, want) {
		t.Fatalf("verify_data %x, want %x", got, want)
	}
}

// verifyData13 is the client Finished verify_data for a transcript hash
// (RFC 8446 §4.4.4).
func verifyData13(t testing.TB, s suite13, clientHS, transcriptHash []byte) []byte {
	t.Helper()
	hashLen := s.hash().Size()
	fk, err := expandLabel(s.hash, clientHS, "finished", nil, hashLen)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(s.hash, fk)
	m.Write(transcriptHash)
	return m.Sum(nil)
}

// plainRecord frames fragment as a plaintext record of type typ.
func plainRecord(typ byte, version uint16, fragment []byte) []byte {
	r := []byte{typ, byte(version >> 8), byte(version)}
	r = binary.BigEndian.AppendUint16(r, uint16(len(fragment)))
	return append(r, fragment...)
}

// handshakeMsg frames body as a handshake message of type typ.
func handshakeMsg(typ byte, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// sealer encrypts records as a TLS 1.3 client does (RFC 8446 §5.2).
type sealer struct {
	o *recordOpener
}

func newSealer(t testing.TB, suiteID uint16, secret []byte) *sealer {
	t.Helper()
	s, err := lookupSuite13(suiteID)
	if err != nil {
		t.Fatal(err)
	}
	o, err := newRecordOpener(s, secret)
	if err != nil {
		t.Fatal(err)
	}
	return &sealer{o}
}

// seal encrypts content of inner type typ followed by pad zero bytes.
func (s *sealer) seal(typ byte, content []byte, pad int) []byte {
	inner := append(append(bytes.Clone(content), typ), make([]byte, pad)...)
	n := len(inner) + s.o.aead.Overhead()
	hdr := []byte{recordApplicationData, 3, 3, byte(n >> 8), byte(n)}
	nonce := bytes.Clone(s.o.iv)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(s.o.seq >> (8 * i))
	}
	s.o.seq++
	return s.o.aead.Seal(hdr, nonce, inner, hdr)
}

// sealHandshake splits msgs into fragments of at most frag bytes and seals
// each as a handshake record.
func (s *sealer) sealHandshake(msgs []byte, frag, pad int) []byte {
	var out []byte
	for len(msgs) > 0 {
		n := min(frag, len(msgs))
		out = append(out, s.seal(recordHandshake, msgs[:n], pad)...)
		msgs = msgs[n:]
	}
	return out
}

func TestClientFinished13(t *testing.T) {
	const (
		aes128 = tls.TLS_AES_128_GCM_SHA256
		aes256 = tls.TLS_AES_256_GCM_SHA384
		chacha = tls.TLS_CHACHA20_POLY1305_SHA256
	)
	secret32 := bytes.Repeat([]byte{0x42}, 32)
	secret48 := bytes.Repeat([]byte{0x43}, 48)
	vd32 := bytes.Repeat([]byte{0xaa}, 32)
	vd48 := bytes.Repeat([]byte{0xbb}, 48)
	clientHello := plainRecord(recordHandshake, 0x0301, handshakeMsg(1, []byte("client hello")))
	ccs := plainRecord(recordChangeCipherSpec, 0x0303, []byte{1})
	cert := handshakeMsg(11, bytes.Repeat([]byte{0xcc}, 300))
	certVerify := handshakeMsg(15, bytes.Repeat([]byte{0xdd}, 68))
	fin32 := handshakeMsg(handshakeFinished, vd32)

	type vector struct {
		name    string
		suite   uint16
		secret  []byte
		stream  func(t *testing.T) []byte
		want    []byte
		wantErr error
	}
	seal := func(suite uint16, secret []byte, f func(s *sealer) []byte) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return f(newSealer(t, suite, secret)) }
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	vectors := []vector{
		{
			// RFC 8448 §3: the client's flight after the server's is the
			// single encrypted Finished record, sequence number 0. The
			// ClientHello record in front is ours (any plaintext handshake
			// record is skipped).
			name: "RFC 8448 §3 client Finished", suite: aes128, secret: nil,
			stream: func(t *testing.T) []byte {
				return cat(clientHello, ccs, unhex(t, rfc8448ClientFinishedRecord))
			},
			want: nil, // set below from the RFC
		},
		{
			name: "ChaCha20, ClientHello, HRR retry, CCS, Finished", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return cat(clientHello, ccs, clientHello, s.sealHandshake(fin32, 1<<14, 0))
			}),
			want: vd32,
		},
		{
			name: "client certificate flight split into 7-byte records with padding", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return cat(clientHello, s.sealHandshake(cat(cert, certVerify, fin32), 7, 3))
			}),
			want: vd32,
		},
		{
			name: "all messages packed into one record", suite: aes128, secret: secret32,
			stream: seal(aes128, secret32, func(s *sealer) []byte {
				return cat(clientHello, s.sealHandshake(cat(cert, certVerify, fin32), 1<<14, 0))
			}),
			want: vd32,
		},
		{
			name: "CCS between encrypted records", suite: aes128, secret: secret32,
			stream: seal(aes128, secret32, func(s *sealer) []byte {
				return cat(clientHello, s.sealHandshake(cert, 1<<14, 0), ccs, s.sealHandshake(fin32, 1<<14, 0))
			}),
			want: vd32,
		},
		{
			name: "AES-256-GCM-SHA384, 48-byte verify_data, trailing application data", suite: aes256, secret: secret48,
			stream: seal(aes256, secret48, func(s *sealer) []byte {
				return cat(clientHello, s.sealHandshake(handshakeMsg(handshakeFinished, vd48), 1<<14, 0),
					[]byte{recordApplicationData, 3, 3, 0, 3, 1, 2, 3})
			}),
			want: vd48,
		},
		{
			name: "empty stream", suite: chacha, secret: secret32,
			stream:  func(*testing.T) []byte { return nil },
			wantErr: ErrFinishedNotFound,
		},
		{
			name: "only a ClientHello", suite: chacha, secret: secret32,
			stream:  func(*testing.T) []byte { return clientHello },
			wantErr: ErrFinishedNotFound,
		},
		{
			name: "truncated header", suite: chacha, secret: secret32,
			stream:  func(*testing.T) []byte { return cat(clientHello, []byte{23, 3, 3}) },
			wantErr: ErrFinishedNotFound,
		},
		{
			name: "truncated record", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				r := s.sealHandshake(fin32, 1<<14, 0)
				return r[:len(r)-1]
			}),
			wantErr: ErrFinishedNotFound,
		},
		{
			name: "Finished split and cut after its first fragment", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return s.sealHandshake(fin32[:10], 1<<14, 0)
			}),
			wantErr: ErrFinishedNotFound,
		},
		{
			name: "record too large", suite: chacha, secret: secret32,
			stream: func(*testing.T) []byte {
				return append([]byte{23, 3, 3, 0x41, 0x01}, make([]byte, maxCiphertext+1)...)
			},
			wantErr: ErrRecord,
		},
		{
			name: "bad record version", suite: chacha, secret: secret32,
			stream:  func(*testing.T) []byte { return plainRecord(recordHandshake, 0x0201, []byte{1}) },
			wantErr: ErrRecord,
		},
		{
			name: "unknown record type", suite: chacha, secret: secret32,
			stream:  func(*testing.T) []byte { return plainRecord(24, 0x0303, []byte{1}) },
			wantErr: ErrRecord,
		},
		{
			name: "plaintext alert", suite: chacha, secret: secret32,
			stream:  func(*testing.T) []byte { return plainRecord(recordAlert, 0x0303, []byte{2, 40}) },
			wantErr: ErrAlertRecord,
		},
		{
			name: "wrong key", suite: chacha, secret: secret32,
			stream: seal(chacha, secret48[:32], func(s *sealer) []byte {
				return s.sealHandshake(fin32, 1<<14, 0)
			}),
			wantErr: ErrDecrypt,
		},
		{
			name: "encrypted alert", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return s.seal(recordAlert, []byte{2, 51}, 0)
			}),
			wantErr: ErrAlertRecord,
		},
		{
			name: "application data before Finished", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return s.seal(recordApplicationData, []byte("hi"), 0)
			}),
			wantErr: ErrRecord,
		},
		{
			name: "inner plaintext all zeros", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return s.seal(0, nil, 5)
			}),
			wantErr: ErrRecord,
		},
		{
			name: "empty handshake fragment", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return s.seal(recordHandshake, nil, 0)
			}),
			wantErr: ErrRecord,
		},
		{
			name: "plaintext handshake after encrypted", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return cat(s.sealHandshake(cert, 1<<14, 0), clientHello)
			}),
			wantErr: ErrRecord,
		},
		{
			name: "Finished of the wrong length", suite: chacha, secret: secret32,
			stream: seal(chacha, secret32, func(s *sealer) []byte {
				return s.sealHandshake(handshakeMsg(handshakeFinished, vd48), 1<<14, 0)
			}),
			wantErr: ErrRecord,
		},
		{
			name: "unsupported suite", suite: tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, secret: secret32,
			stream:  func(*testing.T) []byte { return nil },
			wantErr: ErrUnsupportedSuite,
		},
	}
	vectors[0].secret = unhex(t, rfc8448ClientHS)
	vectors[0].want = unhex(t, rfc8448ClientFinishedMsg)[4:]
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := clientFinished13(v.stream(t), v.suite, v.secret)
			if v.wantErr != nil {
				if !errors.Is(err, v.wantErr) {
					t.Fatalf("err %v, want %v", err, v.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v.want) {
				t.Fatalf("got %x, want %x", got, v.want)
			}
		})
	}
}

// TestSealerRFC8448 checks the test sealer itself: sealing the RFC 8448 §3
// client Finished message under the client handshake keys at sequence 0
// gives the RFC's record byte for byte.
func TestSealerRFC8448(t *testing.T) {
	s := newSealer(t, tls.TLS_AES_128_GCM_SHA256, unhex(t, rfc8448ClientHS))
	got := s.seal(recordHandshake, unhex(t, rfc8448ClientFinishedMsg), 0)
	if want := unhex(t, rfc8448ClientFinishedRecord); !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
}

func TestKeyLog(t *testing.T) {
	var next keyLogBuf
	k := newKeyLog(&next)
	lines := "CLIENT_RANDOM 00 11\n" +
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET 0102 a0b1c2\n" +
		"SERVER_HANDSHAKE_TRAFFIC_SECRET 0102 d0e1f2\n"
	// Split writes: the parser must join partial lines.
	for _, part := range []string{lines[:30], lines[30:50], lines[50:]} {
		if _, err := k.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if got := k.clientHandshakeSecret(); !bytes.Equal(got, []byte{0xa0, 0xb1, 0xc2}) {
		t.Fatalf("secret %x", got)
	}
	if next.b.String() != lines {
		t.Fatalf("forwarded %q", next.b.String())
	}
	// Bad hex is ignored, the earlier secret stays.
	k.Write([]byte("CLIENT_HANDSHAKE_TRAFFIC_SECRET 01 zz\n"))
	if got := k.clientHandshakeSecret(); !bytes.Equal(got, []byte{0xa0, 0xb1, 0xc2}) {
		t.Fatalf("secret %x after bad line", got)
	}
}

func TestRecordingConnLimit(t *testing.T) {
	a, b := netPipe(t)
	r := newRecordingConn(a, false)
	big := make([]byte, maxRecorded+100)
	go func() {
		buf := make([]byte, len(big)+10)
		for n := 0; n < len(big)+10; {
			m, err := b.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
		}
	}()
	if _, err := r.Write(big); err != nil {
		t.Fatal(err)
	}
	got, truncated := r.stop()
	if len(got) != maxRecorded || !truncated {
		t.Fatalf("recorded %d, truncated %v", len(got), truncated)
	}
	if _, err := r.Write(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.stop(); got != nil {
		t.Fatalf("recorded %d bytes after stop", len(got))
	}
}
