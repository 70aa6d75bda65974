import Foundation
@testable import TandemTestSupport
import Testing

/// A SIP response as read off the wire.
struct SIPResponse: CustomStringConvertible {
    var code: Int
    var reason: String
    var raw: String

    /// Parses "SIP/2.0 CODE REASON" and the rest; nil for anything else.
    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let first = text.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first,
              first.hasPrefix("SIP/2.0 ") else { return nil }
        let parts = first.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let code = Int(parts[1]) else { return nil }
        self.code = code
        reason = parts.count > 2 ? String(parts[2]) : ""
        raw = text
    }

    /// The first value of a header (long or compact name, case-insensitive).
    func header(_ name: String, compact: String? = nil) -> String? {
        let names = Set([name.lowercased()] + (compact.map { [$0.lowercased()] } ?? []))
        for line in raw.components(separatedBy: "\r\n").dropFirst() {
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            if names.contains(line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()) {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    var description: String { raw }
}

/// Talks SIP over UDP to `tandem sip listen` from a socket of its own: builds requests, matches
/// responses to them by the Via branch (retransmissions of other transactions are skipped).
final class SIPProbe: @unchecked Sendable {
    let socket: UDPSocket
    let target: Int
    private var counter = 0

    init(target: Int) throws {
        socket = try UDPSocket()
        self.target = target
    }

    struct Request {
        var text: String
        var branch: String
        var callID: String
        var fromTag: String
        var uri: String
    }

    /// A request whose every part can be left out or replaced (to make it malformed).
    /// Headers: Via, Max-Forwards, From, To, Call-ID, CSeq, Contact, `extra`, Content-Type
    /// (with a body), Content-Length. `replace` swaps a header's whole line ("" removes it).
    func request(_ method: String = "OPTIONS", user: String? = nil, requestLine: String? = nil,
                 replace: [String: String] = [:], extra: [String] = [], body: String = "") -> Request {
        counter += 1
        let branch = "z9hG4bK-tandem-torture-\(socket.port)-\(counter)-\(UInt32.random(in: 0...UInt32.max))"
        let callID = "torture-\(counter)-\(UUID().uuidString)@127.0.0.1"
        let fromTag = "t\(counter)"
        let uri = "sip:\(user.map { $0 + "@" } ?? "")127.0.0.1:\(target)"
        var headers: [(String, String)] = [
            ("Via", "Via: SIP/2.0/UDP 127.0.0.1:\(socket.port);branch=\(branch);rport"),
            ("Max-Forwards", "Max-Forwards: 70"),
            ("From", "From: \"Torture\" <sip:torture@127.0.0.1:\(socket.port)>;tag=\(fromTag)"),
            ("To", "To: <\(uri)>"),
            ("Call-ID", "Call-ID: \(callID)"),
            ("CSeq", "CSeq: 1 \(method)"),
            ("Contact", "Contact: <sip:torture@127.0.0.1:\(socket.port)>"),
        ]
        headers += extra.map { ("", $0) }
        if !body.isEmpty { headers.append(("Content-Type", "Content-Type: text/plain")) }
        headers.append(("Content-Length", "Content-Length: \(body.utf8.count)"))
        let lines = headers.compactMap { name, line -> String? in
            guard let replacement = replace[name] else { return line }
            return replacement.isEmpty ? nil : replacement
        }
        let start = requestLine ?? "\(method) \(uri) SIP/2.0"
        let text = ([start] + lines).joined(separator: "\r\n") + "\r\n\r\n" + body
        return Request(text: text, branch: branch, callID: callID, fromTag: fromTag, uri: uri)
    }

    /// Sends `request` and returns its final response (provisional ones skipped), or nil when
    /// none came within `timeout` seconds. An INVITE's non-2xx final response is ACKed.
    func send(_ request: Request, timeout: TimeInterval = 3) throws -> SIPResponse? {
        try send(bytes: Array(request.text.utf8), branch: request.branch, timeout: timeout).map { response in
            if request.text.hasPrefix("INVITE "), response.code >= 300 { try? acknowledge(request, response) }
            return response
        }
    }

    /// Sends raw bytes and waits for a final response that carries `branch`.
    func send(bytes: [UInt8], branch: String, timeout: TimeInterval = 3) throws -> SIPResponse? {
        try socket.send(bytes, to: target)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let (datagram, _) = socket.receive(timeout: deadline.timeIntervalSinceNow) else { return nil }
            guard let response = SIPResponse(datagram), response.raw.contains(branch) else { continue }
            if response.code >= 200 { return response }
        }
        return nil
    }

    /// The ACK of a non-2xx final response: same branch and Request-URI, the response's To.
    func acknowledge(_ request: Request, _ response: SIPResponse) throws {
        let ack = ["ACK \(request.uri) SIP/2.0",
                   "Via: SIP/2.0/UDP 127.0.0.1:\(socket.port);branch=\(request.branch);rport",
                   "Max-Forwards: 70",
                   "From: \"Torture\" <sip:torture@127.0.0.1:\(socket.port)>;tag=\(request.fromTag)",
                   "To: \(response.header("To", compact: "t") ?? "<\(request.uri)>")",
                   "Call-ID: \(request.callID)",
                   "CSeq: 1 ACK",
                   "Content-Length: 0"].joined(separator: "\r\n") + "\r\n\r\n"
        try socket.send(ack, to: target)
    }

    /// Everything that arrives within `seconds` (for "no answer").
    func drain(seconds: TimeInterval) -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(seconds)
        while let (datagram, _) = socket.receive(timeout: max(0, deadline.timeIntervalSinceNow)) { datagrams.append(datagram) }
        return datagrams
    }
}

