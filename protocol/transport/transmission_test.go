package transport

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

// Hand-built sessions for the codec tests: the parameters each version
// implies [MT smpTHandle_, NT ntfThHandle_].
func sessV6(sid []byte) *Session {
	return &Session{Version: 6, SessionID: sid, BlockSize: SMPBlockSize, Batching: true}
}

func sessV(v uint16, sid []byte) *Session {
	return &Session{Version: v, SessionID: sid, BlockSize: SMPBlockSize, Batching: true,
		ImpliedSessionID: v >= 7, ServiceAuth: v >= 16}
}

func sessNTF(v uint16, sid []byte) *Session {
	return &Session{Version: v, SessionID: sid, BlockSize: NTFBlockSize,
		Batching: v >= 2, ImpliedSessionID: v >= 2}
}

// TestTransmissionVectors checks the transmission layout by version
// (CONFORMANCE-NOTES §2.7) [MP tEncode, tEncodeAuth, transmissionP,
// encodeTransmissionForAuth].
func TestTransmissionVectors(t *testing.T) {
	sid := seqBytes(0x10, 32)
	corr := seqBytes(0xc0, 24)
	ent := seqBytes(0xe0, 24)
	sig := rep(0xaa, 64)
	ssig := rep(0x55, 64)
	tests := []struct {
		name string
		s    *Session
		t    Transmission
		wire []byte
	}{
		{name: "v6 signed SUB sends the session id", s: sessV6(sid),
			t:    Transmission{Auth: sig, CorrID: corr, EntityID: ent, Command: []byte("SUB")},
			wire: cat([]byte{64}, sig, []byte{32}, sid, []byte{24}, corr, []byte{24}, ent, []byte("SUB"))},
		{name: "v7 implies it", s: sessV(7, sid),
			t:    Transmission{Auth: sig, CorrID: corr, EntityID: ent, Command: []byte("SUB")},
			wire: cat([]byte{64}, sig, []byte{24}, corr, []byte{24}, ent, []byte("SUB"))},
		{name: "v14 unsigned PING", s: sessV(14, sid),
			t:    Transmission{CorrID: corr, Command: []byte("PING")},
			wire: cat([]byte{0, 24}, corr, []byte{0}, []byte("PING"))},
		{name: "v14 authenticator", s: sessV(14, sid),
			t:    Transmission{Auth: rep(0xbb, 80), CorrID: corr, EntityID: ent, Command: []byte("SEND F hi")},
			wire: cat([]byte{80}, rep(0xbb, 80), []byte{24}, corr, []byte{24}, ent, []byte("SEND F hi"))},
		{name: "v16 signed, no service signature: ASCII 0", s: sessV(16, sid),
			t:    Transmission{Auth: sig, CorrID: corr, EntityID: ent, Command: []byte("SUB")},
			wire: cat([]byte{64}, sig, []byte("0"), []byte{24}, corr, []byte{24}, ent, []byte("SUB"))},
		{name: "v16 with service signature", s: sessV(16, sid),
			t:    Transmission{Auth: sig, ServiceSig: ssig, CorrID: corr, EntityID: ent, Command: []byte("SUB")},
			wire: cat([]byte{64}, sig, []byte("1"), []byte{64}, ssig, []byte{24}, corr, []byte{24}, ent, []byte("SUB"))},
		{name: "v16 empty auth has no slot", s: sessV(16, sid),
			t:    Transmission{EntityID: ent, Command: []byte("END")},
			wire: cat([]byte{0, 0, 24}, ent, []byte("END"))},
		{name: "NTF v1 sends the session id", s: sessNTF(1, sid),
			t:    Transmission{CorrID: []byte("1"), EntityID: []byte("t"), Command: []byte("TCHK")},
			wire: cat([]byte{0, 32}, sid, []byte{1, '1', 1, 't'}, []byte("TCHK"))},
		{name: "NTF v2 implies it", s: sessNTF(2, sid),
			t:    Transmission{CorrID: []byte("1"), EntityID: []byte("t"), Command: []byte("TCHK")},
			wire: cat([]byte{0, 1, '1', 1, 't'}, []byte("TCHK"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeTransmission(tt.s, tt.t)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("encode:\n got %x\nwant %x", got, tt.wire)
			}
			p, err := ParseTransmission(tt.s, got)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.t
			want.SessionID = sid
			if !reflect.DeepEqual(norm(p), norm(want)) {
				t.Fatalf("parse: %+v", p)
			}
			// Authorized = short(sid) short(corr) short(entity) command,
			// whatever the version [MP encodeTransmissionForAuth].
			wantAuth := cat([]byte{32}, sid, []byte{byte(len(tt.t.CorrID))}, tt.t.CorrID,
				[]byte{byte(len(tt.t.EntityID))}, tt.t.EntityID, tt.t.Command)
			if !bytes.Equal(p.Authorized(), wantAuth) {
				t.Fatalf("authorized %x", p.Authorized())
			}
		})
	}
	if _, err := EncodeTransmission(sessV(7, sid), Transmission{CorrID: rep(1, 256)}); err == nil {
		t.Fatal("256-byte corrId encoded")
	}
	if (Transmission{EntityID: rep(1, 256)}).Authorized() != nil {
		t.Fatal("Authorized of an oversized field")
	}
}

