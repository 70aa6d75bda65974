import Foundation
import SMPP
@testable import TandemTestSupport
import Testing

/// `tandem smpp send` and `tandem smpp listen` as a user runs them, against the SMSC simulator.
@Suite(.serialized) struct CommandLineSMPPTests {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TANDEM_BINARY"] { return URL(fileURLWithPath: path) }
        return SMSCSimulator.repositoryRoot.appendingPathComponent(".build/debug/tandem")
    }

    /// Runs `tandem` to completion and returns its exit status, stdout and stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    @Test func sendPrintsTheMessageIDOfEveryPart() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-cli-send-long-ucs2")
        let result = try Self.run(["smpp", "send", "--smsc", "127.0.0.1:\(smsc.smppPort)", "--system-id", "tandem", "--password", "secret",
                             "--from", "+15550001111", "--to", "+447700900123", "--split", "sar",
                                   String(repeating: "Grüße aus Tandem 😀 ", count: 5)])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout.split(separator: "\n").map(String.init)
        let recorded = try await smsc.submitted().compactMap { $0["message_id"] as? String }
        #expect(printed.count == 2)
        #expect(printed == recorded)
    }

    @Test func sendWithAWrongPasswordExitsWithTheBindError() async throws {
        let smsc = try SMSCSimulator.start()
        let result = try Self.run(["smpp", "send", "--smsc", "127.0.0.1:\(smsc.smppPort)", "--system-id", "tandem",
                                   "--password", "nope", "--from", "1", "--to", "2", "hello"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("ESME_RINVPASWD"))
        #expect(result.stderr.contains("bind cli"))
    }

    @Test func listenPrintsMOPartsTheReassembledMessageAndReceiptsAsJSONLines() async throws {
        let smsc = try SMSCSimulator.start(capture: "smpp-cli-listen")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["smpp", "listen", "--smsc", "127.0.0.1:\(smsc.smppPort)", "--system-id", "tandem", "--password", "secret",
                             "--bind", "rx"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        #expect(await eventually { (try? await smsc.binds().count) == 1 })

        let parts = try SubmitSM.parts(of: String(repeating: "long reply ", count: 20), template: SubmitSM(), method: .udh8, reference: 7)
        let batch = parts.reversed().map {
            SMSCSimulator.moBody(source: "447700900123", destination: "15550001111", dataCoding: $0.dataCoding,
                                 esmClass: $0.esmClass, shortMessage: $0.shortMessage)
        }
        try await smsc.control("POST", "/mo/batch", ["pdus": batch])
        try await smsc.control("POST", "/receipt", ["message_id": "0A1B2C", "stat": "DELIVRD", "with_tlvs": false,
                                                    "source": "447700900123", "destination": "15550001111"])
        process.terminate()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.filter { $0["type"] as? String == "mo" }.count == 2)
        let whole = objects.first { $0["type"] as? String == "mo_reassembled" }
        #expect(whole?["text"] as? String == String(repeating: "long reply ", count: 20))
        let receipt = objects.first { $0["type"] as? String == "receipt" }
        #expect(receipt?["state"] as? String == "DELIVERED")
        // 0x0A1B2C in the text as decimal; the normalised id is what a lookup uses.
        #expect(receipt?["id"] as? String == "662316")
    }
}

extension CommandLineSMPPTests {
    @Test func sendOverTLSWithTheCAGiven() async throws {
        let certificates = try TestCertificates.make()
        let smsc = try SMSCSimulator.start(tls: certificates)
        let result = try Self.run(["smpp", "send", "--smsc", "127.0.0.1:\(try #require(smsc.tlsPort))", "--system-id", "tandem",
                             "--password", "secret", "--tls", "--tls-ca", certificates.ca, "--from", "Tandem", "--to", "+447700900123",
                                   "over TLS"])
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(try await smsc.submitted().first)
        #expect(result.stdout.split(separator: "\n").map(String.init) == [record["message_id"] as? String ?? "?"])
        // An alphanumeric sender goes as TON 5 / NPI 0.
        #expect(record["source_addr"] as? String == "Tandem")
        #expect(record["source_addr_ton"] as? Int == 5)
    }
}
