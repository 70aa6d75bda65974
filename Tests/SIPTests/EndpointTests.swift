import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import SIP

/// A plain UDP socket on loopback that plays the other side byte for byte.
final class UDPProbe {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    func send(_ text: String, to port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bytes = Array(text.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Every datagram that arrives within `seconds`.
    func receive(for seconds: Double) -> [String] {
        var out: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { out.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
        }
        return out
    }
}

@Suite(.serialized) struct EndpointTests {
    static func start(retention: SIPTransactionRetention) async throws -> (SIPEndpoint, SIPUserAgent, MultiThreadedEventLoopGroup) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: SIPEndpointConfiguration(listenTCP: false, retention: retention))
        try await endpoint.start()
        let agent = try await endpoint.eventLoop.submit { SIPUserAgent(endpoint: endpoint) }.get()
        return (endpoint, agent, group)
    }

    static func request(_ method: String, branch: String, probe: UDPProbe, callID: String = "c1@probe", uri: String = "sip:+15550001@127.0.0.1") -> String {
        "\(method) \(uri) SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:\(probe.port);branch=\(branch)\r\nMax-Forwards: 70\r\n"
            + "From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <\(uri)>\r\nCall-ID: \(callID)\r\nCSeq: 1 \(method)\r\nContent-Length: 0\r\n\r\n"
    }

    @Test(arguments: [SIPTransactionRetention.indexed, .rfc3261])
    func aRetransmittedRequestGetsTheSameFinalResponseAgain(_ retention: SIPTransactionRetention) async throws {
        let (endpoint, agent, group) = try await Self.start(retention: retention)
        defer { withExtendedLifetime(agent) {} }
        let probe = try UDPProbe()
        let options = Self.request("OPTIONS", branch: "z9hG4bKretrans1", probe: probe)
        probe.send(options, to: endpoint.localPort)
        let first = probe.receive(for: 0.5)
        probe.send(options, to: endpoint.localPort)
        let second = probe.receive(for: 0.5)
        #expect(first.count == 1 && second.count == 1)
        #expect(first.first?.hasPrefix("SIP/2.0 200 OK") == true)
        // Same transaction, same response: the To tag does not change.
        let firstTag = try #require(first.first.flatMap { try? SIPMessage(parsing: Array($0.utf8)).toTag })
        let secondTag = try #require(second.first.flatMap { try? SIPMessage(parsing: Array($0.utf8)).toTag })
        #expect(firstTag == secondTag)
        let counts = try await endpoint.eventLoop.submit { endpoint.transactionCounts }.get()
        if retention == .indexed {
            #expect(counts.nist == 0 && counts.retired == 1)  // left osip2, kept in the index
        } else {
            #expect(counts.nist == 1 && counts.retired == 0)  // osip2 keeps it for Timer J
        }
        await endpoint.close()
        try await group.shutdownGracefully()
    }

    @Test func aRejectedInviteIsRetransmittedUntilTheACKThenAbsorbed() async throws {
        let (endpoint, agent, group) = try await Self.start(retention: .indexed)
        defer { withExtendedLifetime(agent) {} }
        let probe = try UDPProbe()
        probe.send(Self.request("INVITE", branch: "z9hG4bKinv1", probe: probe), to: endpoint.localPort)
        // No ACK: Timer G re-sends the 404 after T1 (500 ms), then 1 s.
        let responses = probe.receive(for: 1.2).filter { $0.hasPrefix("SIP/2.0 404") }
        #expect(responses.count >= 2)
        let toTag = try #require(responses.first.flatMap { try? SIPMessage(parsing: Array($0.utf8)).toTag })
        let ack = Self.request("ACK", branch: "z9hG4bKinv1", probe: probe).replacingOccurrences(of: "To: <sip:+15550001@127.0.0.1>", with: "To: <sip:+15550001@127.0.0.1>;tag=\(toTag)")
        probe.send(ack, to: endpoint.localPort)
        // Timer G would re-send at 1.5 s and 3.5 s from the start: 2.6 s of silence covers both.
        #expect(probe.receive(for: 2.6).isEmpty)  // no more retransmissions after the ACK
        // The INVITE retransmitted after the ACK is absorbed by the retired transaction.
        probe.send(Self.request("INVITE", branch: "z9hG4bKinv1", probe: probe), to: endpoint.localPort)
        #expect(probe.receive(for: 0.5).isEmpty)
        let counts = try await endpoint.eventLoop.submit { endpoint.transactionCounts }.get()
        #expect(counts.ist == 0)
        await endpoint.close()
        try await group.shutdownGracefully()
    }

