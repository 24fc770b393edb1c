// Package apnsfake is a local stand-in for Apple's APNs provider API, for
// tests and local runs. It serves HTTP/2 over TLS (a self-signed P-256
// certificate, see CertPool) and checks each request as Apple documents it
// ("Sending notification requests to APNs", "Establishing a token-based
// connection to APNs"):
//
//   - POST /3/device/<hex device token>            else 405 MethodNotAllowed / 404 BadPath / 400 BadDeviceToken
//   - authorization: bearer <JWT>, ES256, header kid = key id, claims
//     iss = team id and iat within the last hour, signature (raw r‖s)
//     valid for the configured public key   else 403 MissingProviderToken /
//     InvalidProviderToken / ExpiredProviderToken
//   - apns-topic = the configured topic              else 400 MissingTopic / BadTopic
//   - apns-push-type alert or background             else 400 InvalidPushType
//   - apns-priority, if present, 5 or 10 (background must be 5)  else 400 BadPriority
//   - apns-expiration, if present, a decimal         else 400 BadExpirationDate
//   - body non-empty JSON object with "aps", ≤ 4096 bytes   else 400 PayloadEmpty / 413 PayloadTooLarge
//
// Valid requests are recorded (Pushes, Wait) and answered 200 with an
// apns-id, unless a response was scripted for the device token (Script,
// ScriptOnce): e.g. 400 BadDeviceToken, 410 Unregistered, 429
// TooManyRequests, 500 InternalServerError.
package apnsfake

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxPayload is Apple's limit for a regular push body.
const MaxPayload = 4096

// Push is one accepted request.
type Push struct {
	DeviceToken string
	Topic       string
	PushType    string
	Priority    string // "" when absent
	Expiration  string // "" when absent
	Body        []byte
	IssuedAt    int64 // the JWT's iat
	Status      int   // what the fake answered
	Reason      string
}

// Response is a scripted answer.
type Response struct {
	Status int
	Reason string // APNs reason, e.g. "Unregistered"
}

// Config configures a Server.
type Config struct {
	Key    *ecdsa.PublicKey // verifies the JWT
	KeyID  string
	TeamID string
	Topic  string
	Now    func() time.Time // default time.Now
}

// Server is a running fake APNs.
type Server struct {
	cfg  Config
	ln   net.Listener
	srv  *http.Server
	pool *x509.CertPool
	cert []byte // DER

	mu       sync.Mutex
	pushes   []Push
	rejected []Push // requests that failed validation
	script   map[string]Response
	once     map[string][]Response
	notify   chan struct{}
}

// Start listens on addr ("127.0.0.1:0" for tests) and serves.
func Start(addr string, cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cert, der, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("apnsfake: listen: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, cert: der, script: map[string]Response{}, once: map[string][]Response{},
		notify: make(chan struct{})}
	s.pool = x509.NewCertPool()
	c, _ := x509.ParseCertificate(der)
	s.pool.AddCert(c)
	protos := new(http.Protocols)
	protos.SetHTTP2(true)
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, Protocols: protos,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go s.srv.ServeTLS(ln, "", "")
	return s, nil
}

// URL returns the base URL, e.g. "https://127.0.0.1:41234".
func (s *Server) URL() string { return "https://" + s.ln.Addr().String() }

// CertPool returns a pool trusting the fake's certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CertDER returns the fake's certificate (DER).
func (s *Server) CertDER() []byte { return s.cert }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Script makes every later push to device token tok get r (Status 0
// removes the script).
func (s *Server) Script(tok string, r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Status == 0 {
		delete(s.script, tok)
		return
	}
	s.script[tok] = r
}

// ScriptOnce queues answers for the next pushes to tok, before Script's.
func (s *Server) ScriptOnce(tok string, rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.once[tok] = append(s.once[tok], rs...)
}

// Pushes returns the valid requests received so far, answered or not
// with 200.
func (s *Server) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Push(nil), s.pushes...)
}

// Rejected returns the requests that failed validation.
func (s *Server) Rejected() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Push(nil), s.rejected...)
}

// Wait returns the valid requests once there are at least n, or ctx's error.
func (s *Server) Wait(ctx context.Context, n int) ([]Push, error) {
	for {
		s.mu.Lock()
		if len(s.pushes) >= n {
			p := append([]Push(nil), s.pushes...)
			s.mu.Unlock()
			return p, nil
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Pushes(), fmt.Errorf("apnsfake: %d pushes, waiting for %d: %w", len(s.Pushes()), n, ctx.Err())
		}
	}
}

