package agent

import (
	"context"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/address"
)

func TestAgentErrors(t *testing.T) {
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, _, err := a.CreateConnection(ctx); !errors.Is(err, ErrNoServer) {
		t.Errorf("create without server: %v", err)
	}
	if _, err := a.JoinConnection(ctx, "simplex:/nonsense", nil); err == nil {
		t.Error("bad link joined")
	}
	contact := "simplex:/contact#/?v=2-7&smp=smp%3A%2F%2FAQID%40a.b%2Fc2lk%23%2F%3Fv%3D1-4%26dh%3DMCowBQYDK2VuAyEAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8%253D"
	if _, err := address.ParseConnectionRequest(contact); err != nil {
		t.Fatalf("contact link: %v", err)
	}
	if _, err := a.JoinConnection(ctx, contact, nil); !errors.Is(err, ErrNoServer) {
		t.Errorf("contact link without a server for the invitation: %v", err)
	}
	noE2E := "simplex:/invitation#/?v=2-7&smp=smp%3A%2F%2FAQID%40a.b%2Fc2lk%23%2F%3Fv%3D1-4%26dh%3DMCowBQYDK2VuAyEAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8%253D"
	if _, err := a.JoinConnection(ctx, noE2E, nil); err == nil {
		t.Error("invitation without e2e parameters joined")
	}
	if _, err := a.SendMessage(ctx, "nope", []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("send to unknown: %v", err)
	}
	if err := a.AllowConnection(ctx, "nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("allow unknown: %v", err)
	}
	if err := a.AckMessage(ctx, "nope", 1, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("ack unknown: %v", err)
	}
}

// A stored connection is loaded by a new agent; an undecodable record is
// an error.
func TestAgentLoad(t *testing.T) {
	st := NewMemStore()
	c := &Conn{ID: "c1", Status: ConnActive, Rcv: &RcvQueue{Server: "smp://AQID@a.b", RcvID: []byte("r")}}
	b, _ := c.encode()
	if err := st.Put(c.ID, b); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if s, init, err := a.Conn("c1"); err != nil || s != ConnActive || init {
		t.Fatalf("loaded: %v %v %v", s, init, err)
	}
	if _, err := a.SendMessage(context.Background(), "c1", []byte("x")); !errors.Is(err, ErrState) {
		t.Errorf("send without queue: %v", err)
	}
	a.Close()
	if err := st.Put("bad", []byte("{")); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Store: st}); err == nil {
		t.Fatal("bad record loaded")
	}
}
