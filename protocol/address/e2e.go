package address

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// E2E encryption (double ratchet) versions [R E2EVersion].
const (
	KDFX3DHE2EEncryptVersion   = 2
	PQRatchetE2EEncryptVersion = 3 // post-quantum KEM parameters
	CurrentE2EEncryptVersion   = 3
)

// SupportedE2EEncryptVRange is the e2e version range of current clients.
var SupportedE2EEncryptVRange = encoding.VersionRange{Min: KDFX3DHE2EEncryptVersion, Max: CurrentE2EEncryptVersion}

// E2EParams are the X3DH parameters of a connection invitation: two DH
// keys of the same algorithm (X448 in invitations) and, from version 3,
// an optional sntrup761 KEM public key (proposed) or ciphertext and key
// (accepted) [R E2ERatchetParamsUri].
type E2EParams struct {
	VRange        encoding.VersionRange
	Key1, Key2    crypto.PublicKey
	KEMKey        []byte // nil when absent
	KEMCiphertext []byte // only with KEMKey, for accepted parameters
}

// String renders the parameters as an unescaped query
// "v=…&x3dh=<key1>,<key2>[&kem_ct=…][&kem_key=…]" [R StrEncoding E2ERatchetParamsUri].
// The KEM parameters are only written when the maximum version is at least 3.
func (e E2EParams) String() string {
	q := Query{
		{"v", formatVersionRange(e.VRange)},
		{"x3dh", b64(e.Key1.DER()) + "," + b64(e.Key2.DER())},
	}
	if e.KEMKey != nil && e.VRange.Max >= PQRatchetE2EEncryptVersion {
		if e.KEMCiphertext != nil {
			q = append(q, Param{"kem_ct", b64(e.KEMCiphertext)})
		}
		q = append(q, Param{"kem_key", b64(e.KEMKey)})
	}
	return q.encodeRaw()
}

// Equal reports whether e and o are the same parameters.
func (e E2EParams) Equal(o E2EParams) bool {
	return e.VRange == o.VRange && e.Key1.Equal(o.Key1) && e.Key2.Equal(o.Key2) &&
		bytes.Equal(e.KEMKey, o.KEMKey) && bytes.Equal(e.KEMCiphertext, o.KEMCiphertext)
}

// ParseE2EParams parses the query form of e2e parameters; both keys must be
// X25519 or both X448 [R StrEncoding AnyE2ERatchetParamsUri].
func ParseE2EParams(s string) (E2EParams, error) {
	var e E2EParams
	p := &scanner{s: s}
	params := ParseQuery(p.queryText())
	if !p.eof() {
		return e, fmt.Errorf("e2e params: %w: trailing %q", ErrSyntax, p.rest())
	}
	vs, ok := params.Get("v")
	if !ok {
		return e, fmt.Errorf("e2e params: %w: no qs param v", ErrSyntax)
	}
	var err error
	if e.VRange, err = ParseVersionRange(vs); err != nil {
		return e, fmt.Errorf("e2e params: %w", err)
	}
	ks, ok := params.Get("x3dh")
	if !ok {
		return e, fmt.Errorf("e2e params: %w: no qs param x3dh", ErrSyntax)
	}
	// the list items end at ',', ' ' or '\n' and each must be a whole key [MES listItem]
	items := strings.Split(ks, ",")
	if len(items) != 2 {
		return e, fmt.Errorf("e2e params: %w: %d x3dh keys", ErrBadKey, len(items))
	}
	var keys [2]crypto.PublicKey
	for i, it := range items {
		der, err := ParseB64(it)
		if err != nil {
			return e, fmt.Errorf("e2e params: x3dh: %w", err)
		}
		if keys[i], err = parseDHKeyDER(der, crypto.X25519, crypto.X448); err != nil {
			return e, fmt.Errorf("e2e params: x3dh: %w", err)
		}
	}
	if keys[0].Alg != keys[1].Alg {
		return e, fmt.Errorf("e2e params: %w: different key algorithms", ErrBadKey)
	}
	e.Key1, e.Key2 = keys[0], keys[1]
	if e.VRange.Max >= PQRatchetE2EEncryptVersion {
		if k, ok := params.Get("kem_key"); ok {
			if e.KEMKey, err = ParseB64(k); err != nil {
				return E2EParams{}, fmt.Errorf("e2e params: kem_key: %w", err)
			}
			if ct, ok := params.Get("kem_ct"); ok {
				if e.KEMCiphertext, err = ParseB64(ct); err != nil {
					return E2EParams{}, fmt.Errorf("e2e params: kem_ct: %w", err)
				}
			}
		}
	}
	return e, nil
}
