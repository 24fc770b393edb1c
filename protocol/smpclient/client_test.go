package smpclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/certs"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/smp"
	"github.com/simplexgo/protocol/transport"
)

// responder is a minimal SMP server built from the transport session
// layer, enough to exercise the client:
//
//	PING      → PONG
//	SUB e     → OK, then the events MSG and END for e (empty corrId), same block
//	SEND e    → OK; if e has a key registered, the authorization must verify
//	            (ERR AUTH otherwise)
//	GET e     → no response until the next DEL
//	DEL e     → OK for the held GET, then OK
//	OFF       → the server closes the connection
//	other     → ERR CMD PROHIBITED
type responder struct {
	t      *testing.T
	ln     net.Listener
	id     *certs.ServerIdentity
	srange encoding.VersionRange

	mu     sync.Mutex
	keys   map[string]crypto.PublicKey // entity → auth key
	counts []int                       // transmissions per received block
	held   []byte                      // corrId of a GET awaiting DEL
}

func newResponder(t *testing.T) *responder {
	t.Helper()
	id, err := certs.NewEphemeralIdentity(crypto.Ed25519, "test CA", "localhost", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{t: t, ln: ln, id: id, srange: smp.SupportedRange, keys: map[string]crypto.PublicKey{}}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.serve(c)
			}()
		}
	}()
	return r
}

func (r *responder) addr() string { return r.ln.Addr().String() }

func (r *responder) serve(nc net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc, err := transport.Server(ctx, nc, transport.ServerTLSConfig([]tls.Certificate{r.id.TLS}, []string{transport.ALPNSMP}))
	if err != nil {
		return
	}
	s, err := transport.SMPServerHandshake(ctx, tc, transport.SMPServerParams{
		Range: r.srange, CertChain: r.id.Chain, SignKey: r.id.LeafKey, KeyHash: r.id.Fingerprint})
	if err != nil {
		return
	}
	defer s.Close()
	for {
		payload, err := s.ReadBlock()
		if err != nil {
			return
		}
		ts, err := transport.ParseBatch(s, payload)
		if err != nil {
			r.t.Errorf("responder: %v", err)
			return
		}
		r.mu.Lock()
		r.counts = append(r.counts, len(ts))
		r.mu.Unlock()
		var out [][]byte
		reply := func(corrID, entityID []byte, m smp.Message) {
			cmd, err := smp.EncodeMessage(s.Version, m)
			if err != nil {
				r.t.Errorf("responder: %v", err)
				return
			}
			b, err := transport.EncodeTransmission(s, transport.Transmission{CorrID: corrID, EntityID: entityID, Command: cmd})
			if err != nil {
				r.t.Errorf("responder: %v", err)
				return
			}
			out = append(out, b)
		}
		for _, t := range ts {
			if t.Err != nil {
				reply(t.CorrID, t.EntityID, smp.ERR{Err: smp.ErrorTypeOf(t.Err)})
				continue
			}
			cmd, err := smp.ParseCommand(s.Version, t.Command)
			if err != nil {
				reply(t.CorrID, t.EntityID, smp.ERR{Err: smp.ErrorTypeOf(err)})
				continue
			}
			switch cmd.(type) {
			case smp.PING:
				reply(t.CorrID, nil, smp.PONG{})
			case smp.SUB:
				reply(t.CorrID, t.EntityID, smp.OK{})
				reply(nil, t.EntityID, smp.MSG{MsgID: []byte("msg-1"), EncBody: []byte("body")})
				reply(nil, t.EntityID, smp.END{})
			case smp.SEND:
				r.mu.Lock()
				k, ok := r.keys[string(t.EntityID)]
				r.mu.Unlock()
				if ok && !transport.VerifyTransmission(s, k, t.Transmission) {
					reply(t.CorrID, t.EntityID, smp.ERR{Err: smp.ErrAuth})
					continue
				}
				reply(t.CorrID, t.EntityID, smp.OK{})
			case smp.GET:
				r.mu.Lock()
				r.held = bytes.Clone(t.CorrID)
				r.mu.Unlock()
			case smp.DEL:
				r.mu.Lock()
				held := r.held
				r.held = nil
				r.mu.Unlock()
				reply(held, t.EntityID, smp.OK{})
				reply(t.CorrID, t.EntityID, smp.OK{})
			case smp.NSUB: // OK, then eight NMSGs in blocks of their own
				reply(t.CorrID, t.EntityID, smp.OK{})
				for i := range eventBlocks {
					reply(nil, t.EntityID, smp.NMSG{Nonce: bytes.Repeat([]byte{byte(i)}, 24), EncMeta: bytes.Repeat([]byte{byte(i)}, 100)})
					blocks, err := transport.PackBatches(s, out)
					if err != nil {
						r.t.Errorf("responder: %v", err)
						return
					}
					out = nil
					for _, b := range blocks {
						if err := s.WriteBlock(b); err != nil {
							return
						}
					}
				}
			case smp.OFF:
				return
			default:
				reply(t.CorrID, t.EntityID, smp.ERR{Err: smp.ErrCmdProhibited})
			}
		}
		blocks, err := transport.PackBatches(s, out)
		if err != nil {
			r.t.Errorf("responder: %v", err)
			return
		}
		for _, b := range blocks {
			if err := s.WriteBlock(b); err != nil {
				return
			}
		}
	}
}

