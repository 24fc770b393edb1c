package push

import (
	"bytes"
	"errors"
	"testing"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/ntf"
)

// testSecret and testNonce are fixed so that the vectors are stable.
var (
	testSecret = bytes.Repeat([]byte{7}, 32)
	testNonce  = [24]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
)

// seal builds a push body as the NTF server does: box(pad(data, 2900))
// [APNS apnsNotification; ntf-server README: padding 2900].
func seal(t testing.TB, kind Kind, data []byte) []byte {
	t.Helper()
	box, err := crypto.BoxPadded(testSecret, testNonce, data, 2900)
	if err != nil {
		t.Fatal(err)
	}
	if kind == KindVerification {
		return ntf.VerificationPayload(testNonce, box)
	}
	return ntf.MessagePayload(testNonce, box)
}

const testMessages = "smp://AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=@127.0.0.1:5223/AQID 1700000000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA BAUG"

func TestOpen(t *testing.T) {
	code := []byte("registration-code-32-bytes......")
	n, err := Open(testSecret, seal(t, KindVerification, code))
	if err != nil || n.Kind != KindVerification || !bytes.Equal(n.Code, code) {
		t.Fatalf("verification: %+v %v", n, err)
	}
	n, err = Open(testSecret, seal(t, KindMessages, []byte(testMessages)))
	if err != nil || n.Kind != KindMessages || len(n.Messages) != 1 {
		t.Fatalf("messages: %+v %v", n, err)
	}
	m := n.Messages[0]
	if m.Timestamp != 1700000000 || !bytes.Equal(m.Queue.NotifierID, []byte{1, 2, 3}) || !bytes.Equal(m.EncMeta, []byte{4, 5, 6}) ||
		m.Queue.Server.Port != "5223" || ntf.EncodePNMessages(n.Messages) != testMessages {
		t.Fatalf("message %+v", m)
	}
	n, err = Open(testSecret, ntf.CheckMessagesPayload())
	if err != nil || n.Kind != KindCheckMessages {
		t.Fatalf("check messages: %+v %v", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	good := seal(t, KindVerification, []byte("code"))
	nonceB64 := address.B64(testNonce[:])
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"not JSON", []byte("{"), ErrPushBody},
		{"no data", []byte(`{"aps":{}}`), ErrNoData},
		{"short nonce", []byte(`{"aps":{},"notificationData":{"nonce":"AQID","verification":"AQID"}}`), ErrPushBody},
		{"bad base64", []byte(`{"aps":{},"notificationData":{"nonce":"` + nonceB64 + `","message":"!!"}}`), ErrPushBody},
		{"too long", bytes.Repeat([]byte(" "), maxBody+1), ErrPushBody},
		{"bad box", []byte(`{"aps":{},"notificationData":{"nonce":"` + nonceB64 + `","verification":"AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`), nil},
	}
	for _, tt := range tests {
		_, err := Open(testSecret, tt.body)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := Open(bytes.Repeat([]byte{8}, 32), good); err == nil {
		t.Error("opened with another secret")
	}
	bad := seal(t, KindMessages, []byte("not a message list"))
	if _, err := Open(testSecret, bad); !errors.Is(err, ntf.ErrPushData) {
		t.Errorf("bad list: %v", err)
	}
}

func TestParseProvider(t *testing.T) {
	for in, want := range map[string]ntf.Provider{"apns_test": ntf.ProviderAPNSTest, "AT": ntf.ProviderAPNSTest,
		"apns_dev": ntf.ProviderAPNSDev, "ap": ntf.ProviderAPNSProd, "apns_null": ntf.ProviderAPNSNull} {
		if p, err := ParseProvider(in); err != nil || p != want {
			t.Errorf("%s: %v %v", in, p, err)
		}
	}
	if _, err := ParseProvider("fcm"); err == nil {
		t.Error("fcm accepted")
	}
}

// FuzzOpen opens arbitrary bodies with a fixed secret; a successful open
// of a message push re-encodes to a list that parses to the same entries.
func FuzzOpen(f *testing.F) {
	f.Add(seal(f, KindVerification, []byte("code")))
	f.Add(seal(f, KindMessages, []byte(testMessages)))
	f.Add(ntf.CheckMessagesPayload())
	f.Add([]byte(`{"aps":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := Open(testSecret, body)
		if err != nil {
			return
		}
		switch n.Kind {
		case KindVerification, KindCheckMessages:
		case KindMessages:
			again, err := ntf.ParsePNMessages(ntf.EncodePNMessages(n.Messages))
			if err != nil || len(again) != len(n.Messages) {
				t.Fatalf("re-parse: %v", err)
			}
		default:
			t.Fatalf("kind %v", n.Kind)
		}
	})
}