/// Requests an RFC 4475-style torture test would send, crafted here: each one malformed in one
/// way, with an intact Via so that the answer can come back. Each must get 400.
enum MalformedRequest: String, CaseIterable, Sendable {
    case missingCallID
    case missingCSeq
    case missingFrom
    case missingTo
    case cseqNotANumber
    case cseqNumberTooLarge
    case contentLengthLargerThanBody
    case contentLengthNegative
    case unterminatedQuoteInFrom
    case requestLineWithoutVersion
    case nulInHeaderValue
    case headerLineWithoutColon
    case requestURIInAngleBrackets
    case spaceInRequestURI

    /// What the 400's reason phrase must say (a part of it), so the right check caught it.
    var expectedReason: String {
        switch self {
        case .missingCallID: return "Missing Call-ID"
        case .missingCSeq: return "Missing CSeq"
        case .missingFrom: return "Missing From"
        case .missingTo: return "Missing To"
        case .cseqNotANumber, .cseqNumberTooLarge: return "Bad CSeq number"
        case .contentLengthLargerThanBody: return "Content-Length larger than the body"
        case .contentLengthNegative: return "Bad Content-Length"
        case .unterminatedQuoteInFrom, .headerLineWithoutColon: return "unparseable"
        case .requestLineWithoutVersion, .requestURIInAngleBrackets, .spaceInRequestURI: return "first line is not a SIP request"
        case .nulInHeaderValue: return "NUL in the header section"
        }
    }

    func build(_ probe: SIPProbe) -> SIPProbe.Request {
        let target = probe.target
        switch self {
        case .missingCallID: return probe.request(replace: ["Call-ID": ""])
        case .missingCSeq: return probe.request(replace: ["CSeq": ""])
        case .missingFrom: return probe.request(replace: ["From": ""])
        case .missingTo: return probe.request(replace: ["To": ""])
        case .cseqNotANumber: return probe.request(replace: ["CSeq": "CSeq: one OPTIONS"])
        // RFC 3261 8.1.1.5: the sequence number MUST be less than 2**31.
        case .cseqNumberTooLarge: return probe.request(replace: ["CSeq": "CSeq: 4294967296 OPTIONS"])
        // RFC 3261 18.3: a datagram ending before the body does is an error; a request gets 400.
        case .contentLengthLargerThanBody:
            var request = probe.request(body: "ten bytes!")
            request.text = request.text.replacingOccurrences(of: "Content-Length: 10", with: "Content-Length: 400")
            return request
        case .contentLengthNegative: return probe.request(replace: ["Content-Length": "Content-Length: -10"])
        case .unterminatedQuoteInFrom:
            return probe.request(replace: ["From": "From: \"Torture <sip:torture@127.0.0.1:\(probe.socket.port)>;tag=q1"])
        case .requestLineWithoutVersion: return probe.request(requestLine: "OPTIONS sip:127.0.0.1:\(target)")
        case .nulInHeaderValue: return probe.request(extra: ["Subject: before\u{0}after"])
        case .headerLineWithoutColon: return probe.request(extra: ["Subject this line has no colon"])
        case .requestURIInAngleBrackets: return probe.request(requestLine: "OPTIONS <sip:127.0.0.1:\(target)> SIP/2.0")
        case .spaceInRequestURI: return probe.request(requestLine: "OPTIONS sip:tor ture@127.0.0.1:\(target) SIP/2.0")
        }
    }
}

