import Logging
import NIOCore

/// One outbound INVITE dialog as a UAC (RFC 3261 §13.2, §15), loop-confined.
///
/// Sends the INVITE through the trunk, answers 401/407 once per challenge with digest
/// credentials, reports ringing/answer/final statuses, ACKs a 2xx itself (and again for each
/// retransmitted 2xx) unless the ACK is deferred (click-to-call needs the other leg's answer
/// first), CANCELs on the ring timeout or on request (only after a provisional response,
/// §9.1), and BYEs on hang-up or maximum duration. A BYE from the far end ends it too.
final class OutboundLeg {
    /// Strong: the agent keeps the leg in its table until the leg ends, and the leg keeps the
    /// agent alive while it runs (whoever started the call may drop its own reference).
    let agent: SIPUserAgent
    var endpoint: SIPEndpoint { agent.endpoint }
    let name: String
    private(set) var call: Call
    let trunk: SIPTrunk
    let timers: CallTimers
    let callID: String
    let localTag: String
    let offer: [UInt8]?
    /// Click-to-call: the 2xx is reported but not ACKed until `acknowledge(body:)`.
    var deferAck = false
    var onEvent: ((CallEvent) -> Void)?
    /// Called once with the 2xx when the call is answered.
    var onAnswer: ((SIPMessage) -> Void)?

    private var cseq: UInt32 = 1
    private var invite: SIPMessage?
    private var provisionalSeen = false
    private var anyResponseSeen = false
    private var authAnswered = 0
    /// Realms whose challenge was answered: the same realm challenging again without
    /// `stale=true` means the credentials were refused (RFC 2617 §3.2.1), so the call fails.
    private var answeredRealms: Set<String> = []
    private var pendingCancel: String?
    private var cancelSent = false
    private var canceledByCaller = false
    private var dialog: SIPDialog?
    private var ack: SIPMessage?
    private var ackDestination: SIPDestination?
    private var byeSent = false
    private var byeAuthAnswered = false
    /// The status a BYE Tandem sends ends the call with (failed when the call was unusable).
    private var byeFinalStatus: CallStatus = .completed
    /// The INVITE's credentials header, repeated in the ACK for a 2xx (RFC 3261 §13.2.2.4).
    private var authorization: SIPHeaderField?
    /// The 2xx's SDP, kept to decline it in an ACK sent late (click-to-call hang-up).
    private var answerBody: [UInt8] = []
    private var scheduled: [Scheduled<Void>] = []

    var logger: Logger { agent.logger }

    init(agent: SIPUserAgent, name: String, from: String, to: String, trunk: SIPTrunk, offer: [UInt8]?, timers: CallTimers) {
        self.agent = agent
        self.name = name
        self.call = Call(from: from, to: to)
        self.trunk = trunk
        self.offer = offer
        self.timers = timers
        self.callID = SIPIdentifiers.callID(host: agent.endpoint.advertisedHost)
        self.localTag = SIPIdentifiers.tag()
    }

    // MARK: Lifecycle

    func start() {
        agent.register(self)
        emit()  // queued
        sendInvite(authorization: nil)
        guard !call.status.isFinal else { return }
        transition(.initiated)
        schedule(after: timers.ringTimeout) { [weak self] in self?.ringTimedOut() }
    }

