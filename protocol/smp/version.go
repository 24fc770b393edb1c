package smp

import "github.com/simplexgo/protocol/encoding"

// SMP protocol versions that change the command encodings [MT version
// constants, CONFORMANCE-NOTES §1.2]. Encoders and parsers in this package
// take the session's negotiated version and follow the same ladders as
// [MP encodeProtocol, protocolP].
const (
	// VersionSubMode (6) is the baseline: NEW carries an optional
	// 'A' short(password) then the subscribe mode [MT _subModeSMPVersion].
	VersionSubMode uint16 = 6
	// VersionAuthCmds (7): session ID no longer sent in transmissions;
	// crypto_box authenticators allowed [MT authCmdsSMPVersion].
	VersionAuthCmds uint16 = 7
	// VersionSendingProxy (8): PRXY/PKEY, PFWD/PRES, RFWD/RRES; SEND limit
	// 16064 [MT sendingProxySMPVersion].
	VersionSendingProxy uint16 = 8
	// VersionSndAuthKey (9): SKEY; NEW maybe(password) and bool
	// senderCanSecure; IDS gains that bool [MT sndAuthKeySMPVersion].
	VersionSndAuthKey uint16 = 9
	// VersionDeletedEvent (10): DELD event; older sessions get END
	// [MT deletedEventSMPVersion].
	VersionDeletedEvent uint16 = 10
	// VersionEncryptedBlock (11): block encryption; SEND limit 16048
	// [MT encryptedBlockSMPVersion].
	VersionEncryptedBlock uint16 = 11
	// VersionBlockedEntity (12): ERR BLOCKED; older sessions get ERR AUTH
	// [MT blockedEntitySMPVersion].
	VersionBlockedEntity uint16 = 12
	// VersionProxyServerHandshake (14): client hello adds proxyServer flag
	// [MT proxyServerHandshakeSMPVersion]. No command encoding changes.
	VersionProxyServerHandshake uint16 = 14
	// VersionShortLinks (15): NEW maybe(queueReqData), IDS maybe(mode)
	// maybe(linkId); LSET, LDEL, LKEY, LGET, LNK [MT shortLinksSMPVersion].
	VersionShortLinks uint16 = 15
	// VersionServiceCerts (16): IDS maybe(serviceId); SUB/NSUB answered
	// with SOK; SUBS, NSUBS, SOKS, ENDS [MT serviceCertsSMPVersion].
	VersionServiceCerts uint16 = 16
	// VersionNewNtfCreds (17): NEW maybe(notifier keys), IDS
	// maybe(notifier credentials) [MT newNtfCredsSMPVersion].
	VersionNewNtfCreds uint16 = 17
	// VersionClientNotices (18): ERR BLOCKED may carry ",notice=<JSON>";
	// older sessions get it stripped [MT clientNoticesSMPVersion].
	VersionClientNotices uint16 = 18
)

// Version ranges.
var (
	// SupportedRange is what this implementation advertises (phase A of
	// CONFORMANCE-NOTES §1.3).
	SupportedRange = encoding.VersionRange{Min: VersionSubMode, Max: VersionProxyServerHandshake}
	// EncodableRange is the range this package's encoders and parsers
	// implement; versions above SupportedRange.Max are hooks for later
	// phases.
	EncodableRange = encoding.VersionRange{Min: VersionSubMode, Max: VersionClientNotices}
	// ReferenceClientRange is the range official clients offer (6..18)
	// [MT supportedClientSMPRelayVRange].
	ReferenceClientRange = encoding.VersionRange{Min: VersionSubMode, Max: VersionClientNotices}
)

// ProxiedRelayRange is the range of versions a client may use with a relay
// through a proxy; PKEY ranges are capped to it [MT proxiedSMPRelayVRange].
var ProxiedRelayRange = encoding.VersionRange{Min: VersionSendingProxy, Max: 17}

// Sizes fixed by the protocol [MP, CONFORMANCE-NOTES §3.2, §3.3, §3.5].
const (
	// MaxMessageLen is the largest SEND body of the version-independent
	// message type (MaxMessageLen in [MP]); the per-version limit that the
	// server enforces is MaxMessageLength.
	MaxMessageLen = 16088
	// MaxRcvMessageLen is MaxMessageLen plus 16 bytes of metadata: 8 for
	// the timestamp, up to 7 for flags and 1 for the space [MP
	// MaxRcvMessageLen].
	MaxRcvMessageLen = MaxMessageLen + 16
	// RcvMessagePaddedSize is the size the server pads the received message
	// body to before encrypting it for the recipient (16106; the ciphertext
	// is 16 bytes longer) [MS encryptMsg].
	RcvMessagePaddedSize = MaxRcvMessageLen + 2
	// MaxFlagsReserved is how many reserved flag bytes fit in the 16 bytes
	// of received-message metadata (8 timestamp, 1 notification flag, 6
	// reserved, 1 space).
	MaxFlagsReserved = 6
	// NotificationMetaPaddedSize is the size of the padded NMSG metadata
	// before encryption [MS mkMessageNotification].
	NotificationMetaPaddedSize = 128
	// PaddedProxiedTLength is the padded size of transmissions and
	// responses forwarded through a proxy [MP paddedProxiedTLength].
	PaddedProxiedTLength = 16226
	// E2EEncConfirmationLength and E2EEncMessageLength are the padded sizes
	// of the client's end-to-end encrypted bodies [MP]; the server never
	// looks inside them.
	E2EEncConfirmationLength = 15904
	E2EEncMessageLength      = 16000
	// NonceSize is the size of crypto_box nonces (NMSG) and of message IDs
	// the official server generates.
	NonceSize = 24
)

// MaxMessageLength returns the largest SEND body accepted at version v:
// 16088 before v8, 16064 from v8, 16048 from v11 [MP maxMessageLength].
// Bodies over the limit get ERR LARGE_MSG (not a syntax error).
func MaxMessageLength(v uint16) int {
	switch {
	case v >= VersionEncryptedBlock:
		return 16048
	case v >= VersionSendingProxy:
		return 16064
	default:
		return 16088
	}
}
