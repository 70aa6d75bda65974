import NIOCore

/// The ESME side of one SMPP 3.4 session as a pure state machine (SMPP 3.4 sections 2.2–2.9).
///
/// It owns the session state (closed → binding → bound TX/RX/TRX → unbinding → closed), the
/// outbound window keyed by sequence number, per-request deadlines, the enquire_link keepalive
/// and the rules for which PDU is legal in which state. It performs no I/O: every event method
/// returns ``Action``s that the connection handler executes, and time is passed in (`now`), so
/// the whole behaviour is testable without sockets or clocks.
///
/// Contract for the handler:
/// - call ``connectionEstablished(now:)`` once the TCP (or TLS) connection is up;
/// - feed every decoded PDU to ``pduReceived(_:now:)`` and every undecodable frame to
///   ``pduDecodingFailed(_:now:)``;
/// - submit through ``requestSubmitted(_:body:deadline:now:)`` with its own request id;
/// - answer each `.deliver` action with ``inboundHandled(sequenceNumber:commandID:status:now:)``
///   only once the consumer has taken responsibility for the message;
/// - call ``timerFired(now:)`` at ``nextDeadline`` (or earlier: it is idempotent);
/// - call ``connectionClosed(now:)`` when the transport goes away, whatever the reason.
public struct SMPPSession: Sendable {
    public typealias RequestID = UInt64

    public struct Configuration: Sendable, Hashable {
        public var bindType: BindType
        public var bind: Bind
        /// Requests in flight (sent, unanswered) at most; more wait in a queue.
        public var windowSize: Int
        /// Requests waiting for a window slot at most; more fail with `.queueFull`.
        public var maxQueuedRequests: Int
        /// How long the SMSC has to answer the bind.
        public var bindTimeout: TimeAmount
        /// How long the SMSC has to answer our unbind before we close anyway.
        public var unbindTimeout: TimeAmount
        /// Idle time (nothing received) after which we send enquire_link.
        public var enquireLinkInterval: TimeAmount
        /// How long the SMSC has to answer enquire_link before the peer counts as dead.
        public var enquireLinkTimeout: TimeAmount

        public init(bindType: BindType, bind: Bind, windowSize: Int = 10, maxQueuedRequests: Int = 10_000,
                    bindTimeout: TimeAmount = .seconds(10), unbindTimeout: TimeAmount = .seconds(5),
                    enquireLinkInterval: TimeAmount = .seconds(30), enquireLinkTimeout: TimeAmount = .seconds(10)) {
            self.bindType = bindType
            self.bind = bind
            self.windowSize = max(1, windowSize)
            self.maxQueuedRequests = max(0, maxQueuedRequests)
            self.bindTimeout = bindTimeout
            self.unbindTimeout = unbindTimeout
            self.enquireLinkInterval = enquireLinkInterval
            self.enquireLinkTimeout = enquireLinkTimeout
        }
    }

    public enum State: Sendable, Hashable {
        case closed
        /// The SMSC connected to us; waiting for its outbind (SMPP 3.4 section 2.2.1).
        case awaitingOutbind
        case binding
        case bound(BindType)
        case unbinding
    }

    public enum CloseReason: Sendable, Hashable {
        /// The SMSC refused the bind with this status (e.g. ESME_RINVPASWD).
        case bindRejected(CommandStatus)
        case bindTimedOut
        /// We asked to unbind and the SMSC answered (or did not, within the timeout).
        case unbound
        /// The SMSC sent unbind; we answered unbind_resp.
        case unboundByPeer
        /// enquire_link went unanswered.
        case peerUnresponsive
        /// The stream cannot be framed any more (command_length out of bounds).
        case framingError(SMPPDecodingError)
    }

