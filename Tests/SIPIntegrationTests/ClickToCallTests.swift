import Foundation
@testable import TandemTestSupport
import Testing

/// Two baresip phones (the agent and the end user) and a busy sipp behind their own trunk.
final class ClickToCallPeers: @unchecked Sendable {
    let agent: SIPPhone
    let endUser: SIPPhone
    let busy: SIPPUAS
    let trunk: SIPTrunk

    init() throws {
        agent = try SIPPhone.start(user: Numbers.agent)
        endUser = try SIPPhone.start(user: Numbers.endUser)
        busy = try SIPPUAS.start(scenario: "busy")
        trunk = try SIPTrunk.start(routes: [
            Numbers.agent: "127.0.0.1:\(agent.port)",
            Numbers.endUser: "127.0.0.1:\(endUser.port)",
            Numbers.busyEndUser: "127.0.0.1:\(busy.port)",
        ], answer: [], ringTimeout: Limits.trunkRingTimeout)
    }

    var sipPorts: [Int] { trunk.ports + [agent.port, endUser.port, busy.port] }
}

/// `tandem call --to AGENT --connect-to END_USER`: RFC 3725 flow I through Kamailio. The agent
/// gets an INVITE without SDP and makes the offer in its 200; that offer goes to the end user;
/// the end user's answer goes back in the agent's ACK. The media then flows phone to phone.
@Suite(.serialized) struct ClickToCallTests {
    static let peers = Result { try ClickToCallPeers() }

    /// RTP between the two phones, both ways, counted by tshark in a capture of all loopback UDP
    /// kept to the SIP ports and the SDP's media ports (the phones pick theirs).
    @Test func connectsTwoPhonesWithRTPBothWays() async throws {
        let peers = try Self.peers.get()
        let agentByes = peers.agent.receivedRequests("BYE"), endUserByes = peers.endUser.receivedRequests("BYE")
        let capture = try #require(try ScenarioCapture.begin("sip-click-to-call", sipPorts: peers.sipPorts, mediaFromSDP: true,
                                                             needed: true))
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.agent,
                                                                       ["--connect-to", Numbers.endUser, "--hold", "2"]))
        let file = try capture.finish()

        expectWellFormed(result)
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.finalStatus == "completed")
        #expect((result.finalDuration ?? -1) >= 2)
        expectAnsweredThenCompleted(result, leg: "to")
        expectAnsweredThenCompleted(result, leg: "connect-to")
        // Flow I: the end user is called only once the agent answered (its leg may be queued before).
        let agentAnswered = result.events.firstIndex { $0["leg"] as? String == "to" && $0["status"] as? String == "in-progress" }
        let endUserCalled = result.events.firstIndex { $0["leg"] as? String == "connect-to" && $0["status"] as? String != "queued" }
        #expect(agentAnswered != nil && endUserCalled != nil && agentAnswered! < endUserCalled!, "\(result.stdout)")

        // The agent's offer and the end user's answer: two media ports, RTP each way between them.
        let mediaPorts = Array(Set(try sdpMediaPorts(pcap: file, sipPorts: peers.sipPorts)))
        #expect(mediaPorts.count == 2, "the SDP bodies carry the two phones' ports: \(mediaPorts)")
        let streams = try rtpPacketCounts(pcap: file)
        if mediaPorts.count == 2 {
            let (a, b) = (mediaPorts[0], mediaPorts[1])
            let forward = streams.first { $0.sourcePort == a && $0.destinationPort == b }?.packets ?? 0
            let backward = streams.first { $0.sourcePort == b && $0.destinationPort == a }?.packets ?? 0
            #expect(forward > Limits.rtpPacketsIn2Seconds, "RTP \(a)→\(b): \(streams)")
            #expect(backward > Limits.rtpPacketsIn2Seconds, "RTP \(b)→\(a): \(streams)")
        }
        #expect(await within(3) { peers.agent.receivedRequests("BYE") > agentByes }, "the agent got a BYE")
        #expect(await within(3) { peers.endUser.receivedRequests("BYE") > endUserByes }, "the end user got a BYE")
    }

    /// The end user does not take the call: the agent (already answered, flow I) is hung up with
    /// a BYE, so the agent leg ends `completed` (never `canceled`: it was in progress), and the
    /// call's overall status is the end user's.
    @Test(arguments: [(Numbers.busyEndUser, "busy", Int32(3), 486), (Numbers.unknown, "failed", Int32(1), 404)])
    func endUserNotAnsweringHangsUpTheAgent(endUser: String, status: String, exitCode: Int32, sipCode: Int) async throws {
        let peers = try Self.peers.get()
        let agentByes = peers.agent.receivedRequests("BYE")
        let capture = try ScenarioCapture.begin("sip-click-to-call-end-user-\(status)", sipPorts: peers.sipPorts)
        let result = try await TandemCall.run(arguments: callArguments(trunkPort: peers.trunk.open, to: Numbers.agent,
                                                                       ["--connect-to", endUser, "--hold", "2"]))
        try capture?.finish()

        expectWellFormed(result)
        #expect(result.exitCode == exitCode, "\(result)")
        #expect(result.finalStatus == status)
        #expect(result.finalSIPCode == sipCode)
        let endUserLeg = try #require(result.finalState(leg: "connect-to"), "\(result)")
        #expect(endUserLeg["status"] as? String == status)
        #expect(endUserLeg["sipCode"] as? Int == sipCode)
        let agentLeg = try #require(result.finalState(leg: "to"), "the agent leg reached a final status: \(result)")
        #expect(agentLeg["status"] as? String == "completed", "\(agentLeg)")
        #expect(result.statuses(leg: "to").contains("in-progress"))
        #expect(await within(3) { peers.agent.receivedRequests("BYE") > agentByes }, "the agent was hung up")
        // Not held for --hold: the call ends as soon as the end user's final answer is in.
        #expect(result.elapsed < 8, "\(result)")
    }
}
