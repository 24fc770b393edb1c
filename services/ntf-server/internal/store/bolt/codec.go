package bolt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Records are binary, starting with a format byte (recV1); keys are stored
// in DER. Every NMSG reads a subscription and a token and every NSUB answer
// rewrites a subscription's status, so decoding must be cheap: JSON made
// the store the largest CPU cost of a resubscription. Records written by
// earlier builds as JSON (first byte '{') are still read, and rewritten in
// the binary form when they next change.
//
//	token:        recV1 id provider deviceToken status verifyKeyDER dhPrivKeyDER dhSecret regCode
//	              cronMinutes(Word16) cronSentAt(Int64) createdAt(Int64)
//	subscription: recV1 status id tokenId server(Large) notifierId notifierKeyDER notifierPub
//	last ntf:     recV1 subId ts(Int64) nonce encMeta(Large)
//
// Fields without a type are Short (one length byte). The subscription's
// status comes first so that SetSubStatus can replace it without decoding
// the rest; notifierPub is the public half of the notifier key (empty in
// records converted from JSON), kept so that signing NSUB does not derive it.
const recV1 = 0x01

var errRecord = errors.New("bolt: malformed record")

func isJSON(b []byte) bool { return len(b) > 0 && b[0] == '{' }

func encodeToken(t store.Token) ([]byte, error) {
	w := encoding.NewBuffer(make([]byte, 0, 256)).Byte(recV1).
		Short(t.ID).Short([]byte(t.Provider)).Short(t.DeviceToken).Short([]byte(t.Status.String())).
		Short(t.VerifyKey.DER()).Short(t.DHPrivKey.DER()).Short(t.DHSecret).Short(t.RegCode).
		Word16(t.CronMinutes).Int64(t.CronSentAt).Int64(t.CreatedAt)
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("bolt: token record: %w", err)
	}
	return b, nil
}

func decodeToken(b []byte) (store.Token, error) {
	if isJSON(b) {
		return decodeTokenJSON(b)
	}
	d := encoding.NewDecoder(b)
	if d.Byte() != recV1 {
		return store.Token{}, fmt.Errorf("%w: token format", errRecord)
	}
	id, prov, dev, status := d.Short(), d.Short(), d.Short(), d.Short()
	vkDER, dkDER, secret, code := d.Short(), d.Short(), d.Short(), d.Short()
	cron, sentAt, createdAt := d.Word16(), d.Int64(), d.Int64()
	if err := d.Finish(); err != nil {
		return store.Token{}, fmt.Errorf("bolt: token record: %w", err)
	}
	return newToken(id, prov, dev, status, vkDER, dkDER, secret, code, cron, sentAt, createdAt)
}

func newToken(id, prov, dev, status, vkDER, dkDER, secret, code []byte, cron uint16, sentAt, createdAt int64) (store.Token, error) {
	st, err := ntf.ParseTokenStatus(status)
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: token status: %w", err)
	}
	vk, err := crypto.ParsePublicKeyDER(vkDER)
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: token verify key: %w", err)
	}
	dk, err := crypto.ParsePrivateKeyDER(dkDER)
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: token dh key: %w", err)
	}
	return store.Token{
		ID: bytes.Clone(id), Provider: ntf.Provider(prov), DeviceToken: bytes.Clone(dev), Status: st,
		VerifyKey: vk, DHPrivKey: dk, DHSecret: bytes.Clone(secret), RegCode: bytes.Clone(code),
		CronMinutes: cron, CronSentAt: sentAt, CreatedAt: createdAt,
	}, nil
}

func encodeSub(s store.Subscription) ([]byte, error) {
	var pub []byte
	if s.NotifierKey.Alg == crypto.Ed25519 || s.NotifierKey.Alg == crypto.Ed448 {
		pub = s.NotifierKey.Public().Raw
	}
	w := encoding.NewBuffer(make([]byte, 0, 256)).Byte(recV1).
		Short([]byte(s.Status.String())).Short(s.ID).Short(s.TokenID).Large([]byte(s.Server.String())).
		Short(s.NotifierID).Short(s.NotifierKey.DER()).Short(pub)
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("bolt: subscription record: %w", err)
	}
	return b, nil
}

func decodeSub(b []byte) (store.Subscription, error) {
	if isJSON(b) {
		return decodeSubJSON(b)
	}
	f, err := parseSubRecord(b)
	if err != nil {
		return store.Subscription{}, err
	}
	sub, err := newSub(f.status, f.id, f.tokenID, f.server, f.nid, f.keyDER)
	if err != nil {
		return sub, err
	}
	if len(f.pub) > 0 {
		sub.NotifierKey = sub.NotifierKey.WithPublic(crypto.PublicKey{Alg: sub.NotifierKey.Alg, Raw: bytes.Clone(f.pub)})
	}
	return sub, nil
}

// subFields are the fields of a binary subscription record, aliasing it.
type subFields struct {
	status, id, tokenID, server, nid, keyDER, pub []byte
	afterStatus                                   []byte // the record after its status field
}