    private func buildInvite(authorization: SIPHeaderField?) -> SIPMessage {
        let transport = trunk.destination.transport
        let requestURI = SIPURI(user: call.to, host: hostPart(trunk.domain), port: portPart(trunk.domain),
                                parameters: transport == .udp ? [] : [("transport", transport.rawValue)]).description
        let fromURI = SIPURI(user: call.from, host: hostPart(trunk.domain), port: portPart(trunk.domain)).description
        let toURI = SIPURI(user: call.to, host: hostPart(trunk.domain), port: portPart(trunk.domain)).description
        var headers = [
            SIPHeaderField("Via", endpoint.via(transport: transport, branch: SIPIdentifiers.branch())),
            SIPHeaderField("Max-Forwards", "70"),
            SIPHeaderField("From", "<\(fromURI)>;tag=\(localTag)"),
            SIPHeaderField("To", "<\(toURI)>"),
            SIPHeaderField("Call-ID", callID),
            SIPHeaderField("CSeq", "\(cseq) INVITE"),
            SIPHeaderField("Contact", endpoint.contact(user: call.from, transport: transport)),
            SIPHeaderField("Allow", SIPUserAgent.allowed),
            SIPHeaderField("User-Agent", endpoint.configuration.product),
        ]
        if trunk.assertIdentity { headers.append(SIPHeaderField("P-Asserted-Identity", "<\(fromURI)>")) }
        if let authorization { headers.append(authorization) }
        if offer != nil { headers.append(SIPHeaderField("Content-Type", "application/sdp")) }
        return SIPMessage.request("INVITE", uri: requestURI, headers: headers, body: offer ?? [])
    }

    private func sendInvite(authorization: SIPHeaderField?) {
        let request = buildInvite(authorization: authorization)
        invite = request
        self.authorization = authorization
        // Per INVITE: a retry after a challenge starts over (§9.1 looks at this INVITE's responses).
        provisionalSeen = false
        anyResponseSeen = false
        cancelSent = false
        let sequence = cseq
        schedule(after: timers.trunkResponseTimeout) { [weak self] in self?.trunkSilenceCheck(cseq: sequence) }
        let sent = endpoint.sendRequest(request, to: trunk.destination) { [weak self] event in
            self?.inviteEvent(event)
        }
        if !sent { finish(.failed, sipCode: nil, reason: "Could not build the INVITE") }
    }

    private func inviteEvent(_ event: SIPClientEvent) {
        if call.status.isFinal {
            // Ended locally while the INVITE still runs: a late 1xx gets the pending CANCEL (so the
            // callee stops ringing), a late 2xx is ACKed and BYEd; anything else is moot.
            switch event {
            case .provisional:
                anyResponseSeen = true
                provisionalSeen = true
                if let reason = pendingCancel { sendCancel(reason: reason) }
            case .final(let response) where event.isFinal2xx:
                answered(response)
            default:
                break
            }
            return
        }
        switch event {
        case .provisional(let response):
            anyResponseSeen = true
            provisionalSeen = true
            if let status = response.statusCode, status > 100, call.status == .initiated {
                transition(.ringing)
            }
            if let reason = pendingCancel { sendCancel(reason: reason) }
        case .final(let response):
            anyResponseSeen = true
            finalResponse(response)
        case .timeout:
            finish(provisionalSeen ? .noAnswer : .failed, sipCode: 408,
                   reason: provisionalSeen ? "No answer (INVITE transaction timed out)" : "No response from the trunk \(trunk.destination)")
        case .transportError(let reason):
            finish(.failed, sipCode: nil, reason: "Cannot reach the trunk \(trunk.destination): \(reason)")
        }
    }

    private func finalResponse(_ response: SIPMessage) {
        guard let status = response.statusCode else { return }
        if (200..<300).contains(status) {
            answered(response)
            return
        }
        if status == 401 || status == 407, let credentials = trunk.credentials, authAnswered < 3, !cancelSent, pendingCancel == nil,
           let challenge = preferredChallenge(in: response), !answeredRealms.contains(challenge.realm) || challenge.stale,
           let invite, let authorization = authorizationHeader(for: response, request: invite, credentials: credentials) {
            // RFC 3261 §22.2: a new INVITE with the credentials, same Call-ID and tag, CSeq + 1.
            authAnswered += 1
            answeredRealms.insert(challenge.realm)
            cseq += 1
            sendInvite(authorization: authorization)
            return
        }
        let reason: String
        switch status {
        case 401, 407: reason = trunk.credentials == nil ? "Authentication required, no credentials configured" : "Authentication failed (\(status) \(response.reasonPhrase ?? ""))"
        case 487 where pendingCancel != nil || cancelSent: reason = canceledByCaller ? "Canceled by Tandem" : "No answer within the ring timeout"
        default: reason = response.reasonPhrase ?? ""
        }
        finish(CallStatus.forFinalResponse(status, canceledByUs: canceledByCaller), sipCode: status, reason: reason)
    }

