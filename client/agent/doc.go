// Package agent is a small SimpleX agent: it creates and joins duplex
// connections made of two SMP queues, runs the double ratchet of package
// ratchet over them, and sends and receives messages with sequential ids,
// previous-message hashes and delivery receipts
// (simplexmq's Simplex.Messaging.Agent, agent-protocol.md).
//
// Connection setup is the reference's "fast duplex" procedure for agent
// version 7 and SMP queues that the sender may secure (SKEY, SMP v9+):
//
//	Alice (creates)                        Bob (joins)
//	NEW (messaging queue) -> link
//	                                       SKEY Alice's queue
//	                                       NEW reply queue
//	            <- SEND confirmation (e2e params, ratchet(AgentConnInfoReply))
//	CONF event; AllowConnection:
//	SKEY Bob's queue
//	SEND confirmation (ratchet(AgentConnInfo)) ->
//	CON                                    INFO, CON
//
// [AG joinConnSrv, secureConfirmQueue, smpConfirmation, allowConnection',
// connectReplyQueues]. Queues that the sender may not secure (older
// servers) use the previous procedure: the confirmation carries the
// sender's key, the recipient secures the queue with KEY, and both sides
// exchange HELLO [AG ICDuplexSecure, helloMsg].
//
// Simplifications against the reference, each marked in the code: messages
// are sent at once and, when that fails, kept in order and retried on the
// next send, a reconnection, A_QCONT, RetryPending and a periodic
// background retry (no per-queue worker, no expiry, no MWARN/MERR events);
// one SMP server is used for new queues;
// no queue rotation, ratchet re-synchronisation, short links,
// private routing or post-quantum KEM. Notifications: EnableNotifications
// (NKEY) gives the credentials for an NTF server's SNEW, NotificationConn
// and DecryptNotificationMeta open a push's message entries (package push
// does the NTF side); the reference's NtfSubSupervisor is not run.
//
// Contact addresses are supported: CreateContactAddress, JoinConnection
// with a contact link (which sends a fresh invitation to the address),
// the REQ event and AcceptContact / RejectContact.
package agent
