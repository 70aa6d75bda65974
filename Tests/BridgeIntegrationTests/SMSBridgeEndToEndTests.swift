import Foundation
import SMPP
@testable import TandemTestSupport
import Testing

/// `tandem serve` with the SMS bridge between the real SMSC simulator (smpp.twisted3) and the
/// API: carrier SMS in and out of conversations.
@Suite(.serialized) struct SMSBridgeEndToEndTests {
    struct Setup {
        let smsc: SMSCSimulator
        let server: TandemServer
    }

    func start(rejectUnrouted: Bool = true) async throws -> Setup {
        let smsc = try SMSCSimulator.start()
        let database = TandemServer.temporaryDatabase("bridge")
        let config = URL(fileURLWithPath: database + ".json")
        let json: [String: Any] = ["smpp": [
            "rejectUnrouted": rejectUnrouted,
            "providers": [["name": "smsc-a", "host": "127.0.0.1", "port": smsc.smppPort, "systemId": "tandem", "password": "secret"]],
        ]]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        let server = try TandemServer.start(database: database, extra: ["--config", config.path])
        let bound = try await eventually(timeout: .seconds(15)) { try await !smsc.binds().isEmpty }
        #expect(bound, "tandem never bound to the SMSC; log:\n\(server.log.suffix(2000))")
        return Setup(smsc: smsc, server: server)
    }

    func json(_ result: TandemServer.HTTPResult) -> [String: Any] { result.json ?? [:] }

    @Test func aTextInAutocreatesAConversationAndTheAnswerGoesOutFromTheProxyNumberWithItsReceipt() async throws {
        let s = try await start()
        defer { s.server.stop(); s.smsc.stop() }
        let configured = try await s.server.request("POST", "/v1/Configuration/Addresses", form: form([
            ("Type", "sms"), ("Address", "+15559990001"), ("AutoCreation.Enabled", "true"), ("AutoCreation.Type", "default"),
        ]))
        #expect(configured.status == 201, "\(configured.text)")

        // In: the end user texts our number (international TON, as carriers send it).
        let status = try await s.smsc.mo(source: "15550001001", destination: "15559990001", shortMessage: Array("hello tandem".utf8))
        #expect(status == 0, "the MO was not acknowledged")
        let lookup = try await s.server.request("GET", "/v1/ParticipantConversations?Address=%2B15550001001")
        let conversations = json(lookup)["conversations"] as? [[String: Any]] ?? []
        let conversation = try #require(conversations.first?["conversation_sid"] as? String, "no conversation: \(lookup.text)")
        let messages = try await s.server.request("GET", "/v1/Conversations/\(conversation)/Messages")
        let first = (json(messages)["messages"] as? [[String: Any]])?.first
        #expect(first?["body"] as? String == "hello tandem")
        #expect(first?["author"] as? String == "+15550001001")

        // Out: an agent answers through the API.
        let answer = try await s.server.request("POST", "/v1/Conversations/\(conversation)/Messages",
                                                form: form([("Author", "agent"), ("Body", "Hi! How can we help?")]))
        #expect(answer.status == 201, "\(answer.text)")
        let message = try #require(json(answer)["sid"] as? String)
        var submit: [String: Any]?
        let sent = try await eventually(timeout: .seconds(10)) {
            submit = try await s.smsc.submitted().first { $0["destination_addr"] as? String == "15550001001" }
            return submit != nil
        }
        #expect(sent, "no submit_sm reached the SMSC; log:\n\(s.server.log.suffix(2000))")
        #expect(submit?["source_addr"] as? String == "15559990001", "not sent from the proxy number")
        #expect(submit?["source_addr_ton"] as? Int == 1)
        #expect(submit?["registered_delivery"] as? Int == 1)
        #expect(submit?["data_coding"] as? Int == 0, "GSM 7-bit text went out in another coding")
        let smscID = try #require(submit?["message_id"] as? String)

        let sentStatus = try await eventually {
            let receipts = try await s.server.request("GET", "/v1/Conversations/\(conversation)/Messages/\(message)/Receipts")
            return (self.json(receipts)["delivery_receipts"] as? [[String: Any]])?.first?["status"] as? String == "sent"
        }
        #expect(sentStatus)

        // The carrier's receipt (decimal id in the text, as SMSCs send it) makes it delivered.
        _ = try await s.smsc.control("POST", "/receipt", ["message_id": smscID, "stat": "DELIVRD"])
        let delivered = try await eventually {
            let fetched = try await s.server.request("GET", "/v1/Conversations/\(conversation)/Messages/\(message)")
            return (self.json(fetched)["delivery"] as? [String: Any])?["delivered"] as? String == "all"
        }
        #expect(delivered, "the receipt did not reach the message; log:\n\(s.server.log.suffix(2000))")

        // The official client sees the same.
        let seen = try officialClientDeliveryStatus(server: s.server, conversation: conversation, message: message)
        #expect((seen["delivery"] as? [String: Any])?["delivered"] as? String == "all", "\(seen)")
        let receipts = seen["receipts"] as? [[String: Any]] ?? []
        #expect(receipts.map { $0["status"] as? String } == ["delivered"], "\(seen)")
        #expect((receipts.first?["channel_message_sid"] as? String)?.hasPrefix("SM") == true)
    }

