package ratchet

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/simplexgo/protocol/crypto"
)

// MaxSkip is the most message keys one received header may make the
// ratchet skip [R maxSkip].
const MaxSkip = 512

// MaxStoredSkipped bounds the skipped message keys kept in a ratchet; the
// oldest are dropped beyond it. The reference keeps them in a database
// table without a bound (and deletes them by age).
const MaxStoredSkipped = 2048

// Versions are the current ratchet version and the maximum this party
// supports [R RatchetVersions].
type Versions struct {
	Current      uint16
	MaxSupported uint16
}

// SndChain is the sending half of the ratchet [R SndRatchet].
type SndChain struct {
	DHRr crypto.PublicKey // the peer's current ratchet key
	CKs  []byte
	HKs  []byte
}

// RcvChain is the receiving half [R RcvRatchet].
type RcvChain struct {
	CKr []byte
	HKr []byte
}

// SkippedKey is the key of a message that was skipped over, by the header
// key of its chain and its number [R SkippedMsgKeys, MessageKey].
type SkippedKey struct {
	HK  []byte
	N   uint32
	Key []byte
	IV  []byte
}

// Ratchet is the whole state of one side of a connection's double ratchet
// [R Ratchet]. Its state is in exported data fields so that it can be
// stored as JSON (the unexported ones are a cache). It is not safe for concurrent use.
type Ratchet struct {
	Version Versions
	AD      []byte            // associated data, the same on both sides
	DHRs    crypto.PrivateKey // own current ratchet key (X448)
	RK      []byte            // root key
	Snd     *SndChain         `json:",omitempty"`
	Rcv     *RcvChain         `json:",omitempty"`
	Ns, Nr  uint32            // sent / received in the current chains
	PN      uint32            // sent in the previous sending chain
	NHKs    []byte            // next sending header key
	NHKr    []byte            // next receiving header key
	Skipped []SkippedKey      `json:",omitempty"`
	Rand    io.Reader         `json:"-"` // key generation; nil = crypto/rand

	// the public half of DHRs, for the Raw it was computed from: an X448
	// scalar multiplication, most of the cost of Encrypt otherwise
	pubFor []byte
	pub    crypto.PublicKey
}

// dhrsPublic returns DHRs's public key, computed once per ratchet key.
func (r *Ratchet) dhrsPublic() crypto.PublicKey {
	if r.pubFor == nil || !bytes.Equal(r.pubFor, r.DHRs.Raw) {
		r.pub, r.pubFor = r.DHRs.Public(), bytes.Clone(r.DHRs.Raw)
	}
	return r.pub
}

func (r *Ratchet) rand() io.Reader {
	if r.Rand != nil {
		return r.Rand
	}
	return rand.Reader
}

// InitSnd initializes the ratchet of the party joining a connection
// (RatchetInitAlicePQ2HE): dhRr is the second X448 key of the invitation,
// dhRs a fresh X448 key [R initSndRatchet].
func InitSnd(vs Versions, dhRr crypto.PublicKey, dhRs crypto.PrivateKey, p InitParams) (*Ratchet, error) {
	rk, cks, nhks, err := rootKdf(p.RootKey, dhRr, dhRs)
	if err != nil {
		return nil, err
	}
	return &Ratchet{
		Version: vs,
		AD:      p.AssocData,
		DHRs:    dhRs,
		RK:      rk,
		Snd:     &SndChain{DHRr: dhRr, CKs: cks, HKs: p.SndHK},
		NHKs:    nhks,
		NHKr:    p.RcvNextHK,
	}, nil
}

// InitRcv initializes the ratchet of the party that created the
// invitation (RatchetInitBobPQ2HE): dhRs is the private half of the second
// invitation key [R initRcvRatchet].
func InitRcv(vs Versions, dhRs crypto.PrivateKey, p InitParams) *Ratchet {
	return &Ratchet{
		Version: vs,
		AD:      p.AssocData,
		DHRs:    dhRs,
		RK:      p.RootKey,
		NHKs:    p.RcvNextHK,
		NHKr:    p.SndHK,
	}
}

// Clone returns a deep copy of r (Rand is shared).
func (r *Ratchet) Clone() *Ratchet {
	c := *r
	c.AD = bytes.Clone(r.AD)
	c.DHRs = crypto.PrivateKey{Alg: r.DHRs.Alg, Raw: bytes.Clone(r.DHRs.Raw)}
	if r.Snd != nil {
		s := *r.Snd
		c.Snd = &s
	}
	if r.Rcv != nil {
		v := *r.Rcv
		c.Rcv = &v
	}
	c.Skipped = append([]SkippedKey(nil), r.Skipped...)
	return &c
}

