import Foundation
import Logging
import NIOCore
import SMPP
import SMPPClient
@testable import TandemTestSupport
import Testing

/// The SMPP client against a real third-party SMSC (smpp.twisted3) on loopback.
@Suite(.serialized) struct SMSCIntegrationTests {
    static func configuration(_ smsc: SMSCSimulator, _ type: BindType = .transceiver, password: String = "secret",
                              window: Int = 10, rate: Double? = nil) -> SMPPBindConfiguration {
        SMPPBindConfiguration(name: "sim-\(type.rawValue)", host: "127.0.0.1", port: smsc.smppPort, bindType: type,
                              systemID: "tandem", password: password, windowSize: window, requestTimeout: .seconds(10),
                              rateLimit: rate, rateBurst: 5,
                              reconnectInitialDelay: .milliseconds(100), reconnectMaxDelay: .milliseconds(500),
                              throttleInitialDelay: .milliseconds(100), throttleMaxDelay: .seconds(1))
    }

    static var logger: Logger {
        var logger = Logger(label: "test.smpp")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `client` for the duration of `body`, bound.
    static func withBoundClient<T>(_ client: SMPPClient, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.waitUntilBound(timeout: .seconds(30))
            let result = try await body()
            await client.shutdown()
            return result
        }
    }

    static func template(from: String = "+15550001111", to: String = "+447700900123") -> SubmitSM {
        var submit = SubmitSM()
        submit.setAddresses(source: SMPPAddress.derive(from), destination: SMPPAddress.derive(to))
        return submit
    }

    // MARK: Binds