    /// Runs scripts/api/delivery_status.py (the official `twilio` library) and returns its JSON.
    func officialClientDeliveryStatus(server: TandemServer, conversation: String, message: String) throws -> [String: Any] {
        let root = TandemServer.repositoryRoot
        let process = Process()
        process.executableURL = root.appendingPathComponent(".venv/bin/python")
        process.arguments = [root.appendingPathComponent("scripts/api/delivery_status.py").path, conversation, message]
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_URL"] = server.baseURL
        environment["TANDEM_ACCOUNT_SID"] = TandemServer.accountSid
        environment["TANDEM_AUTH_TOKEN"] = TandemServer.authToken
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? ["output": String(decoding: data, as: UTF8.self)]
    }

    @Test func twoSMSParticipantsRelayLongUCS2TextsThroughTheirOwnProxyNumbers() async throws {
        let s = try await start()
        defer { s.server.stop(); s.smsc.stop() }
        let conversation = try #require(json(try await s.server.request("POST", "/v1/Conversations", form: "")).sid)
        for (address, proxy) in [("+15550002001", "+15559990011"), ("+15550002002", "+15559990012")] {
            let added = try await s.server.request("POST", "/v1/Conversations/\(conversation)/Participants",
                                                   form: form([("MessagingBinding.Address", address), ("MessagingBinding.ProxyAddress", proxy)]))
            #expect(added.status == 201, "\(added.text)")
        }
        // Each way: a long UCS-2 text from one participant, its parts sent in reverse order,
        // arrives whole at the other, from that one's own proxy number, and never back.
        let first = (address: "15550002001", proxy: "15559990011"), second = (address: "15550002002", proxy: "15559990012")
        for (from, to, reference) in [(first, second, UInt8(0x2A)), (second, first, UInt8(0x2B))] {
            let text = String(repeating: "Привет, Tandem! 🚀 \(reference) ", count: 8)
            let units = Array(text.utf16)
            let bytes = units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            let chunks = stride(from: 0, to: bytes.count, by: 132).map { Array(bytes[$0..<min($0 + 132, bytes.count)]) }
            for (i, chunk) in chunks.enumerated().reversed() {
                let udh: [UInt8] = [0x05, 0x00, 0x03, reference, UInt8(chunks.count), UInt8(i + 1)]
                let status = try await s.smsc.mo(source: from.address, destination: from.proxy, dataCoding: 8, esmClass: 0x40,
                                                 shortMessage: udh + chunk)
                #expect(status == 0)
            }
            var parts: [[String: Any]] = []
            let relayed = try await eventually(timeout: .seconds(10)) {
                parts = try await s.smsc.submitted().filter { $0["destination_addr"] as? String == to.address }
                // Every part named by the UDH's total (octet 4 of the short message).
                guard let udh = parts.first?.shortMessage, udh.count > 4 else { return false }
                return parts.count >= Int(udh[4])
            }
            #expect(relayed, "the text was not relayed; log:\n\(s.server.log.suffix(2000))")
            #expect(parts.allSatisfy { $0["source_addr"] as? String == to.proxy && $0["data_coding"] as? Int == 8 })
            let payload = parts.flatMap { part -> [UInt8] in
                let raw = part.shortMessage
                return Array(raw.dropFirst(Int(raw.first ?? 0) + 1))  // strip the UDH
            }
            let received = String(decoding: stride(from: 0, to: payload.count - 1, by: 2).map { UInt16(payload[$0]) << 8 | UInt16(payload[$0 + 1]) },
                                  as: UTF16.self)
            #expect(received == text)
            _ = try await s.smsc.control("POST", "/reset")
        }
        let listed = try await s.server.request("GET", "/v1/Conversations/\(conversation)/Messages")
        #expect((json(listed)["messages"] as? [[String: Any]])?.map { $0["author"] as? String } == ["+15550002001", "+15550002002"])
    }

    @Test func anUnroutedTextIsRefusedSoTheSMSCRetriesIt() async throws {
        let s = try await start(rejectUnrouted: true)
        defer { s.server.stop(); s.smsc.stop() }
        let status = try await s.smsc.mo(source: "15550009999", destination: "15559990099", shortMessage: Array("anyone?".utf8))
        #expect(status == 0x64, "expected ESME_RX_T_APPN, got \(status)")
    }
}

private extension [String: Any] {
    var sid: String? { self["sid"] as? String }
}
