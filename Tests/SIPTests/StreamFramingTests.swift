import Testing
@testable import SIP

/// Finding message boundaries on TCP by Content-Length (RFC 3261 §18.3).
@Suite struct StreamFramingTests {
    static func frame(_ bytes: [UInt8], maximumSize: Int = 65_536, maximumHeaderLines: Int = 128) -> SIPStreamFrame {
        bytes.withUnsafeBytes {
            SIPStreamFraming.nextFrame(in: $0, maximumSize: maximumSize, maximumHeaderLines: maximumHeaderLines)
        }
    }

    static func frame(_ text: String, maximumSize: Int = 65_536, maximumHeaderLines: Int = 128) -> SIPStreamFrame {
        frame(Array(text.utf8), maximumSize: maximumSize, maximumHeaderLines: maximumHeaderLines)
    }

    static func message(body: String, contentLengthHeader: String? = nil) -> [UInt8] {
        let header = contentLengthHeader ?? "Content-Length: \(body.utf8.count)"
        return Array(("MESSAGE sip:+15550001@127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
            + "From: <sip:tandem@127.0.0.1>;tag=1\r\n"
            + "To: <sip:+15550001@127.0.0.1>\r\n"
            + "Call-ID: c@127.0.0.1\r\n"
            + "CSeq: 1 MESSAGE\r\n"
            + "\(header)\r\n"
            + "\r\n"
            + body).utf8)
    }

    // MARK: - Complete and partial messages

    @Test func completeMessageIsFramedWithItsExactLength() {
        let bytes = Self.message(body: "hello")
        #expect(Self.frame(bytes) == .message(length: bytes.count))
    }

    @Test func everyProperPrefixOfAMessageNeedsMoreData() {
        let bytes = Self.message(body: "hello\r\n\r\nworld")
        for end in 0..<bytes.count {
            #expect(Self.frame(Array(bytes[..<end])) == .needMoreData, "prefix of \(end) bytes")
        }
        #expect(Self.frame(bytes) == .message(length: bytes.count))
    }

    @Test func twoMessagesBackToBackAreFramedOneAtATime() {
        let first = Self.message(body: "one")
        let second = Self.message(body: "second body")
        let stream = first + second
        #expect(Self.frame(stream) == .message(length: first.count))
        #expect(Self.frame(Array(stream[first.count...])) == .message(length: second.count))
    }

    @Test func bodyLookingLikeHeadersIsNotParsed() {
        let bytes = Self.message(body: "Content-Length: 99\r\n\r\n")
        #expect(Self.frame(bytes + Self.message(body: "")) == .message(length: bytes.count))
    }

    @Test func responseIsFramedToo() {
        let bytes = Array("SIP/2.0 200 OK\r\nVia: v\r\nContent-Length: 2\r\n\r\nok".utf8)
        #expect(Self.frame(bytes) == .message(length: bytes.count))
    }

    @Test func bareLineFeedsAreTolerated() {
        let bytes = Array("SIP/2.0 200 OK\nVia: v\nl: 2\n\nok".utf8)
        #expect(Self.frame(bytes) == .message(length: bytes.count))
    }

    // MARK: - Content-Length

    @Test(arguments: ["l: 5", "L:5", "content-length:5", "CONTENT-LENGTH \t:\t 5 \t", "Content-Length:\r\n 5"])
    func contentLengthSpellingsAreRecognised(_ header: String) {
        let bytes = Self.message(body: "hello", contentLengthHeader: header)
        #expect(Self.frame(bytes) == .message(length: bytes.count))
    }

    @Test func missingContentLengthIsInvalid() {
        let bytes = Array("SIP/2.0 200 OK\r\nVia: v\r\n\r\n".utf8)
        #expect(Self.frame(bytes) == .invalid(reason: "missing Content-Length"))
    }

    @Test(arguments: ["-5", "+5", "5a", "0x10", "", "5 5", "5,5"])
    func contentLengthThatIsNotADecimalNumberIsInvalid(_ value: String) {
        let bytes = Self.message(body: "hello", contentLengthHeader: "Content-Length: \(value)")
        #expect(Self.frame(bytes) == .invalid(reason: "Content-Length is not a decimal number"))
    }