    @Test(arguments: BindType.allCases)
    func bindsAsEachTypeAndTheSMSCSeesIt(type: BindType) async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-bind-\(type.rawValue)")
        let client = SMPPClient(configuration: Self.configuration(smsc, type), logger: Self.logger)
        let binds = try await Self.withBoundClient(client) { try await smsc.binds() }
        #expect(binds.map { $0["bind_type"] as? String } == [type.rawValue])
    }

    @Test func wrongPasswordFailsWithAnErrorNamingTheBindAndStatus() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-bind-wrong-password")
        let client = SMPPClient(configuration: Self.configuration(smsc, password: "wrong"), logger: Self.logger)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            do throws(SMPPClientError) {
                try await client.waitUntilBound(timeout: .seconds(30))
                Issue.record("bound with a wrong password")
            } catch {
                #expect(error.kind == .bindRejected)
                #expect(error.status == .invalidPassword)
                #expect(error.bind == "sim-transceiver")
                #expect("\(error)".contains("ESME_RINVPASWD"))
                #expect(!error.isRetryable)
            }
            await client.shutdown()
            group.cancelAll()
        }
    }

    // MARK: Submitting

    @Test func gsmTextArrivesAsUnpackedSeptetsWithTheReturnedMessageID() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-submit-gsm7")
        let client = SMPPClient(configuration: Self.configuration(smsc), logger: Self.logger)
        let text = "Hello @ {world} costs 5€ ~ [ok]"
        let parts = try SubmitSM.parts(of: text, template: Self.template(), reference: 1)
        let response = try await Self.withBoundClient(client) { try await client.submit(parts[0]) }
        let records = try await smsc.submitted()
        #expect(records.count == 1)
        #expect(records.first?["data_coding"] as? Int == 0)
        #expect((records.first?["short_message_hex"] as? String)?.lowercased() == GSM7.septets(for: text)?.smppHex)
        #expect(records.first?["message_id"] as? String == response.messageID)
        #expect(records.first?["source_addr"] as? String == "15550001111")
        #expect(records.first?["source_addr_ton"] as? Int == 1)
    }

    @Test func ucs2TextWithAnEmojiArrivesAsUTF16BigEndian() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-submit-ucs2-emoji")
        let client = SMPPClient(configuration: Self.configuration(smsc), logger: Self.logger)
        let text = "Grüße 😀 Привет"
        let parts = try SubmitSM.parts(of: text, template: Self.template(), reference: 1)
        _ = try await Self.withBoundClient(client) { try await client.submit(parts[0]) }
        let records = try await smsc.submitted()
        #expect(records.first?["data_coding"] as? Int == 8)
        let hex = try #require(records.first?["short_message_hex"] as? String).lowercased()
        #expect(hex == UCS2.encode(text).smppHex)
        #expect(hex.contains("d83dde00"))
    }

    @Test(arguments: ConcatenationMethod.allCases)
    func longMessagesArriveInPartsThatReassembleToTheText(method: ConcatenationMethod) async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-submit-long-\(method.rawValue)")
        let client = SMPPClient(configuration: Self.configuration(smsc), logger: Self.logger)
        let text = String(repeating: "Long message over SMPP, split by Tandem. ", count: 9)
        let parts = try SubmitSM.parts(of: text, template: Self.template(), method: method, reference: 0x0102)
        try await Self.withBoundClient(client) {
            for part in parts { _ = try await client.submit(part) }
        }
        let records = try await smsc.submitted()
        #expect(records.count == (method == .payload ? 1 : 3))
        var payload: [UInt8] = []
        for record in records {
            let shortMessage = [UInt8](smppHex: record["short_message_hex"] as? String ?? "") ?? []
            let tlvs = TLVList((record["tlvs"] as? [[String: Any]] ?? []).map {
                TLV(tag: TLVTag(UInt16($0["tag"] as? Int ?? 0)), value: [UInt8](smppHex: $0["hex"] as? String ?? "") ?? [])
            })
            let esmClass = UInt8(record["esm_class"] as? Int ?? 0)
            if method == .payload {
                #expect(shortMessage.isEmpty)
                payload += tlvs.messagePayload ?? []
                continue
            }
            let info = try #require(ConcatenationInfo.detect(esmClass: esmClass, shortMessage: shortMessage,
                                                             sarMsgRefNum: tlvs.sarMsgRefNum, sarTotalSegments: tlvs.sarTotalSegments,
                                                             sarSegmentSeqnum: tlvs.sarSegmentSeqnum))
            #expect(info.total == 3)
            switch method {
            case .udh8: #expect(info.scheme == .udh8 && esmClass & 0x40 != 0)
            case .udh16: #expect(info.scheme == .udh16 && info.reference == 0x0102)
            case .sar: #expect(info.scheme == .sar && esmClass & 0x40 == 0)
            case .payload: break
            }
            payload += info.payload
        }
        #expect(ShortMessageText.decode(payload, dataCoding: 0) == text)
    }

    @Test func throttlingSlowsTheBindDownAndLosesNothing() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-submit-throttled")
        let client = SMPPClient(configuration: Self.configuration(smsc, rate: 200), logger: Self.logger)
        try await smsc.control("POST", "/inject", ["command_status": 0x58, "count": 3])
        let responses = try await Self.withBoundClient(client) {
            var responses: [SMPPClient.SubmitResponse] = []
            for index in 0..<5 {
                var submit = Self.template()
                submit.shortMessage = Array("message \(index)".utf8)
                responses.append(try await client.submit(submit))
            }
            #expect((client.currentRateLimit ?? 200) < 200)
            return responses
        }
        #expect(responses.count == 5)
        #expect(responses.map(\.throttledAttempts).reduce(0, +) == 3)
        let records = try await smsc.submitted()
        #expect(records.count == 8)
        #expect(records.filter { $0["command_status"] as? Int == 0x58 }.count == 3)
        // Every message reached the SMSC exactly once with an id.
        let accepted = records.filter { $0["message_id"] is String }.compactMap { ($0["short_message_hex"] as? String)?.lowercased() }
        #expect(Set(accepted) == Set((0..<5).map { Array("message \($0)".utf8).smppHex }))
        #expect(accepted.count == 5)
    }

    @Test func permanentRejectionIsClassifiedAndNotRetried() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-submit-rejected")
        let client = SMPPClient(configuration: Self.configuration(smsc), logger: Self.logger)
        try await smsc.control("POST", "/inject", ["command_status": 0x0B, "count": 1])
        try await Self.withBoundClient(client) {
            do throws(SMPPClientError) {
                _ = try await client.submit(Self.template())
                Issue.record("an injected ESME_RINVDSTADR was accepted")
            } catch {
                #expect(error.kind == .rejected)
                #expect(error.status == .invalidDestinationAddress)
                #expect(error.statusClass == .permanent)
                #expect(!error.isRetryable)
            }
        }
        #expect(try await smsc.submitted().count == 1)
    }

    // MARK: Receiving

    @Test func plainAndUCS2MobileOriginatedMessagesReachTheConsumer() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-mo-gsm7-ucs2")
        let inbox = Inbox()
        let client = SMPPClient(configuration: Self.configuration(smsc, .receiver), logger: Self.logger) { try await inbox.take($0) }
        try await Self.withBoundClient(client) {
            let status1 = try await smsc.mo(source: "447700900123", destination: "15550001111", shortMessage: GSM7.septets(for: "Hi @ {you}")!)
            #expect(status1 == 0)
            let status2 = try await smsc.mo(source: "447700900123", destination: "15550001111", dataCoding: 8, shortMessage: UCS2.encode("Ça va? 😀"))
            #expect(status2 == 0)
        }
        let texts = await inbox.messages.compactMap { message -> String? in
            if case .mobileOriginated(let mo) = message { return mo.text() } else { return nil }
        }
        #expect(texts == ["Hi @ {you}", "Ça va? 😀"])
    }

    @Test func consumerFailureIsAnsweredWithRX_T_APPNSoTheSMSCRetries() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-mo-consumer-refusal")
        let inbox = Inbox()
        await inbox.refuse(1)
        let client = SMPPClient(configuration: Self.configuration(smsc, .receiver), logger: Self.logger) { try await inbox.take($0) }
        try await Self.withBoundClient(client) {
            let status3 = try await smsc.mo(source: "1", destination: "2", shortMessage: Array("first".utf8))
            #expect(status3 == 0x64)
            let status4 = try await smsc.mo(source: "1", destination: "2", shortMessage: Array("first".utf8))
            #expect(status4 == 0)
        }
        #expect(await inbox.messages.count == 1)
    }

    @Test(arguments: [ConcatenationMethod.udh8, .udh16, .sar, .payload])
    func longMOInEverySplitStyleAndOrderIsReassembled(method: ConcatenationMethod) async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-mo-long-\(method.rawValue)-reversed")
        let inbox = Inbox()
        let client = SMPPClient(configuration: Self.configuration(smsc, .transceiver), logger: Self.logger) { try await inbox.take($0) }
        let text = String(repeating: "Ответ длинный 😀 ", count: 12)
        let parts = try SubmitSM.parts(of: text, template: Self.template(from: "447700900123", to: "15550001111"),
                                       method: method, reference: 0x4242)
        // Out of order: last part first.
        let batch = parts.reversed().map {
            SMSCSimulator.moBody(source: "447700900123", destination: "15550001111", dataCoding: $0.dataCoding,
                                 esmClass: $0.esmClass, shortMessage: $0.shortMessage, tlvs: $0.tlvs)
        }
        try await Self.withBoundClient(client) {
            try await smsc.control("POST", "/mo/batch", ["pdus": batch])
            #expect(await eventually { await inbox.messages.count == parts.count })
        }
        var reassembler = Reassembler<InboundMessage.MobileOriginated>(timeout: .seconds(60), maxPendingSegments: 100)
        var result: String?
        for case .mobileOriginated(let mo) in await inbox.messages {
            guard let info = mo.concatenation else {
                result = mo.text()
                continue
            }
            let key = SegmentKey(bind: mo.bind, source: mo.source, destination: mo.destination, info: info)
            if case .complete(let ordered) = reassembler.add(mo, key: key, sequence: info.sequence, now: .seconds(1)) {
                result = ShortMessageText.decode(ordered.flatMap(\.payload), dataCoding: mo.dataCoding)
            }
        }
        #expect(result == text)
    }

    @Test(arguments: [("decimal", true, "full"), ("decimal", false, "full"), ("hex", false, "minimal"), ("as-is", true, "minimal")])
    func receiptsMatchTheSubmittedMessageID(idInText: String, withTLVs: Bool, fields: String) async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-receipt-id-\(idInText)-\(withTLVs ? "tlvs" : "no-tlvs")-\(fields)")
        let inbox = Inbox()
        let client = SMPPClient(configuration: Self.configuration(smsc, .transceiver), logger: Self.logger) { try await inbox.take($0) }
        let messageID = try await Self.withBoundClient(client) {
            var submit = Self.template()
            submit.registeredDelivery = 1
            let id = try await client.submit(submit).messageID
            let status = try await smsc.control("POST", "/receipt", ["message_id": id, "stat": "UNDELIV", "err": "034",
                                                                      "id_in_text": idInText, "with_tlvs": withTLVs,
                                                                      "text_fields": fields])
            #expect((status as? [String: Any])?["command_status"] as? Int == 0)
            return id
        }
        let receipts = await inbox.messages.compactMap { message -> DeliveryReceipt? in
            if case .deliveryReceipt(let receipt, _) = message { return receipt } else { return nil }
        }
        let receipt = try #require(receipts.first)
        #expect(receipt.state == .undeliverable)
        let submitKeys = Set(MessageIDMatching.keys(forSubmitResponseID: messageID))
        #expect(MessageIDMatching.keys(forReceiptID: receipt.messageID).contains(where: submitKeys.contains),
                "receipt id \(receipt.messageID) does not match submit id \(messageID)")
        if fields == "full" { #expect(receipt.errorCode == "034") }
    }

    // MARK: Connection trouble

    @Test func smscInitiatedUnbindIsAnsweredAndTheClientBindsAgain() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-smsc-unbind")
        let client = SMPPClient(configuration: Self.configuration(smsc), logger: Self.logger)
        try await Self.withBoundClient(client) {
            let unbound = try await smsc.control("POST", "/unbind") as? [String: Any]
            #expect(unbound?["unbound"] as? Int == 1)
            #expect(await eventually { client.connectionState != .bound })
            #expect(await eventually { client.connectionState == .bound })
            _ = try await client.submit(Self.template())
        }
        #expect(try await smsc.submitted().count == 1)
    }

    @Test func smscKilledMidWindowFailsInFlightRetryablyAndTheClientRebindsWhenItReturns() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-smsc-killed-mid-window")
        let port = smsc.smppPort
        // 500 messages/s: the kill lands while some are in flight and others wait for the window.
        let client = SMPPClient(configuration: Self.configuration(smsc, window: 10, rate: 500), logger: Self.logger)
        try await Self.withBoundClient(client) {
            let outcomes = await withTaskGroup(of: SMPPClientError?.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        var submit = Self.template()
                        submit.shortMessage = Array("burst \(index)".utf8)
                        do throws(SMPPClientError) { _ = try await client.submit(submit); return nil } catch { return error }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(250))
                    smsc.kill()
                    return nil
                }
                var failures: [SMPPClientError] = []
                for await outcome in group { if let outcome { failures.append(outcome) } }
                return failures
            }
            #expect(!outcomes.isEmpty, "the SMSC died before anything was in flight")
            let permanent = outcomes.filter { !$0.isRetryable }
            #expect(permanent.isEmpty, "\(permanent)")
            #expect(outcomes.contains { $0.kind == .connectionLost })
            #expect(client.connectionState != .bound)

            let revived = try SMSCSimulator.start(smppPort: port)
            defer { revived.stop() }
            #expect(await eventually(timeout: .seconds(15)) { client.connectionState == .bound })
            _ = try await client.submit(Self.template())
            #expect(try await revived.submitted().count == 1)
        }
    }

    @Test func garbageFromTheSMSCIsNackedAndTheClientStaysUsable() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-smsc-garbage")
        let client = SMPPClient(configuration: Self.configuration(smsc), logger: Self.logger)
        try await Self.withBoundClient(client) {
            // A PDU with an unknown command_id, sequence 5.
            try await smsc.control("POST", "/raw", ["hex": "00000010000000990000000000000005"])
            let nacked = await eventually {
                let pdus = (try? await smsc.control("GET", "/pdus")) as? [[String: Any]] ?? []
                return pdus.contains { ($0["hex"] as? String ?? "").lowercased().hasPrefix("00000010800000000000000300000005") }
            }
            #expect(nacked, "no generic_nack ESME_RINVCMDID for sequence 5 reached the SMSC")
            #expect(await eventually { client.connectionState == .bound })
            _ = try await client.submit(Self.template())
        }
    }
}

