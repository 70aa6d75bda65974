import Foundation
import Testing

/// `tandem decode` as a user runs it: the built binary, its stdout and its exit status.
@Suite struct DecodeCommandTests {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TANDEM_BINARY"] { return URL(fileURLWithPath: path) }
        // Tests/TandemCLITests/<this file> → package root → .build/debug/tandem
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/tandem")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func decodesASubmitSMWithUDHIntoSpecFieldsTextAndUDH() throws {
        // submit_sm, esm_class 0x40, UDH 05 00 03 2a 02 01 then GSM unpacked "Hi @".
        let hex = "00000034 00000004 00000000 00000007 00 0101 3135353500 0101 343437373000 40 00 00 00 00 01 00 00 00 0a 0500032a0201 48692000"
        let result = try Self.run(["decode", "--hex", hex])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        #expect(object["command"] as? String == "submit_sm")
        #expect(object["command_id"] as? Int == 4)
        #expect(object["sequence_number"] as? Int == 7)
        #expect(object["source_addr"] as? String == "1555")
        #expect(object["destination_addr"] as? String == "44770")
        #expect(object["esm_class"] as? Int == 0x40)
        #expect(object["registered_delivery"] as? Int == 1)
        #expect(object["sm_length"] as? Int == 10)
        #expect(object["text"] as? String == "Hi @")
        let udh = try #require(object["udh"] as? [String: Any])
        #expect(udh["hex"] as? String == "0500032a0201")
    }

    @Test func showsTLVsWithNamesTypedValuesAndHex() throws {
        // deliver_sm receipt with receipted_message_id "ab" and message_state 2.
        let hex = "0000002f 00000005 00000000 00000001 00 0000 3100 0000 3200 04 00 00 00 00 00 00 00 00 00 001e0003616200 0427000102"
        let result = try Self.run(["decode", "--hex", hex])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        let tlvs = try #require(object["tlvs"] as? [[String: Any]])
        #expect(tlvs.count == 2)
        #expect(tlvs[0]["tag"] as? Int == 0x001E)
        #expect(tlvs[0]["name"] as? String == "receipted_message_id")
        #expect(tlvs[0]["value"] as? String == "ab")
        #expect(tlvs[0]["hex"] as? String == "616200")
        #expect(tlvs[1]["name"] as? String == "message_state")
        #expect(tlvs[1]["value"] as? Int == 2)
        let receipt = try #require(object["receipt"] as? [String: Any])
        #expect(receipt["id"] as? String == "ab")
        #expect(receipt["state"] as? String == "DELIVERED")
    }

    @Test func invalidPDUNamesTheFieldAndOffsetAndExitsWithOne() throws {
        // submit_sm whose sm_length (10) runs past the end.
        let hex = "00000025 00000004 00000000 00000001 00 0000 3100 0000 3200 00 00 00 00 00 00 00 00 00 0a 6162"
        let result = try Self.run(["decode", "--hex", hex])
        #expect(result.status == 1)
        #expect(result.stderr.contains("sm_length"))
        #expect(result.stderr.contains("offset 34"))
        let object = try Self.json(result.stdout)
        #expect(object["field"] as? String == "sm_length")
        #expect(object["offset"] as? Int == 34)
        #expect(object["command_status_name"] as? String == "ESME_RINVMSGLEN")
    }

    @Test func nonHexInputIsRefusedWithExitOne() throws {
        let result = try Self.run(["decode", "--hex", "00zz"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not valid hex"))
    }
}
