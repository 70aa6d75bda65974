import Testing
@testable import SIP

@Suite struct SIPParserLinkTests {
    @Test func osipParsesARequestLine() {
        let invite = "OPTIONS sip:+15550001@127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n"
            + "From: <sip:tandem@127.0.0.1>;tag=1928301774\r\n"
            + "To: <sip:+15550001@127.0.0.1>\r\n"
            + "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
            + "CSeq: 63104 OPTIONS\r\n"
            + "Content-Length: 0\r\n\r\n"
        #expect(SIPParser.firstLineSummary(of: invite) == "OPTIONS")
    }

    @Test func osipParsesAStatusLine() {
        let response = "SIP/2.0 486 Busy Here\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n"
            + "From: <sip:tandem@127.0.0.1>;tag=1928301774\r\n"
            + "To: <sip:+15550001@127.0.0.1>;tag=a6c85cf\r\n"
            + "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
            + "CSeq: 63104 INVITE\r\n"
            + "Content-Length: 0\r\n\r\n"
        #expect(SIPParser.firstLineSummary(of: response) == "486")
    }

    @Test func osipRejectsGarbage() {
        #expect(SIPParser.firstLineSummary(of: "\u{1}\u{2} not sip at all") == nil)
    }
}