/// Several binds to one SMSC used as one.
@Suite(.serialized) struct ConnectionProfileIntegrationTests {
    @Test func transmitterPlusReceiverSubmitOnOneAndReceiveTheReceiptOnTheOther() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-profile-tx-rx")
        let inbox = Inbox()
        let tx = SMSCIntegrationTests.configuration(smsc, .transmitter)
        let rx = SMSCIntegrationTests.configuration(smsc, .receiver)
        let profile = SMPPConnectionProfile(name: "sim", binds: [tx, rx], logger: SMSCIntegrationTests.logger) { try await inbox.take($0) }
        #expect(profile.problems().isEmpty)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await profile.run() }
            try await profile.waitUntilBound(timeout: .seconds(30))
            var submit = SMSCIntegrationTests.template()
            submit.registeredDelivery = 1
            let id = try await profile.submit(submit).messageID
            try await smsc.control("POST", "/receipt", ["message_id": id, "stat": "DELIVRD"])
            #expect(await eventually { await inbox.messages.count == 1 })
            guard case .deliveryReceipt(let receipt, let base)? = await inbox.messages.first else {
                Issue.record("no receipt"); return
            }
            #expect(base.bind == "sim-receiver")
            #expect(receipt.state == .delivered)
            let binds = try await smsc.binds().compactMap { $0["bind_type"] as? String }.sorted()
            #expect(binds == ["receiver", "transmitter"])
            await profile.shutdown()
            group.cancelAll()
        }
    }

    @Test func submitsSpreadOverSeveralTransceivers() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-profile-3-trx")
        let binds = (1...3).map { index -> SMPPBindConfiguration in
            var configuration = SMSCIntegrationTests.configuration(smsc, .transceiver)
            configuration.name = "trx-\(index)"
            return configuration
        }
        let profile = SMPPConnectionProfile(name: "sim", binds: binds, logger: SMSCIntegrationTests.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await profile.run() }
            #expect(await eventually { profile.clients.allSatisfy { $0.connectionState == .bound } })
            for _ in 0..<6 { _ = try await profile.submit(SMSCIntegrationTests.template()) }
            await profile.shutdown()
            group.cancelAll()
        }
        let records = try await smsc.submitted()
        #expect(records.count == 6)
        // Round-robin: two submits from each of the three sessions.
        let perPeer = Dictionary(grouping: records, by: { $0["peer"] as? String ?? "" }).mapValues(\.count)
        #expect(perPeer.count == 3)
        #expect(perPeer.values.allSatisfy { $0 == 2 })
    }

    @Test func profileProblemsAreReportedTogether() {
        let bad = SMPPBindConfiguration(name: "x", host: "", port: 0, systemID: String(repeating: "s", count: 20), password: "123456789")
        let profile = SMPPConnectionProfile(name: "p", binds: [bad, bad])
        let problems = profile.problems()
        #expect(problems.contains { $0.contains("host is empty") })
        #expect(problems.contains { $0.contains("port 0") })
        #expect(problems.contains { $0.contains("system_id is longer than 15") })
        #expect(problems.contains { $0.contains("password is longer than 8") })
        #expect(problems.contains { $0.contains("bind names must be unique") })
    }
}

