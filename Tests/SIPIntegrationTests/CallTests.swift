import Foundation
@testable import TandemTestSupport
import Testing

/// The callees behind one trunk, started once for `CallTests`: sipp in every scripted role,
/// a baresip phone, and Kamailio routing the `Numbers` to them.
final class CallPeers: @unchecked Sendable {
    let answer: SIPPUAS
    let answerThenHangUp: SIPPUAS
    let ring: SIPPUAS
    let busy: SIPPUAS
    let answerOverTCP: SIPPUAS
    let phone: SIPPhone
    let trunk: SIPTrunk

    init() throws {
        answer = try SIPPUAS.start(scenario: "answer")
        answerThenHangUp = try SIPPUAS.start(scenario: "answer-bye", extraArguments: ["--hold-ms", "1000"])
        ring = try SIPPUAS.start(scenario: "ring")
        busy = try SIPPUAS.start(scenario: "busy")
        answerOverTCP = try SIPPUAS.start(scenario: "answer", extraArguments: ["--transport", "tcp"])
        phone = try SIPPhone.start(user: Numbers.phone)
        trunk = try SIPTrunk.start(routes: [
            Numbers.answer: "127.0.0.1:\(answer.port)",
            Numbers.answerThenHangUp: "127.0.0.1:\(answerThenHangUp.port)",
            Numbers.ring: "127.0.0.1:\(ring.port)",
            Numbers.busy: "127.0.0.1:\(busy.port)",
            Numbers.answerOverTCP: "127.0.0.1:\(answerOverTCP.port);transport=tcp",
            Numbers.phone: "127.0.0.1:\(phone.port)",
        ], answer: [Numbers.stateless], ringTimeout: Limits.trunkRingTimeout)
    }

    /// Every SIP port of the scenario (the trunk's three, the callees'): a capture filter.
    var sipPorts: [Int] {
        trunk.ports + [answer.port, answerThenHangUp.port, ring.port, busy.port, answerOverTCP.port, phone.port]
    }
}

/// `tandem call` placing direct calls through Kamailio to sipp and baresip: every final status,
/// both hang-up directions, digest authentication (407 and 401), TCP, a dead trunk, signals.
/// Serialized: the tests share the peers and count what the sipp callees received.
@Suite(.serialized) struct CallTests {
    static let peers = Result { try CallPeers() }

    // MARK: Answered

