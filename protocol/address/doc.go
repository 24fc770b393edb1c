// Package address implements the text and binary forms of SimpleX server
// addresses, SMP queue URIs and agent connection links (simplexmq's
// ProtocolServer, SMPQueueUri, ConnectionRequestUri, ConnShortLink and
// E2ERatchetParamsUri).
//
// Server address [MP strEncodeServer, serverStrP]:
//
//	<scheme>://<keyHash base64url>[:<basicAuth>]@<host>[,<host>…][:<port>]
//
// Queue URI [AP StrEncoding SMPQueueUri]:
//
//	smp://<keyHash>@<hosts>[:port]/<senderId>#/?v=<range>&dh=<X25519 SPKI>[&q=m|c][&k=s][&srv=<hosts>]
//
// Connection request [AP StrEncoding ConnectionRequestUri, QueryString.hs]:
//
//	simplex:/invitation#/?v=<agent range>&smp=<queue URIs, ';'-joined>&e2e=<e2e params>[&data=<text>]
//	simplex:/contact#/?v=<agent range>&smp=<queue URIs>[&data=<text>]
//
// (the https://<host>/… form parses to the same value), and short links
// simplex:/<type>#<linkId/><key>[?h=…&p=…&c=…] or https://<host>/<type>#….
//
// Tags cite the reference (simplexmq 6.5.5): MP = src/Simplex/Messaging/Protocol.hs,
// AP = src/Simplex/Messaging/Agent/Protocol.hs, MTC = src/Simplex/Messaging/Transport/Client.hs,
// MES = src/Simplex/Messaging/Encoding/String.hs, R = src/Simplex/Messaging/Crypto/Ratchet.hs,
// QS = src/Simplex/Messaging/Agent/QueryString.hs, SS = src/Simplex/Messaging/ServiceScheme.hs.
//
// Parsers follow the reference's attoparsec grammars, including where they
// do not backtrack. Numbers that the reference would silently wrap are not
// wrapped: ports and versions above 65535 are rejected, and "1.2.3.300"
// reads as a domain name rather than as the IPv4 address 1.2.3.44. Base64
// must be canonical (as base64-bytestring requires); padding is optional.
package address
