import NIOCore
import Testing
@testable import SMPP

/// The ESME session state machine driven by events alone: no sockets, no clocks.
@Suite struct SMPPSessionTests {
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static func at(_ seconds: Int64) -> NIODeadline { t0 + .seconds(seconds) }

    static func config(_ type: BindType = .transceiver, window: Int = 2) -> SMPPSession.Configuration {
        SMPPSession.Configuration(bindType: type, bind: Bind(systemID: "tandem", password: "secret"),
                                  windowSize: window, maxQueuedRequests: 3,
                                  enquireLinkInterval: .seconds(30), enquireLinkTimeout: .seconds(5))
    }

    /// A session that went through bind and bind_resp.
    static func bound(_ type: BindType = .transceiver, window: Int = 2) -> SMPPSession {
        var session = SMPPSession(configuration: config(type, window: window))
        let actions = session.connectionEstablished(now: t0)
        guard case .send(let bind)? = actions.first else { fatalError("no bind sent") }
        _ = session.pduReceived(PDU(.bindResp(type, BindResp(systemID: "smsc")), sequenceNumber: bind.sequenceNumber), now: t0)
        return session
    }

    static func submit(_ text: String = "hi") -> PDUBody {
        var submit = SubmitSM()
        submit.sourceAddr = "1"
        submit.destinationAddr = "2"
        submit.shortMessage = Array(text.utf8)
        return .submitSM(submit)
    }

    static func sent(_ actions: [SMPPSession.Action]) -> [PDU] {
        actions.compactMap { if case .send(let pdu) = $0 { return pdu } else { return nil } }
    }

    @Test func connectingSendsTheConfiguredBind() {
        var session = SMPPSession(configuration: Self.config(.transmitter))
        let actions = session.connectionEstablished(now: Self.t0)
        #expect(actions == [.send(PDU(.bind(.transmitter, Bind(systemID: "tandem", password: "secret")), sequenceNumber: 1))])
        #expect(session.state == .binding)
    }

    @Test func bindRespOKBindsAndReportsTheSMSC() {
        var session = SMPPSession(configuration: Self.config())
        _ = session.connectionEstablished(now: Self.t0)
        let resp = PDU(.bindResp(.transceiver, BindResp(systemID: "smsc", tlvs: [.uint8(.scInterfaceVersion, 0x34)])), sequenceNumber: 1)
        #expect(session.pduReceived(resp, now: Self.t0) == [.bound(.transceiver, systemID: "smsc", scInterfaceVersion: 0x34)])
        #expect(session.state == .bound(.transceiver))
    }

    @Test func rejectedBindClosesWithTheSMSCStatus() {
        var session = SMPPSession(configuration: Self.config())
        _ = session.connectionEstablished(now: Self.t0)
        let resp = PDU(.bindResp(.transceiver, nil), sequenceNumber: 1, commandStatus: .invalidPassword)
        #expect(session.pduReceived(resp, now: Self.t0) == [.close(.bindRejected(.invalidPassword))])
        #expect(session.state == .closed)
    }

    @Test func unansweredBindTimesOut() {
        var session = SMPPSession(configuration: Self.config())
        _ = session.connectionEstablished(now: Self.t0)
        #expect(session.timerFired(now: Self.at(5)).isEmpty)
        #expect(session.timerFired(now: Self.at(10)) == [.close(.bindTimedOut)])
    }

    @Test func windowHoldsRequestsBackAndReleasesThemInOrder() {
        var session = Self.bound(window: 2)
        let first = Self.sent(session.requestSubmitted(1, body: Self.submit("a"), deadline: Self.at(60), now: Self.t0))
        let second = Self.sent(session.requestSubmitted(2, body: Self.submit("b"), deadline: Self.at(60), now: Self.t0))
        #expect(session.requestSubmitted(3, body: Self.submit("c"), deadline: Self.at(60), now: Self.t0).isEmpty)
        #expect(session.inFlightCount == 2)
        #expect(session.queuedCount == 1)

        // The second response arrives first: it completes request 2 and frees a slot for 3.
        let resp = PDU(.submitSMResp(MessageIDResp(messageID: "m2")), sequenceNumber: second[0].sequenceNumber)
        let actions = session.pduReceived(resp, now: Self.at(1))
        #expect(actions.first == .complete(2, resp))
        let released = Self.sent(actions)
        #expect(released.count == 1)
        #expect(released.first?.body == Self.submit("c"))
        #expect(released.first?.sequenceNumber != first[0].sequenceNumber)
        #expect(session.queuedCount == 0)
    }

    @Test func queueBeyondItsLimitFailsRetryably() {
        var session = Self.bound(window: 1)
        _ = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        for id in 2...4 as ClosedRange<UInt64> {
            #expect(session.requestSubmitted(id, body: Self.submit(), deadline: Self.at(60), now: Self.t0).isEmpty)
        }
        let actions = session.requestSubmitted(5, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        guard case .fail(5, let error)? = actions.first else { Issue.record("expected a failure"); return }
        #expect(error.kind == .queueFull)
        #expect(error.isRetryable)
    }

    @Test func requestPastItsDeadlineFailsAsTimedOut() {
        var session = Self.bound()
        _ = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(10), now: Self.t0)
        #expect(session.nextDeadline == Self.at(10))
        let actions = session.timerFired(now: Self.at(10))
        guard case .fail(1, let error)? = actions.first else { Issue.record("expected a failure"); return }
        #expect(error.kind == .timedOut)
        #expect(session.inFlightCount == 0)
    }

