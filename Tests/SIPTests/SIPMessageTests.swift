import Foundation
import Testing
@testable import SIP

@Suite struct SIPMessageTests {
    static let invite = Array(("INVITE sip:+15550001@trunk.example.net SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK74bf9;rport\r\n"
        + "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK1111\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Proxy\" <sip:+15551000@trunk.example.net>;tag=9fxced76sl\r\n"
        + "To: <sip:+15550001@trunk.example.net>\r\n"
        + "Call-ID: 3848276298220188511@10.0.0.1\r\n"
        + "CSeq: 2 INVITE\r\n"
        + "Contact: <sip:+15551000@10.0.0.1:5060>\r\n"
        + "Record-Route: <sip:10.0.0.9;lr>, <sip:10.0.0.8;lr>\r\n"
        + "X-Conversation-Id: CH123\r\n"
        + "Content-Type: application/sdp\r\n"
        + "Content-Length: 4\r\n\r\nv=0\n").utf8)

    @Test func parsedRequestExposesTheFieldsTheTransactionUserNeeds() throws {
        let message = try SIPMessage(parsing: Self.invite)
        #expect(message.method == "INVITE")
        #expect(message.requestURI == "sip:+15550001@trunk.example.net")
        #expect(message.values("Via").count == 2)
        #expect(message.topViaBranch == "z9hG4bK74bf9")
        #expect(message.fromTag == "9fxced76sl")
        #expect(message.toTag == nil)
        #expect(message.callID == "3848276298220188511@10.0.0.1")
        #expect(message.cseq?.number == 2 && message.cseq?.method == "INVITE")
        #expect(message.contactURI == "sip:+15551000@10.0.0.1:5060")
        // osip2 splits the comma-separated Record-Route into two entries, in order.
        #expect(message.values("Record-Route") == ["<sip:10.0.0.9;lr>", "<sip:10.0.0.8;lr>"])
        // Unknown headers keep their value; osip2 lower-cases the name, Tandem restores a usual form.
        #expect(message["x-conversation-id"] == "CH123")
        #expect(message.body == Array("v=0\n".utf8))
        #expect(message.raw == Self.invite)
    }

    @Test func serializedMessageReparsesToTheSameValues() throws {
        let message = try SIPMessage(parsing: Self.invite)
        let again = try SIPMessage(parsing: message.serialized())
        #expect(again.headers == message.headers)
        #expect(again.body == message.body)
        #expect(again.startLine == message.startLine)
    }

    @Test func serializationComputesContentLengthFromTheBody() {
        let message = SIPMessage.request("OPTIONS", uri: "sip:a@b", headers: [SIPHeaderField("Content-Length", "999")], body: [0x41])
        #expect(String(decoding: message.serialized(), as: UTF8.self) == "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\n\r\nA")
    }

    @Test(arguments: [
        ("Call-ID: 3848276298220188511@10.0.0.1\r\n", "", "Missing Call-ID"),
        ("CSeq: 2 INVITE", "CSeq: 2 BYE", "CSeq method does not match the request"),
        ("CSeq: 2 INVITE", "CSeq: two INVITE", "Bad CSeq number"),
        ("Content-Length: 4", "Content-Length: -4", "Bad Content-Length"),
        ("Content-Length: 4", "Content-Length: 40", "Malformed message"),
        ("SIP/2.0\r\nVia", "SIP/3.0\r\nVia", "Unsupported SIP version"),
    ])
    func requestsOsipAcceptsButRFC3261ForbidsAreRefused(_ find: String, _ replace: String, _ reason: String) {
        let text = String(decoding: Self.invite, as: UTF8.self).replacingFirst(find, with: replace)
        #expect(throws: SIPParseError(reason)) { try SIPMessage(parsing: Array(text.utf8)) }
    }

    @Test func responsesCarryStatusAndReason() throws {
        let response = try SIPMessage(parsing: Array(("SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa\r\n"
            + "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").utf8))
        #expect(response.statusCode == 486)
        #expect(response.reasonPhrase == "Busy Here")
        #expect(response.toTag == "2")
    }

    @Test func responseBuilderCopiesTheRequestHeadersAndTagsTheTo() throws {
        let request = try SIPMessage(parsing: Self.invite)
        let response = SIPResponseBuilder.response(to: request, status: 180, reason: "Ringing", toTag: "abc")
        #expect(response.values("Via") == request.values("Via"))
        #expect(response.toTag == "abc")
        #expect(response["CSeq"] == "2 INVITE")
        // 18x/2xx copy Record-Route (RFC 3261 §12.1.1); final errors do not.
        #expect(response.values("Record-Route").count == 2)
        #expect(SIPResponseBuilder.response(to: request, status: 404, reason: "Not Found", toTag: "abc").values("Record-Route").isEmpty)
    }

    @Test func nameAddressHelpersReadTagsOutsideTheAngleBrackets() {
        #expect(SIPNameAddress.tag(in: "<sip:a@b;tag=inside>;tag=outside") == "outside")
        #expect(SIPNameAddress.tag(in: "<sip:a@b;tag=inside>") == nil)
        #expect(SIPNameAddress.uri(of: "\"A, B\" <sip:+1555@host:5070;transport=tcp>;tag=1") == "sip:+1555@host:5070;transport=tcp")
        #expect(SIPNameAddress.parameter("branch", in: "SIP/2.0/UDP h:1;branch=z9hG4bKx;rport") == "z9hG4bKx")
    }

