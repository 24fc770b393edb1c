package certs

import (
	"crypto/x509/pkix"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// Fixtures (testdata/) are the reference's test certificates (simplexmq
// 6.5.5 tests/fixtures/, also in the project's shared fixtures):
//
//	ca.crt, server.crt, server.key   Ed448 CA and leaf
//	ed25519/ca.crt, server.crt, .key Ed25519 CA and leaf
//	ca2.crt, server2.crt             a second Ed448 CA with the same subject
//	                                 DN, and a leaf it signed
//	ss.crt                           an unrelated self-signed ECDSA cert
//
// The fingerprints are the key hashes the reference's tests use
// (tests/SMPClient.hs testKeyHash) and the fixtures README gives.
const (
	fpEd448CA   = "LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI="
	fpEd25519CA = "evk6yvqIaOtOVWfFhXQTdQRtlKeDy_4MXsJDYh2agys="
)

func readCert(t testing.TB, name string) []byte {
	t.Helper()
	certs, err := ReadCertFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyHash(t testing.TB, s string) []byte {
	t.Helper()
	b, err := encoding.ParseB64URL(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// detRand is a deterministic random source for reproducible certificates.
func detRand(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// fixedClock pins the issuing time for the duration of a test.
func fixedClock(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

// issue makes a certificate with arbitrary fields for path tests.
func issue(t testing.TB, issuerCert []byte, issuerKey crypto.PrivateKey, subjectCN string, subject crypto.PublicKey, ca bool, nb, na time.Time) []byte {
	t.Helper()
	subj, err := name(subjectCN, "")
	if err != nil {
		t.Fatal(err)
	}
	issuerName, aki := subj, keyID(subject)
	if issuerCert != nil {
		c := mustParse(t, issuerCert)
		issuerName, aki = c.RawSubject, c.SubjectKeyId
	}
	serial, _ := serialNumber(detRand(9))
	tbs, err := tbsParams{serial: serial, sigAlg: issuerKey.Alg, issuer: issuerName, subject: subj,
		notBefore: nb, notAfter: na, spki: subject.DER(), ski: keyID(subject), aki: aki, ca: ca}.tbs()
	if err != nil {
		t.Fatal(err)
	}
	der, err := sign(tbs, issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func x509ExtKeyUsage() pkix.Extension {
	return pkix.Extension{Id: oidExtKeyUsageID}
}
