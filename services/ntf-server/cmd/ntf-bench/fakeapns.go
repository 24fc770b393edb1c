package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sideshow/apns2/token"
)

// pushFunc receives every accepted push: the device token (hex), the
// body, and the time the request arrived.
type pushFunc func(token string, body []byte, at time.Time)

// fakeAPNs is the bench's APNs: HTTP/2 over TLS (a self-signed P-256
// certificate) that checks each request as internal/apnsfake does (POST
// /3/device/<hex token>, ES256 provider token signed by the configured key
// with kid and iss, apns-topic, apns-push-type, a JSON object body of at
// most 4096 bytes) and answers 200, but keeps no record: it counts and
// hands each push to a callback, so a long run does not grow the bench's
// memory. A provider token is verified once and then remembered (apns2
// reuses one for up to an hour).
type fakeAPNs struct {
	ln      net.Listener
	srv     *http.Server
	key     *ecdsa.PrivateKey // the provider key (the bench's .p8)
	keyPEM  []byte            // PKCS#8 PEM, for [APNS] key_file
	certPEM []byte            // the server certificate, for [APNS] ca_file
	pool    *x509.CertPool
	keyID   string
	teamID  string
	topic   string

	onPush   atomic.Pointer[pushFunc]
	accepted atomic.Int64
	rejected atomic.Int64

	mu     sync.Mutex
	goodJW map[string]bool
}

const maxPayload = 4096

// startFakeAPNs starts the fake trusting provider key (a .p8 key file and
// its key id); with keyFile "" it makes a P-256 key of its own.
func startFakeAPNs(keyFile, keyID string) (*fakeAPNs, error) {
	var key *ecdsa.PrivateKey
	var err error
	if keyFile != "" {
		if key, err = token.AuthKeyFromFile(keyFile); err != nil {
			return nil, fmt.Errorf("-apns-key: %w", err)
		}
	} else if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	cert, der, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeAPNs{ln: ln, key: key, keyID: keyID, teamID: "5NN7GUYB6T", topic: "chat.simplex.app",
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pool:    x509.NewCertPool(), goodJW: map[string]bool{}}
	c, _ := x509.ParseCertificate(der)
	f.pool.AddCert(c)
	protos := new(http.Protocols)
	protos.SetHTTP2(true)
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second, Protocols: protos,
		HTTP2:     &http.HTTP2Config{MaxConcurrentStreams: 1000},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go f.srv.ServeTLS(ln, "", "")
	return f, nil
}

func (f *fakeAPNs) url() string { return "https://" + f.ln.Addr().String() }

func (f *fakeAPNs) close() { f.srv.Close() }

// setOnPush sets the callback (nil: count only).
func (f *fakeAPNs) setOnPush(fn pushFunc) {
	if fn == nil {
		f.onPush.Store(nil)
		return
	}
	f.onPush.Store(&fn)
}

func (f *fakeAPNs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	fail := func(status int, reason string) {
		f.rejected.Add(1)
		w.Header().Set("content-type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, `{"reason":"`+reason+`"}`)
	}
	tok, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	switch {
	case r.ProtoMajor != 2:
		fail(http.StatusBadRequest, "BadRequest")
		return
	case r.Method != http.MethodPost:
		fail(http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	case !ok:
		fail(http.StatusNotFound, "BadPath")
		return
	case tok == "" || len(tok)%2 != 0 || strings.Trim(tok, "0123456789abcdefABCDEF") != "":
		fail(http.StatusBadRequest, "BadDeviceToken")
		return
	case !f.checkJWT(r.Header.Get("authorization")):
		fail(http.StatusForbidden, "InvalidProviderToken")
		return
	case r.Header.Get("apns-topic") != f.topic:
		fail(http.StatusBadRequest, "BadTopic")
		return
	case r.Header.Get("apns-push-type") != "alert" && r.Header.Get("apns-push-type") != "background":
		fail(http.StatusBadRequest, "InvalidPushType")
		return
	case len(body) > maxPayload:
		fail(http.StatusRequestEntityTooLarge, "PayloadTooLarge")
		return
	case len(body) == 0 || body[0] != '{':
		fail(http.StatusBadRequest, "BadPayload")
		return
	}
	f.accepted.Add(1)
	if fn := f.onPush.Load(); fn != nil {
		(*fn)(tok, body, at)
	}
	w.Header().Set("apns-id", "00000000-0000-0000-0000-000000000000")
	w.WriteHeader(http.StatusOK)
}

// checkJWT verifies "bearer <ES256 JWT>" with kid, iss and the key, once
// per distinct token.
func (f *fakeAPNs) checkJWT(h string) bool {
	jwt, ok := strings.CutPrefix(h, "bearer ")
	if !ok {
		return false
	}
	f.mu.Lock()
	good := f.goodJW[jwt]
	f.mu.Unlock()
	if good {
		return true
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return false
	}
	dec := func(s string) []byte {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return b
	}
	var hdr struct{ Alg, Kid string }
	var claims struct{ Iss string }
	if json.Unmarshal(dec(parts[0]), &hdr) != nil || json.Unmarshal(dec(parts[1]), &claims) != nil {
		return false
	}
	sig := dec(parts[2])
	if hdr.Alg != "ES256" || hdr.Kid != f.keyID || claims.Iss != f.teamID || len(sig) != 64 {
		return false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&f.key.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return false
	}
	f.mu.Lock()
	f.goodJW[jwt] = true
	f.mu.Unlock()
	return true
}

func selfSigned() (tls.Certificate, []byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bench-apns"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, der, nil
}
