package smp

import (
	"encoding/base64"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

// Keys from simplexmq tests/ServerTests.hs (samplePubKey, sampleDhPubKey),
// standard base64 of their DER SubjectPublicKeyInfo.
const (
	sampleEdDERB64 = "MCowBQYDK2VwAyEAfAOflyvbJv1fszgzkQ6buiZJVgSpQWsucXq7U6zjMgY="
	sampleDhDERB64 = "MCowBQYDK2VuAyEAriy+HcARIhqsgSjVnjKqoft+y6pxrxdY68zn4+LjYhQ="
)

var (
	edDER = mustB64(sampleEdDERB64)
	dhDER = mustB64(sampleDhDERB64)
	edKey = mustKey(edDER)
	dhKey = mustKey(dhDER)
	// x448 and ed448 keys of the right shape (DER prefix per RFC 8410),
	// used for algorithm checks.
	x448DER  = append(hexBytes("3042300506032b656f033900"), make([]byte, 56)...)
	ed448DER = append(hexBytes("3043300506032b6571033a00"), make([]byte, 57)...)
	ed448Key = mustKey(ed448DER)
	x448Key  = mustKey(x448DER)
)

// sk is short(DER) of a key, as it appears on the wire.
func sk(der []byte) string { return string([]byte{byte(len(der))}) + string(der) }

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func mustKey(der []byte) crypto.PublicKey {
	k, err := crypto.ParsePublicKeyDER(der)
	if err != nil {
		panic(err)
	}
	return k
}

func hexBytes(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	panic("bad hex")
}

// short returns short(s) as a string.
func short(s string) string { return string([]byte{byte(len(s))}) + s }

// large returns large(s) as a string.
func large(s string) string { return string([]byte{byte(len(s) >> 8), byte(len(s))}) + s }

func checkSampleKeys(t *testing.T) {
	t.Helper()
	if edKey.Alg != crypto.Ed25519 || dhKey.Alg != crypto.X25519 || len(edDER) != 44 || len(dhDER) != 44 {
		t.Fatalf("sample keys: %v %v", edKey.Alg, dhKey.Alg)
	}
}
