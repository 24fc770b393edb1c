// Package smpclient is a low-level SMP client connection: it dials a relay
// (TCP, TLS with ALPN smp/1, the SMP handshake of package transport), sends
// commands with random 24-byte correlation ids, matches responses to them,
// and hands server-pushed events (MSG after SUB, END, DELD, NMSG: empty
// corrId) to the caller [MCl ProtocolClient, sendProtocolCommand,
// processMsg].
//
// One Client is one connection. Send may be called from many goroutines;
// commands queued while the writer is busy go out together in shared
// blocks (CONFORMANCE-NOTES §2.7). Every Send is bounded by its context:
// a command whose context ends before it is written is not sent, and one
// whose context ends while it waits for the response returns ctx.Err(); a
// response that arrives later is delivered as an Event with its corrId.
//
// There is no reconnection, no keep-alive and no queue-level logic here:
// those belong to the agent built on top.
//
// Goroutines: Dial and New start a reader and a writer, owned by the
// Client; Close stops both and waits for them. The Events channel is
// closed when the reader stops.
package smpclient
