package eventsv1_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/simplexgo/proto/simplexgo/events/v1"
)

// seq returns n bytes counting up from start, to fill fields of the sizes
// the wire uses.
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// TestNotifierMessageRoundTrip marshals an event with the field sizes of a
// real NMSG (32-byte key hash, 24-byte notifier id and nonce, 144-byte
// encMeta [CONFORMANCE-NOTES §3.3]) and checks every field survives.
func TestNotifierMessageRoundTrip(t *testing.T) {
	in := &eventsv1.NotifierMessage{
		ServerKeyHash:    seq(0x10, 32),
		NotifierId:       seq(0x40, 24),
		Nonce:            seq(0x60, 24),
		EncryptedMeta:    seq(0x80, 144),
		TimestampSeconds: 1700000000,
	}
	b, err := proto.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var out eventsv1.NotifierMessage
	if err := proto.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	checks := []struct {
		name      string
		got, want []byte
	}{
		{"server_key_hash", out.GetServerKeyHash(), seq(0x10, 32)},
		{"notifier_id", out.GetNotifierId(), seq(0x40, 24)},
		{"nonce", out.GetNonce(), seq(0x60, 24)},
		{"encrypted_meta", out.GetEncryptedMeta(), seq(0x80, 144)},
	}
	for _, c := range checks {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s = %x, want %x", c.name, c.got, c.want)
		}
	}
	if got := out.GetTimestampSeconds(); got != 1700000000 {
		t.Errorf("timestamp_seconds = %d, want 1700000000", got)
	}
	if !proto.Equal(in, &out) {
		t.Errorf("round trip differs: %v vs %v", in, &out)
	}
}

// TestEventEncoding pins the wire bytes of each event, so a renumbered
// field cannot pass unnoticed. Vectors are computed by hand from the
// protobuf encoding rules (protobuf.dev/programming-guides/encoding: tag =
// field<<3 | wire type, LEN = 2, VARINT = 0; 1700000000 = varint 80e2cfaa06).
func TestEventEncoding(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		hex  string
	}{
		{
			name: "NotifierMessage",
			msg: &eventsv1.NotifierMessage{
				ServerKeyHash:    []byte{0xaa},
				NotifierId:       []byte{0xbb, 0xcc},
				Nonce:            []byte{0x01},
				EncryptedMeta:    []byte{0x02, 0x03},
				TimestampSeconds: 1700000000,
			},
			hex: "0a01aa" + "1202bbcc" + "1a0101" + "22020203" + "2880e2cfaa06",
		},
		{
			name: "NotifierEnd",
			msg: &eventsv1.NotifierEnd{
				ServerKeyHash:    []byte{0xaa},
				NotifierId:       []byte{0xbb, 0xcc},
				TimestampSeconds: 1700000000,
			},
			hex: "0a01aa" + "1202bbcc" + "1880e2cfaa06",
		},
		{
			name: "NotifierDeleted",
			msg: &eventsv1.NotifierDeleted{
				ServerKeyHash:    []byte{0xaa},
				NotifierId:       []byte{0xbb, 0xcc},
				TimestampSeconds: 1700000000,
			},
			hex: "0a01aa" + "1202bbcc" + "1880e2cfaa06",
		},
		{
			// proto3 omits zero values: an empty event is empty.
			name: "empty NotifierMessage",
			msg:  &eventsv1.NotifierMessage{},
			hex:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(tt.msg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got := hex.EncodeToString(b); got != tt.hex {
				t.Fatalf("Marshal = %s, want %s", got, tt.hex)
			}
			back := tt.msg.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !proto.Equal(tt.msg, back) {
				t.Fatalf("round trip = %v, want %v", back, tt.msg)
			}
		})
	}
}

// TestUnmarshalErrors checks that malformed payloads are rejected, not
// half-parsed. (A known field with the wrong wire type is not an error in
// protobuf: it is kept as an unknown field and the known field stays zero,
// so consumers must check field lengths themselves.)
func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
	}{
		{"truncated length", "0a05aa"},                  // key hash claims 5 bytes, has 1
		{"truncated varint", "2880"},                    // timestamp varint cut short
		{"field number zero", "0001"},                   // tag 0 is invalid
		{"overlong varint", "28ffffffffffffffffffff01"}, // 11-byte varint
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			var m eventsv1.NotifierMessage
			if err := proto.Unmarshal(b, &m); err == nil {
				t.Fatalf("Unmarshal(%s) succeeded: %v", tt.hex, &m)
			}
		})
	}
}

// FuzzNotifierMessage feeds arbitrary bytes to Unmarshal, the consumer's
// entry point for untrusted NATS payloads. It must not panic, and what it
// accepts must re-encode to a message that decodes to the same value.
func FuzzNotifierMessage(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x01, 0xaa, 0x12, 0x02, 0xbb, 0xcc, 0x1a, 0x01, 0x01, 0x22, 0x02, 0x02, 0x03, 0x28, 0x80, 0xe2, 0xcf, 0xaa, 0x06})
	f.Add([]byte{0x0a, 0x05, 0xaa})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m eventsv1.NotifierMessage
		if err := proto.Unmarshal(data, &m); err != nil {
			return
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&m)
		if err != nil {
			t.Fatalf("Marshal of a parsed message: %v", err)
		}
		var back eventsv1.NotifierMessage
		if err := proto.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal of re-encoded %x: %v", b, err)
		}
		if !proto.Equal(&m, &back) {
			t.Fatalf("re-encode changed the message: %v vs %v", &m, &back)
		}
	})
}