    @Test func aRetransmitted2xxGetsTheSameACKAgain() async throws {
        let (endpoint, agent, group) = try await Self.start(retention: .indexed)
        let probe = try UDPProbe()
        let trunk = SIPTrunk(destination: try SIPDestination(host: "127.0.0.1", port: probe.port, transport: .udp), domain: "127.0.0.1:\(probe.port)")
        let call = agent.placeCall(from: "+15551000", to: "+15550001", trunk: trunk, offer: nil)
        let invite = try #require(probe.receive(for: 0.5).first.flatMap { try? SIPMessage(parsing: Array($0.utf8)) })
        #expect(invite.method == "INVITE" && invite.topViaBranch?.hasPrefix("z9hG4bK") == true)
        #expect(invite["Max-Forwards"] == "70")
        let ok = SIPResponseBuilder.response(to: invite, status: 200, reason: "OK", toTag: "uas1",
                                             extraHeaders: [SIPHeaderField("Contact", "<sip:uas@127.0.0.1:\(probe.port)>")])
        let okText = String(decoding: ok.serialized(), as: UTF8.self)
        probe.send(okText, to: endpoint.localPort)
        let firstACK = probe.receive(for: 0.4).compactMap { try? SIPMessage(parsing: Array($0.utf8)) }
        probe.send(okText, to: endpoint.localPort)  // as if the ACK was lost
        let secondACK = probe.receive(for: 0.4).compactMap { try? SIPMessage(parsing: Array($0.utf8)) }
        #expect(firstACK.count == 1 && firstACK.first?.method == "ACK")
        #expect(secondACK.count == 1 && secondACK.first?.method == "ACK")
        #expect(firstACK.first?.topViaBranch == secondACK.first?.topViaBranch)
        // The ACK for a 2xx is its own transaction (new branch), CSeq number of the INVITE.
        #expect(firstACK.first?.topViaBranch != invite.topViaBranch)
        #expect(firstACK.first?.cseq?.number == invite.cseq?.number)
        #expect(firstACK.first?.toTag == "uas1")
        call.hangUp()
        let bye = try #require(probe.receive(for: 0.5).compactMap { try? SIPMessage(parsing: Array($0.utf8)) }.first)
        #expect(bye.method == "BYE" && bye.requestURI == "sip:uas@127.0.0.1:\(probe.port)")
        #expect(bye.cseq?.number == (invite.cseq?.number ?? 0) + 1)
        probe.send(String(decoding: SIPResponseBuilder.response(to: bye, status: 200, reason: "OK", toTag: nil).serialized(), as: UTF8.self),
                   to: endpoint.localPort)
        var statuses: [CallStatus] = []
        for await event in call.events { statuses.append(event.call.status) }
        #expect(statuses == [.queued, .initiated, .inProgress, .completed])
        await endpoint.close()
        try await group.shutdownGracefully()
    }

    @Test func noCancelBeforeAProvisionalResponse() async throws {
        let (endpoint, agent, group) = try await Self.start(retention: .indexed)
        let probe = try UDPProbe()
        let trunk = SIPTrunk(destination: try SIPDestination(host: "127.0.0.1", port: probe.port, transport: .udp), domain: "127.0.0.1:\(probe.port)")
        let call = agent.placeCall(from: "+15551000", to: "+15550001", trunk: trunk, offer: nil,
                                   timers: CallTimers(ringTimeout: .milliseconds(200), trunkResponseTimeout: .seconds(5)))
        let early = probe.receive(for: 0.3)
        let invite = try #require(early.first.flatMap { try? SIPMessage(parsing: Array($0.utf8)) })
        // The ring timeout (0.2 s) passes with no response: RFC 3261 §9.1 forbids a CANCEL yet.
        let waiting = early + probe.receive(for: 0.4)
        #expect(waiting.allSatisfy { !$0.hasPrefix("CANCEL") })
        probe.send(String(decoding: SIPResponseBuilder.response(to: invite, status: 180, reason: "Ringing", toTag: "r1").serialized(), as: UTF8.self),
                   to: endpoint.localPort)
        let cancel = try #require(probe.receive(for: 0.4).compactMap { try? SIPMessage(parsing: Array($0.utf8)) }.first { $0.method == "CANCEL" })
        #expect(cancel.topViaBranch == invite.topViaBranch)
        #expect(cancel.cseq?.number == invite.cseq?.number && cancel.cseq?.method == "CANCEL")
        #expect(cancel.toTag == nil)
        probe.send(String(decoding: SIPResponseBuilder.response(to: cancel, status: 200, reason: "OK", toTag: "r1").serialized(), as: UTF8.self),
                   to: endpoint.localPort)
        probe.send(String(decoding: SIPResponseBuilder.response(to: invite, status: 487, reason: "Request Terminated", toTag: "r1").serialized(), as: UTF8.self),
                   to: endpoint.localPort)
        var last: Call?
        for await event in call.events { last = event.call }
        #expect(last?.status == .noAnswer && last?.sipCode == 487)
        // osip2's ICT ACKs the 487 itself (same branch as the INVITE, RFC 3261 §17.1.1.3).
        let ack = probe.receive(for: 0.3).compactMap { try? SIPMessage(parsing: Array($0.utf8)) }.first { $0.method == "ACK" }
        #expect(ack?.topViaBranch == invite.topViaBranch)
        await endpoint.close()
        try await group.shutdownGracefully()
    }
}

