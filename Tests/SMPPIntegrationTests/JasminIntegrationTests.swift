import Foundation
import Logging
import NIOCore
import SMPP
import SMPPClient
@testable import TandemTestSupport
import Testing

/// The client bound to a production SMS gateway, Jasmin 0.11.0, which relays to the simulator:
/// Tandem → Jasmin's SMPP server → Jasmin's connector → simulator, and receipts and MO back.
/// Started by `scripts/smsc/jasmin-up` (Redis, RabbitMQ and jasmind on loopback).
@Suite(.serialized) struct JasminIntegrationTests {
    final class JasminStack {
        let process: Process
        let jasminPort: Int
        let simulatorControl: SMSCControl
        private var capture: TrafficCapture?

        init() throws {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-jasmin-\(UUID().uuidString)").path
            process = Process.withSignalsUnblocked(
                SMSCSimulator.repositoryRoot.appendingPathComponent("scripts/smsc/jasmin-up").path, [work])
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            // "READY jasmin=J smsc=P control=C"; the first run may install Jasmin's stack.
            let (line, ports) = readyLine(from: out, timeout: 240)
            guard let jasmin = ports["jasmin"], let control = ports["control"] else {
                kill(process.processIdentifier, SIGTERM)
                throw SMSCSimulator.StartError(description: "jasmin-up did not become ready (see \(work)/*.log): '\(line)'")
            }
            jasminPort = jasmin
            simulatorControl = SMSCControl(port: control)
            capture = try TrafficCapture.startIfRequested("smpp-jasmin-submit-receipt-long-mo", port: jasmin)
        }

        deinit {
            capture?.stop()
            // jasmin-up's trap stops RabbitMQ, Redis, jasmind and the simulator.
            kill(process.processIdentifier, SIGTERM)
        }
    }

    @Test func submitReceiptAndLongMOThroughJasmin() async throws {
        // Jasmin's stack is five processes on freshly picked ports; on a busy machine one of them
        // can lose its port between the pick and the bind and the stack stops. One more start.
        do {
            try await scenario()
        } catch let error as SMPPClientError where error.kind == .notBound {
            print("jasmin stack did not take the bind (\(error)); starting it once more")
            try await scenario()
        }
    }

    func scenario() async throws {
        let stack = try JasminStack()
        let inbox = Inbox()
        var logger = Logger(label: "test.jasmin")
        logger.logLevel = .warning
        let configuration = SMPPBindConfiguration(name: "jasmin", host: "127.0.0.1", port: stack.jasminPort,
                                                  bindType: .transceiver, systemID: "tandem", password: "secret",
                                                  requestTimeout: .seconds(20))
        let client = SMPPClient(configuration: configuration, logger: logger) { try await inbox.take($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.waitUntilBound(timeout: .seconds(20))

            // Submit: Jasmin answers with its own id (a UUID) and relays to the simulator.
            var submit = SMSCIntegrationTests.template()
            submit.registeredDelivery = 1
            submit.shortMessage = GSM7.septets(for: "via Jasmin")!
            let jasminID = try await client.submit(submit).messageID
            #expect(jasminID.count == 36)
            #expect(await eventually(timeout: .seconds(20)) { (try? await stack.simulatorControl.submitted().count) == 1 })
            let record = try #require(try await stack.simulatorControl.submitted().first)
            #expect((record["short_message_hex"] as? String)?.lowercased() == GSM7.septets(for: "via Jasmin")!.smppHex)
            let simulatorID = try #require(record["message_id"] as? String)

            // Receipt: Jasmin rewrites it to its own id and drops sub:, dlvrd: and text:.
            try await stack.simulatorControl.control("POST", "/receipt", ["message_id": simulatorID, "stat": "DELIVRD"])
            #expect(await eventually(timeout: .seconds(20)) { await inbox.messages.count == 1 })
            guard case .deliveryReceipt(let receipt, _)? = await inbox.messages.first else {
                Issue.record("no receipt through Jasmin: \(await inbox.messages)")
                return
            }
            #expect(receipt.state == .delivered)
            #expect(receipt.submitted == nil && receipt.text == nil)
            let keys = Set(MessageIDMatching.keys(forSubmitResponseID: jasminID))
            #expect(MessageIDMatching.keys(forReceiptID: receipt.messageID).contains(where: keys.contains))

            // A long MO in three UDH parts, handed to Jasmin in reverse order.
            let text = String(repeating: "reply through Jasmin ", count: 20)
            let parts = try SubmitSM.parts(of: text, template: SubmitSM(), method: .udh8, reference: 9)
            let batch = parts.reversed().map {
                SMSCSimulator.moBody(source: "447700900123", destination: "15550001111", dataCoding: $0.dataCoding,
                                     esmClass: $0.esmClass, shortMessage: $0.shortMessage)
            }
            try await stack.simulatorControl.control("POST", "/mo/batch", ["pdus": batch])
            #expect(await eventually(timeout: .seconds(20)) { await inbox.messages.count == 1 + parts.count })
            var reassembler = Reassembler<InboundMessage.MobileOriginated>(timeout: .seconds(60), maxPendingSegments: 100)
            var reassembled: String?
            for case .mobileOriginated(let mo) in await inbox.messages {
                guard let info = mo.concatenation else { continue }
                let key = SegmentKey(bind: mo.bind, source: mo.source, destination: mo.destination, info: info)
                if case .complete(let ordered) = reassembler.add(mo, key: key, sequence: info.sequence, now: .seconds(1)) {
                    reassembled = ShortMessageText.decode(ordered.flatMap(\.payload), dataCoding: mo.dataCoding)
                }
            }
            #expect(reassembled == text)
            await client.shutdown()
        }
    }
}
