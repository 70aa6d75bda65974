// Conversations — the domain: services, conversations, participants (chat identities and
// messaging bindings of address + proxy_address), messages, delivery receipts, users, address
// configurations, and the rules that hold between them. It knows nothing of SMPP, SIP, HTTP or
// SQLite; storage is reached through protocols that `TandemStore` implements.
//
// Contract at this stage: empty. The domain arrives with the Conversations issue.
