package encoding

import (
	"encoding/base64"
	"strings"
)

// B64URL encodes b as base64url with '=' padding, the text form of keys,
// ids and fingerprints in SimpleX URIs and JSON.
func B64URL(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

// ParseB64URL decodes base64url text. Padding is optional on input, since
// some writers (e.g. browsers' URL handling) drop it.
func ParseB64URL(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.URLEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// B64Std encodes b as standard base64 with padding (used by SMP INFO JSON).
func B64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