/// Datagrams that are not requests at all: no answer to any of them. Random bytes come from a
/// fixed seed (SplitMix64), so every run sends the same.
func garbageDatagrams() -> [[UInt8]] {
    var state: UInt64 = 0x5EED_7A4D_E051_0001
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    var datagrams: [[UInt8]] = [[], Array("\r\n".utf8), Array("\r\n\r\n".utf8), [UInt8](repeating: 0, count: 100),
                                [UInt8](repeating: 0xFF, count: 1000), Array("hello, is anybody there?".utf8)]
    for _ in 0..<40 {
        let length = Int(next() % 600) + 1
        datagrams.append((0..<length).map { _ in UInt8(truncatingIfNeeded: next()) })
    }
    // A stray response (not a request): nothing to answer.
    datagrams.append(Array(("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-stray\r\n"
        + "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\nCall-ID: stray@127.0.0.1\r\n"
        + "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").utf8))
    return datagrams
}

/// `tandem sip listen` fed good, bad and hostile traffic over UDP (and OPTIONS over TCP): the
/// answers of the contract, no answer to garbage, and never a crash.
@Suite(.serialized) struct SIPListenTortureTests {
    static let proxyNumbers = ["+15550100", "+15550101"]
    static let listener = Result {
        try TandemSIPListener.start(arguments: ["--transport", "both"] + proxyNumbers.flatMap { ["--proxy-number", $0] })
    }

    /// After each test: still running, still answering OPTIONS.
    func expectAlive(_ listener: TandemSIPListener, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(listener.isRunning, "tandem sip listen is gone; its log:\n\(listener.log)", sourceLocation: sourceLocation)
        let probe = try SIPProbe(target: listener.port)
        #expect(try probe.send(probe.request())?.code == 200, "OPTIONS after the test", sourceLocation: sourceLocation)
    }

