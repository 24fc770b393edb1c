// Package ntf implements the SimpleX push-notification protocol (NTF):
// versions, handshake blocks, commands, responses and errors, token and
// subscription statuses, credential rules, and the push payloads the NTF
// server sends through APNs.
//
// A command or response is the part of a transmission after the entity
// ID: an ASCII tag, then for most a space and binary fields with no
// separators [NP, CONFORMANCE-NOTES §4]:
//
//	TNEW 'T' provider short(token) short(verifyKey) short(dhKey)   → IDTKN short(tokenId) short(srvDhKey)
//	TVFY short(code)                                               → OK
//	TCHK                                                           → TKN status
//	TRPL provider short(token)                                     → OK
//	TDEL                                                           → OK
//	TCRN w16(minutes)                                              → OK
//	SNEW 'S' short(tokenId) smpServer short(notifierId) short(privKey) → IDSUB short(subId)
//	SCHK                                                           → SUB status
//	SDEL                                                           → OK
//	PING                                                           → PONG
//
// Public keys are short(DER SubjectPublicKeyInfo), the notifier key is
// short(DER PKCS#8); smpServer is list(short(host)) short(port)
// short(keyHash). Errors are "ERR " followed by the SMP error type.
//
// Tags cite the reference (simplexmq 6.5.5): NP = src/Simplex/Messaging/Notifications/Protocol.hs,
// NT = src/Simplex/Messaging/Notifications/Transport.hs, MP = src/Simplex/Messaging/Protocol.hs,
// APNS = src/Simplex/Messaging/Notifications/Server/Push/APNS.hs.
package ntf
