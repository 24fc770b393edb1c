package transport

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// hx decodes hex, ignoring spaces.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rep returns n bytes of value c.
func rep(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// large2 returns large(b) built by hand: 2-byte big-endian length, b.
func large2(b []byte) []byte { return cat([]byte{byte(len(b) >> 8), byte(len(b))}, b) }

// x25519SPKI is the 44-byte SubjectPublicKeyInfo of raw X25519 key k
// (RFC 8410): 30 2a 30 05 06 03 2b 65 6e 03 21 00 k.
func x25519SPKI(t testing.TB, k []byte) []byte { return cat(hx(t, "302a300506032b656e032100"), k) }

// handSignedKey builds signedKeyDER for an X25519 key signed with Ed25519
// seed, byte by byte as CONFORMANCE-NOTES §2.6 lays it out:
//
//	30 78 ‖ 30 2c ‖ SPKI(44) ‖ 30 05 06 03 2b 65 70 ‖ 03 41 00 ‖ sig64
//
// where the signature covers 30 2c ‖ SPKI.
func handSignedKey(t testing.TB, seed, key []byte) []byte {
	object := cat([]byte{0x30, 0x2c}, x25519SPKI(t, key))
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(seed), object)
	return cat([]byte{0x30, 0x78}, object, hx(t, "300506032b6570 034100"), sig)
}

// TestSMPServerHelloVectors checks the server hello encoding byte by byte
// (CONFORMANCE-NOTES §2.6) [MT SMPServerHandshake, CertChainPubKey]. The
// chain is the reference test suite's Ed25519 fixture (tests/fixtures).
func TestSMPServerHelloVectors(t *testing.T) {
	p := fixturePKI(t)
	leaf, ca := p.cert.Certificate[0], p.cert.Certificate[1]
	sid := seqBytes(1, 32)
	key := rep(0x42, 32)
	signed := handSignedKey(t, p.cert.PrivateKey.(ed25519.PrivateKey).Seed(), key)
	if len(signed) != 122 {
		t.Fatalf("hand-made signed key is %d bytes", len(signed))
	}
	// The library's signer must produce the same bytes (Ed25519 is
	// deterministic).
	lib, err := crypto.SignKeyDER(signKey(p), crypto.PublicKey{Alg: crypto.X25519, Raw: key})
	if err != nil || !bytes.Equal(lib, signed) {
		t.Fatalf("crypto.SignKeyDER differs from the notes' layout: %v", err)
	}
	tests := []struct {
		name  string
		hello SMPServerHello
		wire  []byte
	}{
		{
			name:  "6..14 with chain and key",
			hello: SMPServerHello{Range: vr(6, 14), SessionID: sid, CertChain: [][]byte{leaf, ca}, SignedKey: signed},
			// 00 06 00 0e | 20 sid | 02 | large(leaf) large(ca) | large(signedKey)
			wire: cat(hx(t, "0006 000e 20"), sid, []byte{2}, large2(leaf), large2(ca), hx(t, "007a"), signed),
		},
		{
			name:  "legacy 6..6 has no key even when given",
			hello: SMPServerHello{Range: vr(6, 6), SessionID: sid, CertChain: [][]byte{leaf, ca}, SignedKey: signed},
			wire:  cat(hx(t, "0006 0006 20"), sid),
		},
		{
			name:  "7..7 without key",
			hello: SMPServerHello{Range: vr(7, 7), SessionID: seqBytes(9, 12)},
			wire:  cat(hx(t, "0007 0007 0c"), seqBytes(9, 12)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.hello.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode:\n got %x\nwant %x", got, tt.wire)
			}
			h, err := ParseSMPServerHello(append(got, "trailing"...))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.hello
			if want.Range.Max < 7 {
				want.CertChain, want.SignedKey = nil, nil
			}
			if !reflect.DeepEqual(h, want) {
				t.Fatalf("parse: %+v", h)
			}
		})
	}
}

