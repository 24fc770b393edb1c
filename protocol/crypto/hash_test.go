package crypto

import (
	"encoding/hex"
	"testing"
)

// TestHashes pins the digests against the published known answers: SHA-256
// and SHA-512 of "abc" (FIPS 180-2 appendix), SHA3-384 of "abc" and of ""
// (FIPS 202 examples / NIST CSRC).
func TestHashes(t *testing.T) {
	tests := []struct {
		name string
		f    func([]byte) []byte
		in   string
		want string
	}{
		{"SHA256 abc", SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"SHA512 abc", SHA512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"SHA3_384 abc", SHA3_384, "abc", "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25"},
		{"SHA3_384 empty", SHA3_384, "", "0c63a75b845e4f7d01107d852e4c2485c51a50aaaa94fc61995e71bbee983a2ac3713831264adb47fb6bd1e058d5f004"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(tt.f([]byte(tt.in))); got != tt.want {
			t.Errorf("%s = %s", tt.name, got)
		}
	}
}

// TestSenderIDFromCorrID: first 24 bytes of SHA3-384(corrId)
// [CONFORMANCE-NOTES §3.1, §6.12; MS NEW with link data]. Expected values
// from Python's hashlib.sha3_384.
func TestSenderIDFromCorrID(t *testing.T) {
	tests := []struct {
		corrID []byte
		want   string
	}{
		{seq(0, 23), "3ae1a7e6f8e0007f53167b85c478203b8445ac2b7b092da2"},
		{[]byte("abc"), "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c25"},
		{nil, "0c63a75b845e4f7d01107d852e4c2485c51a50aaaa94fc61"},
	}
	for _, tt := range tests {
		got := SenderIDFromCorrID(tt.corrID)
		if len(got) != SenderIDSize || hex.EncodeToString(got) != tt.want {
			t.Errorf("SenderIDFromCorrID(%x) = %x", tt.corrID, got)
		}
	}
}

func TestRandomBytes(t *testing.T) {
	a, err := RandomBytes(24)
	if err != nil || len(a) != 24 {
		t.Fatalf("RandomBytes(24): %d %v", len(a), err)
	}
	b, _ := RandomBytes(24)
	if hex.EncodeToString(a) == hex.EncodeToString(b) {
		t.Error("two random IDs are equal")
	}
	if z, err := RandomBytes(0); err != nil || len(z) != 0 {
		t.Errorf("RandomBytes(0): %v", err)
	}
	for _, n := range []int{-1, MaxRandomBytes + 1} {
		if _, err := RandomBytes(n); err == nil {
			t.Errorf("RandomBytes(%d) succeeded", n)
		}
	}
}
