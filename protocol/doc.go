// Package protocol is the root of the SimpleX wire library: encodings,
// crypto, transport and the SMP, NTF and XFTP command sets. It holds no
// server logic; see the sub-packages.
package protocol
