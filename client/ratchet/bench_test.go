package ratchet

import (
	"testing"
)

// benchPadded is the agent's padded length of a ratchet-encrypted agent
// message (agent.E2EEncAgentMsgLength, 15840 at v3 [AP e2eEncAgentMsgLength]).
const benchPadded = 15840

// BenchmarkEncrypt measures one ratchet encryption of a 100-byte message
// padded as the agent pads it (the sending chain only, no DH step).
func BenchmarkEncrypt(b *testing.B) {
	alice, _ := initRatchets(b, CurrentVersion)
	msg := make([]byte, 100)
	b.ReportAllocs()
	b.SetBytes(benchPadded)
	for b.Loop() {
		if _, err := alice.Encrypt(msg, benchPadded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt measures one decryption on the same receiving chain
// (messages encrypted beforehand, decrypted in order).
func BenchmarkDecrypt(b *testing.B) {
	alice, bob := initRatchets(b, CurrentVersion)
	msg := make([]byte, 100)
	const batch = 512
	b.ReportAllocs()
	b.SetBytes(benchPadded)
	var cts [][]byte
	i := 0
	for b.Loop() {
		if i == len(cts) {
			b.StopTimer()
			cts = cts[:0]
			for range batch {
				ct, err := alice.Encrypt(msg, benchPadded)
				if err != nil {
					b.Fatal(err)
				}
				cts = append(cts, ct)
			}
			i = 0
			b.StartTimer()
		}
		if _, err := bob.Decrypt(cts[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRoundTrip alternates the direction on every message, so each
// message takes a DH ratchet step (X448) on both sides: the worst case of
// a conversation.
func BenchmarkRoundTrip(b *testing.B) {
	alice, bob := initRatchets(b, CurrentVersion)
	msg := make([]byte, 100)
	// bob can send once he has received
	ct, err := alice.Encrypt(msg, benchPadded)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bob.Decrypt(ct); err != nil {
		b.Fatal(err)
	}
	from, to := bob, alice
	b.ReportAllocs()
	for b.Loop() {
		ct, err := from.Encrypt(msg, benchPadded)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := to.Decrypt(ct); err != nil {
			b.Fatal(err)
		}
		from, to = to, from
	}
}
