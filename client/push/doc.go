// Package push registers a device for push notifications with a SimpleX
// notification (NTF) server and opens the pushes, as the official iOS app
// does (CONFORMANCE-NOTES §4, specs/push-notifications.md):
//
//	TNEW T provider token verifyKey dhKey  -> IDTKN tokenId srvDhKey
//	(APNs background push {"notificationData":{"nonce":N,"verification":E}})
//	TVFY code                              -> OK
//	TCHK                                   -> TKN ACTIVE
//	SNEW S tokenId smpServer notifierId notifierKey -> IDSUB subId
//	(APNs alert push {"notificationData":{"message":E,"nonce":N}})
//
// E is base64url of crypto_box(DH(device dhKey, srvDhKey), N, pad(data));
// the verification data is the registration code, the message data a
// ';'-separated list of PNMessageData, each naming an SMP server and a
// notifier id and carrying the NMSG nonce and encrypted metadata, which
// the agent opens with the queue's notifier DH secret
// [Notifications/Client.hs, Agent/NtfSubSupervisor.hs, Agent.hs
// registerNtfToken, verifyNtfToken, getNotificationConns].
//
// Client is one NTF server connection (TLS 1.3, ALPN ntf/1, 512-byte
// blocks); Device is the app's side of one token; FetchFakePushes reads
// the pushes to a token from the ntf-server's built-in fake APNs, so a
// local client can play the device.
package push