    @Test func duplicateContentLengthWithDifferentValuesIsInvalid() {
        let bytes = Self.message(body: "hello", contentLengthHeader: "Content-Length: 5\r\nl: 4")
        #expect(Self.frame(bytes) == .invalid(reason: "conflicting Content-Length values"))
    }

    @Test func duplicateContentLengthWithTheSameValueIsAccepted() {
        let bytes = Self.message(body: "hello", contentLengthHeader: "Content-Length: 5\r\nl: 005")
        #expect(Self.frame(bytes) == .message(length: bytes.count))
    }

    @Test func hugeContentLengthIsInvalidWithoutOverflow() {
        let bytes = Self.message(body: "", contentLengthHeader: "Content-Length: 99999999999999999999999999")
        #expect(Self.frame(bytes) == .invalid(reason: "Content-Length too large"))
    }

    // MARK: - Limits

    @Test func messageOfExactlyMaximumSizeIsAccepted() {
        let bytes = Self.message(body: "hello")
        #expect(Self.frame(bytes, maximumSize: bytes.count) == .message(length: bytes.count))
    }

    @Test func messageOneByteOverMaximumSizeIsInvalidBeforeTheBodyArrives() {
        let bytes = Self.message(body: "hello")
        let headerOnly = Array(bytes.dropLast(5))
        #expect(Self.frame(headerOnly, maximumSize: bytes.count - 1) == .invalid(reason: "message too large"))
    }

    @Test func headerSectionThatNeverEndsIsInvalidAtMaximumSize() {
        var bytes = Array("MESSAGE sip:a@b SIP/2.0\r\n".utf8)
        while bytes.count < 1_000 { bytes += Array("X: y\r\n".utf8) }
        #expect(Self.frame(Array(bytes[..<999]), maximumSize: 1_000, maximumHeaderLines: 1_000) == .needMoreData)
        #expect(Self.frame(bytes, maximumSize: 1_000, maximumHeaderLines: 1_000)
            == .invalid(reason: "header section too large"))
    }

    @Test func headerLineLimitIsExact() {
        var text = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n"
        for _ in 0..<127 { text += "X: y\r\n" }
        let atLimit = Array((text + "\r\n").utf8)
        #expect(Self.frame(atLimit) == .message(length: atLimit.count))
        #expect(Self.frame(text + "X: y\r\n\r\n") == .invalid(reason: "too many header lines"))
    }

    @Test func tooManyHeaderLinesIsDetectedBeforeTheHeaderSectionEnds() {
        var text = "MESSAGE sip:a@b SIP/2.0\r\n"
        for _ in 0..<129 { text += "X: y\r\n" }
        #expect(Self.frame(text) == .invalid(reason: "too many header lines"))
    }

    @Test func garbageStartLineIsInvalidAsSoonAsItEnds() {
        #expect(Self.frame("GET / HTTP/1.1") == .needMoreData)
        #expect(Self.frame("GET / HTTP/1.1\r\n") == .invalid(reason: "first line is not a SIP request or status line"))
    }

    @Test func nulInTheHeaderSectionIsInvalid() {
        #expect(Self.frame("SIP/2.0 200 OK\r\nVia: \u{0}\r\nl: 0\r\n\r\n") == .invalid(reason: "NUL in the header section"))
    }

    // MARK: - Keep-alives

    @Test func doubleCRLFIsAPing() {
        let frame = Self.frame("\r\n\r\n")
        #expect(frame == .keepAlive(length: 4))
        #expect(frame.isPing)
    }

    @Test func singleCRLFIsAPongAndNotAnswered() {
        let frame = Self.frame("\r\n")
        #expect(frame == .keepAlive(length: 2))
        #expect(!frame.isPing)
        #expect(!SIPStreamFrame.message(length: 4).isPing)
    }

    @Test func pingSplitAfterACarriageReturnWaitsForTheRest() {
        #expect(Self.frame("\r") == .needMoreData)
        #expect(Self.frame("\r\n\r") == .needMoreData)
    }

    @Test func keepAliveBeforeAMessageIsItsOwnFrame() {
        let message = Self.message(body: "x")
        let stream = Array("\r\n\r\n".utf8) + message
        #expect(Self.frame(stream) == .keepAlive(length: 4))
        #expect(Self.frame(Array(stream[4...])) == .message(length: message.count))
    }

    @Test func emptyBufferNeedsMoreData() {
        #expect(Self.frame([UInt8]()) == .needMoreData)
    }
}
