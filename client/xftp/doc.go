// Package xftp is the client side of XFTP file transfer (CONFORMANCE-NOTES
// §5, specs/xftp.md), written from the reference client [FC
// Simplex.FileTransfer.Client, FCM Simplex.FileTransfer.Client.Main, FCR
// Simplex.FileTransfer.Crypto, FTU Simplex.FileTransfer.Util].
//
// Layers, bottom up:
//
//   - Client (conn.go, request.go): one connection to one server: TLS with
//     ALPN xftp/1 (chain of 2 checked against the address's key hash),
//     HTTP/2 with prior knowledge, the standard handshake (the server's
//     session key must be signed by the TLS leaf), and the chunk commands
//     CreateChunk (FNEW), AddRecipients (FADD), UploadChunk (FPUT),
//     DownloadChunk (FGET, decrypted and digest-checked as it streams),
//     DeleteChunk (FDEL), AckChunk (FACK) and Ping.
//   - File encryption (encrypt.go, chunks.go): EncryptFile and DecryptFile.
//     The file, after an int64 length and a header naming it, is padded
//     with '#' to the sum of PrepareChunkSizes and encrypted as one
//     secretbox stream with the tag at the end.
//   - Files (send.go, receive.go, describe.go): Send encrypts a file and
//     uploads its chunks to one or more servers in parallel, with retries,
//     and returns the recipient and sender descriptions; Receive downloads,
//     verifies, decrypts and acknowledges a file from a recipient
//     description (following one redirect); Delete removes a sent file
//     with the sender description. ParseDescription reads a description
//     as YAML or as a link; SaveDescriptions writes them as the reference
//     CLI does.
//
// A command-line client needs only:
//
//	res, err := xftp.Send(ctx, path, servers, xftp.Options{Recipients: n}, progress)
//	rcv, snd, err := xftp.SaveDescriptions(outDir, filepath.Base(path), res)
//	link, err := xftpproto.FileDescriptionURI{Description: res.Recipients[0]}.String()
//
//	fd, err := xftp.ParseDescription(yamlOrLink)
//	out, err := xftp.Receive(ctx, fd, outPathOrDir, xftp.Options{}, progress)
//
//	err = xftp.Delete(ctx, senderFD, xftp.Options{})
//
// where xftpproto is github.com/simplexgo/protocol/xftp.
package xftp