    @Test func idleSessionSendsEnquireLinkAndClosesWhenItGoesUnanswered() {
        var session = Self.bound()
        _ = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(600), now: Self.t0)
        #expect(session.nextDeadline == Self.at(30))
        let ping = Self.sent(session.timerFired(now: Self.at(30)))
        #expect(ping.map(\.body) == [.enquireLink])
        let actions = session.timerFired(now: Self.at(35))
        guard case .fail(1, let error)? = actions.first else { Issue.record("expected the submit to fail"); return }
        #expect(error.kind == .connectionClosed && error.isRetryable)
        #expect(actions.last == .close(.peerUnresponsive))
    }

    @Test func answeredEnquireLinkKeepsTheSessionBound() {
        var session = Self.bound()
        let ping = Self.sent(session.timerFired(now: Self.at(30)))[0]
        #expect(session.pduReceived(PDU(.enquireLinkResp, sequenceNumber: ping.sequenceNumber), now: Self.at(31)).isEmpty)
        #expect(session.timerFired(now: Self.at(40)).isEmpty)
        #expect(session.state == .bound(.transceiver))
        #expect(session.nextDeadline == Self.at(61))
    }

    @Test func smscEnquireLinkIsAnsweredAtOnce() {
        var session = Self.bound()
        #expect(session.pduReceived(PDU(.enquireLink, sequenceNumber: 900), now: Self.at(1)) == [.send(PDU(.enquireLinkResp, sequenceNumber: 900))])
    }

    @Test func smscUnbindIsAnsweredAndFailsEverythingInFlightRetryably() {
        var session = Self.bound()
        _ = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        let actions = session.pduReceived(PDU(.unbind, sequenceNumber: 901), now: Self.at(1))
        #expect(actions.first == .send(PDU(.unbindResp, sequenceNumber: 901)))
        guard case .fail(1, let error) = actions[1] else { Issue.record("expected a failure"); return }
        #expect(error.isRetryable)
        #expect(actions.last == .close(.unboundByPeer))
        #expect(session.state == .closed)
    }

    @Test func deliverSMIsHandedOverAndAcknowledgedOnlyWhenHandled() {
        var session = Self.bound(.transceiver)
        let deliver = PDU(.deliverSM(DeliverSM()), sequenceNumber: 55)
        #expect(session.pduReceived(deliver, now: Self.at(1)) == [.deliver(deliver)])
        #expect(session.inboundHandled(sequenceNumber: 55, commandID: .deliverSM, status: .temporaryAppError, now: Self.at(2))
                == [.send(PDU(.deliverSMResp(MessageIDResp(messageID: "")), sequenceNumber: 55, commandStatus: .temporaryAppError))])
    }

    @Test func deliverSMOnATransmitterBindIsRefusedWithRINVBNDSTS() {
        var session = Self.bound(.transmitter)
        let actions = session.pduReceived(PDU(.deliverSM(DeliverSM()), sequenceNumber: 56), now: Self.at(1))
        #expect(actions == [.send(PDU(.deliverSMResp(MessageIDResp(messageID: "")), sequenceNumber: 56, commandStatus: .invalidBindStatus))])
    }

    @Test func submitOnAReceiverBindIsRefusedPermanently() {
        var session = Self.bound(.receiver)
        let actions = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        guard case .fail(1, let error)? = actions.first else { Issue.record("expected a failure"); return }
        #expect(error.kind == .notAllowedForBindType)
        #expect(!error.isRetryable)
    }

    @Test func submitBeforeBindFailsAsNotBound() {
        var session = SMPPSession(configuration: Self.config())
        let actions = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        guard case .fail(1, let error)? = actions.first else { Issue.record("expected a failure"); return }
        #expect(error.kind == .notBound && error.isRetryable)
    }

    @Test func connectionLossFailsInFlightAndQueuedRequestsRetryably() {
        var session = Self.bound(window: 1)
        _ = session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        _ = session.requestSubmitted(2, body: Self.submit(), deadline: Self.at(60), now: Self.t0)
        let actions = session.connectionClosed(now: Self.at(1))
        let failed = actions.compactMap { action -> UInt64? in
            if case .fail(let id, let error) = action, error.isRetryable { return id }
            return nil
        }
        #expect(failed == [1, 2])
        #expect(session.state == .closed)
    }

    @Test func undecodableRequestIsAnsweredWithItsOwnResponseAndStatus() {
        var session = Self.bound()
        let error = SMPPDecodingError(.missingNULTerminator, field: "source_addr", offset: 19, detail: "",
                                      commandID: CommandID.deliverSM.rawValue, sequenceNumber: 70)
        #expect(session.pduDecodingFailed(error, now: Self.at(1))
                == [.send(PDU(.deliverSMResp(MessageIDResp(messageID: "")), sequenceNumber: 70, commandStatus: .invalidSourceAddress))])
        #expect(session.state == .bound(.transceiver))
    }

    @Test func unknownCommandIsAnsweredWithGenericNack() {
        var session = Self.bound()
        let error = SMPPDecodingError(.unknownCommandID, field: "command_id", offset: 4, detail: "", commandID: 0x99, sequenceNumber: 71)
        #expect(session.pduDecodingFailed(error, now: Self.at(1))
                == [.send(PDU(.genericNack, sequenceNumber: 71, commandStatus: .invalidCommandID))])
    }

    @Test func framingErrorNacksAndCloses() {
        var session = Self.bound()
        let error = SMPPDecodingError(.invalidCommandLength, field: "command_length", offset: 0, detail: "", commandID: 4, sequenceNumber: 72)
        let actions = session.pduDecodingFailed(error, now: Self.at(1))
        #expect(actions.first == .send(PDU(.genericNack, sequenceNumber: 72, commandStatus: .invalidCommandLength)))
        #expect(actions.last == .close(.framingError(error)))
    }

    @Test func responseToNoRequestIsDiscarded() {
        var session = Self.bound()
        let stray = PDU(.submitSMResp(MessageIDResp(messageID: "x")), sequenceNumber: 4242)
        guard case .discard(stray, _)? = session.pduReceived(stray, now: Self.at(1)).first else {
            Issue.record("expected a discard"); return
        }
    }

    @Test func genericNackCompletesTheRequestItAnswers() {
        var session = Self.bound()
        let sent = Self.sent(session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0))[0]
        let nack = PDU(.genericNack, sequenceNumber: sent.sequenceNumber, commandStatus: .invalidCommandLength)
        #expect(session.pduReceived(nack, now: Self.at(1)) == [.complete(1, nack)])
    }

    @Test func sequenceNumbersWrapFrom0x7FFFFFFFToOne() {
        var session = Self.bound(window: 5)
        session.nextSequence = 0x7FFF_FFFF
        let a = Self.sent(session.requestSubmitted(1, body: Self.submit(), deadline: Self.at(60), now: Self.t0))[0]
        let b = Self.sent(session.requestSubmitted(2, body: Self.submit(), deadline: Self.at(60), now: Self.t0))[0]
        #expect(a.sequenceNumber == 0x7FFF_FFFF)
        // 1 was the bind, long answered: it is free again.
        #expect(b.sequenceNumber == 1)
    }

    @Test func unbindWaitsForUnbindRespThenCloses() {
        var session = Self.bound()
        let unbind = Self.sent(session.unbindRequested(now: Self.at(1)))
        #expect(unbind.map(\.body) == [.unbind])
        #expect(session.state == .unbinding)
        #expect(session.pduReceived(PDU(.unbindResp, sequenceNumber: unbind[0].sequenceNumber), now: Self.at(2)) == [.close(.unbound)])
    }
}

