package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/simplexgo/client/agent"
	"github.com/simplexgo/client/store"
	"github.com/simplexgo/protocol/address"
)

// config is the profile's plain configuration file (no secrets).
type config struct {
	Server         string `json:"server"`
	Name           string `json:"name"`
	PrivateRouting bool   `json:"privateRouting,omitempty"`
}

const (
	configFile = "config.json"
	stateFile  = "client.db"
)

// contact is a local alias of a connection, kept encrypted.
type contact struct {
	ConnID   string `json:"connId"`
	PeerName string `json:"peerName,omitempty"`
}

// profile is an opened profile directory.
type profile struct {
	dir      string
	cfg      config
	st       *store.Store
	contacts *store.Store
	kdf      store.KDFParams
}

func loadPassphrase(file string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	if p := os.Getenv("SIMPLEX_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	return nil, errors.New("no passphrase: set SIMPLEX_PASSPHRASE or use -passphrase-file")
}

func openProfile(dir string, passphrase []byte, kdf store.KDFParams) (*profile, error) {
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("profile not initialized (run init): %w", err)
	}
	p := &profile{dir: dir, kdf: kdf}
	if err := json.Unmarshal(b, &p.cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", configFile, err)
	}
	if p.st, err = store.Open(filepath.Join(dir, stateFile), passphrase, kdf); err != nil {
		return nil, err
	}
	if p.contacts, err = p.st.Bucket("contacts"); err != nil {
		p.st.Close()
		return nil, err
	}
	return p, nil
}

func (p *profile) close() { p.st.Close() }

func (p *profile) agent() (*agent.Agent, error) {
	srv, err := parseSMPServer(p.cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return agent.New(agent.Config{Servers: []address.ServerAddress{srv}, Store: p.st, PrivateRouting: p.cfg.PrivateRouting})
}

func (p *profile) connInfo() []byte {
	b, _ := json.Marshal(map[string]string{"displayName": p.cfg.Name})
	return b
}

func peerName(info []byte) string {
	var m struct {
		DisplayName string `json:"displayName"`
	}
	if json.Unmarshal(info, &m) != nil {
		return ""
	}
	return m.DisplayName
}

func (p *profile) contact(alias string) (contact, error) {
	var c contact
	b, err := p.contacts.Get(alias)
	if err != nil {
		return c, fmt.Errorf("contact %q: %w", alias, err)
	}
	return c, json.Unmarshal(b, &c)
}

func (p *profile) putContact(alias string, c contact) error {
	b, _ := json.Marshal(c)
	return p.contacts.Put(alias, b)
}

// aliasOf finds the alias of a connection.
func (p *profile) aliasOf(connID string) string {
	ids, _ := p.contacts.List()
	for _, a := range ids {
		if c, err := p.contact(a); err == nil && c.ConnID == connID {
			return a
		}
	}
	return connID
}

// parseSMPServer parses the profile's SMP server: smp://fp[:password]@host[:port];
// the password (a server's queue-creation password) is sent with NEW.
func parseSMPServer(s string) (address.ServerAddress, error) {
	srv, err := address.ParseServerAddress(s)
	if err != nil {
		return srv, err
	}
	if srv.Scheme != address.SchemeSMP {
		return srv, fmt.Errorf("%q is not an smp:// address", s)
	}
	return srv, nil
}
