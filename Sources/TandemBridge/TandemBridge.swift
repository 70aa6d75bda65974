// TandemBridge — wires carriers to conversations: the inbound router (segments reassembled,
// receipts told apart from messages), the outbound dispatcher driven by the durable outbox,
// delivery receipts, the SMSC provider pool with failover, and call orchestration.
//
// Contract at this stage: empty. It arrives with the SMS bridge issue.

import Conversations
import TandemStore
import SMPPClient
import SIP
