import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The carrier trunk calls go through: its address, the domain written into URIs, and
/// optional digest credentials.
public struct SIPTrunk: Sendable {
    public var destination: SIPDestination
    /// host[:port] used in Request-URIs, From and To (`sip:+1555…@domain`).
    public var domain: String
    public var credentials: DigestCredentials?
    /// Adds `P-Asserted-Identity: <sip:FROM@domain>` (RFC 3325) to INVITEs.
    public var assertIdentity: Bool

    public init(destination: SIPDestination, domain: String, credentials: DigestCredentials? = nil, assertIdentity: Bool = false) {
        self.destination = destination
        self.domain = domain
        self.credentials = credentials
        self.assertIdentity = assertIdentity
    }
}

/// Time limits of a call.
public struct CallTimers: Sendable {
    /// From INVITE to answer; then Tandem CANCELs and the call is no-answer.
    public var ringTimeout: TimeAmount
    /// From answer to Tandem's BYE.
    public var maximumDuration: TimeAmount
    /// With no response at all (not even 100 Trying) from the trunk for this long, the call
    /// fails as "trunk not answering" instead of waiting for Timer B (32 s).
    public var trunkResponseTimeout: TimeAmount

    public init(ringTimeout: TimeAmount = .seconds(30), maximumDuration: TimeAmount = .seconds(3600),
                trunkResponseTimeout: TimeAmount = .seconds(4)) {
        self.ringTimeout = ringTimeout
        self.maximumDuration = maximumDuration
        self.trunkResponseTimeout = trunkResponseTimeout
    }
}

/// An inbound INVITE to be routed (the bridge decides).
public struct InboundCallRequest: Sendable {
    /// The Request-URI's user part (the dialled number), if any.
    public var calledNumber: String?
    /// The From URI's user part (the caller), if any.
    public var callingNumber: String?
    public var request: SIPMessage
}

/// What the routing hook decides for an inbound INVITE.
public enum InboundRoute: Sendable, Equatable {
    /// Not one of our numbers: 404 Not Found.
    case notFound
    /// One of our numbers, but nothing to connect it to now: 480 Temporarily Unavailable.
    case unavailable(reason: String)
    /// Any other final answer.
    case reject(status: Int, reason: String)
}

/// A placed call: its events, and a way to end it.
public final class SIPCallHandle: Sendable {
    public let events: AsyncStream<CallEvent>
    private let cancelAction: @Sendable () -> Void

    init(events: AsyncStream<CallEvent>, cancel: @escaping @Sendable () -> Void) {
        self.events = events
        self.cancelAction = cancel
    }

    /// Ends the call from Tandem's side: CANCEL while it rings (→ canceled), BYE once
    /// answered (→ completed). For a click-to-call, both legs.
    public func hangUp() { cancelAction() }
}

/// Hangs up a call started with `startCall` (on the endpoint's loop).
public final class SIPCallControl {
    private weak var leg: OutboundLeg?
    init(leg: OutboundLeg) { self.leg = leg }
    public func hangUp(reason: String = "Hung up by Tandem") { leg?.hangUp(reason: reason) }
}

/// Tandem's SIP user agent (RFC 3261 UAC and UAS core) on one endpoint: outbound calls,
/// RFC 3725 click-to-call, inbound INVITE routing, OPTIONS. Loop-confined like the endpoint.
public final class SIPUserAgent: @unchecked Sendable {
    public let endpoint: SIPEndpoint
    let logger: Logger
    private var legs: [String: OutboundLeg] = [:]
    /// Decides inbound INVITEs. Without it every inbound INVITE gets 404.
    /// May look things up (the store): it runs off the loop; the answer is sent on it.
    public var inboundRouter: (@Sendable (InboundCallRequest) async -> InboundRoute)?

    static let allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS"
    /// Methods Tandem recognises but does not serve (405 with Allow); any other method is
    /// unknown (501), RFC 3261 §8.2.1.
    static let recognised: Set<String> = ["REGISTER", "SUBSCRIBE", "NOTIFY", "MESSAGE", "REFER", "INFO", "PRACK", "UPDATE"]