@Suite struct StreamTransportTests {
    /// A blocking TCP client socket on loopback with a receive timeout.
    static func connectTCP(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(status == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    @Test func aDoubleCRLFPingGetsACRLFPongAndAnIdleConnectionIsClosed() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: SIPEndpointConfiguration(
            listenUDP: false, listenTCP: true, tcpIdleTimeout: .milliseconds(700)))
        try await endpoint.start()
        let fd = try Self.connectTCP(port: endpoint.localPort)
        defer { close(fd) }
        _ = send(fd, "\r\n\r\n", 4, 0)  // RFC 5626 §3.5.1 ping
        var buffer = [UInt8](repeating: 0, count: 16)
        let pong = recv(fd, &buffer, buffer.count, 0)
        #expect(pong == 2 && buffer[0] == 0x0d && buffer[1] == 0x0a)
        // Then silence: the connection is closed after the idle time (recv sees end of stream).
        let started = Date()
        let end = recv(fd, &buffer, buffer.count, 0)
        #expect(end == 0)
        #expect(Date().timeIntervalSince(started) < 1.9)
        await endpoint.close()
        try await group.shutdownGracefully()
    }

    @Test func aFramingErrorClosesTheStream() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: SIPEndpointConfiguration(listenUDP: false, listenTCP: true))
        try await endpoint.start()
        let fd = try Self.connectTCP(port: endpoint.localPort)
        defer { close(fd) }
        // No Content-Length: a stream cannot be resynchronised, so it is closed (RFC 3261 §18.3).
        let text = "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKx\r\n\r\n"
        _ = send(fd, text, text.utf8.count, 0)
        var buffer = [UInt8](repeating: 0, count: 256)
        #expect(recv(fd, &buffer, buffer.count, 0) == 0)
        await endpoint.close()
        try await group.shutdownGracefully()
    }
}

@Suite(.serialized) struct UserAgentSafetyTests {
    @Test func aForged2xxForNoCallIsNeitherACKedNorBYEd() async throws {
        let (endpoint, agent, group) = try await EndpointTests.start(retention: .indexed)
        defer { withExtendedLifetime(agent) {} }
        let attacker = try UDPProbe()
        // A 200 to an INVITE Tandem never sent, pointing its Contact at the attacker's victim.
        let forged = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:\(endpoint.localPort);branch=z9hG4bKforged\r\n"
            + "From: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:b@127.0.0.1>;tag=t\r\nCall-ID: forged@x\r\nCSeq: 1 INVITE\r\n"
            + "Contact: <sip:victim@127.0.0.1:\(attacker.port)>\r\nContent-Length: 0\r\n\r\n"
        attacker.send(forged, to: endpoint.localPort)
        #expect(attacker.receive(for: 0.6).isEmpty)
        await endpoint.close()
        try await group.shutdownGracefully()
    }

    @Test func aCancelWhileTheRouterDecidesEndsTheInviteWith487() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: SIPEndpointConfiguration(listenTCP: false))
        try await endpoint.start()
        let agent = try await endpoint.eventLoop.submit {
            let agent = SIPUserAgent(endpoint: endpoint)
            agent.inboundRouter = { _ in
                try? await Task.sleep(for: .milliseconds(600))  // a slow lookup
                return .unavailable(reason: "slow")
            }
            return agent
        }.get()
        defer { withExtendedLifetime(agent) {} }
        let probe = try UDPProbe()
        let invite = EndpointTests.request("INVITE", branch: "z9hG4bKslow1", probe: probe)
        probe.send(invite, to: endpoint.localPort)
        #expect(probe.receive(for: 0.2).first?.hasPrefix("SIP/2.0 100") == true)
        probe.send(invite.replacingOccurrences(of: "INVITE sip:", with: "CANCEL sip:").replacingOccurrences(of: "CSeq: 1 INVITE", with: "CSeq: 1 CANCEL"),
                   to: endpoint.localPort)
        let answers = probe.receive(for: 1.0).compactMap { try? SIPMessage(parsing: Array($0.utf8)) }
        #expect(answers.contains { $0.statusCode == 200 && $0.cseq?.method == "CANCEL" })
        #expect(answers.contains { $0.statusCode == 487 && $0.cseq?.method == "INVITE" })
        // The router's late answer is not sent: the INVITE had its final answer.
        #expect(!answers.contains { $0.statusCode == 480 })
        await endpoint.close()
        try await group.shutdownGracefully()
    }
}
