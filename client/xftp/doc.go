// Package xftp is the client side of XFTP file transfer (CONFORMANCE-NOTES
// §5, specs/xftp.md), written from the reference client [FC
// Simplex.FileTransfer.Client, FCM Simplex.FileTransfer.Client.Main, FCR
// Simplex.FileTransfer.Crypto].
//
// Layers, bottom up:
//
//   - Client: one connection to one server: TLS with ALPN xftp/1, HTTP/2
//     with prior knowledge, the standard handshake, and the chunk commands
//     FNEW, FADD, FPUT, FGET, FDEL, FACK and PING (conn.go, request.go).
//   - File encryption: the whole file, with a length and a header naming
//     it, is padded to the sum of its chunk sizes and encrypted as one
//     secretbox stream with the tag at the end (encrypt.go, chunks.go).
//   - Send and Receive: upload a file to one or more servers in parallel
//     with retries and build its file descriptions; download, verify and
//     decrypt a file from its recipient description (send.go, receive.go).
package xftp