    /// The 2xx: dialog established (RFC 3261 §13.2.2.4). A 2xx after we gave up (CANCEL
    /// crossed it, ring timeout) is ACKed and BYEd at once.
    private func answered(_ response: SIPMessage) {
        guard let invite, let dialog = SIPDialog(invite: invite, answer: response) else {
            finish(.failed, sipCode: response.statusCode, reason: "Unusable 2xx (no To tag)")
            return
        }
        self.dialog = dialog
        answerBody = response.body
        if call.status.isFinal || pendingCancel != nil || cancelSent {
            // An answer in the ACK only when the 2xx made the offer (RFC 3264).
            sendAck(body: offer == nil && !response.body.isEmpty ? SDPAnswer.rejecting(offer: response.body) : [])
            sendBye(reason: "answered after cancel")
            if !call.status.isFinal {
                finish(canceledByCaller ? .canceled : .noAnswer, sipCode: nil, reason: "Answered after the CANCEL; hung up")
            }
            return
        }
        transition(.inProgress, sipCode: response.statusCode)
        cancelTimers()
        schedule(after: timers.maximumDuration) { [weak self] in self?.hangUp(reason: "Maximum duration reached") }
        onAnswer?(response)
        if !deferAck {
            // Offerless INVITE: the 2xx carries the offer, the ACK must carry the answer.
            let body: [UInt8] = offer == nil && !response.body.isEmpty
                ? SDPAnswer.inactive(offer: response.body, host: endpoint.advertisedHost) : []
            sendAck(body: body)
        }
    }

    /// Sends the deferred ACK with `body` (click-to-call).
    func acknowledge(body: [UInt8]) {
        guard ack == nil, dialog != nil else { return }
        sendAck(body: body)
    }

    private func sendAck(body: [UInt8]) {
        guard let dialog, let invite else { return }
        let (requestURI, routes, nextHop) = dialog.target()
        var headers = [
            SIPHeaderField("Via", endpoint.via(transport: transportFor(nextHop), branch: SIPIdentifiers.branch())),
            SIPHeaderField("Max-Forwards", "70"),
            SIPHeaderField("From", dialog.local),
            SIPHeaderField("To", dialog.remote),
            SIPHeaderField("Call-ID", dialog.callID),
            SIPHeaderField("CSeq", "\(invite.cseq?.number ?? cseq) ACK"),
        ]
        headers += routes.map { SIPHeaderField("Route", $0) }
        if let authorization { headers.append(authorization) }
        if !body.isEmpty { headers.append(SIPHeaderField("Content-Type", "application/sdp")) }
        let message = SIPMessage.request("ACK", uri: requestURI, headers: headers, body: body)
        let destination = SIPDialog.destination(of: nextHop, fallback: trunk.destination)
        ack = message
        ackDestination = destination
        endpoint.sendStateless(message, to: destination)
    }

    private func transportFor(_ uri: String) -> SIPTransportProtocol {
        SIPDialog.destination(of: uri, fallback: trunk.destination).transport
    }

    /// A retransmitted 2xx (our ACK was lost, or not sent yet): send the same ACK again. A 2xx
    /// from another dialog (a forking proxy's second answer) is ACKed and BYEd on its own.
    func retransmitted2xx(_ response: SIPMessage) {
        if let dialog, let remoteTag = SIPNameAddress.tag(in: dialog.remote), response.toTag != remoteTag {
            OutboundLeg.acknowledgeAndEnd(orphan: response, endpoint: endpoint, source: trunk.destination, offered: offer != nil)
            return
        }
        if let ack, let ackDestination {
            endpoint.sendStateless(ack, to: ackDestination)
        } else if dialog == nil, response.cseq?.method == "INVITE", call.status.isFinal {
            OutboundLeg.acknowledgeAndEnd(orphan: response, endpoint: endpoint, source: trunk.destination, offered: offer != nil)
        }
    }

