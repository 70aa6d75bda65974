// SMPPClient — the ESME over SwiftNIO: TCP (and later TLS) connections to an SMSC, binds,
// windowed asynchronous submit, enquire_link keepalive, reconnect with back-off, throttling,
// inbound deliver_sm/data_sm acknowledged only once the consumer took responsibility.
//
// Contract at this stage: empty. The protocol logic it will execute already lives in the pure
// `SMPP` module (`SMPPSession`, the codec and `SMPPFrameDecoder`); this module will only run
// the actions that state machine returns. Nothing here connects to an SMSC yet.

import SMPP