    /// Create it on the endpoint's loop (it installs the endpoint's handlers, which the loop reads).
    public init(endpoint: SIPEndpoint, logger: Logger = Logger(label: "tandem.sip.ua")) {
        endpoint.eventLoop.preconditionInEventLoop()
        self.endpoint = endpoint
        self.logger = logger
        // Weak: whoever created the agent keeps it; once it is gone the endpoint answers 501.
        endpoint.onRequest = { [weak self] server in
            guard let self else { return server.respond(status: 501, reason: "Not Implemented") }
            self.handleRequest(server)
        }
        endpoint.onStrayResponse = { [weak self] in self?.handleStrayResponse($0, from: $1) }
        endpoint.onAck = { [weak self] ack, _ in self?.logger.trace("ACK outside a transaction", metadata: ["call-id": "\(ack.callID ?? "")"]) }
    }

    public var activeLegs: Int { legs.count }

    // MARK: Outbound

    /// Places a call from `from` to `to` through `trunk`. `offer` is the SDP offer, or nil
    /// for an offerless INVITE (the far end's offer is then answered with an inactive
    /// stream in the ACK). May be called from any thread.
    public func placeCall(from: String, to: String, trunk: SIPTrunk, offer: [UInt8]?, timers: CallTimers = CallTimers()) -> SIPCallHandle {
        let (stream, continuation) = AsyncStream<CallEvent>.makeStream()
        let box = LoopConfinedBox<OutboundLeg>()
        endpoint.eventLoop.execute {
            let leg = OutboundLeg(agent: self, name: "to", from: from, to: to, trunk: trunk, offer: offer, timers: timers)
            leg.onEvent = { event in
                continuation.yield(event)
                if event.call.status.isFinal { continuation.finish() }
            }
            box.value = leg
            leg.start()
        }
        let loop = endpoint.eventLoop
        return SIPCallHandle(events: stream) {
            loop.execute { box.value?.hangUp(reason: "Hung up by Tandem") }
        }
    }

    /// The loop-confined form of `placeCall` for high call rates (no stream, no hops): must
    /// be called on the endpoint's loop; `onEvent` runs there. The returned control hangs up.
    public func startCall(from: String, to: String, trunk: SIPTrunk, offer: [UInt8]?, timers: CallTimers = CallTimers(),
                          onEvent: @escaping (CallEvent, SIPCallControl) -> Void) -> SIPCallControl {
        endpoint.eventLoop.preconditionInEventLoop()
        let leg = OutboundLeg(agent: self, name: "to", from: from, to: to, trunk: trunk, offer: offer, timers: timers)
        let control = SIPCallControl(leg: leg)
        leg.onEvent = { event in onEvent(event, control) }
        leg.start()
        return control
    }

    /// Click-to-call by RFC 3725 flow I: the agent is called first with no SDP; its offer
    /// (in the 200) is sent to the end user; the end user's answer goes back in the agent's
    /// ACK. If the end user does not answer, the agent is hung up with a status that says
    /// so. When either hangs up, the other is sent a BYE. Events carry `leg` "to" (agent)
    /// and "connect-to" (end user); the stream ends when both legs are final.
    public func clickToCall(from: String, agent: String, endUser: String, trunk: SIPTrunk,
                            timers: CallTimers = CallTimers()) -> SIPCallHandle {
        let (stream, continuation) = AsyncStream<CallEvent>.makeStream()
        let box = LoopConfinedBox<ThirdPartyCall>()
        endpoint.eventLoop.execute {
            let control = ThirdPartyCall(agent: self, from: from, agentNumber: agent, endUserNumber: endUser, trunk: trunk,
                                         timers: timers) { event, done in
                continuation.yield(event)
                if done { continuation.finish() }
            }
            box.value = control
            self.retain(control)
            control.start()
        }
        let loop = endpoint.eventLoop
        return SIPCallHandle(events: stream) {
            loop.execute { box.value?.hangUp() }
        }
    }