    /// Why a request did not get a response. ``isRetryable`` tells whether the same PDU may be
    /// sent again (on this session later, or another one) without the caller changing it.
    public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
        public enum Kind: String, Sendable, Hashable {
            case notBound, notAllowedForBindType, queueFull, timedOut, connectionClosed, unbound
        }
        public var kind: Kind
        public var detail: String
        public init(_ kind: Kind, _ detail: String) {
            self.kind = kind
            self.detail = detail
        }
        /// Everything but a PDU the bind type can never send is retryable. A timed-out request
        /// may have reached the SMSC: resending it can duplicate the message.
        public var isRetryable: Bool { kind != .notAllowedForBindType }
        public var description: String { "\(kind.rawValue): \(detail)" }
    }

    public enum Action: Sendable, Hashable {
        /// Encode and write this PDU.
        case send(PDU)
        /// The bind succeeded.
        case bound(BindType, systemID: String?, scInterfaceVersion: UInt8?)
        /// The response (or generic_nack) to a request; inspect its `commandStatus`.
        case complete(RequestID, PDU)
        /// The request got no response.
        case fail(RequestID, RequestError)
        /// An inbound deliver_sm or data_sm for the consumer. Answer it with
        /// ``inboundHandled(sequenceNumber:commandID:status:now:)`` once it is safe.
        case deliver(PDU)
        /// An alert_notification (never answered, SMPP 3.4 4.12).
        case alert(AlertNotification)
        /// A PDU that was valid but fit nothing (e.g. a response to no request); log it.
        case discard(PDU, reason: String)
        /// Close the connection. Requests were already failed by preceding actions.
        case close(CloseReason)
    }

    private struct InFlight: Sendable {
        var requestID: RequestID?  // nil for the session's own PDUs (bind, enquire_link, unbind)
        var commandID: CommandID
        var deadline: NIODeadline
    }

    private struct Queued: Sendable {
        var requestID: RequestID
        var body: PDUBody
        var deadline: NIODeadline
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed
    var nextSequence: UInt32 = 1  // internal for tests of the wrap-around
    private var inFlight: [UInt32: InFlight] = [:]
    private var queue: [Queued] = []
    private var queueHead = 0
    private var lastReceived = NIODeadline.uptimeNanoseconds(0)
    private var enquireLinkSequence: UInt32?
    private var stateDeadline: NIODeadline?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Requests sent and not answered yet.
    public var inFlightCount: Int { inFlight.values.filter { $0.requestID != nil }.count }
    /// Requests waiting for a window slot.
    public var queuedCount: Int { queue.count - queueHead }

    /// The earliest time ``timerFired(now:)`` has something to do, or `nil`.
    public var nextDeadline: NIODeadline? {
        var earliest = stateDeadline
        for entry in inFlight.values where earliest == nil || entry.deadline < earliest! { earliest = entry.deadline }
        for index in queueHead..<queue.count where earliest == nil || queue[index].deadline < earliest! {
            earliest = queue[index].deadline
        }
        if case .bound = state, enquireLinkSequence == nil {
            let due = lastReceived + configuration.enquireLinkInterval
            if earliest == nil || due < earliest! { earliest = due }
        }
        return earliest
    }

    // MARK: Events

    /// The transport is up: bind (SMPP 3.4 4.1).
    public mutating func connectionEstablished(now: NIODeadline) -> [Action] {
        guard state == .closed else { return [] }
        state = .binding
        lastReceived = now
        stateDeadline = now + configuration.bindTimeout
        let sequence = allocateSequence()
        let bind = PDU(.bind(configuration.bindType, configuration.bind), sequenceNumber: sequence)
        inFlight[sequence] = InFlight(requestID: nil, commandID: bind.commandID, deadline: now + configuration.bindTimeout)
        return [.send(bind)]
    }

    /// The SMSC opened this connection to us (SMPP 3.4 section 2.2.1): wait for its outbind,
    /// then bind as receiver (or transceiver when so configured).
    public mutating func connectionAccepted(now: NIODeadline) -> [Action] {
        guard state == .closed else { return [] }
        state = .awaitingOutbind
        lastReceived = now
        stateDeadline = now + configuration.bindTimeout
        return []
    }

    /// The caller wants `body` sent. Answered later by `.complete` or `.fail` for `id`.
    public mutating func requestSubmitted(_ id: RequestID, body: PDUBody, deadline: NIODeadline,
                                          now: NIODeadline) -> [Action] {
        guard case .bound(let bindType) = state else {
            return [.fail(id, RequestError(.notBound, "the session is \(stateName), not bound"))]
        }
        if let reason = Self.refusal(of: body.commandID, on: bindType) {
            return [.fail(id, RequestError(.notAllowedForBindType, reason))]
        }
        if inFlight.count < configuration.windowSize && queuedCount == 0 {
            return [send(id, body: body, deadline: deadline)]
        }
        guard queuedCount < configuration.maxQueuedRequests else {
            return [.fail(id, RequestError(.queueFull, "\(queuedCount) requests already wait for the window"))]
        }
        queue.append(Queued(requestID: id, body: body, deadline: deadline))
        return []
    }

    /// A PDU arrived from the SMSC.
    public mutating func pduReceived(_ pdu: PDU, now: NIODeadline) -> [Action] {
        lastReceived = now
        if pdu.commandID.isResponse { return responseReceived(pdu, now: now) }
        return requestReceived(pdu, now: now)
    }

    /// A frame arrived that does not decode. Answers it as SMPP 3.4 section 4.3 asks: the
    /// request's own response with the error status when the command is known and answerable,
    /// `generic_nack` otherwise; a framing error also closes the session.
    public mutating func pduDecodingFailed(_ error: SMPPDecodingError, now: NIODeadline) -> [Action] {
        lastReceived = now
        let sequence = error.sequenceNumber ?? 0
        var actions: [Action] = []
        if let raw = error.commandID, let command = CommandID(rawValue: raw), let response = command.response,
           let body = Self.emptyResponse(response), !error.isFramingError {
            actions.append(.send(PDU(body, sequenceNumber: sequence, commandStatus: error.commandStatus)))
        } else if let raw = error.commandID, raw & 0x8000_0000 != 0, let entry = inFlight[sequence], !error.isFramingError {
            // A response to one of our requests that we cannot read: fail that request
            // rather than leave it to time out; generic_nack is not sent for responses.
            inFlight[sequence] = nil
            if let id = entry.requestID {
                actions.append(.fail(id, RequestError(.connectionClosed, "undecodable response: \(error)")))
            }
            actions += drainQueue()
        } else {
            actions.append(.send(PDU(.genericNack, sequenceNumber: sequence, commandStatus: error.commandStatus)))
        }
        if error.isFramingError {
            actions += failEverything(RequestError(.connectionClosed, "the SMSC's byte stream cannot be framed: \(error)"))
            actions.append(.close(.framingError(error)))
            state = .closed
        }
        return actions
    }

    /// The consumer took responsibility for (or refused) the inbound deliver_sm/data_sm with this
    /// sequence number: acknowledge it. Use `ESME_RX_T_APPN` to have the SMSC retry later.
    public mutating func inboundHandled(sequenceNumber: UInt32, commandID: CommandID, status: CommandStatus,
                                        now: NIODeadline) -> [Action] {
        switch state {
        case .bound, .unbinding: break
        case .closed, .binding, .awaitingOutbind: return []
        }
        switch commandID {
        case .deliverSM:
            return [.send(PDU(.deliverSMResp(MessageIDResp(messageID: "")), sequenceNumber: sequenceNumber,
                              commandStatus: status))]
        case .dataSM:
            return [.send(PDU(.dataSMResp(MessageIDResp(messageID: "")), sequenceNumber: sequenceNumber,
                              commandStatus: status))]
        default:
            return []
        }
    }

    /// Time passed: expire requests, the bind or unbind, and keep the link alive.
    public mutating func timerFired(now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        if let deadline = stateDeadline, deadline <= now {
            switch state {
            case .binding, .awaitingOutbind:
                actions += failEverything(RequestError(.connectionClosed, "the bind was not answered in time"))
                actions.append(.close(.bindTimedOut))
                state = .closed
                return actions
            case .unbinding:
                actions += failEverything(RequestError(.unbound, "the session unbound"))
                actions.append(.close(.unbound))
                state = .closed
                return actions
            case .bound, .closed:
                stateDeadline = nil
            }
        }
        if let sequence = enquireLinkSequence, let entry = inFlight[sequence], entry.deadline <= now {
            actions += failEverything(RequestError(.connectionClosed, "the SMSC did not answer enquire_link"))
            actions.append(.close(.peerUnresponsive))
            state = .closed
            return actions
        }
        for (sequence, entry) in inFlight where entry.deadline <= now {
            guard let id = entry.requestID else { continue }
            inFlight[sequence] = nil
            actions.append(.fail(id, RequestError(.timedOut,
                "no \(entry.commandID.specName)_resp for sequence \(sequence) in time; the SMSC may have received it")))
        }
        var kept: [Queued] = []
        for index in queueHead..<queue.count {
            let entry = queue[index]
            if entry.deadline <= now {
                actions.append(.fail(entry.requestID, RequestError(.timedOut, "waited for a window slot until its deadline")))
            } else {
                kept.append(entry)
            }
        }
        if kept.count != queuedCount {
            queue = kept
            queueHead = 0
        }
        actions += drainQueue()
        if case .bound = state, enquireLinkSequence == nil, lastReceived + configuration.enquireLinkInterval <= now {
            let sequence = allocateSequence()
            enquireLinkSequence = sequence
            inFlight[sequence] = InFlight(requestID: nil, commandID: .enquireLink, deadline: now + configuration.enquireLinkTimeout)
            actions.append(.send(PDU(.enquireLink, sequenceNumber: sequence)))
        }
        return actions
    }

    /// The caller wants to leave: send unbind (SMPP 3.4 4.2). Queued requests fail; requests in
    /// flight may still complete until the unbind_resp arrives.
    public mutating func unbindRequested(now: NIODeadline) -> [Action] {
        switch state {
        case .closed, .unbinding:
            return []
        case .binding, .awaitingOutbind:
            state = .closed
            return failEverything(RequestError(.unbound, "unbind requested while binding")) + [.close(.unbound)]
        case .bound:
            var actions = failQueued(RequestError(.unbound, "the session is unbinding"))
            state = .unbinding
            stateDeadline = now + configuration.unbindTimeout
            let sequence = allocateSequence()
            inFlight[sequence] = InFlight(requestID: nil, commandID: .unbind, deadline: now + configuration.unbindTimeout)
            actions.append(.send(PDU(.unbind, sequenceNumber: sequence)))
            return actions
        }
    }

    /// The transport is gone. Every request in flight or queued fails retryably.
    public mutating func connectionClosed(now: NIODeadline) -> [Action] {
        let wasOpen = state != .closed
        state = .closed
        stateDeadline = nil
        let actions = failEverything(RequestError(.connectionClosed, "the connection to the SMSC closed"))
        return wasOpen || !actions.isEmpty ? actions : []
    }

    // MARK: Internals

    private var stateName: String {
        switch state {
        case .closed: "closed"
        case .awaitingOutbind: "awaiting outbind"
        case .binding: "binding"
        case .bound(let type): "bound as \(type.rawValue)"
        case .unbinding: "unbinding"
        }
    }

    private mutating func allocateSequence() -> UInt32 {
        // SMPP 3.4 section 3.2: 0x00000001 to 0x7FFFFFFF; skip numbers still in flight.
        repeat {
            let sequence = nextSequence
            nextSequence = nextSequence >= 0x7FFF_FFFF ? 1 : nextSequence + 1
            if inFlight[sequence] == nil { return sequence }
        } while true
    }

    private mutating func send(_ id: RequestID, body: PDUBody, deadline: NIODeadline) -> Action {
        let sequence = allocateSequence()
        let pdu = PDU(body, sequenceNumber: sequence)
        inFlight[sequence] = InFlight(requestID: id, commandID: pdu.commandID, deadline: deadline)
        return .send(pdu)
    }

    private mutating func drainQueue() -> [Action] {
        guard case .bound = state else { return [] }
        var actions: [Action] = []
        while inFlight.count < configuration.windowSize, queueHead < queue.count {
            let entry = queue[queueHead]
            queueHead += 1
            actions.append(send(entry.requestID, body: entry.body, deadline: entry.deadline))
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead > 1024, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return actions
    }

    private mutating func failQueued(_ error: RequestError) -> [Action] {
        var actions: [Action] = []
        for index in queueHead..<queue.count { actions.append(.fail(queue[index].requestID, error)) }
        queue.removeAll()
        queueHead = 0
        return actions
    }

    private mutating func failEverything(_ error: RequestError) -> [Action] {
        var actions: [Action] = []
        for sequence in inFlight.keys.sorted() {
            if let id = inFlight[sequence]?.requestID { actions.append(.fail(id, error)) }
        }
        inFlight.removeAll()
        enquireLinkSequence = nil
        stateDeadline = nil
        return actions + failQueued(error)
    }

    private mutating func responseReceived(_ pdu: PDU, now: NIODeadline) -> [Action] {
        guard let entry = inFlight[pdu.sequenceNumber] else {
            return [.discard(pdu, reason: "no request in flight has sequence number \(pdu.sequenceNumber)")]
        }
        let isNack = pdu.commandID == .genericNack
        guard isNack || entry.commandID.response == pdu.commandID else {
            return [.discard(pdu, reason: "sequence \(pdu.sequenceNumber) belongs to \(entry.commandID.specName), not \(pdu.commandID.specName)")]
        }
        inFlight[pdu.sequenceNumber] = nil
        if let id = entry.requestID {
            // The hot path: one allocation when nothing waits for the window.
            if queuedCount == 0 { return [.complete(id, pdu)] }
            var actions: [Action] = [.complete(id, pdu)]
            actions += drainQueue()
            return actions
        }
        switch entry.commandID {
        case .bindTransmitter, .bindReceiver, .bindTransceiver:
            stateDeadline = nil
            guard pdu.commandStatus == .ok, !isNack else {
                state = .closed
                return failEverything(RequestError(.connectionClosed, "the bind was rejected")) + [.close(.bindRejected(pdu.commandStatus))]
            }
            let type: BindType
            switch entry.commandID {
            case .bindReceiver: type = .receiver
            case .bindTransmitter: type = .transmitter
            default: type = .transceiver
            }
            state = .bound(type)
            var systemID: String?
            var version: UInt8?
            if case .bindResp(_, let resp?) = pdu.body {
                systemID = resp.systemID
                version = resp.tlvs.scInterfaceVersion
            }
            return [.bound(type, systemID: systemID, scInterfaceVersion: version)]
        case .enquireLink:
            enquireLinkSequence = nil
            return drainQueue()
        case .unbind:
            state = .closed
            return failEverything(RequestError(.unbound, "the session unbound")) + [.close(.unbound)]
        default:
            return []
        }
    }

    private mutating func requestReceived(_ pdu: PDU, now: NIODeadline) -> [Action] {
        let sequence = pdu.sequenceNumber
        switch (pdu.body, state) {
        case (.enquireLink, .binding), (.enquireLink, .bound), (.enquireLink, .unbinding), (.enquireLink, .awaitingOutbind):
            return [.send(PDU(.enquireLinkResp, sequenceNumber: sequence))]
        case (.unbind, .bound), (.unbind, .unbinding), (.unbind, .binding):
            var actions: [Action] = [.send(PDU(.unbindResp, sequenceNumber: sequence))]
            actions += failEverything(RequestError(.unbound, "the SMSC unbound the session"))
            actions.append(.close(.unboundByPeer))
            state = .closed
            return actions
        case (.deliverSM, .bound(let type)) where type.canReceive,
             (.dataSM, .bound(let type)) where type.canReceive:
            return [.deliver(pdu)]
        case (.alertNotification(let alert), .bound(let type)) where type.canReceive:
            return [.alert(alert)]
        case (.outbind(let outbind), .awaitingOutbind):
            guard outbind.systemID == configuration.bind.systemID || configuration.bind.systemID.isEmpty else {
                state = .closed
                stateDeadline = nil
                return [.discard(pdu, reason: "outbind from system_id '\(outbind.systemID)', expected '\(configuration.bind.systemID)'"),
                        .close(.bindRejected(.invalidSystemID))]
            }
            state = .binding
            stateDeadline = now + configuration.bindTimeout
            let type: BindType = configuration.bindType == .transceiver ? .transceiver : .receiver
            let sequence = allocateSequence()
            inFlight[sequence] = InFlight(requestID: nil, commandID: PDUBody.bind(type, configuration.bind).commandID,
                                          deadline: now + configuration.bindTimeout)
            return [.send(PDU(.bind(type, configuration.bind), sequenceNumber: sequence))]
        case (.alertNotification, _), (.outbind, _):
            return [.discard(pdu, reason: "\(pdu.commandID.specName) is not expected while \(stateName)")]
        default:
            guard let response = pdu.commandID.response, let body = Self.emptyResponse(response) else {
                return [.discard(pdu, reason: "\(pdu.commandID.specName) is not expected while \(stateName)")]
            }
            return [.send(PDU(body, sequenceNumber: sequence, commandStatus: .invalidBindStatus))]
        }
    }

    /// Why `command` may never be sent on a `bindType` session (SMPP 3.4 section 2.3), or nil.
    static func refusal(of command: CommandID, on bindType: BindType) -> String? {
        switch command {
        case .submitSM, .submitMulti, .dataSM, .querySM, .cancelSM, .replaceSM:
            return bindType.canTransmit ? nil : "\(command.specName) cannot be sent on a receiver bind"
        case .enquireLink:
            return nil
        default:
            return "\(command.specName) is not a request an ESME sends through the window"
        }
    }

    /// The header-only (error) response for a request command.
    static func emptyResponse(_ command: CommandID) -> PDUBody? {
        switch command {
        case .genericNack: .genericNack
        case .bindTransmitterResp: .bindResp(.transmitter, nil)
        case .bindReceiverResp: .bindResp(.receiver, nil)
        case .bindTransceiverResp: .bindResp(.transceiver, nil)
        case .querySMResp: .querySMResp(nil)
        case .submitSMResp: .submitSMResp(nil)
        case .deliverSMResp: .deliverSMResp(MessageIDResp(messageID: ""))
        case .unbindResp: .unbindResp
        case .replaceSMResp: .replaceSMResp
        case .cancelSMResp: .cancelSMResp
        case .enquireLinkResp: .enquireLinkResp
        case .submitMultiResp: .submitMultiResp(nil)
        case .dataSMResp: .dataSMResp(MessageIDResp(messageID: ""))
        default: nil
        }
    }
}
