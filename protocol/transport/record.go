package transport

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// maxRecorded bounds the handshake bytes kept per connection. A client's
// TLS 1.3 flight (one or two ClientHellos, an optional certificate chain,
// CertificateVerify and Finished) is a few KiB; past this limit recording
// stops and the session id cannot be recovered, failing the connection.
const maxRecorded = 64 << 10

// recordingConn is a net.Conn that keeps a copy of the bytes read from it
// (server side: what the client sent) or written to it (client side) until
// stop is called. crypto/tls reads ahead, so the copy may run past the
// handshake; clientFinished13 stops at the Finished message.
type recordingConn struct {
	net.Conn
	reads bool // record reads if true, writes if false

	done atomic.Bool // set by stop; lets Read/Write skip the lock afterwards

	mu        sync.Mutex // guards buf and truncated
	buf       []byte
	truncated bool
}

func newRecordingConn(c net.Conn, reads bool) *recordingConn {
	return &recordingConn{Conn: c, reads: reads}
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if r.reads && n > 0 && !r.done.Load() {
		r.record(p[:n])
	}
	return n, err
}

func (r *recordingConn) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	if !r.reads && n > 0 && !r.done.Load() {
		r.record(p[:n])
	}
	return n, err
}

func (r *recordingConn) record(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done.Load() {
		return
	}
	room := maxRecorded - len(r.buf)
	if len(p) > room {
		p = p[:room]
		r.truncated = true
	}
	r.buf = append(r.buf, p...)
}

// stop ends recording and returns what was recorded and whether the limit
// cut it short.
func (r *recordingConn) stop() ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done.Store(true)
	b, t := r.buf, r.truncated
	r.buf = nil
	return b, t
}

// NSS key log labels crypto/tls writes for TLS 1.3: the client handshake
// traffic secret (for the session id) and the first application traffic
// secrets (for the record layer of OwnRecords).
const (
	keyLogLabelClientHandshake = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	keyLogLabelClientTraffic   = "CLIENT_TRAFFIC_SECRET_0"
	keyLogLabelServerTraffic   = "SERVER_TRAFFIC_SECRET_0"
)

// maxKeyLogLine bounds a pending partial key log line (a line is about 200
// bytes: label, 64 hex digits of client random, up to 96 of secret).
const maxKeyLogLine = 1024

// keyLog is a per-connection tls.Config.KeyLogWriter that keeps the client
// handshake traffic secret and forwards every line to an optional next
// writer (the caller's own KeyLogWriter). crypto/tls writes one line per
// Write, under a global mutex, in the NSS format:
//
//	<label> <hex client_random> <hex secret>\n
type keyLog struct {
	mu       sync.Mutex // guards the fields below
	next     io.Writer
	pending  []byte
	clientHS []byte
	// Application traffic secrets, kept only when keepTraffic is set.
	keepTraffic          bool
	clientApp, serverApp []byte
}

func newKeyLog(next io.Writer) *keyLog { return &keyLog{next: next} }

func (k *keyLog) setNext(w io.Writer) {
	k.mu.Lock()
	k.next = w
	k.mu.Unlock()
}

func (k *keyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.next != nil {
		// An error here fails the handshake, as it would without us.
		if n, err := k.next.Write(p); err != nil {
			return n, err
		}
	}
	k.pending = append(k.pending, p...)
	for {
		i := bytes.IndexByte(k.pending, '\n')
		if i < 0 {
			break
		}
		k.parseLine(k.pending[:i])
		k.pending = k.pending[i+1:]
	}
	if len(k.pending) > maxKeyLogLine {
		k.pending = nil
	}
	return len(p), nil
}

func (k *keyLog) parseLine(line []byte) {
	f := bytes.Fields(line)
	if len(f) != 3 {
		return
	}
	var dst *[]byte
	switch string(f[0]) {
	case keyLogLabelClientHandshake:
		dst = &k.clientHS
	case keyLogLabelClientTraffic:
		dst = &k.clientApp
	case keyLogLabelServerTraffic:
		dst = &k.serverApp
	}
	if dst == nil || (dst != &k.clientHS && !k.keepTraffic) {
		return
	}
	secret := make([]byte, hex.DecodedLen(len(f[2])))
	if _, err := hex.Decode(secret, f[2]); err != nil {
		return
	}
	*dst = secret
}

// trafficSecrets returns the logged client and server application traffic
// secrets (nil unless keepTraffic was set and crypto/tls logged them).
func (k *keyLog) trafficSecrets() (client, server []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.clientApp, k.serverApp
}

// clientHandshakeSecret returns the logged client handshake traffic secret,
// or nil.
func (k *keyLog) clientHandshakeSecret() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.clientHS
}