// CanSend reports whether r has a sending chain (the creating party gets
// one with the first received message).
func (r *Ratchet) CanSend() bool { return r.Snd != nil }

// Encrypt encrypts msg padded to paddedLen bytes and advances the sending
// chain [R rcEncryptHeader, rcEncryptMsg]:
//
//	header = HEADER(dh = DHRs.public, pn = PN, n = Ns)
//	enc_header = AES-GCM(HKs, ehIV, AD, pad(header, 88))
//	body = AES-GCM(mk, iv, AD ‖ enc_header, pad(msg, paddedLen))
func (r *Ratchet) Encrypt(msg []byte, paddedLen int) ([]byte, error) {
	return r.encrypt(msg, paddedLen, nil, paddedHeaderLen)
}

// encrypt is Encrypt with the header's KEM parameters and padded length
// (2310 with KEM in the reference); KEM: a PQ ratchet would pass its
// proposal or ciphertext here. Tests use it to play a PQ peer.
func (r *Ratchet) encrypt(msg []byte, paddedLen int, kem *KEMParams, hdrLen int) ([]byte, error) {
	if r.Snd == nil {
		return nil, ErrState
	}
	ck, mk, iv, hiv := chainKdf(r.Snd.CKs)
	v := r.Version.Current
	// Without PQ the advertised maximum is the larger of our current
	// version and the version we support [R rcEncryptHeader maxSupported'].
	maxV := max(CurrentVersion, v)
	hdr, err := encodeMsgHeader(v, MsgHeader{MaxVersion: maxV, DHRs: r.dhrsPublic(), KEM: kem, PN: r.PN, Ns: r.Ns})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeaderSyntax, err)
	}
	htag, hbody, err := encryptAEAD(r.Snd.HKs, hiv, hdrLen, r.AD, hdr)
	if err != nil {
		return nil, err
	}
	eh := EncMessageHeader{Version: v, IV: hiv, Tag: htag, Body: hbody}.Encode()
	tag, body, err := encryptAEAD(mk, iv, paddedLen, append(bytes.Clone(r.AD), eh...), msg)
	if err != nil {
		return nil, err
	}
	r.Snd.CKs = ck
	r.Ns++
	r.Version.MaxSupported = max(r.Version.MaxSupported, maxV)
	return EncRatchetMessage{Header: eh, Tag: tag, Body: body}.Encode(v), nil
}

// Decrypt decrypts one message [R rcDecrypt]. It is transactional: r
// changes only when the message decrypts. (The reference keeps the
// advanced ratchet even when the body then fails to decrypt.)
func (r *Ratchet) Decrypt(msg []byte) ([]byte, error) {
	em, err := ParseEncRatchetMessage(msg)
	if err != nil {
		return nil, err
	}
	eh, err := ParseEncMessageHeader(em.Header)
	if err != nil {
		return nil, err
	}
	// TrySkippedMessageKeysHE: a header decrypted by a skipped chain's
	// header key either finds its message key, or continues with the
	// current or next chain if that key is one of them.
	for _, hk := range r.skippedHKs() {
		h, err := r.decryptHeader(hk, eh)
		if err != nil {
			continue
		}
		if i := r.findSkipped(hk, h.Ns); i >= 0 {
			sk := r.Skipped[i]
			p, err := r.decryptBody(sk.Key, sk.IV, em)
			if err != nil {
				return nil, err
			}
			r.Skipped = append(r.Skipped[:i:i], r.Skipped[i+1:]...)
			return p, nil
		}
		switch {
		case r.Rcv != nil && bytes.Equal(hk, r.Rcv.HKr):
			return r.decryptWith(false, h, em)
		case bytes.Equal(hk, r.NHKr):
			return r.decryptWith(true, h, em)
		default:
			return nil, ErrHeader
		}
	}
	if r.Rcv != nil {
		if h, err := r.decryptHeader(r.Rcv.HKr, eh); err == nil {
			return r.decryptWith(false, h, em)
		} else if err != ErrHeader {
			return nil, err
		}
	}
	h, err := r.decryptHeader(r.NHKr, eh)
	if err != nil {
		return nil, err
	}
	return r.decryptWith(true, h, em)
}

// skippedHKs lists the distinct header keys of the skipped message keys.
func (r *Ratchet) skippedHKs() [][]byte {
	var hks [][]byte
	for _, sk := range r.Skipped {
		if len(hks) == 0 || !bytes.Equal(hks[len(hks)-1], sk.HK) {
			dup := false
			for _, k := range hks {
				dup = dup || bytes.Equal(k, sk.HK)
			}
			if !dup {
				hks = append(hks, sk.HK)
			}
		}
	}
	return hks
}