    // MARK: Ending

    /// CANCEL while not answered, BYE once answered. `final` is the status the BYE ends the
    /// call with: completed, or failed when the call turned out unusable.
    func hangUp(reason: String, final: CallStatus = .completed) {
        if call.status == .inProgress {
            byeFinalStatus = final
            if deferAck, ack == nil {
                // Answered but not ACKed yet (click-to-call waiting for the end user): the ACK
                // must come first (RFC 3261 §13.2.2.4), declining the media.
                sendAck(body: answerBody.isEmpty ? [] : SDPAnswer.rejecting(offer: answerBody))
            }
            sendBye(reason: reason)
            return
        }
        guard !call.status.isFinal else { return }
        canceledByCaller = true
        requestCancel(reason: reason)
    }

    private func ringTimedOut() {
        guard !call.status.isFinal, call.status != .inProgress else { return }
        logger.info("Ring timeout: CANCEL", metadata: ["call": "\(call.sid)", "to": "\(call.to)"])
        requestCancel(reason: "ring timeout")
    }

    private func trunkSilenceCheck(cseq sequence: UInt32) {
        guard sequence == cseq, !anyResponseSeen, !call.status.isFinal else { return }
        // Should the trunk answer after all, the callee must not be left ringing: CANCEL then.
        pendingCancel = "trunk response timeout"
        finish(.failed, sipCode: nil,
               reason: "The trunk \(trunk.destination) did not answer the INVITE within \(timers.trunkResponseTimeout.nanoseconds / 1_000_000) ms")
    }

    private func requestCancel(reason: String) {
        if provisionalSeen {
            sendCancel(reason: reason)
        } else {
            // RFC 3261 §9.1: no CANCEL before a provisional response. Send it when one comes;
            // if none comes, the call ends on the trunk-silence check or Timer B.
            pendingCancel = reason
            if !anyResponseSeen {
                schedule(after: .seconds(2)) { [weak self] in
                    guard let self, !self.call.status.isFinal else { return }
                    self.finish(self.canceledByCaller ? .canceled : .noAnswer, sipCode: nil, reason: "Given up before any response")
                }
            }
        }
    }

    private func sendCancel(reason: String) {
        guard !cancelSent, let invite else { return }
        pendingCancel = reason
        cancelSent = true
        // RFC 3261 §9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via as the INVITE.
        var headers = [SIPHeaderField("Via", invite["Via"] ?? ""), SIPHeaderField("Max-Forwards", "70")]
        for name in ["From", "To", "Call-ID"] { headers.append(SIPHeaderField(name, invite[name] ?? "")) }
        headers.append(SIPHeaderField("CSeq", "\(invite.cseq?.number ?? cseq) CANCEL"))
        headers += invite.values("Route").map { SIPHeaderField("Route", $0) }
        headers.append(SIPHeaderField("Reason", "SIP;cause=487;text=\"\(reason)\""))
        let cancel = SIPMessage.request("CANCEL", uri: invite.requestURI ?? "", headers: headers)
        endpoint.sendRequest(cancel, to: trunk.destination) { [weak self] event in
            guard let self else { return }
            if case .final(let response) = event, let status = response.statusCode, status >= 300 {
                // 481: the INVITE already got its final answer; that answer decides.
                self.logger.debug("CANCEL answered \(status)", metadata: ["call": "\(self.call.sid)"])
            }
        }
        // If the 487 never comes (broken far end), end the call anyway after Timer-B-like time.
        schedule(after: .seconds(8)) { [weak self] in
            guard let self, !self.call.status.isFinal else { return }
            self.finish(self.canceledByCaller ? .canceled : .noAnswer, sipCode: nil, reason: "CANCEL not confirmed by a 487")
        }
    }

