package smp

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestQueueInfoJSON: aeson's layout for QueueInfo (defaultJSON: field names
// as declared, Nothing fields omitted; enumJSON (dropPrefix "Q"/"MT") for
// the enums) [QI], standard base64 for IDs [MS getQueueInfo, MP toMsgInfo],
// CONFORMANCE-NOTES §3.1.
func TestQueueInfoJSON(t *testing.T) {
	tests := []struct {
		name string
		info QueueInfo
		json string
	}{
		{"minimal", QueueInfo{}, `{"qiSnd":false,"qiNtf":false,"qiSize":0}`},
		{"no sub, quota message", QueueInfo{Snd: true, Ntf: true, Size: 128,
			Msg: &MsgInfo{MsgID: []byte{0xfb, 0xef, 0xff}, Ts: ts1700, Type: MsgTypeQuota}},
			`{"qiSnd":true,"qiNtf":true,"qiSize":128,"qiMsg":{"msgId":"++//","msgTs":"2023-11-14T22:13:20Z","msgType":"quota"}}`},
		{"sub delivered", QueueInfo{Sub: &QSub{Thread: SubPending, Delivered: []byte{0, 1, 2}}, Size: 1},
			`{"qiSnd":false,"qiNtf":false,"qiSub":{"qSubThread":"subPending","qDelivered":"AAEC"},"qiSize":1}`},
		{"no sub thread", QueueInfo{Sub: &QSub{Thread: SubNone}}, `{"qiSnd":false,"qiNtf":false,"qiSub":{"qSubThread":"noSub"},"qiSize":0}`},
		{"prohibited", QueueInfo{Sub: &QSub{Thread: SubProhibited, Delivered: []byte{}}}, `{"qiSnd":false,"qiNtf":false,"qiSub":{"qSubThread":"prohibitSub","qDelivered":""},"qiSize":0}`},
		// aeson writes sub-second times in groups of three digits.
		{"milliseconds", QueueInfo{Msg: &MsgInfo{MsgID: []byte{1}, Ts: ts1700.Add(500 * time.Millisecond), Type: MsgTypeMessage}},
			`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"AQ==","msgTs":"2023-11-14T22:13:20.500Z","msgType":"message"}}`},
		{"microseconds", QueueInfo{Msg: &MsgInfo{MsgID: []byte{}, Ts: ts1700.Add(1500 * time.Microsecond), Type: MsgTypeMessage}},
			`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"","msgTs":"2023-11-14T22:13:20.001500Z","msgType":"message"}}`},
		{"nanoseconds", QueueInfo{Msg: &MsgInfo{MsgID: []byte{}, Ts: ts1700.Add(1000001 * time.Nanosecond), Type: MsgTypeMessage}},
			`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"","msgTs":"2023-11-14T22:13:20.001000001Z","msgType":"message"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.info)
			if err != nil || string(b) != tt.json {
				t.Fatalf("marshal:\n got %s %v\nwant %s", b, err, tt.json)
			}
			var q QueueInfo
			if err := json.Unmarshal([]byte(tt.json), &q); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q, tt.info) {
				t.Fatalf("unmarshal: %#v", q)
			}
		})
	}
}

func TestQueueInfoUnmarshalLenient(t *testing.T) {
	in := ` { "qiNtf" : true, "extra": {"x": 1}, "qiSub": null, "qiSize": 3, "qiSnd": false, "qiMsg": null } `
	var q QueueInfo
	if err := q.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q, QueueInfo{Ntf: true, Size: 3}) {
		t.Fatalf("%#v", q)
	}
	// Other time zones are accepted and kept as UTC.
	in = `{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"","msgTs":"2023-11-15T00:13:20+02:00","msgType":"message"}}`
	if err := q.UnmarshalJSON([]byte(in)); err != nil || !q.Msg.Ts.Equal(ts1700) || q.Msg.Ts.Location() != time.UTC {
		t.Fatalf("%v %v", q.Msg, err)
	}
}

func TestQueueInfoUnmarshalErrors(t *testing.T) {
	bad := []string{
		``, `null`, `[]`, `{}`, `{"qiSnd":false,"qiNtf":false}`,
		`{"QISND":false,"qiNtf":false,"qiSize":0}`,
		`{"qiSnd":null,"qiNtf":false,"qiSize":0}`,
		`{"qiSnd":"true","qiNtf":false,"qiSize":0}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":1.5}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":"1"}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiSub":{}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiSub":{"qSubThread":"running"}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiSub":{"qSubThread":"noSub","qDelivered":"-_8="}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiSub":{"qSubThread":"noSub","qDelivered":1}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"AA==","msgTs":"2023-11-14T22:13:20Z"}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"AA==","msgTs":"yesterday","msgType":"message"}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"AA","msgTs":"2023-11-14T22:13:20Z","msgType":"message"}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgTs":"2023-11-14T22:13:20Z","msgType":"message"}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0,"qiMsg":{"msgId":"AA==","msgTs":"2023-11-14T22:13:20Z","msgType":"other"}}`,
		`{"qiSnd":false,"qiNtf":false,"qiSize":0} x`,
	}
	for _, in := range bad {
		var q QueueInfo
		if err := q.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("UnmarshalJSON(%s) = %v", in, err)
		}
	}
	if _, err := json.Marshal(QueueInfo{Msg: &MsgInfo{Type: "x"}}); err == nil {
		t.Error("bad message type marshalled")
	}
}
