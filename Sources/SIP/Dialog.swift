import NIOCore

/// The UAC's view of a dialog (RFC 3261 §12.1.2): identifiers, the remote target from the
/// 2xx's Contact and the route set from its Record-Route in reverse order.
struct SIPDialog {
    var callID: String
    /// The From header as sent (with our tag).
    var local: String
    /// The To header as received in the 2xx (with the remote tag).
    var remote: String
    var remoteTarget: String
    var routeSet: [String]
    var localCSeq: UInt32

    init?(invite: SIPMessage, answer: SIPMessage) {
        guard let callID = invite.callID, let local = invite.from, let remote = answer.to, answer.toTag != nil,
              let cseq = invite.cseq?.number else { return nil }
        self.callID = callID
        self.local = local
        self.remote = remote
        // A 2xx without Contact is broken; fall back to the Request-URI so we can still BYE.
        self.remoteTarget = answer.contactURI ?? invite.requestURI ?? ""
        // osip2 already splits comma-separated Record-Route values into one entry each.
        self.routeSet = answer.values("Record-Route").reversed()
        self.localCSeq = cseq
    }

    /// Request-URI, Route headers and next hop for an in-dialog request (RFC 3261 §12.2.1.1):
    /// loose routing when the first route has `lr`, strict routing otherwise.
    func target() -> (requestURI: String, routes: [String], nextHop: String) {
        guard let first = routeSet.first else { return (remoteTarget, [], remoteTarget) }
        let firstURI = SIPNameAddress.uri(of: first)
        if SIPURI(firstURI)?.isLooseRouter ?? true {
            return (remoteTarget, routeSet, firstURI)
        }
        return (firstURI, Array(routeSet.dropFirst()) + ["<\(remoteTarget)>"], firstURI)
    }

    /// The address and transport of the next hop URI (default port 5060). Only numeric hosts
    /// are used: a name would need a DNS lookup, which must never block the SIP event loop, so
    /// requests to a name go to `fallback` (the trunk, which routes them on).
    static func destination(of uri: String, fallback: SIPDestination) -> SIPDestination {
        guard let parsed = SIPURI(uri) else { return fallback }
        let transport: SIPTransportProtocol = parsed.transport == "tcp" ? .tcp : (parsed.transport == "udp" ? .udp : fallback.transport)
        let port = parsed.port ?? 5060
        if let address = try? SocketAddress(ipAddress: parsed.host.trimmingCharacters(in: "[]"), port: port) {
            return SIPDestination(address: address, transport: transport)
        }
        return fallback
    }
}