@Suite struct SMPPSessionOutbindTests {
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func outbindOnAnAcceptedConnectionIsAnsweredWithBindReceiver() {
        var session = SMPPSession(configuration: .init(bindType: .receiver, bind: Bind(systemID: "tandem", password: "pw")))
        #expect(session.connectionAccepted(now: Self.t0).isEmpty)
        #expect(session.state == .awaitingOutbind)
        let actions = session.pduReceived(PDU(.outbind(Outbind(systemID: "tandem", password: "pw")), sequenceNumber: 9), now: Self.t0)
        #expect(actions == [.send(PDU(.bind(.receiver, Bind(systemID: "tandem", password: "pw")), sequenceNumber: 1))])
        let bound = session.pduReceived(PDU(.bindResp(.receiver, BindResp(systemID: "smsc")), sequenceNumber: 1), now: Self.t0)
        #expect(bound == [.bound(.receiver, systemID: "smsc", scInterfaceVersion: nil)])
        #expect(session.state == .bound(.receiver))
    }

    @Test func outbindFromAnotherSystemIDIsRefused() {
        var session = SMPPSession(configuration: .init(bindType: .receiver, bind: Bind(systemID: "tandem", password: "pw")))
        _ = session.connectionAccepted(now: Self.t0)
        let actions = session.pduReceived(PDU(.outbind(Outbind(systemID: "other", password: "pw")), sequenceNumber: 9), now: Self.t0)
        #expect(actions.last == .close(.bindRejected(.invalidSystemID)))
        #expect(session.state == .closed)
    }

    @Test func missingOutbindTimesOut() {
        var session = SMPPSession(configuration: .init(bindType: .receiver, bind: Bind(systemID: "tandem", password: "pw"),
                                                       bindTimeout: .seconds(5)))
        _ = session.connectionAccepted(now: Self.t0)
        #expect(session.timerFired(now: Self.t0 + .seconds(5)) == [.close(.bindTimedOut)])
    }
}