    private func sendBye(reason: String, authorization byeAuthorization: SIPHeaderField? = nil) {
        guard !byeSent || byeAuthorization != nil, var dialog else { return }
        byeSent = true
        dialog.localCSeq += 1
        self.dialog = dialog
        let (requestURI, routes, nextHop) = dialog.target()
        let destination = SIPDialog.destination(of: nextHop, fallback: trunk.destination)
        var headers = [
            SIPHeaderField("Via", endpoint.via(transport: destination.transport, branch: SIPIdentifiers.branch())),
            SIPHeaderField("Max-Forwards", "70"),
            SIPHeaderField("From", dialog.local),
            SIPHeaderField("To", dialog.remote),
            SIPHeaderField("Call-ID", dialog.callID),
            SIPHeaderField("CSeq", "\(dialog.localCSeq) BYE"),
            SIPHeaderField("User-Agent", endpoint.configuration.product),
        ]
        headers += routes.map { SIPHeaderField("Route", $0) }
        if let byeAuthorization { headers.append(byeAuthorization) }
        let bye = SIPMessage.request("BYE", uri: requestURI, headers: headers)
        let wasInProgress = call.status == .inProgress
        let ending = byeFinalStatus
        let sent = endpoint.sendRequest(bye, to: destination) { [weak self] event in
            guard let self else { return }
            switch event {
            case .provisional: return
            case .final(let response):
                if let status = response.statusCode, status == 401 || status == 407, !self.byeAuthAnswered,
                   let credentials = self.trunk.credentials,
                   let retry = self.authorizationHeader(for: response, request: bye, method: "BYE", credentials: credentials) {
                    // RFC 3261 §22.2 applies to BYE too: once, with the credentials.
                    self.byeAuthAnswered = true
                    self.sendBye(reason: reason, authorization: retry)
                    return
                }
                if wasInProgress { self.finish(ending, sipCode: nil, reason: reason, byeStatus: response.statusCode) }
            case .timeout:
                if wasInProgress { self.finish(ending, sipCode: nil, reason: reason + " (BYE not answered)", byeStatus: 408) }
            case .transportError(let error):
                if wasInProgress { self.finish(ending, sipCode: nil, reason: reason + " (BYE not sent: \(error))", byeStatus: 503) }
            }
            self.agent.unregister(self)
        }
        if !sent {
            // Never answered, so nothing would end the call: end it here.
            if wasInProgress { finish(ending, sipCode: nil, reason: reason + " (BYE could not be built)", byeStatus: 0) }
            agent.unregister(self)
            return
        }
        if !wasInProgress { return }
        cancelTimers()
    }

    /// A request inside this dialog from the far end (RFC 3261 §12.2.2).
    func inDialog(_ server: SIPServerTransaction) {
        switch server.request.method {
        case "BYE":
            server.respond(status: 200, reason: "OK")
            if call.status == .inProgress {
                finish(.completed, sipCode: nil, reason: "Hung up by the far end")
            }
        case "INVITE":
            // Re-INVITE (session refresh, hold): not supported; the session stays as it is.
            server.respond(status: 488, reason: "Not Acceptable Here")
        case "OPTIONS":
            server.respond(status: 200, reason: "OK", headers: [SIPHeaderField("Allow", SIPUserAgent.allowed)])
        case "ACK":
            return
        default:
            server.respond(status: 501, reason: "Not Implemented", headers: [SIPHeaderField("Allow", SIPUserAgent.allowed)])
        }
    }

    private func finish(_ status: CallStatus, sipCode: Int?, reason: String, byeStatus: Int? = nil) {
        guard !call.status.isFinal else { return }
        if status == .completed || status.isFinal && call.status == .inProgress {
            call.transition(to: status == .failed ? .failed : .completed, sipCode: sipCode, reason: reason)
        } else {
            call.transition(to: status, sipCode: sipCode, reason: reason)
        }
        cancelTimers()
        emit()
        if !byeSent || byeStatus != nil { agent.unregister(self) }
    }