// norm maps empty slices to nil so that parsed and literal values compare.
func norm(t Transmission) Transmission {
	f := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		return b
	}
	return Transmission{f(t.Auth), f(t.ServiceSig), f(t.SessionID), f(t.CorrID), f(t.EntityID), f(t.Command)}
}

// TestSignTransmission signs with each key kind and verifies on the server
// side [MCl authTransmission, MS verifyCmdAuthorization, MC cbAuthenticate].
func TestSignTransmission(t *testing.T) {
	sid := seqBytes(1, 32)
	serverKey := crypto.PrivateKey{Alg: crypto.X25519, Raw: rep(3, 32)}
	srv := sessV(14, sid)
	srv.Server, srv.SessionKey = true, serverKey
	cli := sessV(14, sid)
	cli.PeerKey = serverKey.Public()

	keys := map[string]crypto.PrivateKey{
		"Ed25519": {Alg: crypto.Ed25519, Raw: rep(4, 32)},
		"Ed448":   {Alg: crypto.Ed448, Raw: rep(5, 57)},
		"X25519":  {Alg: crypto.X25519, Raw: rep(6, 32)},
	}
	sizes := map[string]int{"Ed25519": 64, "Ed448": 114, "X25519": 80}
	corr, ent, cmd := seqBytes(0x30, 24), seqBytes(0x60, 24), []byte("KEY x")
	for name, k := range keys {
		t.Run(name, func(t *testing.T) {
			auth, err := SignTransmission(cli, k, corr, ent, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if len(auth) != sizes[name] {
				t.Fatalf("auth of %d bytes", len(auth))
			}
			wire, err := EncodeTransmission(cli, Transmission{Auth: auth, CorrID: corr, EntityID: ent, Command: cmd})
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseBatch(srv, cat([]byte{1}, large2(wire)))
			if err != nil || got[0].Err != nil {
				t.Fatal(got, err)
			}
			if !VerifyTransmission(srv, k.Public(), got[0].Transmission) {
				t.Fatal("does not verify")
			}
			// Another key of every kind fails, as do a changed command and
			// the other session.
			for other, ok := range keys {
				if other == name {
					continue
				}
				if VerifyTransmission(srv, ok.Public(), got[0].Transmission) {
					t.Errorf("verifies with %s key", other)
				}
			}
			bad := got[0].Transmission
			bad.Command = []byte("KEY y")
			if VerifyTransmission(srv, k.Public(), bad) {
				t.Error("verifies a changed command")
			}
			if VerifyAuth(srv, crypto.PublicKey{}, corr, auth, got[0].Authorized()) {
				t.Error("verifies with no key")
			}
		})
	}
	if _, err := SignTransmission(sessV(14, sid), keys["X25519"], corr, ent, cmd); !errors.Is(err, ErrNoServerAuth) {
		t.Fatalf("authenticator without server key: %v", err)
	}
	if _, err := SignTransmission(cli, crypto.PrivateKey{Alg: crypto.X448, Raw: rep(1, 56)}, corr, ent, cmd); !errors.Is(err, crypto.ErrKeyAlg) {
		t.Fatalf("X448 key: %v", err)
	}
	if VerifyAuth(sessV(14, sid), keys["X25519"].Public(), corr, rep(0, 80), nil) {
		t.Fatal("authenticator verified without a session key")
	}
	if VerifyAuth(srv, keys["Ed25519"].Public(), corr, rep(0, 10), nil) {
		t.Fatal("10-byte auth verified")
	}
}
