// Package smp encodes and parses the SMP command set: client commands,
// server messages (responses and events) and error codes, for protocol
// versions 6..18, as simplexmq's Simplex.Messaging.Protocol does [MP].
//
// It covers the "command" part of a transmission only. Transmissions,
// batching, signatures, block encryption and the handshake belong to the
// transport package; this package starts where a transmission's
// corrId and entityId end:
//
//	transmission = short(auth) ... short(corrId) short(entityId) command
//	command      = word [" " parameters]
//
// Both directions are supported: a client encodes commands and parses
// messages (EncodeCommand, ParseMessage); a server parses commands and
// encodes messages (ParseCommand, EncodeMessage). Every function takes the
// negotiated session version, because NEW, IDS, DELD, SOK and ERR BLOCKED
// change with it (see the Version constants and CONFORMANCE-NOTES §1.2).
//
// Conventions:
//   - Commands and messages are structs named after their wire words (NEW,
//     SEND, IDS, MSG, ERR, ...), passed by value.
//   - A maybe(short(x)) field is a []byte where nil means absent ('0') and
//     any non-nil slice, even empty, means present ('1' short(x)). This
//     holds for passwords (NEW, PRXY), link and service IDs (IDS, SOK) and
//     qDelivered in INFO.
//   - Public keys are crypto.PublicKey, sent as short(DER
//     SubjectPublicKeyInfo); auth keys may be Ed25519, Ed448 or X25519, DH
//     keys must be X25519.
//   - Parsed byte slices alias the input.
//   - Parse failures are *ParseError carrying the ErrorType to answer with
//     (CMD UNKNOWN or CMD SYNTAX); ErrorTypeOf extracts it from any error.
//   - Sizes the codec does not enforce (the SEND body limit) are the
//     caller's: see MaxMessageLength.
package smp
