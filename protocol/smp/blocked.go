package smp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// BlockingReason says why an entity was blocked [MP BlockingReason].
type BlockingReason string

// Blocking reasons.
const (
	BlockedSpam    BlockingReason = "spam"
	BlockedContent BlockingReason = "content"
)

func validReason(r BlockingReason) bool { return r == BlockedSpam || r == BlockedContent }

// BlockingInfo is the payload of ERR BLOCKED [MP BlockingInfo]:
//
//	blockingInfo = "reason=" ("spam" | "content") [",notice=" json]
//
// The notice is only sent at v18+; EncodeMessage strips it for older
// sessions and sends ERR AUTH instead of BLOCKED below v12.
type BlockingInfo struct {
	Reason BlockingReason
	Notice *ClientNotice
}

// ClientNotice is the JSON notice in BlockingInfo [Protocol/Types.hs
// ClientNotice]: {"ttl":N} with TTL in seconds, or {} for an indefinite one.
type ClientNotice struct {
	TTL *int64
}

func (b BlockingInfo) encode() []byte {
	out := []byte("reason=" + string(b.Reason))
	if b.Notice != nil {
		out = append(out, ",notice="...)
		out = append(out, b.Notice.jsonBytes()...)
	}
	return out
}

// jsonBytes returns the notice as aeson writes it: {} or {"ttl":N}.
func (n ClientNotice) jsonBytes() []byte {
	if n.TTL == nil {
		return []byte("{}")
	}
	return []byte(`{"ttl":` + strconv.FormatInt(*n.TTL, 10) + "}")
}

// MarshalJSON implements json.Marshaler.
func (n ClientNotice) MarshalJSON() ([]byte, error) { return n.jsonBytes(), nil }

// UnmarshalJSON implements json.Unmarshaler. Like aeson it requires an
// object, ignores unknown keys and takes a missing or null "ttl" as absent;
// key names are matched exactly (unlike encoding/json's default).
func (n *ClientNotice) UnmarshalJSON(b []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("%w: notice: %w", ErrSyntax, err)
	}
	if obj == nil {
		return fmt.Errorf("%w: notice is not an object", ErrSyntax)
	}
	*n = ClientNotice{}
	if raw, ok := obj["ttl"]; ok && !isJSONNull(raw) {
		v, err := jsonInt64(raw)
		if err != nil {
			return fmt.Errorf("%w: notice ttl: %w", ErrSyntax, err)
		}
		n.TTL = &v
	}
	return nil
}

func isJSONNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonInt64 decodes an integral JSON number.
func jsonInt64(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, fmt.Errorf("%w: not a number: %q", ErrSyntax, raw)
	}
	var num json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&num); err != nil {
		return 0, err
	}
	return strconv.ParseInt(num.String(), 10, 64)
}

// parseBlockingInfo parses the whole of b [MP instance StrEncoding
// BlockingInfo]: the reason words have no terminator, and the notice JSON
// takes the rest of the input.
func parseBlockingInfo(b []byte) (BlockingInfo, error) {
	rest, ok := bytes.CutPrefix(b, []byte("reason="))
	if !ok {
		return BlockingInfo{}, fmt.Errorf("%w: blocking info %q", ErrSyntax, b)
	}
	var info BlockingInfo
	switch {
	case bytes.HasPrefix(rest, []byte(BlockedSpam)):
		info.Reason, rest = BlockedSpam, rest[len(BlockedSpam):]
	case bytes.HasPrefix(rest, []byte(BlockedContent)):
		info.Reason, rest = BlockedContent, rest[len(BlockedContent):]
	default:
		return BlockingInfo{}, fmt.Errorf("%w: blocking reason %q", ErrSyntax, rest)
	}
	if len(rest) == 0 {
		return info, nil
	}
	js, ok := bytes.CutPrefix(rest, []byte(",notice="))
	if !ok {
		return BlockingInfo{}, fmt.Errorf("%w: after blocking reason: %q", ErrSyntax, rest)
	}
	var n ClientNotice
	if err := n.UnmarshalJSON(js); err != nil {
		return BlockingInfo{}, err
	}
	info.Notice = &n
	return info, nil
}