func (s *Server) record(p Push, valid bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !valid {
		s.rejected = append(s.rejected, p)
		return
	}
	s.pushes = append(s.pushes, p)
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *Server) answer(tok string) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.once[tok]; len(q) > 0 {
		s.once[tok] = q[1:]
		return q[0]
	}
	if r, ok := s.script[tok]; ok {
		return r
	}
	return Response{Status: http.StatusOK}
}

// ServeHTTP validates and answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := Push{Topic: r.Header.Get("apns-topic"), PushType: r.Header.Get("apns-push-type"),
		Priority: r.Header.Get("apns-priority"), Expiration: r.Header.Get("apns-expiration")}
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	p.Body = body
	fail := func(status int, reason string) {
		p.Status, p.Reason = status, reason
		s.record(p, false)
		reply(w, status, reason)
	}
	if r.ProtoMajor != 2 {
		fail(http.StatusBadRequest, "BadRequest")
		return
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	}
	tok, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !ok {
		fail(http.StatusNotFound, "BadPath")
		return
	}
	p.DeviceToken = tok
	if tok == "" {
		fail(http.StatusBadRequest, "MissingDeviceToken")
		return
	}
	if len(tok)%2 != 0 || strings.Trim(tok, "0123456789abcdefABCDEF") != "" {
		fail(http.StatusBadRequest, "BadDeviceToken")
		return
	}
	iat, reason := s.checkJWT(r.Header.Get("authorization"))
	p.IssuedAt = iat
	if reason != "" {
		fail(http.StatusForbidden, reason)
		return
	}
	switch {
	case p.Topic == "":
		fail(http.StatusBadRequest, "MissingTopic")
		return
	case p.Topic != s.cfg.Topic:
		fail(http.StatusBadRequest, "BadTopic")
		return
	case p.PushType != "alert" && p.PushType != "background":
		fail(http.StatusBadRequest, "InvalidPushType")
		return
	case p.Priority != "" && p.Priority != "5" && p.Priority != "10",
		p.PushType == "background" && p.Priority != "5":
		fail(http.StatusBadRequest, "BadPriority")
		return
	}
	if p.Expiration != "" {
		if _, err := strconv.ParseInt(p.Expiration, 10, 64); err != nil {
			fail(http.StatusBadRequest, "BadExpirationDate")
			return
		}
	}
	if len(body) > MaxPayload {
		fail(http.StatusRequestEntityTooLarge, "PayloadTooLarge")
		return
	}
	var obj map[string]json.RawMessage
	if len(body) == 0 {
		fail(http.StatusBadRequest, "PayloadEmpty")
		return
	}
	if err := json.Unmarshal(body, &obj); err != nil || obj["aps"] == nil {
		fail(http.StatusBadRequest, "BadPayload")
		return
	}
	a := s.answer(tok)
	p.Status, p.Reason = a.Status, a.Reason
	s.record(p, true)
	w.Header().Set("apns-id", "00000000-0000-0000-0000-000000000000")
	if a.Status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		return
	}
	reply(w, a.Status, a.Reason)
}

func reply(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"reason":%q}`, reason)
}

// checkJWT returns the token's iat and "" or the APNs reason for a bad
// provider token.
func (s *Server) checkJWT(h string) (int64, string) {
	jwt, ok := strings.CutPrefix(h, "bearer ")
	if !ok {
		return 0, "MissingProviderToken"
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 0, "InvalidProviderToken"
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil
		}
		return b
	}
	var hdr struct{ Alg, Kid string }
	var claims struct {
		Iss string
		Iat int64
	}
	if json.Unmarshal(dec(parts[0]), &hdr) != nil || json.Unmarshal(dec(parts[1]), &claims) != nil {
		return 0, "InvalidProviderToken"
	}
	sig := dec(parts[2])
	if hdr.Alg != "ES256" || hdr.Kid != s.cfg.KeyID || claims.Iss != s.cfg.TeamID || len(sig) != 64 || s.cfg.Key == nil {
		return claims.Iat, "InvalidProviderToken"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(s.cfg.Key, digest[:], r, ss) {
		return claims.Iat, "InvalidProviderToken"
	}
	now := s.cfg.Now().Unix()
	if claims.Iat > now+60 {
		return claims.Iat, "InvalidProviderToken"
	}
	if now-claims.Iat > 3600 {
		// Apple: provider tokens older than one hour are refused
		return claims.Iat, "ExpiredProviderToken"
	}
	return claims.Iat, ""
}

func selfSigned() (tls.Certificate, []byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "apnsfake"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, der, nil
}
