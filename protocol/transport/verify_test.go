package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// This file recomputes the client's Finished verify_data from the
// handshake transcript, independently of the records the client sent, so
// the tests can prove SessionID is the tls-unique of CONFORMANCE-NOTES
// §2.4 rather than trust the extraction that produced it.

// splitRecords splits a record stream into (type, fragment) pairs, stopping
// at a truncated record.
func splitRecords(stream []byte) (types []byte, frags [][]byte) {
	for len(stream) >= recordHeaderLen {
		n := int(binary.BigEndian.Uint16(stream[3:5]))
		if len(stream) < recordHeaderLen+n {
			break
		}
		types = append(types, stream[0])
		frags = append(frags, stream[:recordHeaderLen+n])
		stream = stream[recordHeaderLen+n:]
	}
	return types, frags
}

// splitMessages splits concatenated handshake messages, headers kept.
func splitMessages(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < handshakeHeaderLen {
			t.Fatalf("truncated handshake header")
		}
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < handshakeHeaderLen+n {
			t.Fatalf("truncated handshake message")
		}
		out = append(out, b[:handshakeHeaderLen+n])
		b = b[handshakeHeaderLen+n:]
	}
	return out
}

// plaintextHandshake returns the handshake messages in the plaintext
// handshake records that precede the first encrypted (or, in TLS 1.2, the
// first change_cipher_spec-following) record.
func plaintextHandshake(t testing.TB, stream []byte, stopAtCCS bool) [][]byte {
	t.Helper()
	types, recs := splitRecords(stream)
	var b []byte
	for i, typ := range types {
		if typ == recordApplicationData || (stopAtCCS && typ == recordChangeCipherSpec) {
			break
		}
		if typ == recordHandshake {
			b = append(b, recs[i][recordHeaderLen:]...)
		}
	}
	return splitMessages(t, b)
}

// hrrRandom is the ServerHello.random of a HelloRetryRequest (RFC 8446
// §4.1.3): SHA-256("HelloRetryRequest").
var hrrRandom = sha256.Sum256([]byte("HelloRetryRequest"))

// expectedVerifyData13 recomputes the client Finished verify_data of a
// TLS 1.3 handshake from both directions of the connection as the client
// saw them (RFC 8446 §4.4.1, §4.4.4):
//
//	transcript = ClientHello .. server Finished, where after a
//	             HelloRetryRequest the first ClientHello is replaced by
//	             message_hash(254) || uint24 Hash.len || Hash(ClientHello1)
//	finished_key = HKDF-Expand-Label(client_handshake_traffic_secret,
//	                                 "finished", "", Hash.len)
//	verify_data = HMAC(finished_key, Hash(transcript))
//
// The server's encrypted flight is decrypted with the server handshake
// traffic secret; no client record after its ClientHello is looked at.
func expectedVerifyData13(t testing.TB, suiteID uint16, clientSent, clientRead, clientHS, serverHS []byte) []byte {
	t.Helper()
	s, err := lookupSuite13(suiteID)
	if err != nil {
		t.Fatal(err)
	}
	hellos := plaintextHandshake(t, clientSent, false)
	serverPlain := plaintextHandshake(t, clientRead, false)

	// The server's encrypted flight: EncryptedExtensions, Certificate,
	// CertificateVerify, Finished.
	opener, err := newRecordOpener(s, serverHS)
	if err != nil {
		t.Fatal(err)
	}
	var enc []byte
	types, recs := splitRecords(clientRead)
	for i, typ := range types {
		if typ != recordApplicationData {
			continue
		}
		inner, content, err := opener.open(recs[i])
		if err != nil {
			t.Fatal(err)
		}
		if inner != recordHandshake {
			t.Fatalf("server inner type %d", inner)
		}
		enc = append(enc, content...)
		if msgs := splitMessagesPartial(enc); len(msgs) > 0 && msgs[len(msgs)-1][0] == handshakeFinished {
			break
		}
	}
	serverEnc := splitMessages(t, enc)

	h := s.hash()
	switch {
	case len(hellos) == 1 && len(serverPlain) == 1:
		h.Write(hellos[0])
		h.Write(serverPlain[0])
	case len(hellos) == 2 && len(serverPlain) == 2:
		if !bytes.Equal(serverPlain[0][6:38], hrrRandom[:]) {
			t.Fatal("two ServerHellos but the first is not a HelloRetryRequest")
		}
		ch1 := s.hash()
		ch1.Write(hellos[0])
		sum := ch1.Sum(nil)
		h.Write([]byte{254, 0, 0, byte(len(sum))})
		h.Write(sum)
		h.Write(serverPlain[0])
		h.Write(hellos[1])
		h.Write(serverPlain[1])
	default:
		t.Fatalf("%d ClientHellos, %d ServerHellos", len(hellos), len(serverPlain))
	}
	for _, m := range serverEnc {
		h.Write(m)
	}
	if last := serverEnc[len(serverEnc)-1]; last[0] != handshakeFinished {
		t.Fatalf("server flight ends with message type %d", last[0])
	}
	return verifyData13(t, s, clientHS, h.Sum(nil))
}

// splitMessagesPartial splits the complete messages at the front of b.
func splitMessagesPartial(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= handshakeHeaderLen {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < handshakeHeaderLen+n {
			break
		}
		out = append(out, b[:handshakeHeaderLen+n])
		b = b[handshakeHeaderLen+n:]
	}
	return out
}

// expectedVerifyData12 recomputes the client Finished verify_data of a full
// TLS 1.2 handshake with a SHA-256 suite (RFC 5246 §7.4.9, §5):
//
//	verify_data = PRF(master_secret, "client finished",
//	                  SHA-256(handshake_messages))[0..11]
//	PRF = P_SHA256: HMAC(secret, A(1) || seed), A(1) = HMAC(secret, seed)
//
// handshake_messages are ClientHello, the server's flight up to
// ServerHelloDone and the client's messages before its ChangeCipherSpec,
// all in plaintext records.
func expectedVerifyData12(t testing.TB, clientSent, clientRead, master []byte) []byte {
	t.Helper()
	client := plaintextHandshake(t, clientSent, true)
	server := plaintextHandshake(t, clientRead, true)
	if len(client) < 2 {
		t.Fatalf("%d client handshake messages", len(client))
	}
	h := sha256.New()
	h.Write(client[0])
	for _, m := range server {
		h.Write(m)
	}
	for _, m := range client[1:] {
		h.Write(m)
	}
	seed := append([]byte("client finished"), h.Sum(nil)...)
	a := hmac.New(sha256.New, master)
	a.Write(seed)
	a1 := a.Sum(nil)
	p := hmac.New(sha256.New, master)
	p.Write(a1)
	p.Write(seed)
	return p.Sum(nil)[:12]
}