// TestParseSMPServerHello covers the optional certKey and errors [MT
// SMPServerHandshake smpP, authEncryptCmdsP].
func TestParseSMPServerHello(t *testing.T) {
	sid := seqBytes(1, 32)
	tests := []struct {
		name    string
		wire    []byte
		want    SMPServerHello
		wantErr bool
	}{
		{name: "no key bytes", wire: cat(hx(t, "0006 000e 20"), sid), want: SMPServerHello{Range: vr(6, 14), SessionID: sid}},
		{name: "empty chain is no key", wire: cat(hx(t, "0006 000e 20"), sid, hx(t, "00 0001 aa")),
			want: SMPServerHello{Range: vr(6, 14), SessionID: sid}},
		{name: "truncated key is no key", wire: cat(hx(t, "0006 000e 20"), sid, hx(t, "01 0001 aa 0005 aa")),
			want: SMPServerHello{Range: vr(6, 14), SessionID: sid}},
		{name: "structural key", wire: cat(hx(t, "0006 000e 20"), sid, hx(t, "01 0001 aa 0002 bbcc ff")),
			want: SMPServerHello{Range: vr(6, 14), SessionID: sid, CertChain: [][]byte{{0xaa}}, SignedKey: []byte{0xbb, 0xcc}}},
		{name: "key bytes ignored below 7", wire: cat(hx(t, "0006 0006 20"), sid, hx(t, "01 0001 aa 0002 bbcc")),
			want: SMPServerHello{Range: vr(6, 6), SessionID: sid}},
		{name: "min above max", wire: cat(hx(t, "000e 0006 20"), sid), wantErr: true},
		{name: "short session id", wire: hx(t, "0006 000e 20 0102"), wantErr: true},
		{name: "empty", wire: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseSMPServerHello(tt.wire)
			if tt.wantErr {
				if !errors.Is(err, ErrHandshakeParse) {
					t.Fatalf("got %+v, %v", h, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(h, tt.want) {
				t.Fatalf("got %+v, %v", h, err)
			}
		})
	}
	if _, err := (SMPServerHello{Range: vr(6, 14), SignedKey: []byte{1}}).Encode(); err == nil {
		t.Fatal("key without chain encoded")
	}
}

// TestSMPClientHelloVectors checks the client hello encoding by version
// (CONFORMANCE-NOTES §2.6) [MT SMPClientHandshake].
func TestSMPClientHelloVectors(t *testing.T) {
	kh := seqBytes(0xa0, 32)
	raw := rep(0x11, 32)
	key := crypto.PublicKey{Alg: crypto.X25519, Raw: raw}
	spki := x25519SPKI(t, raw)
	chain := [][]byte{{1, 2}, {3}}
	tests := []struct {
		name  string
		hello SMPClientHello
		wire  []byte
	}{
		{name: "v6", hello: SMPClientHello{Version: 6, KeyHash: kh}, wire: cat(hx(t, "0006 20"), kh)},
		{name: "v7 without key", hello: SMPClientHello{Version: 7, KeyHash: kh}, wire: cat(hx(t, "0007 20"), kh)},
		{name: "v11 with key", hello: SMPClientHello{Version: 11, KeyHash: kh, ClientKey: key},
			wire: cat(hx(t, "000b 20"), kh, []byte{0x2c}, spki)},
		{name: "v14 with key", hello: SMPClientHello{Version: 14, KeyHash: kh, ClientKey: key},
			wire: cat(hx(t, "000e 20"), kh, []byte{0x2c}, spki, []byte("F"))},
		{name: "v14 proxy without key", hello: SMPClientHello{Version: 14, KeyHash: kh, ProxyServer: true},
			wire: cat(hx(t, "000e 20"), kh, []byte("T"))},
		{name: "v18 no service", hello: SMPClientHello{Version: 18, KeyHash: kh, ClientKey: key},
			wire: cat(hx(t, "0012 20"), kh, []byte{0x2c}, spki, []byte("F0"))},
		{name: "v16 service", hello: SMPClientHello{Version: 16, KeyHash: kh, ClientKey: key,
			Service: &SMPClientService{Role: ServiceRoleNotifier, CertChain: chain, SignedKey: []byte{9}}},
			wire: cat(hx(t, "0010 20"), kh, []byte{0x2c}, spki, []byte("F1N"), hx(t, "02 0002 0102 0001 03 0001 09"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.hello.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode:\n got %x\nwant %x", got, tt.wire)
			}
			h, err := ParseSMPClientHello(append(got, 0xff, 0xfe))
			if err != nil || !reflect.DeepEqual(h, tt.hello) {
				t.Fatalf("parse: %+v, %v", h, err)
			}
		})
	}
}

// TestParseSMPClientHello covers the optional key without a maybe tag and
// errors [MT SMPClientHandshake smpP].
func TestParseSMPClientHello(t *testing.T) {
	kh := seqBytes(0xa0, 32)
	edSPKI := cat(hx(t, "302a300506032b6570032100"), rep(0x22, 32))
	tests := []struct {
		name    string
		wire    []byte
		want    SMPClientHello
		wantErr bool
	}{
		{name: "v11 Ed25519 key is no key, rest ignored", wire: cat(hx(t, "000b 20"), kh, []byte{0x2c}, edSPKI),
			want: SMPClientHello{Version: 11, KeyHash: kh}},
		{name: "v14 Ed25519 key fails on the proxy flag", wire: cat(hx(t, "000e 20"), kh, []byte{0x2c}, edSPKI, []byte("F")), wantErr: true},
		{name: "v14 missing proxy flag", wire: cat(hx(t, "000e 20"), kh), wantErr: true},
		{name: "v14 bad proxy flag", wire: cat(hx(t, "000e 20"), kh, []byte("x")), wantErr: true},
		{name: "v16 missing service tag", wire: cat(hx(t, "0010 20"), kh, []byte("F")), wantErr: true},
		{name: "v16 bad role", wire: cat(hx(t, "0010 20"), kh, []byte("F1X"), hx(t, "01 0001 00 0001 00")), wantErr: true},
		{name: "v16 bad service key", wire: cat(hx(t, "0010 20"), kh, []byte("F1M"), hx(t, "00")), wantErr: true},
		{name: "v6 ignores everything after the key hash", wire: cat(hx(t, "0006 20"), kh, []byte("junk")),
			want: SMPClientHello{Version: 6, KeyHash: kh}},
		{name: "short key hash", wire: hx(t, "0006 20 01"), wantErr: true},
		{name: "empty", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseSMPClientHello(tt.wire)
			if tt.wantErr {
				if !errors.Is(err, ErrHandshakeParse) {
					t.Fatalf("got %+v, %v", h, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(h, tt.want) {
				t.Fatalf("got %+v, %v", h, err)
			}
		})
	}
	for _, bad := range []SMPClientHello{
		{Version: 11, ClientKey: crypto.PublicKey{Alg: crypto.Ed25519, Raw: rep(1, 32)}},
		{Version: 16, Service: &SMPClientService{Role: 'Z', CertChain: [][]byte{{1}}}},
		{Version: 16, Service: &SMPClientService{Role: 'M'}},
		{Version: 6, KeyHash: rep(1, 256)},
	} {
		if b, err := bad.Encode(); err == nil {
			t.Errorf("%+v encoded to %x", bad, b)
		}
	}
}

// TestVerifyKeyHash checks the default hello chain check [MT
// smpClientHandshake chainIdCaCerts]: 2..4 certificates, fingerprint of
// the second.
func TestVerifyKeyHash(t *testing.T) {
	p := fixturePKI(t)
	chain := p.cert.Certificate
	if err := VerifyKeyHash(chain, p.fingerprint[:]); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][][]byte{chain[:1], {chain[0], chain[1], chain[1], chain[1], chain[1]}, {chain[1], chain[0]}} {
		if err := VerifyKeyHash(c, p.fingerprint[:]); !errors.Is(err, ErrChain) {
			t.Errorf("%d certificates: %v", len(c), err)
		}
	}
}

// seqBytes returns n bytes counting up from start.
func seqBytes(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}
