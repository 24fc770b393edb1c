package certs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/simplexgo/protocol/crypto"
)

// TestPEMRoundTrip re-encodes the reference's openssl-written files byte
// for byte: certificates and PKCS#8 keys of both algorithms.
func TestPEMRoundTrip(t *testing.T) {
	for _, f := range []string{"ca.crt", "server.crt", "ed25519/ca.crt", "ed25519/server.crt"} {
		data := readFile(t, f)
		certs, err := ParseCertsPEM(data)
		if err != nil || len(certs) != 1 {
			t.Fatalf("%s: %d certs, %v", f, len(certs), err)
		}
		if got := EncodeCertPEM(certs[0]); !bytes.Equal(got, data) {
			t.Errorf("%s: re-encoded PEM differs", f)
		}
	}
	for f, alg := range map[string]crypto.Algorithm{"server.key": crypto.Ed448, "ed25519/server.key": crypto.Ed25519} {
		data := readFile(t, f)
		k, err := ParseKeyPEM(data)
		if err != nil || k.Alg != alg {
			t.Fatalf("%s: %v %v", f, k.Alg, err)
		}
		got, err := EncodeKeyPEM(k)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: re-encoded key differs: %v", f, err)
		}
	}
}

func TestPEMErrors(t *testing.T) {
	if _, err := ParseCertsPEM([]byte("nothing")); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("no PEM: %v", err)
	}
	if _, err := ParseCertsPEM(readFile(t, "server.key")); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("key file as certificate: %v", err)
	}
	if _, err := ParseKeyPEM(readFile(t, "ca.crt")); !errors.Is(err, ErrNoKey) {
		t.Errorf("certificate as key: %v", err)
	}
	if _, err := ParseKeyPEM(EncodeCertPEM([]byte("x"))); !errors.Is(err, ErrNoKey) {
		t.Errorf("certificate block as key: %v", err)
	}
	bad := bytes.Replace(EncodeCertPEM([]byte("garbage")), []byte("CERTIFICATE"), []byte("PRIVATE KEY"), 2)
	if _, err := ParseKeyPEM(bad); !errors.Is(err, crypto.ErrKeyEncoding) {
		t.Errorf("bad key DER: %v", err)
	}
	if _, err := EncodeKeyPEM(crypto.PrivateKey{}); !errors.Is(err, ErrKeyAlg) {
		t.Errorf("zero key: %v", err)
	}
	if _, err := ReadCertFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, maxPEMFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCertFile(big); err == nil {
		t.Error("oversized file accepted")
	}
	if _, err := ReadKeyFile(big); err == nil {
		t.Error("oversized key file accepted")
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	caDER, caKey, err := NewCA(crypto.Ed448, "SMP server CA", detRand(1))
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := WriteCertFile(certPath, caDER); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(keyPath, caKey); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v %v", st.Mode(), err)
	}
	if err := WriteKeyFile(keyPath, caKey); !errors.Is(err, os.ErrExist) {
		t.Errorf("overwrite: %v", err)
	}
	certs, err := ReadCertFile(certPath)
	if err != nil || len(certs) != 1 || !bytes.Equal(certs[0], caDER) {
		t.Fatalf("read back cert: %v", err)
	}
	k, err := ReadKeyFile(keyPath)
	if err != nil || k.Alg != caKey.Alg || !bytes.Equal(k.Raw, caKey.Raw) {
		t.Fatalf("read back key: %v", err)
	}
}

// FuzzParsePEM: whatever parses re-encodes and parses to the same values.
func FuzzParsePEM(f *testing.F) {
	addSeeds(f, "FuzzParsePEM")
	f.Fuzz(func(t *testing.T, data []byte) {
		if certs, err := ParseCertsPEM(data); err == nil {
			var again []byte
			for _, c := range certs {
				again = append(again, EncodeCertPEM(c)...)
			}
			back, err := ParseCertsPEM(again)
			if err != nil || len(back) != len(certs) {
				t.Fatalf("certificates do not round-trip: %v", err)
			}
			for i := range certs {
				if !bytes.Equal(back[i], certs[i]) {
					t.Fatalf("certificate %d differs", i)
				}
			}
		}
		if k, err := ParseKeyPEM(data); err == nil {
			enc, err := EncodeKeyPEM(k)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseKeyPEM(enc)
			if err != nil || back.Alg != k.Alg || !bytes.Equal(back.Raw, k.Raw) {
				t.Fatalf("key does not round-trip: %v", err)
			}
		}
	})
}
