package transport

import (
	"bytes"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/smp"
)

// TestParseBatch checks batch splitting and the per-transmission verdicts
// of tDecodeServer (CONFORMANCE-NOTES §2.7) [MP tParse, transmissionP,
// decodeTAuthBytes, tDecodeServer].
func TestParseBatch(t *testing.T) {
	sid := seqBytes(0x10, 32)
	corr := []byte("corr")
	ent := []byte("ent")
	good := cat([]byte{64}, rep(1, 64), []byte{4}, corr, []byte{3}, ent, []byte("SUB"))
	tests := []struct {
		name    string
		s       *Session
		payload []byte
		want    []ParsedTransmission
		wantErr bool
	}{
		{name: "two transmissions", s: sessV(14, sid),
			payload: cat([]byte{2}, large2(good), large2([]byte{0, 0, 0, 'P', 'I', 'N', 'G'})),
			want: []ParsedTransmission{
				{Transmission: Transmission{Auth: rep(1, 64), SessionID: sid, CorrID: corr, EntityID: ent, Command: []byte("SUB")}},
				{Transmission: Transmission{SessionID: sid, Command: []byte("PING")}},
			}},
		{name: "authorization of 10 bytes: BLOCK with corrId, no entity", s: sessV(14, sid),
			payload: cat([]byte{1}, large2(cat([]byte{10}, rep(1, 10), []byte{4}, corr, []byte{3}, ent, []byte("SUB")))),
			want:    []ParsedTransmission{{Transmission: Transmission{CorrID: corr}, Err: smp.ErrBlock}}},
		{name: "authenticator and Ed448 lengths pass", s: sessV(14, sid),
			payload: cat([]byte{2}, large2(cat([]byte{80}, rep(2, 80), []byte{0, 0})), large2(cat([]byte{114}, rep(3, 114), []byte{0, 0}))),
			want: []ParsedTransmission{
				{Transmission: Transmission{Auth: rep(2, 80), SessionID: sid}},
				{Transmission: Transmission{Auth: rep(3, 114), SessionID: sid}},
			}},
		{name: "unparsable transmission: BLOCK, empty corrId; the next one still parses", s: sessV(14, sid),
			payload: cat([]byte{2}, large2([]byte{5, 1}), large2(good)),
			want: []ParsedTransmission{
				{Err: smp.ErrBlock},
				{Transmission: Transmission{Auth: rep(1, 64), SessionID: sid, CorrID: corr, EntityID: ent, Command: []byte("SUB")}},
			}},
		{name: "v6 session id mismatch: SESSION with corrId", s: sessV6(sid),
			payload: cat([]byte{1}, large2(cat([]byte{0, 3}, []byte("abc"), []byte{4}, corr, []byte{3}, ent, []byte("SUB")))),
			want:    []ParsedTransmission{{Transmission: Transmission{CorrID: corr}, Err: smp.ErrSession}}},
		{name: "v6 session checked before authorization", s: sessV6(sid),
			payload: cat([]byte{1}, large2(cat([]byte{1, 9, 3}, []byte("abc"), []byte{4}, corr, []byte{0}))),
			want:    []ParsedTransmission{{Transmission: Transmission{CorrID: corr}, Err: smp.ErrSession}}},
		{name: "v6 matching session", s: sessV6(sid),
			payload: cat([]byte{1}, large2(cat([]byte{0, 32}, sid, []byte{4}, corr, []byte{3}, ent, []byte("SUB")))),
			want:    []ParsedTransmission{{Transmission: Transmission{SessionID: sid, CorrID: corr, EntityID: ent, Command: []byte("SUB")}}}},
		{name: "v16 service signature of 10 bytes: BLOCK, empty corrId", s: sessV(16, sid),
			payload: cat([]byte{1}, large2(cat([]byte{64}, rep(1, 64), []byte("1"), []byte{10}, rep(2, 10), []byte{4}, corr, []byte{0}))),
			want:    []ParsedTransmission{{Err: smp.ErrBlock}}},
		{name: "v16 bad maybe tag", s: sessV(16, sid),
			payload: cat([]byte{1}, large2(cat([]byte{64}, rep(1, 64), []byte("x"), []byte{4}, corr, []byte{0}))),
			want:    []ParsedTransmission{{Err: smp.ErrBlock}}},
		{name: "v15 has no slot: '0' is a corrId length", s: sessV(15, sid),
			payload: cat([]byte{1}, large2(cat([]byte{64}, rep(1, 64), []byte{4}, corr, []byte{0}))),
			want:    []ParsedTransmission{{Transmission: Transmission{Auth: rep(1, 64), SessionID: sid, CorrID: corr}}}},
		{name: "NTF v1: bare transmission, no batch", s: sessNTF(1, sid),
			payload: cat([]byte{0, 32}, sid, []byte{1, 'c', 0}, []byte("PING")),
			want:    []ParsedTransmission{{Transmission: Transmission{SessionID: sid, CorrID: []byte("c"), Command: []byte("PING")}}}},
		{name: "empty payload", s: sessV(14, sid), payload: nil, wantErr: true},
		{name: "count 0", s: sessV(14, sid), payload: []byte{0}, wantErr: true},
		{name: "truncated item", s: sessV(14, sid), payload: cat([]byte{1, 0, 9}, []byte("short")), wantErr: true},
		{name: "missing item", s: sessV(14, sid), payload: cat([]byte{2}, large2(good)), wantErr: true},
		{name: "bytes after the last item", s: sessV(14, sid), payload: cat([]byte{1}, large2(good), []byte{0}), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBatch(tt.s, tt.payload)
			if tt.wantErr {
				if !errors.Is(err, ErrBadBatch) {
					t.Fatalf("got %+v, %v", got, err)
				}
				if te, ok := TransportErrorOf(err); !ok || te.Code != smp.TransportBlock {
					t.Fatalf("transport error %v", te)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d transmissions, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Err != tt.want[i].Err || !sameTransmission(got[i].Transmission, tt.want[i].Transmission) {
					t.Errorf("transmission %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// sameTransmission compares transmissions field by field, nil and empty
// alike.
func sameTransmission(a, b Transmission) bool {
	return bytes.Equal(a.Auth, b.Auth) && bytes.Equal(a.ServiceSig, b.ServiceSig) &&
		bytes.Equal(a.SessionID, b.SessionID) && bytes.Equal(a.CorrID, b.CorrID) &&
		bytes.Equal(a.EntityID, b.EntityID) && bytes.Equal(a.Command, b.Command)
}

// subTransmission is a signed SUB as the reference's BatchingTests build
// it: Ed25519 signature, random 24-byte corrId and recipient id [tests
// CoreTests/BatchingTests.hs randomSUB_].
func subTransmission(t *testing.T, s *Session, i int) []byte {
	t.Helper()
	b, err := EncodeTransmission(s, Transmission{Auth: rep(byte(i), 64), CorrID: rep(byte(i), 24),
		EntityID: rep(byte(i+1), 24), Command: []byte("SUB")})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPackBatches checks the packing limits against the reference's
// BatchingTests: 135 signed SUBs per block at the current version, 106 at
// v6 (session id sent), 255 ENDs (the count limit), and LARGE_MSG for a
// SEND of 17000 bytes [tests CoreTests/BatchingTests.hs; MP
// batchTransmissions_]. The reference packs from the end of the list, so
// its first block holds the remainder (30, 135, 135); this packer fills
// blocks in order (135, 135, 30).
func TestPackBatches(t *testing.T) {
	sid := seqBytes(1, 32)
	tests := []struct {
		name   string
		s      *Session
		make   func(s *Session, i int) []byte
		n      int
		counts []int
	}{
		{name: "v18 SUBs", s: sessV(18, sid), n: 300, counts: []int{135, 135, 30},
			make: func(s *Session, i int) []byte { return subTransmission(t, s, i) }},
		{name: "v6 SUBs", s: sessV6(sid), n: 250, counts: []int{106, 106, 38},
			make: func(s *Session, i int) []byte { return subTransmission(t, s, i) }},
		{name: "v18 ENDs", s: sessV(18, sid), n: 300, counts: []int{255, 45},
			make: func(s *Session, i int) []byte {
				b, _ := EncodeTransmission(s, Transmission{EntityID: rep(byte(i), 24), Command: []byte("END")})
				return b
			}},
		{name: "NTF v1: one per block", s: sessNTF(1, sid), n: 3, counts: []int{1, 1, 1},
			make: func(s *Session, i int) []byte {
				b, _ := EncodeTransmission(s, Transmission{CorrID: []byte{byte(i)}, Command: []byte("PING")})
				return b
			}},
		{name: "NTF v2 batches in 512 bytes", s: sessNTF(2, sid), n: 40, counts: []int{29, 11},
			make: func(s *Session, i int) []byte {
				b, _ := EncodeTransmission(s, Transmission{CorrID: rep(byte(i), 8), Command: []byte("PING")})
				return b // 15 bytes, 17 as an item: 29 × 17 = 493 = 512 − 19
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ts [][]byte
			for i := range tt.n {
				ts = append(ts, tt.make(tt.s, i))
			}
			payloads, err := PackBatches(tt.s, ts)
			if err != nil {
				t.Fatal(err)
			}
			var counts []int
			var back [][]byte
			for _, p := range payloads {
				// Fits an encrypted block: pad length and tag included.
				if len(p) > tt.s.BlockSize-18 {
					t.Fatalf("payload of %d bytes", len(p))
				}
				got, err := ParseBatch(tt.s, p)
				if err != nil {
					t.Fatal(err)
				}
				counts = append(counts, len(got))
				for _, g := range got {
					if g.Err != nil {
						t.Fatal(g.Err)
					}
					b, _ := EncodeTransmission(tt.s, g.Transmission)
					back = append(back, b)
				}
			}
			if !equalInts(counts, tt.counts) {
				t.Fatalf("counts %v, want %v", counts, tt.counts)
			}
			for i := range ts {
				if !bytes.Equal(ts[i], back[i]) {
					t.Fatalf("transmission %d changed or reordered", i)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBatchBuilder checks the builder's limits and errors.
func TestBatchBuilder(t *testing.T) {
	s := sessV(14, seqBytes(1, 32))
	if got := MaxTransmissionSize(s); got != SMPBlockSize-21 {
		t.Fatalf("MaxTransmissionSize %d", got)
	}
	b := NewBatchBuilder(s)
	if b.Payload() != nil {
		t.Fatal("empty builder has a payload")
	}
	if err := b.Add(make([]byte, SMPBlockSize-20)); !errors.Is(err, ErrLargeMsg) {
		t.Fatalf("oversized: %v", err)
	}
	if err := b.Add(make([]byte, SMPBlockSize-21)); err != nil {
		t.Fatalf("largest: %v", err)
	}
	if err := b.Add(nil); !errors.Is(err, ErrBatchFull) {
		t.Fatalf("full: %v", err)
	}
	if b.Len() != 1 {
		t.Fatal(b.Len())
	}
	p := b.Payload()
	if len(p) != SMPBlockSize-18 || p[0] != 1 || p[1] != byte((SMPBlockSize-21)>>8) || p[2] != byte((SMPBlockSize-21)&0xff) {
		t.Fatalf("payload of %d bytes: %x", len(p), p[:3])
	}
	if b.Len() != 0 || b.Payload() != nil {
		t.Fatal("not reset")
	}
	// The exact byte layout of a two-item batch [MP batchTransmissions_].
	_ = b.Add([]byte("ab"))
	_ = b.Add([]byte("c"))
	if got := b.Payload(); !bytes.Equal(got, []byte{2, 0, 2, 'a', 'b', 0, 1, 'c'}) {
		t.Fatalf("payload %x", got)
	}
	if _, err := PackBatches(s, [][]byte{[]byte("x"), make([]byte, 17000)}); !errors.Is(err, ErrLargeMsg) {
		t.Fatalf("17000-byte SEND: %v", err)
	}

	n := sessNTF(1, seqBytes(1, 32))
	if got := MaxTransmissionSize(n); got != NTFBlockSize-2 {
		t.Fatalf("NTF v1 MaxTransmissionSize %d", got)
	}
	nb := NewBatchBuilder(n)
	if err := nb.Add(make([]byte, NTFBlockSize-1)); !errors.Is(err, ErrLargeMsg) {
		t.Fatalf("NTF oversized: %v", err)
	}
	if err := nb.Add([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := nb.Add([]byte("y")); !errors.Is(err, ErrBatchFull) {
		t.Fatalf("NTF v1 second: %v", err)
	}
	if got := nb.Payload(); !bytes.Equal(got, []byte("x")) {
		t.Fatalf("NTF v1 payload %q", got)
	}
}

// TestBatchBuilderBuffer: a builder on a caller's buffer builds the same
// payloads as one that allocates, each in that buffer, and keeps a buffer
// it had to grow.
func TestBatchBuilderBuffer(t *testing.T) {
	s := sessV(14, seqBytes(1, 32))
	items := [][]byte{[]byte("ab"), make([]byte, 9000), make([]byte, 9000), []byte("c")}
	want, err := PackBatches(s, items)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 100) // too small: grows once
	b := NewBatchBuilderBuffer(s, buf)
	var got [][]byte
	for _, it := range items {
		err := b.Add(it)
		if errors.Is(err, ErrBatchFull) {
			got = append(got, bytes.Clone(b.Payload()))
			err = b.Add(it)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	last := b.Payload()
	got = append(got, bytes.Clone(last))
	if len(got) != len(want) {
		t.Fatalf("%d payloads, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("payload %d differs: %d %x vs %d %x", i, len(got[i]), got[i][:8], len(want[i]), want[i][:8])
		}
	}
	// The next batch reuses the grown buffer.
	_ = b.Add([]byte("x"))
	if p := b.Payload(); &p[0] != &last[0] || !bytes.Equal(p, []byte{1, 0, 1, 'x'}) {
		t.Fatalf("payload %x not built in the kept buffer", p)
	}
}

// TestAppendTransmissionHeader: header + command is EncodeTransmission.
func TestAppendTransmissionHeader(t *testing.T) {
	for _, s := range []*Session{sessV(6, seqBytes(1, 32)), sessV(14, seqBytes(1, 32))} {
		tr := Transmission{Auth: seqBytes(7, 64), CorrID: []byte("corr"), EntityID: []byte("entity"), Command: []byte("MSG body")}
		want, err := EncodeTransmission(s, tr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendTransmissionHeader([]byte("prefix"), s, tr)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tr.Command...)
		if !bytes.Equal(got[len("prefix"):], want) || string(got[:6]) != "prefix" {
			t.Fatalf("v%d: %x, want %x", s.Version, got, want)
		}
	}
	if _, err := AppendTransmissionHeader(nil, sessV(14, seqBytes(1, 32)), Transmission{CorrID: make([]byte, 256)}); err == nil {
		t.Fatal("corrId of 256 bytes encoded")
	}
}
