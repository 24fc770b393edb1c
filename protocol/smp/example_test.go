package smp_test

import (
	"fmt"

	"github.com/simplexgo/protocol/smp"
)

// A server's view of one transmission: parse the command at the session
// version, check its credentials, answer with a message encoded at the
// same version. Parse and credential errors become ERR responses.
func Example() {
	const v = smp.VersionDeletedEvent
	respond := func(command []byte, hasAuth bool, entityID []byte) string {
		var resp smp.Message
		cmd, err := smp.ParseCommand(v, command)
		if err == nil {
			err = smp.CheckCredentials(cmd, hasAuth, entityID)
		}
		switch {
		case err != nil:
			resp = smp.ERR{Err: smp.ErrorTypeOf(err)}
		case cmd.Tag() == "PING":
			resp = smp.PONG{}
		default:
			resp = smp.ERR{Err: smp.ErrAuth}
		}
		b, _ := smp.EncodeMessage(v, resp)
		return string(b)
	}
	fmt.Println(respond([]byte("PING"), false, nil))
	fmt.Println(respond([]byte("PING"), true, nil))
	fmt.Println(respond([]byte("HELLO"), false, nil))
	fmt.Println(respond([]byte("SEND T"), false, []byte("sender-id")))
	fmt.Println(respond([]byte("SEND T hi"), false, nil))
	// Output:
	// PONG
	// ERR CMD HAS_AUTH
	// ERR CMD UNKNOWN
	// ERR CMD SYNTAX
	// ERR CMD NO_ENTITY
}