    @Test func uriParsingKeepsUserHostPortAndParameters() throws {
        let uri = try #require(SIPURI("sip:%2B15550001@127.0.0.1:5070;transport=tcp;lr"))
        #expect(uri.user == "+15550001")
        #expect(uri.host == "127.0.0.1")
        #expect(uri.port == 5070)
        #expect(uri.transport == "tcp")
        #expect(uri.isLooseRouter)
        #expect(uri.description == "sip:+15550001@127.0.0.1:5070;transport=tcp;lr")
        #expect(SIPURI("tel:+15550001") == nil)
        #expect(SIPURI("sip:a@host:70000") == nil)
    }
}

@Suite struct CallModelTests {
    @Test(arguments: [
        (486, CallStatus.busy), (600, .busy), (603, .busy), (408, .noAnswer), (480, .noAnswer), (487, .noAnswer),
        (404, .failed), (401, .failed), (407, .failed), (503, .failed), (200, .inProgress),
    ])
    func finalResponsesMapToTheMirroredStatuses(_ code: Int, _ status: CallStatus) {
        #expect(CallStatus.forFinalResponse(code) == status)
    }

    @Test func a487AfterTheCallerGaveUpIsCanceled() {
        #expect(CallStatus.forFinalResponse(487, canceledByUs: true) == .canceled)
    }

    @Test func callsMoveOnlyForward() {
        var call = Call(from: "+15551000", to: "+15550001")
        var moves: [Bool] = []
        moves.append(call.transition(to: .initiated))
        moves.append(call.transition(to: .completed))  // never answered: refused
        moves.append(call.transition(to: .ringing))
        moves.append(call.transition(to: .inProgress))
        moves.append(call.transition(to: .busy))  // answered already: refused
        moves.append(call.transition(to: .completed, reason: "bye"))
        moves.append(call.transition(to: .failed))  // final already: refused
        #expect(moves == [true, false, true, true, false, true, false])
        #expect(call.answeredAt != nil)
        #expect(call.status == .completed && call.reason == "bye" && call.endedAt != nil)
    }

    @Test func unansweredCallsLastZeroSeconds() {
        var call = Call(from: "+15551000", to: "+15550001")
        call.transition(to: .initiated)
        call.transition(to: .busy, sipCode: 486)
        #expect(call.duration == 0 && call.sipCode == 486)
        #expect(call.sid.hasPrefix("CA") && call.sid.count == 34)
    }
}

@Suite struct DialogAndSDPTests {
    static func answer(recordRoutes: [String]) throws -> (SIPMessage, SIPMessage) {
        let invite = try SIPMessage(parsing: SIPMessageTests.invite)
        var headers = [SIPHeaderField("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK74bf9"),
                       SIPHeaderField("From", invite.from!), SIPHeaderField("To", invite.to! + ";tag=far"),
                       SIPHeaderField("Call-ID", invite.callID!), SIPHeaderField("CSeq", "2 INVITE"),
                       SIPHeaderField("Contact", "<sip:phone@10.0.0.5:5062>")]
        headers += recordRoutes.map { SIPHeaderField("Record-Route", $0) }
        return (invite, SIPMessage(startLine: .response(status: 200, reason: "OK"), headers: headers))
    }

    @Test func looseRoutingKeepsTheRemoteTargetAsRequestURI() throws {
        let (invite, ok) = try Self.answer(recordRoutes: ["<sip:10.0.0.9;lr>", "<sip:10.0.0.8;lr>"])
        let dialog = try #require(SIPDialog(invite: invite, answer: ok))
        // The UAC's route set is the Record-Route in reverse (RFC 3261 §12.1.2).
        #expect(dialog.routeSet == ["<sip:10.0.0.8;lr>", "<sip:10.0.0.9;lr>"])
        let target = dialog.target()
        #expect(target.requestURI == "sip:phone@10.0.0.5:5062")
        #expect(target.routes == dialog.routeSet)
        #expect(target.nextHop == "sip:10.0.0.8;lr")
    }

    @Test func strictRoutingPutsTheFirstRouteInTheRequestURI() throws {
        let (invite, ok) = try Self.answer(recordRoutes: ["<sip:10.0.0.8>"])
        let target = try #require(SIPDialog(invite: invite, answer: ok)).target()
        #expect(target.requestURI == "sip:10.0.0.8")
        #expect(target.routes == ["<sip:phone@10.0.0.5:5062>"])
    }

    @Test func withoutRecordRouteRequestsGoStraightToTheContact() throws {
        let (invite, ok) = try Self.answer(recordRoutes: [])
        let target = try #require(SIPDialog(invite: invite, answer: ok)).target()
        #expect(target.requestURI == "sip:phone@10.0.0.5:5062" && target.routes.isEmpty)
    }

    static let offer = Array("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\nm=video 4002 RTP/AVP 96\r\n".utf8)

    @Test func rejectingAnswerDeclinesEveryStreamWithPortZero() {
        let text = String(decoding: SDPAnswer.rejecting(offer: Self.offer), as: UTF8.self)
        #expect(text.contains("m=audio 0 RTP/AVP 0\r\n"))
        #expect(text.contains("m=video 0 RTP/AVP 96\r\n"))
    }

    @Test func inactiveAnswerKeepsOneFormatPerStreamAndSendsNothing() {
        let text = String(decoding: SDPAnswer.inactive(offer: Self.offer, host: "127.0.0.1"), as: UTF8.self)
        #expect(text.contains("c=IN IP4 127.0.0.1\r\n"))
        #expect(text.contains("m=audio 9 RTP/AVP 0\r\na=inactive\r\n"))
        #expect(text.components(separatedBy: "a=inactive").count == 3)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
