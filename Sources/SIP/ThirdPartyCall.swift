import NIOCore

/// Click-to-call by RFC 3725 §4.1 (flow I), loop-confined.
///
/// 1. INVITE the agent with no SDP; 2. its 200 carries offer1 (not ACKed yet); 3. INVITE the
/// end user with offer1; 4. the end user's 200 carries answer1, ACKed at once; 5. the
/// agent's ACK carries answer1. If the end user does not answer, the agent is ACKed with
/// every stream declined and hung up (BYE) with the reason; when either side hangs up, the
/// other gets a BYE. The agent keeps retransmitting its 200 while the end user rings (up to
/// 64·T1 = 32 s, RFC 3261 §13.3.1.4), so the ring timeout of the end user's leg should stay
/// under that.
final class ThirdPartyCall {
    let agentLeg: OutboundLeg
    var endUserLeg: OutboundLeg?
    let agent: SIPUserAgent
    let endUserNumber: String
    let from: String
    let trunk: SIPTrunk
    let timers: CallTimers
    let deliver: (CallEvent, Bool) -> Void
    private var agentOffer: [UInt8] = []
    private var agentFinal = false
    private var endUserFinal = false
    private var endUserStarted = false

    init(agent: SIPUserAgent, from: String, agentNumber: String, endUserNumber: String, trunk: SIPTrunk, timers: CallTimers,
         deliver: @escaping (CallEvent, Bool) -> Void) {
        self.agent = agent
        self.from = from
        self.endUserNumber = endUserNumber
        self.trunk = trunk
        self.timers = timers
        self.deliver = deliver
        self.agentLeg = OutboundLeg(agent: agent, name: "to", from: from, to: agentNumber, trunk: trunk, offer: nil, timers: timers)
        agentLeg.deferAck = true
    }

    func start() {
        agentLeg.onEvent = { [weak self] event in self?.agentEvent(event) }
        agentLeg.onAnswer = { [weak self] answer in self?.agentAnswered(answer) }
        agentLeg.start()
    }

    func hangUp() {
        agentLeg.hangUp(reason: "Hung up by Tandem")
        endUserLeg?.hangUp(reason: "Hung up by Tandem")
    }

    private var done: Bool { agentFinal && (endUserFinal || !endUserStarted) }

    private func agentEvent(_ event: CallEvent) {
        if event.call.status.isFinal {
            agentFinal = true
            // The agent hung up (or failed): end the end user's leg too.
            endUserLeg?.hangUp(reason: "The agent hung up")
        }
        deliver(event, done)
        if done { agent.release(self) }
    }

    private func agentAnswered(_ answer: SIPMessage) {
        guard !answer.body.isEmpty else {
            // Flow I needs the agent's offer; without one there is nothing to connect.
            agentLeg.acknowledge(body: [])
            agentLeg.hangUp(reason: "The agent's answer carried no SDP offer", final: .failed)
            return
        }
        agentOffer = answer.body
        let leg = OutboundLeg(agent: agent, name: "connect-to", from: from, to: endUserNumber, trunk: trunk, offer: answer.body, timers: timers)
        endUserLeg = leg
        endUserStarted = true
        leg.onEvent = { [weak self] event in self?.endUserEvent(event) }
        leg.onAnswer = { [weak self] endUserAnswer in
            // Step 5: the end user's answer goes to the agent in its ACK.
            self?.agentLeg.acknowledge(body: endUserAnswer.body)
        }
        leg.start()
    }

    private func endUserEvent(_ event: CallEvent) {
        if event.call.status.isFinal {
            endUserFinal = true
            if event.call.answeredAt == nil {
                // Not answered: release the agent (ACK declining the media, then BYE).
                agentLeg.acknowledge(body: SDPAnswer.rejecting(offer: agentOffer))
                agentLeg.hangUp(reason: "The end user did not answer: \(event.call.status.rawValue)")
            } else {
                agentLeg.hangUp(reason: "The end user hung up")
            }
        }
        deliver(event, done)
        if done { agent.release(self) }
    }
}