func (r *Ratchet) findSkipped(hk []byte, n uint32) int {
	for i, sk := range r.Skipped {
		if sk.N == n && bytes.Equal(sk.HK, hk) {
			return i
		}
	}
	return -1
}

// decryptHeader opens an encrypted header with header key hk; a key that
// does not fit gives ErrHeader.
func (r *Ratchet) decryptHeader(hk []byte, eh EncMessageHeader) (MsgHeader, error) {
	if hk == nil {
		return MsgHeader{}, ErrHeader
	}
	p, err := decryptAEAD(hk, eh.IV, r.AD, eh.Body, eh.Tag)
	if err != nil {
		return MsgHeader{}, ErrHeader
	}
	return parseMsgHeader(eh.Version, p)
}

func (r *Ratchet) decryptBody(mk, iv []byte, em EncRatchetMessage) ([]byte, error) {
	return decryptAEAD(mk, iv, append(bytes.Clone(r.AD), em.Header...), em.Body, em.Tag)
}

// decryptWith runs the rest of RatchetDecryptPQ2HE on a copy of r: an
// optional DH ratchet step (skipping the rest of the current chain first),
// skipping to header.n, one chain step, and the body decryption. r takes
// the copy's state only on success.
func (r *Ratchet) decryptWith(advance bool, h MsgHeader, em EncRatchetMessage) ([]byte, error) {
	c := r.Clone()
	if h.MaxVersion > c.Version.Current {
		c.Version.Current = max(c.Version.Current, min(h.MaxVersion, c.Version.MaxSupported))
	}
	if advance {
		if err := c.skipTo(h.PN); err != nil {
			return nil, err
		}
		if err := c.step(h); err != nil {
			return nil, err
		}
	}
	if err := c.skipTo(h.Ns); err != nil {
		return nil, err
	}
	if c.Rcv == nil {
		return nil, ErrState
	}
	ck, mk, iv, _ := chainKdf(c.Rcv.CKr)
	p, err := c.decryptBody(mk, iv, em)
	if err != nil {
		return nil, err
	}
	c.Rcv.CKr = ck
	c.Nr++
	c.trimSkipped()
	rnd := r.Rand
	*r = *c
	r.Rand = rnd
	return p, nil
}

// skipTo stores the keys of the messages Nr..n-1 of the receiving chain
// [R skipMessageKeys].
func (r *Ratchet) skipTo(n uint32) error {
	if r.Rcv == nil {
		return nil
	}
	switch {
	case uint64(r.Nr) > uint64(n)+1:
		return fmt.Errorf("%w: %d messages back", ErrEarlier, r.Nr-n-1)
	case uint64(r.Nr) == uint64(n)+1:
		return ErrDuplicate
	case uint64(r.Nr)+MaxSkip < uint64(n):
		return fmt.Errorf("%w: %d", ErrTooManySkipped, n+1-r.Nr)
	}
	for r.Nr < n {
		ck, mk, iv, _ := chainKdf(r.Rcv.CKr)
		r.Skipped = append(r.Skipped, SkippedKey{HK: r.Rcv.HKr, N: r.Nr, Key: mk, IV: iv})
		r.Rcv.CKr = ck
		r.Nr++
	}
	return nil
}

func (r *Ratchet) trimSkipped() {
	if n := len(r.Skipped) - MaxStoredSkipped; n > 0 {
		r.Skipped = append([]SkippedKey(nil), r.Skipped[n:]...)
	}
}

// step is the DH ratchet step DHRatchetPQ2HE [R ratchetStep].
func (r *Ratchet) step(h MsgHeader) error {
	// KEM: here the reference decapsulates the ciphertext of the header
	// (when it had proposed a key) and encapsulates to the new key.
	if h.KEM != nil && h.KEM.Ciphertext != nil {
		return ErrKEMState // we never proposed a KEM key
	}
	rk, ckr, nhkr, err := rootKdf(r.RK, h.DHRs, r.DHRs)
	if err != nil {
		return err
	}
	dhRs, err := crypto.GenerateKey(crypto.X448, r.rand())
	if err != nil {
		return fmt.Errorf("ratchet: %w", err)
	}
	rk2, cks, nhks, err := rootKdf(rk, h.DHRs, dhRs)
	if err != nil {
		return err
	}
	r.PN = r.Ns
	r.Ns, r.Nr = 0, 0
	r.Snd = &SndChain{DHRr: h.DHRs, CKs: cks, HKs: r.NHKs}
	r.Rcv = &RcvChain{CKr: ckr, HKr: r.NHKr}
	r.DHRs = dhRs
	r.RK = rk2
	r.NHKs, r.NHKr = nhks, nhkr
	return nil
}
