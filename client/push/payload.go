package push

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
)

// Errors of push decryption.
var (
	ErrPushBody = errors.New("push: bad push body")
	ErrNoData   = errors.New("push: push has no notification data")
)

// Kind says what a push carries.
type Kind int

// Push kinds [APNS PushNotification].
const (
	KindVerification  Kind = iota + 1 // registration code for TVFY
	KindMessages                      // message notifications
	KindCheckMessages                 // periodic "check messages" (TCRN)
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindVerification:
		return "verification"
	case KindMessages:
		return "messages"
	case KindCheckMessages:
		return "check-messages"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Notification is an opened push.
type Notification struct {
	Kind     Kind
	Code     []byte              // KindVerification
	Messages []ntf.PNMessageData // KindMessages, oldest first
}

// body is an APNs request body as the app reads it: aps is for the OS,
// notificationData for the app [APNS apnsNotification].
type body struct {
	APS              json.RawMessage `json:"aps"`
	NotificationData struct {
		Nonce         string `json:"nonce"`
		Verification  string `json:"verification"`
		Message       string `json:"message"`
		CheckMessages bool   `json:"checkMessages"`
	} `json:"notificationData"`
}

// maxBody bounds a push body (Apple's limit is 4096 bytes; with slack).
const maxBody = 8192

// Open parses an APNs push body and decrypts it with the token's DH
// secret: the encrypted field is base64url of
// crypto_box(secret, nonce, pad(data)); a verification push carries the
// registration code, a message push a PNMessageData list [AG
// pNMessagesP, NtfSubSupervisor; MC cbDecrypt].
func Open(dhSecret []byte, raw []byte) (Notification, error) {
	if len(raw) > maxBody {
		return Notification{}, fmt.Errorf("%w: %d bytes", ErrPushBody, len(raw))
	}
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return Notification{}, fmt.Errorf("%w: %w", ErrPushBody, err)
	}
	nd := b.NotificationData
	if nd.CheckMessages && nd.Verification == "" && nd.Message == "" {
		return Notification{Kind: KindCheckMessages}, nil
	}
	enc, kind := nd.Verification, KindVerification
	if enc == "" {
		enc, kind = nd.Message, KindMessages
	}
	if enc == "" {
		return Notification{}, ErrNoData
	}
	nonce, err := address.ParseB64(nd.Nonce)
	if err != nil || len(nonce) != crypto.NonceSize {
		return Notification{}, fmt.Errorf("%w: nonce", ErrPushBody)
	}
	box, err := address.ParseB64(enc)
	if err != nil {
		return Notification{}, fmt.Errorf("%w: %s: %w", ErrPushBody, kind, err)
	}
	plain, err := crypto.OpenBoxPadded(dhSecret, crypto.CbNonce(nonce), box)
	if err != nil {
		return Notification{}, fmt.Errorf("push: decrypt %s: %w", kind, err)
	}
	if kind == KindVerification {
		return Notification{Kind: kind, Code: plain}, nil
	}
	ms, err := ntf.ParsePNMessages(string(plain))
	if err != nil {
		return Notification{}, fmt.Errorf("push: messages: %w", err)
	}
	return Notification{Kind: kind, Messages: ms}, nil
}
