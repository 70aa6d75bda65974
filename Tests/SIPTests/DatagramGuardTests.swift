import Testing
@testable import SIP

/// The checks that keep oversized and pathological datagrams away from osip2.
@Suite struct DatagramGuardTests {
    static func verdict(_ text: String, _ guardrail: SIPDatagramGuard = SIPDatagramGuard()) -> SIPDatagramVerdict {
        verdict(Array(text.utf8), guardrail)
    }

    static func verdict(_ bytes: [UInt8], _ guardrail: SIPDatagramGuard = SIPDatagramGuard()) -> SIPDatagramVerdict {
        bytes.withUnsafeBytes { guardrail.inspect($0) }
    }

    static let options = "OPTIONS sip:+15550001@127.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n"
        + "From: <sip:tandem@127.0.0.1>;tag=1928301774\r\n"
        + "To: <sip:+15550001@127.0.0.1>\r\n"
        + "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
        + "CSeq: 63104 OPTIONS\r\n"
        + "Content-Length: 0\r\n\r\n"

    /// A request with `headerLines` header lines, padded with `X:` lines.
    static func request(headerLines: Int) -> String {
        var text = "MESSAGE sip:a@b SIP/2.0\r\n"
        for index in 0..<headerLines { text += "X-\(index): y\r\n" }
        return text + "\r\nbody"
    }

    /// A datagram of exactly `size` bytes: a request whose body pads it out.
    static func datagram(size: Int) -> [UInt8] {
        let head = Array("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n".utf8)
        return head + [UInt8](repeating: UInt8(ascii: "z"), count: size - head.count)
    }

    // MARK: - Verdicts

    @Test func wellFormedRequestIsParsed() {
        #expect(Self.verdict(Self.options) == .parse)
    }

    @Test func wellFormedResponseIsParsed() {
        #expect(Self.verdict("SIP/2.0 486 Busy Here\r\nVia: x\r\n\r\n") == .parse)
        #expect(Self.verdict("sip/2.0 200 \r\n\r\n") == .parse)  // empty reason, version case-insensitive
    }

    @Test func bareLineFeedsAreAccepted() {
        #expect(Self.verdict("OPTIONS sip:a@b SIP/2.0\nVia: x\n\n") == .parse)
    }

    @Test func crlfOnlyDatagramsAreKeepAlives() {
        #expect(Self.verdict("\r\n\r\n") == .keepAlive)
        #expect(Self.verdict("\r\n") == .keepAlive)
        #expect(Self.verdict("\n") == .keepAlive)
        #expect(Self.verdict([UInt8]()) == .keepAlive)
    }

    @Test func datagramOfExactlyMaximumSizeIsParsed() {
        #expect(Self.verdict(Self.datagram(size: 16_384)) == .parse)
    }

    @Test func datagramOneByteOverMaximumSizeIsTooLarge() {
        #expect(Self.verdict(Self.datagram(size: 16_385)) == .tooLarge(size: 16_385))
    }

    @Test func maximumSizeIsConfigurable() {
        let small = SIPDatagramGuard(maximumSize: 100, maximumHeaderLines: 128)
        #expect(Self.verdict(Self.datagram(size: 100), small) == .parse)
        #expect(Self.verdict(Self.datagram(size: 101), small) == .tooLarge(size: 101))
    }

    @Test func exactlyMaximumHeaderLinesIsParsed() {
        #expect(Self.verdict(Self.request(headerLines: 128)) == .parse)
    }

    @Test func oneHeaderLineOverTheMaximumIsRejectedWithTheCount() {
        #expect(Self.verdict(Self.request(headerLines: 129)) == .tooManyHeaderLines(count: 129))
        #expect(Self.verdict(Self.request(headerLines: 1_000)) == .tooManyHeaderLines(count: 1_000))
    }

    @Test func foldedContinuationLinesCountAsLines() {
        var text = "MESSAGE sip:a@b SIP/2.0\r\nSubject: a\r\n"
        for _ in 0..<128 { text += " more\r\n" }
        #expect(Self.verdict(text + "\r\n") == .tooManyHeaderLines(count: 129))
    }

