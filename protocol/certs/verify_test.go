package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/simplexgo/protocol/crypto"
)

func mustParse(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVerifyChainFixtures mirrors the reference's testValidateX509
// (tests/CoreTests/CryptoTests.hs) on its own fixtures, plus the Ed25519
// chain: the failure reasons it expects are given per case.
func TestVerifyChainFixtures(t *testing.T) {
	ca, server := readCert(t, "ca.crt"), readCert(t, "server.crt")
	ca2, server2 := readCert(t, "ca2.crt"), readCert(t, "server2.crt")
	ss := readCert(t, "ss.crt")
	edCA, edServer := readCert(t, "ed25519/ca.crt"), readCert(t, "ed25519/server.crt")
	fp, edFP := keyHash(t, fpEd448CA), keyHash(t, fpEd25519CA)
	tests := []struct {
		name  string
		chain [][]byte
		hash  []byte
		want  error
	}{
		{"Ed448 [server, ca]", [][]byte{server, ca}, fp, nil},
		{"Ed25519 [server, ca]", [][]byte{edServer, edCA}, edFP, nil},
		{"empty (EmptyChain)", nil, fp, ErrEmptyChain},
		{"one certificate (CCSelf → EmptyChain)", [][]byte{ca}, fp, ErrEmptyChain},
		{"five certificates (AuthorityTooDeep)", [][]byte{server, ca, ca, ca, ca}, fp, ErrChainTooLong},
		{"wrong key hash", [][]byte{edServer, edCA}, fp, ErrIdentity},
		{"another CA's chain (UnknownCA)", [][]byte{server2, ca2}, fp, ErrIdentity},
		{"another CA's chain with its own hash", [][]byte{server2, ca2}, Fingerprint(ca2), nil},
		{"leaf of another CA with the same DN (InvalidSignature)", [][]byte{server2, ca}, fp, ErrSignature},
		{"unrelated self-signed leaf (SelfSigned)", [][]byte{ss, ca}, fp, ErrSelfSigned},
		{"Ed25519 leaf under the Ed448 CA", [][]byte{edServer, ca}, fp, ErrSignature},
		{"garbage leaf", [][]byte{[]byte{0x30, 0x00}, ca}, fp, ErrCertificate},
		{"three certificates, the CA twice", [][]byte{server, ca, ca}, fp, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyChain(tt.chain, tt.hash)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifyChain = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyChainPaths covers 3- and 4-certificate chains (operator and
// network certificates [MTSh chainIdCaCerts]), CA constraints and validity.
func TestVerifyChainPaths(t *testing.T) {
	nb := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	na := nb.AddDate(10, 0, 0)
	at := nb.AddDate(1, 0, 0)
	key := func(alg crypto.Algorithm, seed byte) crypto.PrivateKey {
		k, err := crypto.GenerateKey(alg, detRand(seed))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	rootKey, opKey, netKey, leafKey := key(crypto.Ed448, 1), key(crypto.Ed25519, 2), key(crypto.Ed448, 3), key(crypto.Ed25519, 4)
	root := issue(t, nil, rootKey, "root", rootKey.Public(), true, nb, na)
	net := issue(t, root, rootKey, "network", netKey.Public(), true, nb, na)
	op := issue(t, net, netKey, "operator", opKey.Public(), true, nb, na)
	leaf := issue(t, op, opKey, "leaf", leafKey.Public(), false, nb, na)
	opUnderRoot := issue(t, root, rootKey, "operator", opKey.Public(), true, nb, na)
	notCA := issue(t, root, rootKey, "operator", opKey.Public(), false, nb, na)
	expired := issue(t, op, opKey, "leaf", leafKey.Public(), false, nb, nb.AddDate(0, 6, 0))

	tests := []struct {
		name  string
		chain [][]byte
		at    time.Time
		want  error
	}{
		{"4: leaf, operator, network, root", [][]byte{leaf, op, net, root}, at, nil},
		{"3: leaf, operator, root", [][]byte{leaf, opUnderRoot, root}, at, nil},
		{"order of intermediates does not matter", [][]byte{leaf, op, net, root}, at, nil},
		{"missing network certificate", [][]byte{leaf, op, root}, at, ErrUnknownCA},
		{"intermediate that is not a CA", [][]byte{leaf, notCA, root}, at, ErrNotCA},
		{"expired leaf", [][]byte{expired, op, net, root}, at, ErrValidity},
		{"before validity", [][]byte{leaf, op, net, root}, nb.Add(-time.Second), ErrValidity},
		{"after validity", [][]byte{leaf, op, net, root}, na.Add(time.Second), ErrValidity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyChainAt(tt.chain, Fingerprint(tt.chain[1]), tt.at)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifyChainAt = %v, want %v", err, tt.want)
			}
		})
	}
	// The anchor's own validity is not checked (the reference's store
	// certificate is trusted as is).
	oldRoot := issue(t, nil, rootKey, "root", rootKey.Public(), true, nb, nb.AddDate(0, 1, 0))
	opUnderOld := issue(t, oldRoot, rootKey, "operator", opKey.Public(), true, nb, na)
	if err := VerifyChainAt([][]byte{issue(t, opUnderOld, opKey, "leaf", leafKey.Public(), false, nb, na), opUnderOld, oldRoot}, Fingerprint(opUnderOld), at); err != nil {
		t.Errorf("expired anchor: %v", err)
	}
}

// TestCheckCAPathLen follows the reference's checkCA on path lengths.
func TestCheckCAPathLen(t *testing.T) {
	c := &x509.Certificate{BasicConstraintsValid: true, IsCA: true, MaxPathLen: 0, MaxPathLenZero: true}
	if err := checkCA(c, 0); err != nil {
		t.Errorf("pathlen 0 at level 0: %v", err)
	}
	if err := checkCA(c, 1); !errors.Is(err, ErrNotCA) {
		t.Errorf("pathlen 0 at level 1: %v", err)
	}
	c.MaxPathLen, c.MaxPathLenZero = -1, false
	if err := checkCA(c, 3); err != nil {
		t.Errorf("no pathlen: %v", err)
	}
	c.KeyUsage = x509.KeyUsageDigitalSignature
	c.Extensions = append(c.Extensions, x509ExtKeyUsage())
	if err := checkCA(c, 0); !errors.Is(err, ErrNotCA) {
		t.Errorf("key usage without certSign: %v", err)
	}
	c.KeyUsage |= x509.KeyUsageCertSign
	if err := checkCA(c, 0); err != nil {
		t.Errorf("key usage with certSign: %v", err)
	}
}

// FuzzVerifyChain feeds arbitrary leaf and CA DER to the chain check: it
// must never panic, must reject a wrong key hash before anything else, and
// must accept only chains whose leaf really parses.
func FuzzVerifyChain(f *testing.F) {
	addSeeds(f, "FuzzVerifyChain")
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, leaf, ca []byte) {
		err := VerifyChainAt([][]byte{leaf, ca}, Fingerprint(ca), at)
		if err == nil {
			if _, perr := x509.ParseCertificate(leaf); perr != nil {
				t.Fatalf("accepted an unparseable leaf: %v", perr)
			}
		}
		wrong := bytes.Clone(Fingerprint(ca))
		wrong[0] ^= 1
		if err := VerifyChainAt([][]byte{leaf, ca}, wrong, at); !errors.Is(err, ErrIdentity) {
			t.Fatalf("wrong key hash: %v", err)
		}
	})
}