    @Test func optionsGets200() throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let request = probe.request()
        let response = try #require(try probe.send(request), "no answer to OPTIONS")
        #expect(response.code == 200)
        #expect(response.header("Call-ID", compact: "i") == request.callID)
        #expect(response.header("CSeq") == "1 OPTIONS")
        #expect(response.header("Via", compact: "v")?.contains(request.branch) == true)
    }

    @Test(arguments: SIPListenTortureTests.proxyNumbers)
    func inviteToAProxyNumberGets480(number: String) throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let response = try #require(try probe.send(probe.request("INVITE", user: number)))
        #expect(response.code == 480, "\(response)")
        #expect(response.reason == "Temporarily Unavailable")
        // The ACK stopped the retransmissions of the 480 (Timer G would re-send it after 0.5 s).
        let request = probe.request("INVITE", user: number)
        let second = try #require(try probe.send(request))
        #expect(second.code == 480)
        let later = probe.drain(seconds: 1.2).compactMap { SIPResponse($0) }.filter { $0.raw.contains(request.branch) }
        #expect(later.isEmpty, "\(later)")
        try expectAlive(listener)
    }

    @Test func inviteToAnotherNumberGets404() throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let response = try #require(try probe.send(probe.request("INVITE", user: "+15550199")))
        #expect(response.code == 404, "\(response)")
        try expectAlive(listener)
    }

    @Test(arguments: ["FOO", "PUBLISH"])
    func unknownMethodGets501(method: String) throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let response = try #require(try probe.send(probe.request(method, user: "+15550199")))
        #expect(response.code == 501, "\(response)")
        try expectAlive(listener)
    }

    @Test(arguments: MalformedRequest.allCases)
    func malformedRequestGets400WithItsReason(_ malformed: MalformedRequest) throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let response = try #require(try probe.send(malformed.build(probe)), "no answer to \(malformed)")
        #expect(response.code == 400, "\(malformed): \(response)")
        // The reason phrase says what is wrong, and it is the check meant for this input.
        #expect(response.reason.contains(malformed.expectedReason), "\(malformed): '\(response.reason)'")
        try expectAlive(listener)
    }

    /// Over 16 KiB in one datagram (a well-formed OPTIONS with a 20 KB body).
    @Test func oversizedDatagramGets513() throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let request = probe.request(body: String(repeating: "0123456789", count: 2_000))
        #expect(request.text.utf8.count > 20_000)
        let response = try #require(try probe.send(request))
        #expect(response.code == 513, "\(response)")
        try expectAlive(listener)
    }

    /// More than 128 header lines (200 of them, in about 4 KB).
    @Test func twoHundredHeaderLinesGet513() throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        let request = probe.request(extra: (1...200).map { "X-Filler-\($0): \($0)" })
        #expect(request.text.utf8.count < 16_384)
        let response = try #require(try probe.send(request))
        #expect(response.code == 513, "\(response)")
        try expectAlive(listener)
    }

    @Test func garbageGetsNoAnswer() throws {
        let listener = try Self.listener.get()
        let probe = try SIPProbe(target: listener.port)
        for datagram in garbageDatagrams() { try probe.socket.send(datagram, to: listener.port) }
        let answers = probe.drain(seconds: 1.5)
        #expect(answers.isEmpty, "answers to garbage: \(answers.map { String(decoding: $0.prefix(80), as: UTF8.self) })")
        try expectAlive(listener)
    }

    /// `--transport both`: the same port answers over TCP too.
    @Test func optionsOverTCPGets200() throws {
        let listener = try Self.listener.get()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = UDPSocket.loopback(port: listener.port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "TCP connect to \(listener.port): errno \(errno)")
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let localPort = Int(UInt16(bigEndian: local.sin_port))
        let branch = "z9hG4bK-tandem-torture-tcp-\(localPort)"
        let request = ["OPTIONS sip:127.0.0.1:\(listener.port);transport=tcp SIP/2.0",
                       "Via: SIP/2.0/TCP 127.0.0.1:\(localPort);branch=\(branch)",
                       "Max-Forwards: 70",
                       "From: <sip:torture@127.0.0.1:\(localPort)>;tag=tcp1",
                       "To: <sip:127.0.0.1:\(listener.port)>",
                       "Call-ID: torture-tcp-\(localPort)@127.0.0.1",
                       "CSeq: 1 OPTIONS",
                       "Content-Length: 0"].joined(separator: "\r\n") + "\r\n\r\n"
        let bytes = Array(request.utf8)
        #expect(bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == bytes.count)
        // Read until the head of the response is complete (it has no body), 3 s at most.
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline, !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        let response = try #require(SIPResponse(received), "no answer over TCP: '\(String(decoding: received, as: UTF8.self))'")
        #expect(response.code == 200, "\(response)")
        #expect(response.raw.contains(branch))
    }

    /// Everything above in a row from one socket, then OPTIONS still gets 200 and the process
    /// still runs. Recorded as Captures/sip/sip-listen-torture.pcapng with TANDEM_RECORD_CAPTURES=1.
    @Test func survivesTheWholeBarrage() throws {
        let listener = try Self.listener.get()
        let capture = try ScenarioCapture.begin("sip-listen-torture", sipPorts: [listener.port])
        let probe = try SIPProbe(target: listener.port)
        var codes: [String: Int] = [:]
        codes["OPTIONS"] = try probe.send(probe.request())?.code
        codes["INVITE proxy"] = try probe.send(probe.request("INVITE", user: Self.proxyNumbers[0]))?.code
        codes["INVITE other"] = try probe.send(probe.request("INVITE", user: "+15550199"))?.code
        codes["FOO"] = try probe.send(probe.request("FOO"))?.code
        for malformed in MalformedRequest.allCases { codes[malformed.rawValue] = try probe.send(malformed.build(probe))?.code }
        codes["20 KB"] = try probe.send(probe.request(body: String(repeating: "x", count: 20_000)))?.code
        codes["200 headers"] = try probe.send(probe.request(extra: (1...200).map { "X-Filler-\($0): \($0)" }))?.code
        for datagram in garbageDatagrams() { try probe.socket.send(datagram, to: listener.port) }
        // Nothing at all: no answer to garbage, and the ACKed INVITEs' finals are not re-sent.
        let afterGarbage = probe.drain(seconds: 1).compactMap { SIPResponse($0) }
        let final = try probe.send(probe.request())
        try capture?.finish()

        var expected = ["OPTIONS": 200, "INVITE proxy": 480, "INVITE other": 404, "FOO": 501, "20 KB": 513, "200 headers": 513]
        for malformed in MalformedRequest.allCases { expected[malformed.rawValue] = 400 }
        #expect(codes == expected)
        #expect(afterGarbage.isEmpty, "\(afterGarbage)")
        #expect(final?.code == 200, "OPTIONS after everything")
        #expect(listener.isRunning, "\(listener.log)")
    }
}
