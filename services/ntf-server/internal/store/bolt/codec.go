package bolt

import (
	"encoding/json"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
	"github.com/simplexgo/services/ntf-server/internal/store"
)

// Records are stored as JSON with keys in DER (base64 in JSON); the store
// is local to one server, so readability of dumps wins over compactness.

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

func encodeToken(t store.Token) ([]byte, error) {
	return json.Marshal(tokenRec{
		ID: t.ID, Provider: string(t.Provider), DeviceToken: t.DeviceToken,
		Status: t.Status.String(), VerifyKey: t.VerifyKey.DER(), DHPrivKey: t.DHPrivKey.DER(),
		DHSecret: t.DHSecret, RegCode: t.RegCode, CronMinutes: t.CronMinutes,
		CronSentAt: t.CronSentAt, CreatedAt: t.CreatedAt,
	})
}

func decodeToken(b []byte) (store.Token, error) {
	var r tokenRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Token{}, fmt.Errorf("bolt: token record: %w", err)
	}
	st, err := ntf.ParseTokenStatus([]byte(r.Status))
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: token status: %w", err)
	}
	vk, err := crypto.ParsePublicKeyDER(r.VerifyKey)
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: token verify key: %w", err)
	}
	dk, err := crypto.ParsePrivateKeyDER(r.DHPrivKey)
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: token dh key: %w", err)
	}
	return store.Token{
		ID: r.ID, Provider: ntf.Provider(r.Provider), DeviceToken: r.DeviceToken, Status: st,
		VerifyKey: vk, DHPrivKey: dk, DHSecret: r.DHSecret, RegCode: r.RegCode,
		CronMinutes: r.CronMinutes, CronSentAt: r.CronSentAt, CreatedAt: r.CreatedAt,
	}, nil
}

type subRec struct {
	ID          []byte `json:"id"`
	TokenID     []byte `json:"token_id"`
	Server      string `json:"server"`
	NotifierID  []byte `json:"notifier_id"`
	NotifierKey []byte `json:"notifier_key"`
	Status      string `json:"status"`
}

func encodeSub(s store.Subscription) ([]byte, error) {
	return json.Marshal(subRec{
		ID: s.ID, TokenID: s.TokenID, Server: s.Server.String(), NotifierID: s.NotifierID,
		NotifierKey: s.NotifierKey.DER(), Status: s.Status.String(),
	})
}

func decodeSub(b []byte) (store.Subscription, error) {
	var r subRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: subscription record: %w", err)
	}
	srv, err := address.ParseServer(r.Server, address.SchemeSMP)
	if err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: subscription server: %w", err)
	}
	st, err := ntf.ParseSubStatus([]byte(r.Status))
	if err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: subscription status: %w", err)
	}
	k, err := crypto.ParsePrivateKeyDER(r.NotifierKey)
	if err != nil {
		return store.Subscription{}, fmt.Errorf("bolt: notifier key: %w", err)
	}
	return store.Subscription{ID: r.ID, TokenID: r.TokenID, Server: srv, NotifierID: r.NotifierID,
		NotifierKey: k, Status: st}, nil
}

type lastNtfRec struct {
	SubID   []byte `json:"sub_id"`
	TS      int64  `json:"ts"`
	Nonce   []byte `json:"nonce"`
	EncMeta []byte `json:"enc_meta"`
}
