package eventsv1

import "encoding/base64"

// The subjects of the notifier events, as tabled in events.proto:
//
//	smp.v1.<server-id>.ntf.msg   NotifierMessage
//	smp.v1.<server-id>.ntf.end   NotifierEnd
//	smp.v1.<server-id>.ntf.deld  NotifierDeleted
const (
	// subjectPrefix is the namespace and version of every SMP event.
	subjectPrefix = "smp.v1."

	// AllNotifierSubjects is the filter that matches the notifier events
	// of every SMP server in the fleet.
	AllNotifierSubjects = subjectPrefix + "*.ntf.>"
)

// ServerID returns the <server-id> subject token of the SMP server with the
// given key hash (the 32-byte SHA-256 of its DER identity certificate): the
// key hash in base64url without '=' padding. The project's text form of key
// hashes elsewhere is padded (CONFORMANCE-NOTES, binary encoding), but '='
// is not allowed in JetStream key-value bucket names, so subjects use the
// unpadded form. keyHash must not be empty, or the subject would have an
// empty token.
func ServerID(keyHash []byte) string {
	return base64.RawURLEncoding.EncodeToString(keyHash)
}

// NotifierSubjects returns the filter that matches the three notifier
// events of one SMP server, in publication order within one stream:
// smp.v1.<server-id>.ntf.>.
func NotifierSubjects(keyHash []byte) string {
	return notifierSubject(keyHash, ">")
}

// NotifierMessageSubject returns the subject of NotifierMessage events of
// one SMP server: smp.v1.<server-id>.ntf.msg.
func NotifierMessageSubject(keyHash []byte) string {
	return notifierSubject(keyHash, "msg")
}

// NotifierEndSubject returns the subject of NotifierEnd events of one SMP
// server: smp.v1.<server-id>.ntf.end.
func NotifierEndSubject(keyHash []byte) string {
	return notifierSubject(keyHash, "end")
}

// NotifierDeletedSubject returns the subject of NotifierDeleted events of
// one SMP server: smp.v1.<server-id>.ntf.deld.
func NotifierDeletedSubject(keyHash []byte) string {
	return notifierSubject(keyHash, "deld")
}

func notifierSubject(keyHash []byte, kind string) string {
	return subjectPrefix + ServerID(keyHash) + ".ntf." + kind
}