    /// Sends OPTIONS to the trunk (RFC 3261 §11) and reports the final status, or nil on
    /// transport error or when no final response came within `timeout` (default: Timer F,
    /// 32 s over UDP). Used to track the trunk's health.
    public func ping(_ trunk: SIPTrunk, timeout: TimeAmount? = nil) -> EventLoopFuture<Int?> {
        let promise = endpoint.eventLoop.makePromise(of: Int?.self)
        let settled = LoopConfinedBox<Bool>()
        let settle: (Int?) -> Void = { status in
            guard settled.value != true else { return }
            settled.value = true
            promise.succeed(status)
        }
        endpoint.eventLoop.execute {
            if let timeout {
                self.endpoint.eventLoop.assumeIsolated().scheduleTask(in: timeout) { settle(nil) }
            }
            let uri = "sip:\(trunk.domain)"
            let request = SIPMessage.request("OPTIONS", uri: uri, headers: [
                SIPHeaderField("Via", self.endpoint.via(transport: trunk.destination.transport, branch: SIPIdentifiers.branch())),
                SIPHeaderField("Max-Forwards", "70"),
                SIPHeaderField("From", "<sip:tandem@\(trunk.domain)>;tag=\(SIPIdentifiers.tag())"),
                SIPHeaderField("To", "<\(uri)>"),
                SIPHeaderField("Call-ID", SIPIdentifiers.callID(host: self.endpoint.advertisedHost)),
                SIPHeaderField("CSeq", "1 OPTIONS"),
                SIPHeaderField("Accept", "application/sdp"),
                SIPHeaderField("User-Agent", self.endpoint.configuration.product),
            ])
            let sent = self.endpoint.sendRequest(request, to: trunk.destination) { event in
                switch event {
                case .provisional: break
                case .final(let response): settle(response.statusCode)
                case .timeout, .transportError: settle(nil)
                }
            }
            if !sent { settle(nil) }
        }
        return promise.futureResult
    }

    func register(_ leg: OutboundLeg) { legs[leg.callID] = leg }

    func unregister(_ leg: OutboundLeg) {
        guard legs[leg.callID] === leg else { return }
        legs[leg.callID] = nil
        // A 2xx for it may still come (crossing a CANCEL, forking, a lost ACK): remember the
        // call for 64·T1 so such a 2xx is ACKed and BYEd, and only from the trunk.
        let now = NIODeadline.now()
        recentlyEnded[leg.callID] = EndedCall(trunk: leg.trunk.destination.address, offered: leg.offer != nil, expiry: now + .seconds(32))
        endedOrder.append((now + .seconds(32), leg.callID))
        while let first = endedOrder.first, first.0 <= now {
            endedOrder.removeFirst()
            if let entry = recentlyEnded[first.1], entry.expiry <= now { recentlyEnded[first.1] = nil }
        }
    }

    /// Keeps a click-to-call alive until both its legs are final.
    func retain(_ call: ThirdPartyCall) { thirdPartyCalls[ObjectIdentifier(call)] = call }
    func release(_ call: ThirdPartyCall) { thirdPartyCalls[ObjectIdentifier(call)] = nil }

    struct EndedCall {
        var trunk: SocketAddress
        var offered: Bool
        var expiry: NIODeadline
    }
    private var recentlyEnded: [String: EndedCall] = [:]
    private var endedOrder = CircularBuffer<(NIODeadline, String)>()
    private var thirdPartyCalls: [ObjectIdentifier: ThirdPartyCall] = [:]
    /// Inbound INVITEs waiting for the router, by branch, so a CANCEL can end them (§9.2).
    private var pendingInbound: [String: SIPServerTransaction] = [:]

    // MARK: Inbound

