package crypto

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func authKeys(t *testing.T) (privA, privB PrivateKey, pubA, pubB PublicKey) {
	t.Helper()
	privA = PrivateKey{Alg: X25519, Raw: seq(1, 32)}
	privB = PrivateKey{Alg: X25519, Raw: seq(33, 64)}
	pubA, pubB = privA.Public(), privB.Public()
	if hex.EncodeToString(pubA.Raw) != authPubA || hex.EncodeToString(pubB.Raw) != authPubB {
		t.Fatalf("public keys %x %x", pubA.Raw, pubB.Raw)
	}
	return
}

// TestAuthenticatorVectors pins [MC cbAuthenticate] on the inputs of the
// reference's cross-language test, from both sides of the DH.
func TestAuthenticatorVectors(t *testing.T) {
	privA, privB, pubA, pubB := authKeys(t)
	tests := []struct {
		name        string
		corrID, msg []byte
		want        string
		priv        PrivateKey
		pub         PublicKey
		verPriv     PrivateKey
		verPub      PublicKey
	}{
		{name: "24-byte corrId", corrID: seq(0, 23), msg: []byte("hello world authenticator test"), want: authVec,
			priv: privB, pub: pubA, verPriv: privA, verPub: pubB},
		{name: "short corrId", corrID: []byte("corr"), msg: []byte("authorized"), want: authShortCorr,
			priv: privA, pub: pubB, verPriv: privB, verPub: pubA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Authenticate(tt.priv, tt.pub, tt.corrID, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != AuthenticatorSize || hex.EncodeToString(got) != tt.want {
				t.Fatalf("Authenticate = %x\nwant %s", got, tt.want)
			}
			if !VerifyAuthenticator(tt.verPriv, tt.verPub, tt.corrID, got, tt.msg) {
				t.Fatal("valid authenticator rejected by the other side")
			}
			if !VerifyAuthenticator(tt.priv, tt.pub, tt.corrID, got, tt.msg) {
				t.Fatal("valid authenticator rejected by the same side")
			}
		})
	}
}

func TestAuthenticatorRejects(t *testing.T) {
	_, privB, pubA, _ := authKeys(t)
	corrID, msg := seq(0, 23), []byte("hello world authenticator test")
	good := unhex(t, authVec)
	other := PrivateKey{Alg: X25519, Raw: seq(65, 96)}
	ed, _ := GenerateKey(Ed25519, bytes.NewReader(seq(0, 63)))
	tests := []struct {
		name       string
		priv       PrivateKey
		pub        PublicKey
		corr, auth []byte
		authorized []byte
		want       bool
	}{
		{"wrong message", privB, pubA, corrID, good, []byte("hello world authenticator tesT"), false},
		{"wrong corrId", privB, pubA, seq(1, 24), good, msg, false},
		{"corrId differing after 24 bytes is the same nonce", privB, pubA, append(seq(0, 23), 9), good, msg, true},
		{"wrong key", other, pubA, corrID, good, msg, false},
		{"truncated", privB, pubA, corrID, good[:79], msg, false},
		{"extended", privB, pubA, corrID, append(bytes.Clone(good), 0), msg, false},
		{"empty", privB, pubA, corrID, nil, msg, false},
		{"signature key", ed, pubA, corrID, good, msg, false},
		{"low-order point", privB, PublicKey{Alg: X25519, Raw: make([]byte, 32)}, corrID, good, msg, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := VerifyAuthenticator(tt.priv, tt.pub, tt.corr, tt.auth, tt.authorized)
			if ok != tt.want {
				t.Fatalf("VerifyAuthenticator = %v", ok)
			}
		})
	}
	if _, err := Authenticate(ed, pubA, corrID, msg); err == nil {
		t.Error("Authenticate with an Ed25519 key succeeded")
	}
}