/// SMPP over TLS against the simulator's TLS port (Twisted + pyOpenSSL).
@Suite(.serialized) struct TLSIntegrationTests {
    static func configuration(_ smsc: SMSCSimulator, tls: SMPPTLSConfiguration) throws -> SMPPBindConfiguration {
        var configuration = SMSCIntegrationTests.configuration(smsc)
        configuration.name = "sim-tls"
        configuration.port = try #require(smsc.tlsPort)
        configuration.tls = tls
        return configuration
    }

    @Test func bindsAndSubmitsOverTLSVerifyingTheSMSCCertificate() async throws {
        let certificates = try TestCertificates.make()
        let smsc = try SMSCSimulator.start(tls: certificates)
        let client = SMPPClient(configuration: try Self.configuration(smsc, tls: SMPPTLSConfiguration(caFile: certificates.ca)),
                                logger: SMSCIntegrationTests.logger)
        let response = try await SMSCIntegrationTests.withBoundClient(client) {
            let binds = try await smsc.binds()
            #expect(binds.first?["tls"] as? Bool == true)
            return try await client.submit(SMSCIntegrationTests.template())
        }
        #expect(try await smsc.submitted().first?["message_id"] as? String == response.messageID)
    }

    @Test func anSMSCCertificateFromAnotherCAIsRefusedWithATLSError() async throws {
        let certificates = try TestCertificates.make()
        let stranger = try TestCertificates.make("tls-other-ca")
        let smsc = try SMSCSimulator.start(tls: certificates)
        let client = SMPPClient(configuration: try Self.configuration(smsc, tls: SMPPTLSConfiguration(caFile: stranger.ca)),
                                logger: SMSCIntegrationTests.logger)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            do throws(SMPPClientError) {
                try await client.waitUntilBound(timeout: .seconds(30))
                Issue.record("bound to an SMSC whose certificate no trusted CA signed")
            } catch {
                #expect(error.kind == .tlsFailed)
                #expect(!error.isRetryable)
            }
            await client.shutdown()
            group.cancelAll()
        }
        #expect(try await smsc.binds().isEmpty)
    }

    @Test func unreadableCertificateFilesAreReportedAsConfigurationProblems() throws {
        var configuration = SMPPBindConfiguration(name: "x", host: "127.0.0.1", port: 3550, systemID: "a", password: "b")
        configuration.tls = SMPPTLSConfiguration(caFile: "/nonexistent/ca.pem", certificateFile: "/nonexistent/client.pem")
        let problems = configuration.problems()
        #expect(problems.contains { $0.contains("CA file '/nonexistent/ca.pem' cannot be read") })
        #expect(problems.contains { $0.contains("needs both the certificate and the private key") })
    }
}