    private func handleStrayResponse(_ response: SIPMessage, from source: SIPDestination) {
        guard let callID = response.callID else { return }
        if let leg = legs[callID] {
            leg.retransmitted2xx(response)
        } else if let ended = recentlyEnded[callID], ended.expiry > .now(), source.address == ended.trunk {
            // A 2xx for a call that just ended: ACK and BYE it so the far end is not left up
            // (RFC 3261 §13.2.2.4 requires the ACK; the BYE ends the orphan dialog).
            logger.notice("2xx for an ended call: ACK and BYE", metadata: ["call-id": "\(callID)"])
            OutboundLeg.acknowledgeAndEnd(orphan: response, endpoint: endpoint, source: source, offered: ended.offered)
        } else {
            // Not ours, or not from the trunk: never answer it (a forged 2xx must not make Tandem
            // send ACKs and retransmitted BYEs wherever its Contact points).
            logger.info("2xx matching no call dropped", metadata: ["call-id": "\(callID)", "from": "\(source)"])
        }
    }

    private func handleRequest(_ server: SIPServerTransaction) {
        let request = server.request
        let method = request.method ?? ""
        if request.toTag != nil {
            // In-dialog (RFC 3261 §12.2.2).
            guard let callID = request.callID, let leg = legs[callID] else {
                server.respond(status: 481, reason: "Call/Transaction Does Not Exist")
                return
            }
            leg.inDialog(server)
            return
        }
        switch method {
        case "INVITE":
            routeInbound(server)
        case "OPTIONS":
            server.respond(status: 200, reason: "OK", headers: [
                SIPHeaderField("Allow", Self.allowed), SIPHeaderField("Accept", "application/sdp"),
            ])
        case "CANCEL":
            // RFC 3261 §9.2: an INVITE still waiting for the router is ended with 487; anything
            // else has had its final answer already.
            if let branch = request.topViaBranch, let invite = pendingInbound.removeValue(forKey: branch) {
                server.respond(status: 200, reason: "OK")
                invite.respond(status: 487, reason: "Request Terminated")
            } else {
                server.respond(status: 481, reason: "Call/Transaction Does Not Exist")
            }
        case "BYE":
            server.respond(status: 481, reason: "Call/Transaction Does Not Exist")
        default:
            if Self.recognised.contains(method) {
                server.respond(status: 405, reason: "Method Not Allowed", headers: [SIPHeaderField("Allow", Self.allowed)])
            } else {
                server.respond(status: 501, reason: "Not Implemented", headers: [SIPHeaderField("Allow", Self.allowed)])
            }
        }
    }

    private func routeInbound(_ server: SIPServerTransaction) {
        let request = server.request
        let called = request.requestURI.flatMap { SIPURI($0)?.user }
        let calling = request.from.flatMap { SIPURI(SIPNameAddress.uri(of: $0))?.user }
        guard let router = inboundRouter else {
            answerInbound(server, route: .notFound, called: called, calling: calling)
            return
        }
        // The router may take a while (a database lookup): stop retransmissions first (§17.2.1).
        server.respond(status: 100, reason: "Trying")
        let branch = request.topViaBranch
        if let branch { pendingInbound[branch] = server }
        let inbound = InboundCallRequest(calledNumber: called, callingNumber: calling, request: request)
        let loop = endpoint.eventLoop
        let box = LoopConfined(server)
        Task {
            let route = await router(inbound)
            loop.execute { [weak self] in
                guard let self else { return box.value.respond(status: 500, reason: "Server Internal Error") }
                if let branch { self.pendingInbound[branch] = nil }
                // Canceled meanwhile: the 487 was the final answer.
                guard box.value.finalStatus == nil else { return }
                self.answerInbound(box.value, route: route, called: called, calling: calling)
            }
        }
    }

    private func answerInbound(_ server: SIPServerTransaction, route: InboundRoute, called: String?, calling: String?) {
        switch route {
        case .notFound:
            logger.info("Inbound call to an unknown number: 404", metadata: ["to": "\(called ?? "-")", "from": "\(calling ?? "-")"])
            server.respond(status: 404, reason: "Not Found")
        case .unavailable(let reason):
            logger.info("Inbound call not routed: 480", metadata: ["to": "\(called ?? "-")", "reason": "\(reason)"])
            server.respond(status: 480, reason: "Temporarily Unavailable")
        case .reject(let status, let reason):
            server.respond(status: status, reason: reason)
        }
    }
}