func (r *responder) heldCorrID() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}

func (r *responder) blockCounts() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.counts...)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, r *responder, opts Options) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), r.addr(), r.id.Fingerprint, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDialAndPing connects with the official defaults: v14 against a
// 6..14 server, block encryption on, PING answered by PONG
// (CONFORMANCE-NOTES §2.6, §2.8, §3.1).
func TestDialAndPing(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	if v := c.Session().Version; v != 14 || !c.Session().Encrypted() {
		t.Fatalf("version %d, encrypted %v", v, c.Session().Encrypted())
	}
	m, err := c.Send(testCtx(t), nil, nil, smp.PING{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(smp.PONG); !ok {
		t.Fatalf("got %#v", m)
	}
}

// TestDialServer dials through an smp:// address.
func TestDialServer(t *testing.T) {
	r := newResponder(t)
	host, port, _ := net.SplitHostPort(r.addr())
	srv := address.ServerAddress{Scheme: address.SchemeSMP, KeyHash: r.id.Fingerprint, Hosts: []string{host}, Port: port}
	c, err := DialServer(testCtx(t), srv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(testCtx(t), nil, nil, smp.PING{}); err != nil {
		t.Fatal(err)
	}
	srv.Scheme = address.SchemeNTF
	if _, err := DialServer(testCtx(t), srv, Options{}); !errors.Is(err, ErrNotSMP) {
		t.Fatalf("ntf address: %v", err)
	}
	if _, err := DialServer(testCtx(t), address.ServerAddress{Scheme: address.SchemeSMP}, Options{}); !errors.Is(err, ErrNoHost) {
		t.Fatalf("no host: %v", err)
	}
}

// TestDialWrongKeyHash: the TLS chain check rejects a server whose identity
// differs from the address.
func TestDialWrongKeyHash(t *testing.T) {
	r := newResponder(t)
	if _, err := Dial(testCtx(t), r.addr(), make([]byte, 32), Options{}); !errors.Is(err, certs.ErrIdentity) {
		t.Fatalf("got %v", err)
	}
}

// TestLegacyNoALPN: without ALPN the server offers v6 only, and commands
// still work (session id sent in each transmission).
func TestLegacyNoALPN(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{NoALPN: true})
	if c.Session().Version != 6 || c.Session().ImpliedSessionID {
		t.Fatalf("session %+v", c.Session())
	}
	if m, err := c.Send(testCtx(t), []byte("q"), nil, smp.SEND{Body: []byte("hi")}); err != nil || m.Tag() != "OK" {
		t.Fatalf("%#v %v", m, err)
	}
}

// TestConcurrentSends runs many callers at once; each must get the
// response to its own command (the responder answers OK or ERR AUTH by
// entity, so a mix-up shows).
func TestConcurrentSends(t *testing.T) {
	r := newResponder(t)
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	wrong, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	for i := range 100 {
		r.keys[fmt.Sprintf("q%03d", i)] = key.Public()
	}
	c := dial(t, r, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := &key
			if i%2 == 1 {
				k = &wrong
			}
			m, err := c.Send(testCtx(t), []byte(fmt.Sprintf("q%03d", i)), k, smp.SEND{Body: []byte("x")})
			switch {
			case i%2 == 0 && (err != nil || m.Tag() != "OK"):
				errs <- fmt.Errorf("%d: %#v %v", i, m, err)
			case i%2 == 1 && !errors.Is(err, smp.ErrAuth):
				errs <- fmt.Errorf("%d: %#v %v", i, m, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestBatching holds the writer while commands queue up: they must then
// travel in one block, and the responses in one block too.
func TestBatching(t *testing.T) {
	r := newResponder(t)
	s, err := dialSession(testCtx(t), r.addr(), r.id.Fingerprint, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(s, Options{})
	gate := make(chan struct{})
	c.writeGate = gate
	c.start()
	defer c.Close()
	const n = 40
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = c.Send(testCtx(t), nil, nil, smp.PING{})
		}()
	}
	// One item is held by the writer, the others wait in the queue.
	for len(c.queue) < n-1 {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if got := r.blockCounts(); len(got) != 1 || got[0] != n {
		t.Fatalf("blocks %v, want [%d]", got, n)
	}

	// SendBatch queues its commands at once: one block without any gate.
	reqs := []Request{{Cmd: smp.PING{}}, {EntityID: []byte("e"), Cmd: smp.SEND{Body: []byte("a")}}, {Cmd: smp.PING{}}}
	res := c.SendBatch(testCtx(t), reqs)
	for i, x := range res {
		if x.Err != nil {
			t.Fatalf("%d: %v", i, x.Err)
		}
	}
	if res[0].Msg.Tag() != "PONG" || res[1].Msg.Tag() != "OK" || res[2].Msg.Tag() != "PONG" {
		t.Fatalf("results %v", res)
	}
	if got := r.blockCounts(); len(got) != 2 || got[1] != 3 {
		t.Fatalf("blocks %v", got)
	}
}

// TestAuthenticator signs with an X25519 key: the 80-byte authenticator
// needs the server's session key from the hello (CONFORMANCE-NOTES §2.7).
func TestAuthenticator(t *testing.T) {
	r := newResponder(t)
	key, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	r.keys["dh"] = key.Public()
	c := dial(t, r, Options{})
	if m, err := c.Send(testCtx(t), []byte("dh"), &key, smp.SEND{Body: []byte("x")}); err != nil || m.Tag() != "OK" {
		t.Fatalf("%#v %v", m, err)
	}
	other, _ := crypto.GenerateKey(crypto.X25519, rand.Reader)
	if _, err := c.Send(testCtx(t), []byte("dh"), &other, smp.SEND{Body: []byte("x")}); !errors.Is(err, smp.ErrAuth) {
		t.Fatalf("other key: %v", err)
	}
}

// TestEvents: SUB is answered OK, and the MSG and END that follow with an
// empty corrId arrive on Events.
func TestEvents(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	m, err := c.Send(testCtx(t), []byte("rcv"), &key, smp.SUB{})
	if err != nil || m.Tag() != "OK" {
		t.Fatalf("%#v %v", m, err)
	}
	for _, want := range []string{"MSG", "END"} {
		select {
		case ev := <-c.Events():
			if ev.Err != nil || ev.Msg.Tag() != want || string(ev.EntityID) != "rcv" || ev.CorrID != nil {
				t.Fatalf("event %+v", ev)
			}
			if msg, ok := ev.Msg.(smp.MSG); ok && (string(msg.MsgID) != "msg-1" || string(msg.EncBody) != "body") {
				t.Fatalf("MSG %+v", msg)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
	}
}

const eventBlocks = 8

// TestEventsOwnTheirBytes: events read from pooled blocks keep their
// contents after later blocks reuse the buffers (read after all eight
// blocks have arrived).
func TestEventsOwnTheirBytes(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	if m, err := c.Send(testCtx(t), []byte("nid"), &key, smp.NSUB{}); err != nil || m.Tag() != "OK" {
		t.Fatalf("%#v %v", m, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Events()) < eventBlocks && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the reader release the last block
	for i := range eventBlocks {
		ev := <-c.Events()
		m, ok := ev.Msg.(smp.NMSG)
		if !ok || string(ev.EntityID) != "nid" || !bytes.Equal(m.Nonce, bytes.Repeat([]byte{byte(i)}, 24)) ||
			!bytes.Equal(m.EncMeta, bytes.Repeat([]byte{byte(i)}, 100)) {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
}

// TestTimeout: a command without response returns when its context ends; its late
// response arrives as an event with its corrId, and the client goes on.
func TestTimeout(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, []byte("q"), &key, smp.GET{})
		errc <- err
	}()
	// Give up once the responder holds the GET.
	for r.heldCorrID() == nil {
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if m, err := c.Send(testCtx(t), []byte("q"), &key, smp.DEL{}); err != nil || m.Tag() != "OK" {
		t.Fatalf("DEL: %#v %v", m, err)
	}
	select {
	case ev := <-c.Events():
		if len(ev.CorrID) != CorrIDSize || ev.Msg.Tag() != "OK" {
			t.Fatalf("late response %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no late response")
	}
	// A cancelled context before sending: nothing is sent.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.Send(done, nil, nil, smp.PING{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestServerCloses: when the server drops the connection, pending and new
// commands fail, Done closes and Events is closed.
func TestServerCloses(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	if _, err := c.Send(testCtx(t), []byte("q"), &key, smp.OFF{}); err == nil {
		t.Fatal("OFF got a response")
	}
	<-c.Done()
	if c.Err() == nil {
		t.Fatal("no error")
	}
	if _, err := c.Send(testCtx(t), nil, nil, smp.PING{}); err == nil {
		t.Fatal("send after close")
	}
	for range c.Events() {
	}
}

// TestClose fails a pending command with ErrClosed.
func TestClose(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Send(testCtx(t), []byte("q"), &key, smp.GET{}) // held by the responder
		errc <- err
	}()
	// Wait until the GET is registered, then close.
	for {
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	c.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending: %v", err)
	}
	if _, err := c.Send(testCtx(t), nil, nil, smp.PING{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatal(c.Err())
	}
}

// TestErrors covers ERR responses and local refusals.
func TestErrors(t *testing.T) {
	r := newResponder(t)
	c := dial(t, r, Options{})
	key, _ := crypto.GenerateKey(crypto.Ed25519, rand.Reader)
	m, err := c.Send(testCtx(t), []byte("q"), &key, smp.QUE{})
	if !errors.Is(err, smp.ErrCmdProhibited) {
		t.Fatalf("got %#v %v", m, err)
	}
	if e, ok := m.(smp.ERR); !ok || e.Err != smp.ErrCmdProhibited {
		t.Fatalf("message %#v", m)
	}
	big := smp.SEND{Body: make([]byte, transport.SMPBlockSize)}
	if _, err := c.Send(testCtx(t), []byte("q"), nil, big); !errors.Is(err, transport.ErrLargeMsg) {
		t.Fatalf("large: %v", err)
	}
	x448, _ := crypto.GenerateKey(crypto.X448, rand.Reader)
	if _, err := c.Send(testCtx(t), []byte("q"), &x448, smp.SUB{}); !errors.Is(err, crypto.ErrKeyAlg) {
		t.Fatalf("X448 key: %v", err)
	}
}
