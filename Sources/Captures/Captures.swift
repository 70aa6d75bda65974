// Captures — pcap/pcapng reading, TCP reassembly, SMPP and SIP extraction, and replay of a
// capture against a live peer or the bridge.
//
// Contract at this stage: empty. `tandem decode` accepts hex today; capture files join it with
// the capture-replay issue.

import SMPP