    private func transition(_ status: CallStatus, sipCode: Int? = nil) {
        if call.transition(to: status, sipCode: sipCode) { emit() }
    }

    private func emit() {
        onEvent?(CallEvent(leg: name, call: call))
    }

    private func schedule(after delay: TimeAmount, _ work: @escaping () -> Void) {
        let task = endpoint.eventLoop.assumeIsolated().scheduleTask(in: delay) { work() }
        scheduled.append(task)
    }

    private func cancelTimers() {
        for task in scheduled { task.cancel() }
        scheduled.removeAll()
    }

    private func preferredChallenge(in response: SIPMessage) -> DigestChallenge? {
        let proxy = response.statusCode == 407
        return DigestChallenge.preferred(response.values(proxy ? "Proxy-Authenticate" : "WWW-Authenticate")
            .compactMap(DigestChallenge.init(headerValue:)))
    }

    private func authorizationHeader(for response: SIPMessage, request: SIPMessage, method: String = "INVITE",
                                     credentials: DigestCredentials) -> SIPHeaderField? {
        let proxy = response.statusCode == 407
        guard let challenge = preferredChallenge(in: response), let uri = request.requestURI,
              let value = challenge.authorization(method: method, uri: uri, credentials: credentials,
                                                  nonceCount: 1, cnonce: SIPIdentifiers.hex(8)) else { return nil }
        return SIPHeaderField(proxy ? "Proxy-Authorization" : "Authorization", value)
    }

    private func hostPart(_ domain: String) -> String {
        if domain.hasPrefix("["), let close = domain.firstIndex(of: "]") { return String(domain[domain.index(after: domain.startIndex)..<close]) }
        return domain.split(separator: ":").first.map(String.init) ?? domain
    }

    private func portPart(_ domain: String) -> Int? {
        if domain.hasPrefix("["), let close = domain.firstIndex(of: "]") {
            return domain[domain.index(after: close)...].split(separator: ":").first.flatMap { Int($0) }
        }
        let parts = domain.split(separator: ":")
        return parts.count == 2 ? Int(parts[1]) : nil
    }

    /// ACK and BYE a 2xx that belongs to no live call.
    static func acknowledgeAndEnd(orphan response: SIPMessage, endpoint: SIPEndpoint, source: SIPDestination, offered: Bool) {
        guard let callID = response.callID, let from = response.from, let to = response.to,
              let number = response.cseq?.number, response.toTag != nil else { return }
        let target = response.contactURI ?? ""
        let routes = Array(response.values("Record-Route").reversed())
        let nextHop = routes.first.map(SIPNameAddress.uri(of:)) ?? target
        let destination = SIPDialog.destination(of: nextHop, fallback: source)
        func request(_ method: String, _ cseq: UInt32) -> SIPMessage {
            var headers = [
                SIPHeaderField("Via", endpoint.via(transport: destination.transport, branch: SIPIdentifiers.branch())),
                SIPHeaderField("Max-Forwards", "70"), SIPHeaderField("From", from), SIPHeaderField("To", to),
                SIPHeaderField("Call-ID", callID), SIPHeaderField("CSeq", "\(cseq) \(method)"),
            ]
            headers += routes.map { SIPHeaderField("Route", $0) }
            let body = method == "ACK" && !offered && !response.body.isEmpty ? SDPAnswer.rejecting(offer: response.body) : []
            if !body.isEmpty { headers.append(SIPHeaderField("Content-Type", "application/sdp")) }
            return SIPMessage.request(method, uri: target, headers: headers, body: body)
        }
        endpoint.sendStateless(request("ACK", number), to: destination)
        endpoint.sendRequest(request("BYE", number + 1), to: destination) { _ in }
    }
}

extension SIPClientEvent {
    var isFinal2xx: Bool {
        if case .final(let response) = self, let status = response.statusCode { return (200..<300).contains(status) }
        return false
    }
}
