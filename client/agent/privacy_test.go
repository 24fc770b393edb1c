package agent_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/internal/relaytest"
	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/smpclient"
)

// byteValues collects every []byte of a JSON record (encoding/json writes
// them as standard base64): the connection's queue ids, keys, DH secrets,
// ratchet keys and hashes.
func byteValues(t *testing.T, v any, out map[string]string, path string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			byteValues(t, e, out, path+"."+k)
		}
	case []any:
		for i, e := range x {
			byteValues(t, e, out, fmt.Sprintf("%s[%d]", path, i))
		}
	case string:
		if b, err := base64.StdEncoding.DecodeString(x); err == nil && len(b) >= 12 {
			out[string(b)] = path
		}
	}
}

func connBytes(t *testing.T, st *agent.MemStore, id string) map[string]string {
	t.Helper()
	rec, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(rec, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	byteValues(t, v, out, "")
	return out
}

// TestPrivacyNoSharedIdentifiers makes two connections of one client (to
// two peers, on the same relay) and checks that they share no identifier
// or key: every queue id, key, DH secret and ratchet value that the
// client keeps for one connection, and so every id and public key it puts
// on the wire for it, is absent from the other's; and the two invitation
// links share nothing but the server's address. (The wire itself is TLS
// with block encryption; protocol/transport has no plaintext hook, so the
// values are taken from the agent's records, which hold everything the
// agent sends: entity ids, NEW/SKEY/NKEY keys, e2e and ratchet keys.)
func TestPrivacyNoSharedIdentifiers(t *testing.T) {
	srv := relaytest.Start(t)
	st := agent.NewMemStore()
	alice := newAgent(t, srv, st)
	bob, carol := newAgent(t, srv, nil), newAgent(t, srv, nil)
	ab, _ := connect(t, alice, bob)
	ac, _ := connect(t, alice, carol)
	a, c := connBytes(t, st, ab), connBytes(t, st, ac)
	if len(a) < 8 || len(c) < 8 {
		t.Fatalf("too few values: %d, %d", len(a), len(c))
	}
	for v, p := range a {
		// Message hashes are of the content (equal for equal messages,
		// here the same connection info) and travel only inside the
		// end-to-end encryption: not identifiers.
		if strings.HasSuffix(p, "Hash") {
			continue
		}
		if q, ok := c[v]; ok {
			t.Errorf("connections share a value: %s and %s", p, q)
		}
	}
	// two invitations: only the server's address is common
	_, l1, err := alice.CreateConnection(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	_, l2, err := alice.CreateConnection(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(linkFields(l1)); n < 4 {
		t.Fatalf("only %d fields in %s", n, l1)
	}
	t.Logf("%d and %d values compared; %d link fields", len(a), len(c), len(linkFields(l1)))
	for _, f := range linkFields(l1) {
		if strings.Contains(unescape(l2), f) && !strings.Contains(srv.String(), f) {
			t.Errorf("invitations share %q", f)
		}
	}
}

// linkFields splits an invitation link into its base64url runs of 16 or
// more characters (ids and keys).
func linkFields(link string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(unescape(link), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		if len(f) >= 16 {
			out = append(out, f)
		}
	}
	return out
}

// recordingConn records the size of every write to the TCP connection.
type recordingConn struct {
	net.Conn
	mu     *sync.Mutex
	writes *[]int
}

func (c recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	*c.writes = append(*c.writes, len(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// TestPrivacyConstantBlockSize sends messages of very different lengths
// and checks that, after the TLS handshake, every write of the client to
// the relay has the same size: one 16384-byte SMP block in one TLS record
// (CONFORMANCE-NOTES §2.5), whatever the message length.
func TestPrivacyConstantBlockSize(t *testing.T) {
	srv := relaytest.Start(t)
	var mu sync.Mutex
	var writes []int
	dial := func(ctx context.Context, s address.ServerAddress) (*smpclient.Client, error) {
		return smpclient.DialServer(ctx, s, smpclient.Options{EventBuffer: 1024,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return recordingConn{Conn: nc, mu: &mu, writes: &writes}, nil
			}})
	}
	alice, err := agent.New(agent.Config{Servers: []address.ServerAddress{srv}, Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.Close() })
	bob := newAgent(t, srv, nil)
	ab, ba := connect(t, alice, bob)
	mu.Lock()
	writes = nil // the TLS handshake and the connection setup
	mu.Unlock()
	for _, n := range []int{0, 1, 100, 1000, 5000, 12000} {
		body := strings.Repeat("x", n)
		if _, err := alice.SendMessage(ctx(t), ab, []byte(body)); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		m := next(t, bob, agent.EvMSG)
		if m.ConnID != ba || len(m.Body) != n {
			t.Fatalf("MSG %d bytes, want %d", len(m.Body), n)
		}
		if err := bob.AckMessage(ctx(t), ba, m.MsgID, false); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writes) < 6 {
		t.Fatalf("only %d writes", len(writes))
	}
	// TLS 1.3 record: 5-byte header + 16384 block + 1 content type + 16 tag
	const want = 5 + 16384 + 1 + 16
	for i, w := range writes {
		if w != want {
			t.Fatalf("write %d is %d bytes, want %d (all: %v)", i, w, want, writes)
		}
	}
}

// unescape undoes the link's two levels of URL encoding (the queue URI is
// a query parameter of the link).
func unescape(s string) string {
	for range 2 {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	return s
}