    @Test func headerLinesWithoutAnEmptyLineAreCountedToTheEnd() {
        var text = "MESSAGE sip:a@b SIP/2.0\r\n"
        for _ in 0..<129 { text += "X: y\r\n" }
        #expect(Self.verdict(String(text.dropLast(1))) == .tooManyHeaderLines(count: 129))  // no final CRLF
    }

    @Test func linesInTheBodyAreNotCounted() {
        var text = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 2000\r\n\r\n"
        for _ in 0..<500 { text += "a\r\n" }
        #expect(Self.verdict(text) == .parse)
    }

    @Test func thirteenThousandTinyHeadersNeverReachTheParser() {
        var bytes = Array("MESSAGE sip:a@b SIP/2.0\r\n".utf8)
        while bytes.count < 65_000 { bytes += Array("a:b\r\n".utf8) }
        #expect(Self.verdict(bytes, SIPDatagramGuard(maximumSize: 65_535)) == .tooManyHeaderLines(count: 12_995))
        #expect(Self.verdict(bytes) == .tooLarge(size: bytes.count))
    }

    @Test func nulInTheHeaderSectionIsMalformed() {
        #expect(Self.verdict("OPTIONS sip:a@b SIP/2.0\r\nVia: x\u{0}y\r\n\r\n") == .malformed(reason: "NUL in the header section"))
        #expect(Self.verdict("OPTIONS sip:a@b\u{0} SIP/2.0\r\n\r\n")
            == .malformed(reason: "first line is not a SIP request or status line"))
    }

    @Test func nulInTheBodyIsAllowed() {
        #expect(Self.verdict("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\na\u{0}b") == .parse)
    }

    @Test func datagramWithoutAnyLineEndIsMalformed() {
        #expect(Self.verdict("OPTIONS sip:a@b SIP/2.0") == .malformed(reason: "no line end"))
    }

    @Test func emptyLineBeforeTheStartLineIsMalformed() {
        #expect(Self.verdict("\r\nOPTIONS sip:a@b SIP/2.0\r\n\r\n") == .malformed(reason: "empty line before the start line"))
    }

    @Test(arguments: [
        "GET / HTTP/1.1",
        "OPTIONS sip:a@b SIP/3.0",
        "OPTIONS sip:a@b",
        "OPTIONS  sip:a@b SIP/2.0",
        "OPTIONS sip:a@b SIP/2.0 ",
        "OPTIONS a@b SIP/2.0",
        "OPT<IONS sip:a@b SIP/2.0",
        " OPTIONS sip:a@b SIP/2.0",
        "SIP/2.0 20 OK",
        "SIP/2.0 2000 OK",
        "SIP/2.0 200",
        "SIP/2.0 abc OK",
        "SIP/2.0 200 O\u{1}K",
    ])
    func firstLineThatIsNeitherRequestNorStatusIsMalformed(_ line: String) {
        #expect(Self.verdict(line + "\r\nVia: x\r\n\r\n") == .malformed(reason: "first line is not a SIP request or status line"))
    }

    // MARK: - Response skeleton

    static func skeleton(_ text: String, scanLimit: Int = 16_384) -> SIPResponseSkeleton? {
        Array(text.utf8).withUnsafeBytes { SIPResponseSkeleton(request: $0, scanLimit: scanLimit) }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func responseEchoesTheRequestAndTagsTheTo() throws {
        let skeleton = try #require(Self.skeleton(Self.options))
        #expect(skeleton.method == "OPTIONS")
        #expect(Self.text(skeleton.response(status: 513, reason: "Message Too Large", toTag: "t1")) == """
            SIP/2.0 513 Message Too Large\r
            Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r
            From: <sip:tandem@127.0.0.1>;tag=1928301774\r
            To: <sip:+15550001@127.0.0.1>;tag=t1\r
            Call-ID: a84b4c76e66710@127.0.0.1\r
            CSeq: 63104 OPTIONS\r
            Content-Length: 0\r
            \r

            """)
    }

    @Test func compactHeadersMultipleViasAndAnExistingToTag() throws {
        let request = "INVITE sip:bob@b.example SIP/2.0\r\n"
            + "v: SIP/2.0/UDP p1.example;branch=z9hG4bK1, SIP/2.0/UDP p2.example;branch=z9hG4bK2\r\n"
            + "Max-Forwards: 70\r\n"
            + "VIA:SIP/2.0/UDP ua.example;branch=z9hG4bK3;received=10.0.0.1\r\n"
            + "F: \"Alice\" <sip:alice@a.example>;tag=a1\r\n"
            + "t:<sip:bob@b.example>;TAG=b2\r\n"
            + "i:   abc@a.example   \r\n"
            + "cseq : 2 INVITE\r\n"
            + "l: 0\r\n\r\n"
        let skeleton = try #require(Self.skeleton(request))
        #expect(skeleton.vias == [
            "SIP/2.0/UDP p1.example;branch=z9hG4bK1, SIP/2.0/UDP p2.example;branch=z9hG4bK2",
            "SIP/2.0/UDP ua.example;branch=z9hG4bK3;received=10.0.0.1",
        ])
        let response = skeleton.response(status: 400, reason: "Bad Request", toTag: "ignored",
                                         extraHeaders: [("Warning", "399 tandem \"too many headers\"")])
        #expect(Self.text(response) == """
            SIP/2.0 400 Bad Request\r
            Via: SIP/2.0/UDP p1.example;branch=z9hG4bK1, SIP/2.0/UDP p2.example;branch=z9hG4bK2\r
            Via: SIP/2.0/UDP ua.example;branch=z9hG4bK3;received=10.0.0.1\r
            From: "Alice" <sip:alice@a.example>;tag=a1\r
            To: <sip:bob@b.example>;TAG=b2\r
            Call-ID: abc@a.example\r
            CSeq: 2 INVITE\r
            Warning: 399 tandem "too many headers"\r
            Content-Length: 0\r
            \r

            """)
    }

    @Test func tagInsideTheURIOrDisplayNameIsNotAToTag() throws {
        let request = "MESSAGE sip:a@b SIP/2.0\r\nVia: v\r\nFrom: f\r\n"
            + "To: \"x;tag=1\" <sip:bob@b;tag=2>;foo=\"a;tag=3\"\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\n"
        let skeleton = try #require(Self.skeleton(request))
        #expect(Self.text(skeleton.response(status: 400, reason: "Bad", toTag: "new")).contains(
            "To: \"x;tag=1\" <sip:bob@b;tag=2>;foo=\"a;tag=3\";tag=new\r\n"))
    }

    @Test func bareAddrSpecToWithTagKeepsItsTag() throws {
        let request = "MESSAGE sip:a@b SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: sip:bob@b ; tag = x\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\n"
        let skeleton = try #require(Self.skeleton(request))
        #expect(Self.text(skeleton.response(status: 400, reason: "Bad", toTag: "new")).contains("To: sip:bob@b ; tag = x\r\n"))
    }

    @Test func foldedHeaderValuesAreJoinedAndBareLineFeedsAccepted() throws {
        let request = "MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;\n\tbranch=z9hG4bK1\nFrom: f\nTo: t\nCall-ID: c\nCSeq: 1 MESSAGE\n\n"
        let skeleton = try #require(Self.skeleton(request))
        #expect(skeleton.vias == ["SIP/2.0/UDP h; branch=z9hG4bK1"])
        #expect(skeleton.to == "t")
    }

    @Test func firstOccurrenceOfFromToCallIDAndCSeqWins() throws {
        let request = "MESSAGE sip:a@b SIP/2.0\r\nVia: v\r\nFrom: f1\r\nf: f2\r\nTo: t1\r\nTo: t2\r\n"
            + "Call-ID: c1\r\ni: c2\r\nCSeq: 1 MESSAGE\r\nCSeq: 2 MESSAGE\r\n\r\n"
        let skeleton = try #require(Self.skeleton(request))
        #expect([skeleton.from, skeleton.to, skeleton.callID, skeleton.cseq] == ["f1", "t1", "c1", "1 MESSAGE"])
    }

    @Test func reasonValuesAndTagAreSanitized() throws {
        let skeleton = try #require(Self.skeleton(Self.options))
        let response = Self.text(skeleton.response(
            status: 400, reason: "Bad\r\nX-Injected: 1\u{0}", toTag: "a\r\nb c",
            extraHeaders: [("Warn\r\ning", "v\r\nX-Injected: 2"), ("\r\n", "dropped")]))
        #expect(response.hasPrefix("SIP/2.0 400 BadX-Injected: 1\r\n"))
        #expect(response.contains("To: <sip:+15550001@127.0.0.1>;tag=abc\r\n"))
        #expect(response.contains("Warning: vX-Injected: 2\r\n"))
        #expect(!response.contains("dropped"))
        #expect(!response.contains("\u{0}"))
    }

    @Test func ackIsNeverAnswered() {
        let ack = Self.options.replacingFirstLine(with: "ACK sip:+15550001@127.0.0.1 SIP/2.0")
        #expect(Self.skeleton(ack) == nil)
    }

    @Test func responsesAreNeverAnswered() {
        let response = Self.options.replacingFirstLine(with: "SIP/2.0 200 OK")
        #expect(Self.skeleton(response) == nil)
    }

    @Test func requestWithoutViaGetsNoSkeleton() {
        let lines = Self.options.split(separator: "\r\n", omittingEmptySubsequences: false)
        let kept = lines.filter { !$0.hasPrefix("Via:") }
        #expect(kept.count < lines.count)
        #expect(Self.skeleton(kept.joined(separator: "\r\n")) == nil)
    }

    @Test(arguments: ["From", "To", "Call-ID", "CSeq"])
    func requestMissingAnotherRequiredHeaderIsAnsweredWithoutIt(_ name: String) throws {
        let lines = Self.options.split(separator: "\r\n", omittingEmptySubsequences: false)
        let kept = lines.filter { !$0.hasPrefix("\(name):") }
        #expect(kept.count == lines.count - 1)
        let skeleton = try #require(Self.skeleton(kept.joined(separator: "\r\n")))
        let response = String(decoding: skeleton.response(status: 400, reason: "Bad Request", toTag: "t"), as: UTF8.self)
        #expect(response.hasPrefix("SIP/2.0 400 Bad Request\r\nVia: "))
        #expect(!response.contains("\r\n\(name): "))
    }

    @Test func headersPastTheScanLimitAreNotSeen() throws {
        let cseqOffset = Array(Self.options.utf8).count - "CSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n".utf8.count
        #expect(try #require(Self.skeleton(Self.options, scanLimit: cseqOffset + 10)).cseq == nil)  // CSeq line cut in half
        #expect(Self.skeleton(Self.options, scanLimit: cseqOffset + 21)?.cseq == "63104 OPTIONS")  // CSeq line complete
    }

    @Test func headersPastTwoHundredLinesAreNotSeen() {
        var request = "MESSAGE sip:a@b SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\n"
        for _ in 0..<195 { request += "X: y\r\n" }
        #expect(Self.skeleton(request + "CSeq: 1 MESSAGE\r\n\r\n")?.cseq == "1 MESSAGE")  // line 200
        #expect(Self.skeleton(request + "X: y\r\nCSeq: 1 MESSAGE\r\n\r\n")?.cseq == nil)  // line 201
    }

    @Test func oversizedDatagramStillGetsA513() throws {
        var bytes = Array(Self.options.dropLast(1).utf8)  // "\r\n" is one Character
        bytes += Array("Subject: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 70_000) + Array("\r\n\r\n".utf8)
        #expect(Self.verdict(bytes) == .tooLarge(size: bytes.count))
        let skeleton = try #require(bytes.withUnsafeBytes { SIPResponseSkeleton(request: $0) })
        #expect(Self.text(skeleton.response(status: 513, reason: "Message Too Large", toTag: "z")).hasPrefix(
            "SIP/2.0 513 Message Too Large\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n"))
    }
}

extension String {
    fileprivate func replacingFirstLine(with line: String) -> String {
        line + self.drop { $0 != "\r\n" }
    }
}

@Suite struct ContentLengthDiagnosisTests {
    static func declaresMore(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { SIPSyntax.declaresMoreBodyThanPresent($0) }
    }

    @Test func aContentLengthBeyondTheBodyIsNamed() {
        #expect(Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 400\r\n\r\nten bytes!"))
        #expect(Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nl:11\r\n\r\nten bytes!"))  // compact form
    }

    @Test func anExactOrSmallerContentLengthIsNot() {
        #expect(!Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nten bytes!"))
        #expect(!Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nten bytes!"))
        #expect(!Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: abc\r\n\r\nten bytes!"))
        // A header-like line in the body is not read.
        #expect(!Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 20\r\n\r\nContent-Length: 999\r\n"))
        #expect(!Self.declaresMore("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 400\r\n"))  // no header end at all
    }
}
