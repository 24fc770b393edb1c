package smp

import (
	"testing"
)

// TestCheckCredentials covers each rule of [MP checkCredentials] for all
// four combinations of (authorization, entity). Rows marked ServerTests
// match serverSyntaxTests ("no signature", "queue ID", "no queue ID").
func TestCheckCredentials(t *testing.T) {
	none := ErrorType{}
	// want[i]: i = 2*hasAuth + hasEntity.
	tests := []struct {
		cmd  Command
		want [4]ErrorType
	}{
		// ServerTests NEW: no signature → NO_AUTH, queue ID → HAS_AUTH.
		{NEW{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, none, ErrCmdHasAuth}},
		// ServerTests SEND no queue ID → NO_ENTITY.
		{SEND{}, [4]ErrorType{ErrCmdNoEntity, none, ErrCmdNoEntity, none}},
		{PING{}, [4]ErrorType{none, ErrCmdHasAuth, ErrCmdHasAuth, ErrCmdHasAuth}},
		{PRXY{}, [4]ErrorType{none, ErrCmdHasAuth, ErrCmdHasAuth, ErrCmdHasAuth}},
		{RFWD{}, [4]ErrorType{none, ErrCmdHasAuth, ErrCmdHasAuth, ErrCmdHasAuth}},
		{LGET{}, [4]ErrorType{ErrCmdNoEntity, none, ErrCmdNoEntity, ErrCmdHasAuth}},
		{PFWD{}, [4]ErrorType{ErrCmdNoEntity, none, ErrCmdNoEntity, ErrCmdHasAuth}},
		// ServerTests KEY/SUB/OFF/DEL/ACK: no signature or no queue ID → NO_AUTH.
		{KEY{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{SUB{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{OFF{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{DEL{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{ACK{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{NSUB{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{SKEY{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{LKEY{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{SUBS{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
		{QUE{}, [4]ErrorType{ErrCmdNoAuth, ErrCmdNoAuth, ErrCmdNoAuth, none}},
	}
	for _, tt := range tests {
		for i, want := range tt.want {
			hasAuth, hasEntity := i >= 2, i%2 == 1
			var entity []byte
			if hasEntity {
				entity = []byte("12345678")
			}
			err := CheckCredentials(tt.cmd, hasAuth, entity)
			switch {
			case want.Code == "" && err != nil:
				t.Errorf("%s auth=%v entity=%v: %v", tt.cmd.Tag(), hasAuth, hasEntity, err)
			case want.Code != "" && !ErrorTypeOf(err).Equal(want):
				t.Errorf("%s auth=%v entity=%v: %v, want %v", tt.cmd.Tag(), hasAuth, hasEntity, err, want)
			}
		}
	}
}

func TestCheckMessageCredentials(t *testing.T) {
	tests := []struct {
		msg             Message
		empty, nonEmpty ErrorType
	}{
		{IDS{}, ErrorType{}, ErrorType{}},
		{ERR{}, ErrorType{}, ErrorType{}},
		{PONG{}, ErrorType{}, ErrCmdHasAuth},
		{PKEY{}, ErrorType{}, ErrCmdHasAuth},
		{RRES{}, ErrorType{}, ErrCmdHasAuth},
		{OK{}, ErrCmdNoEntity, ErrorType{}},
		{MSG{}, ErrCmdNoEntity, ErrorType{}},
		{PRES{}, ErrCmdNoEntity, ErrorType{}},
		{END{}, ErrCmdNoEntity, ErrorType{}},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			entity []byte
			want   ErrorType
		}{{nil, tt.empty}, {[]byte("e"), tt.nonEmpty}} {
			err := CheckMessageCredentials(tt.msg, c.entity)
			if (c.want.Code == "") != (err == nil) || err != nil && !ErrorTypeOf(err).Equal(c.want) {
				t.Errorf("%s entity=%q: %v, want %v", tt.msg.Tag(), c.entity, err, c.want)
			}
		}
	}
}