    @Test func answeredCallCompletesAfterTheHold() async throws {
        let peers = try Self.peers.get()
        let invites = peers.answer.receivedRequests("INVITE"), byes = peers.answer.receivedRequests("BYE")
        let capture = try ScenarioCapture.begin("sip-call-answered", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.answer, ["--hold", "1"]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        #expect(result.finalSIPCode == 200)
        #expect((result.finalDuration ?? -1) >= 1)
        expectAnsweredThenCompleted(result)
        #expect(result.statuses().contains("ringing"), "sipp sends 180: \(result.statuses())")
        let leg = try #require(result.finalState())
        #expect(leg["sipCode"] as? Int == 200)
        #expect((leg["duration"] as? Int ?? -1) >= 1)
        #expect(await within(3) { peers.answer.receivedRequests("INVITE") > invites })
        #expect(await within(3) { peers.answer.receivedRequests("BYE") > byes }, "our BYE reached sipp through the trunk")
    }

    /// The offer is ours (--sdp-file, pointing at a socket of the test): baresip answers and
    /// sends its tone there as RTP, counted by the socket (and by tshark when recording).
    @Test func answeredCallToAPhoneCarriesRTPToTheOfferedPort() async throws {
        let peers = try Self.peers.get()
        let sink = try UDPPacketCounter()
        defer { sink.stop() }
        let offer = try writeSDPOffer(port: sink.port)
        let capture = try ScenarioCapture.begin("sip-call-phone-sdp-offer-rtp", sipPorts: peers.sipPorts, mediaPorts: [sink.port])
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.phone,
                                                                       ["--hold", "2", "--sdp-file", offer]))
        let file = try capture?.finish()
        let received = sink.packetsBySource

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        #expect(result.finalSIPCode == 200)
        #expect((result.finalDuration ?? -1) >= 2)
        expectAnsweredThenCompleted(result)
        let packets = received.values.reduce(0, +)
        #expect(packets > Limits.rtpPacketsIn2Seconds, "RTP from baresip to the offered port: \(received)")
        #expect(received.count == 1, "one RTP source (baresip's media port): \(received)")
        if let file {
            let streams = try rtpPacketCounts(pcap: file)
            #expect(streams.contains { $0.destinationPort == sink.port && $0.packets > Limits.rtpPacketsIn2Seconds }, "\(streams)")
        }
        #expect(await within(3) { peers.phone.receivedRequests("BYE") >= 1 }, "the phone got our BYE")
    }

    /// The callee ends the call (sipp's BYE through the trunk, following the Record-Route).
    @Test func calleeHangsUp() async throws {
        let peers = try Self.peers.get()
        let capture = try ScenarioCapture.begin("sip-call-callee-hangs-up", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.answerThenHangUp))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        #expect(result.finalSIPCode == 200)
        #expect((result.finalDuration ?? -1) >= 1)
        expectAnsweredThenCompleted(result)
        // sipp hangs up after 1 s: long before --max-duration (20 s).
        #expect(result.elapsed < 10, "\(result)")
    }

    /// We end the call (--hold): BYE to sipp through the trunk.
    @Test func callerHangsUpAfterTheHold() async throws {
        let peers = try Self.peers.get()
        let byes = peers.answer.receivedRequests("BYE")
        let capture = try ScenarioCapture.begin("sip-call-caller-hangs-up", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.answer, ["--hold", "2"]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        let duration = result.finalDuration ?? -1
        #expect(duration >= 2 && duration <= 4, "hold 2 s: duration \(duration)")
        #expect(await within(3) { peers.answer.receivedRequests("BYE") > byes }, "sipp got the BYE")
    }

    @Test func callOverTCPCompletes() async throws {
        let peers = try Self.peers.get()
        let invites = peers.answerOverTCP.receivedRequests("INVITE")
        let capture = try ScenarioCapture.begin("sip-call-tcp", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.answerOverTCP,
                                                                       ["--hold", "1", "--transport", "tcp"]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        #expect(result.finalSIPCode == 200)
        expectAnsweredThenCompleted(result)
        #expect(await within(3) { peers.answerOverTCP.receivedRequests("INVITE") > invites })
        // Tandem's own Via (the bottom one sipp sees) says TCP: the first hop was TCP too, not
        // only Kamailio's hop to sipp.
        #expect(!peers.answerOverTCP.messages.contains("SIP/2.0/UDP"), "a hop over UDP: \(peers.answerOverTCP.messages.suffix(2000))")
    }

    // MARK: Digest authentication

    /// The trunk's 407 (Proxy-Authorization) and 401 (Authorization) ports, the right password.
    @Test(arguments: [407, 401])
    func authenticatedCallCompletes(challenge: Int) async throws {
        let peers = try Self.peers.get()
        let port = challenge == 407 ? peers.trunk.auth407 : peers.trunk.auth401
        let capture = try ScenarioCapture.begin("sip-call-auth-\(challenge)", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: port, to: Numbers.answer,
                                                                       ["--hold", "1", "--user", SIPTrunk.user,
                                                                        "--password", SIPTrunk.password]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        #expect(result.finalSIPCode == 200)
        expectAnsweredThenCompleted(result)
    }

    @Test(arguments: [407, 401])
    func wrongPasswordFailsWithTheChallenge(challenge: Int) async throws {
        let peers = try Self.peers.get()
        let port = challenge == 407 ? peers.trunk.auth407 : peers.trunk.auth401
        let capture = try ScenarioCapture.begin("sip-call-wrong-password-\(challenge)", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: port, to: Numbers.answer,
                                                                       ["--user", SIPTrunk.user, "--password", "wrong"]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.finalStatus == "failed")
        #expect(result.finalSIPCode == challenge)
        #expect(result.finalState()?["status"] as? String == "failed")
        #expect(result.elapsed < 10, "a second challenge is final: no retry loop")
    }

    // MARK: Not answered

    @Test func busyCalleeEndsBusy() async throws {
        let peers = try Self.peers.get()
        let capture = try ScenarioCapture.begin("sip-call-busy", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.busy))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 3, "\(result)")
        #expect(result.finalStatus == "busy")
        #expect(result.finalSIPCode == 486)
        let leg = try #require(result.finalState())
        #expect(leg["status"] as? String == "busy")
        #expect(leg["sipCode"] as? Int == 486)
        #expect(!result.statuses().contains("in-progress"))
    }

    @Test func unknownNumberFailsWith404() async throws {
        let peers = try Self.peers.get()
        let capture = try ScenarioCapture.begin("sip-call-not-found", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.unknown))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.finalStatus == "failed")
        #expect(result.finalSIPCode == 404)
        #expect(result.finalState()?["sipCode"] as? Int == 404)
    }

    /// Our ring timeout (2 s) runs out first: we CANCEL, sipp answers 487, the call is no-answer.
    @Test func ringTimeoutCancelsAndEndsNoAnswer() async throws {
        let peers = try Self.peers.get()
        let cancels = peers.ring.receivedRequests("CANCEL")
        let capture = try ScenarioCapture.begin("sip-call-no-answer", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.ring))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 4, "\(result)")
        #expect(result.finalStatus == "no-answer")
        #expect(result.finalSIPCode == 487, "\(result.final ?? [:])")
        #expect(result.finalReason == "No answer within the ring timeout", "\(result.final ?? [:])")
        #expect(result.statuses().contains("ringing"))
        #expect(result.elapsed >= Double(Limits.ringTimeout) && result.elapsed < Double(Limits.ringTimeout) + 6, "\(result)")
        // Ours, not the trunk's: that one would come only 5 s after the INVITE.
        #expect(await within(1) { peers.ring.receivedRequests("CANCEL") > cancels }, "sipp saw our CANCEL")
    }

    /// The far end gives up first: the trunk's INVITE timer (5 s) ends the ringing with 408.
    @Test func farEndTimeoutEndsNoAnswer() async throws {
        let peers = try Self.peers.get()
        let capture = try ScenarioCapture.begin("sip-call-no-answer-408", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.ring, ringTimeout: 30))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 4, "\(result)")
        #expect(result.finalStatus == "no-answer")
        #expect(result.finalSIPCode == 408)
        #expect(result.elapsed < Double(Limits.trunkRingTimeout) + 6, "\(result)")
    }

    /// Nothing listens on the trunk's address: failed within about 5 s, no SIP answer (or 503/408).
    @Test(arguments: ["udp", "tcp"])
    func unreachableTrunkFailsQuickly(transport: String) async throws {
        let port = try UDPSocket.unusedPort()
        let capture = try ScenarioCapture.begin("sip-call-trunk-down-\(transport)", sipPorts: [port], alsoCapture: "icmp")
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: port, to: Numbers.answer, ["--transport", transport]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.finalStatus == "failed")
        #expect([nil, 503, 408].contains(result.finalSIPCode), "\(result.final ?? [:])")
        let reason = (result.finalReason ?? "").lowercased()
        #expect(reason.contains("trunk") || reason.contains("127.0.0.1:\(port)"), "the reason names the trunk: \(reason)")
        if transport == "tcp" {
            // A refused connection fails at once, not on the 4 s no-response timer.
            #expect(result.elapsed < 2, "failed at once: \(result)")
            #expect(reason.contains("cannot reach") && reason.contains("refused"), "\(reason)")
        } else {
            #expect(result.elapsed < 7, "failed quickly: \(result)")
        }
    }

    // MARK: Signals

    @Test func sigintWhileRingingCancels() async throws {
        let peers = try Self.peers.get()
        let cancels = peers.ring.receivedRequests("CANCEL")
        let capture = try ScenarioCapture.begin("sip-call-sigint-ringing", sipPorts: peers.sipPorts)
        let call = try TandemCall.start(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.ring, ringTimeout: 20))
        let ringing = await call.waitForState("ringing")
        call.signal(SIGINT)
        let result = await call.wait(timeout: 10)
        try capture?.finish()

        #expect(ringing, "\(result)")
        expectWellFormed(result)
        #expect(result.exitCode == 5, "\(result)")
        #expect(result.finalStatus == "canceled")
        #expect(result.finalState()?["status"] as? String == "canceled")
        // Ours, not the trunk's (5 s after the INVITE).
        #expect(await within(1) { peers.ring.receivedRequests("CANCEL") > cancels }, "sipp saw our CANCEL")
    }

    @Test func sigtermInProgressHangsUp() async throws {
        let peers = try Self.peers.get()
        let byes = peers.answer.receivedRequests("BYE")
        let capture = try ScenarioCapture.begin("sip-call-sigterm-in-progress", sipPorts: peers.sipPorts)
        let call = try TandemCall.start(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.answer))
        let answered = await call.waitForState("in-progress")
        try await Task.sleep(for: .milliseconds(500))
        call.signal(SIGTERM)
        let result = await call.wait(timeout: 10)
        try capture?.finish()

        #expect(answered, "\(result)")
        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        expectAnsweredThenCompleted(result)
        #expect(await within(3) { peers.answer.receivedRequests("BYE") > byes }, "sipp got the BYE")
    }

    // MARK: Arguments and load

    @Test(arguments: [
        ["--trunk", "127.0.0.1:5060", "--from", Numbers.caller],
        ["--trunk", "127.0.0.1:5060", "--from", Numbers.caller, "--to", Numbers.answer, "--transport", "sctp"],
        ["--from", Numbers.caller, "--to", Numbers.answer],
        ["--trunk", "127.0.0.1:5060", "--from", Numbers.caller, "--to", Numbers.answer, "--user", "tandem"],
    ])
    func badArgumentsExit64(arguments: [String]) async throws {
        let result = try await TandemCall.run(arguments: arguments, timeout: 15)
        #expect(result.exitCode == 64, "\(result)")
        #expect(!result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func benchCallsReportsARate() async throws {
        let peers = try Self.peers.get()
        let result = try runTool(TandemServer.binary, ["bench", "calls", "--trunk", "127.0.0.1:\(peers.trunk.open)",
                                                       "--to", Numbers.stateless, "--count", "40", "--concurrency", "4"],
                                 timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("calls/s: "), "last line: \(last)")
        let rate = Double(last.dropFirst("calls/s: ".count).trimmingCharacters(in: .whitespaces)) ?? 0
        #expect(rate > 0, "\(last)")
    }
}
