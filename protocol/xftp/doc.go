// Package xftp implements the SimpleX file transfer protocol (XFTP) wire
// forms: versions and sizes, the handshake bodies, commands, responses and
// errors, credential rules, and the file description document (YAML) with
// its link form.
//
// A command or response is the part of a transmission after the entity
// ID: an ASCII tag, then for most a space and binary fields with no
// separators [FP, CONFORMANCE-NOTES §5.2]:
//
//	FNEW sndKey w32(size) short(digest) list(rcvKey) maybe(short(password)) → SIDS short(sndId) list(short(rcvId))
//	FADD list(rcvKey)                                                     → RIDS list(short(rcvId))
//	FPUT  (the chunk follows the block)                                   → OK
//	FDEL                                                                  → OK
//	FGET rcvDhKey                                                         → FILE srvDhKey nonce(24)  (the chunk follows)
//	FACK                                                                  → OK
//	PING                                                                  → PONG
//
// Keys are short(DER SubjectPublicKeyInfo); errors are "ERR " and a word.
//
// Tags cite the reference (simplexmq 6.5.5): FP = src/Simplex/FileTransfer/Protocol.hs,
// FT = src/Simplex/FileTransfer/Transport.hs, FD = src/Simplex/FileTransfer/Description.hs,
// FCH = src/Simplex/FileTransfer/Chunks.hs, MP = src/Simplex/Messaging/Protocol.hs,
// XWT = tests/XFTPWebTests.hs.
package xftp