// parseSubRecord splits a binary subscription record without converting
// its fields: a notification needs only the ids, a status change only
// the status and the rest.
func parseSubRecord(b []byte) (subFields, error) {
	var f subFields
	d := encoding.NewDecoder(b)
	if d.Byte() != recV1 {
		return f, fmt.Errorf("%w: subscription format", errRecord)
	}
	f.status = d.Short()
	if d.Err() == nil {
		f.afterStatus = b[d.Offset():]
	}
	f.id, f.tokenID, f.server = d.Short(), d.Short(), d.Large()
	f.nid, f.keyDER, f.pub = d.Short(), d.Short(), d.Short()
	if err := d.Finish(); err != nil {
		return subFields{}, fmt.Errorf("bolt: subscription record: %w", err)
	}
	return f, nil
}

func newSub(status, id, tokenID, server, nid, keyDER []byte) (store.Subscription, error) {
	srv, err := address.ParseServer(string(server), address.SchemeSMP)
	if err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: subscription server: %w", err)
	}
	st, err := ntf.ParseSubStatus(status)
	if err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: subscription status: %w", err)
	}
	k, err := crypto.ParsePrivateKeyDER(keyDER)
	if err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: notifier key: %w", err)
	}
	return store.Subscription{ID: bytes.Clone(id), TokenID: bytes.Clone(tokenID), Server: srv,
		NotifierID: bytes.Clone(nid), NotifierKey: k, Status: st}, nil
}

// maxShort is the longest Short field (one length byte).
const maxShort = 255

// withSubStatus is a binary subscription record with its status replaced;
// status is at most maxShort bytes.
func withSubStatus(rest []byte, status string) []byte {
	out := make([]byte, 0, 2+len(status)+len(rest))
	out = append(out, recV1, byte(len(status)))
	out = append(out, status...)
	return append(out, rest...)
}

type lastNtfRec struct {
	SubID   []byte `json:"sub_id"`
	TS      int64  `json:"ts"`
	Nonce   []byte `json:"nonce"`
	EncMeta []byte `json:"enc_meta"`
}

func encodeLastNtf(r lastNtfRec) ([]byte, error) {
	w := encoding.NewBuffer(make([]byte, 0, 64+len(r.EncMeta))).Byte(recV1).
		Short(r.SubID).Int64(r.TS).Short(r.Nonce).Large(r.EncMeta)
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("bolt: last notification: %w", err)
	}
	return b, nil
}

func decodeLastNtf(b []byte) (lastNtfRec, error) {
	var r lastNtfRec
	if isJSON(b) {
		if err := json.Unmarshal(b, &r); err != nil {
			return r, fmt.Errorf("bolt: last notification: %w", err)
		}
		return r, nil
	}
	d := encoding.NewDecoder(b)
	if d.Byte() != recV1 {
		return r, fmt.Errorf("%w: last notification format", errRecord)
	}
	sub, ts, nonce, meta := d.Short(), d.Int64(), d.Short(), d.Large()
	if err := d.Finish(); err != nil {
		return r, fmt.Errorf("bolt: last notification: %w", err)
	}
	return lastNtfRec{SubID: bytes.Clone(sub), TS: ts, Nonce: bytes.Clone(nonce), EncMeta: bytes.Clone(meta)}, nil
}

// The JSON records of earlier builds.

type tokenRec struct {
	ID          []byte `json:"id"`
	Provider    string `json:"provider"`
	DeviceToken []byte `json:"device_token"`
	Status      string `json:"status"`
	VerifyKey   []byte `json:"verify_key"`
	DHPrivKey   []byte `json:"dh_priv_key"`
	DHSecret    []byte `json:"dh_secret"`
	RegCode     []byte `json:"reg_code"`
	CronMinutes uint16 `json:"cron_minutes"`
	CronSentAt  int64  `json:"cron_sent_at"`
	CreatedAt   int64  `json:"created_at"`
}

func decodeTokenJSON(b []byte) (store.Token, error) {
	var r tokenRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Token{}, fmt.Errorf("bolt: token record: %w", err)
	}
	return newToken(r.ID, []byte(r.Provider), r.DeviceToken, []byte(r.Status), r.VerifyKey, r.DHPrivKey,
		r.DHSecret, r.RegCode, r.CronMinutes, r.CronSentAt, r.CreatedAt)
}

type subRec struct {
	ID          []byte `json:"id"`
	TokenID     []byte `json:"token_id"`
	Server      string `json:"server"`
	NotifierID  []byte `json:"notifier_id"`
	NotifierKey []byte `json:"notifier_key"`
	Status      string `json:"status"`
}

func decodeSubJSON(b []byte) (store.Subscription, error) {
	var r subRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: subscription record: %w", err)
	}
	return newSub([]byte(r.Status), r.ID, r.TokenID, []byte(r.Server), r.NotifierID, r.NotifierKey)
}
