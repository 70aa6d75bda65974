import Foundation
import GRDB
@testable import TandemTestSupport
import Testing

/// Two SMSCs in the provider pool: the preferred one refuses or dies, the other takes over,
/// and the conversation never notices.
@Suite(.serialized) struct ProviderFailoverTests {
    struct Pool {
        let first: SMSCSimulator
        let second: SMSCSimulator
        let server: TandemServer
        let database: String
    }

    func start() async throws -> Pool {
        let first = try SMSCSimulator.start(), second = try SMSCSimulator.start()
        let database = TandemServer.temporaryDatabase("failover")
        let config = URL(fileURLWithPath: database + ".json")
        let provider: (String, SMSCSimulator, Int) -> [String: Any] = { name, smsc, priority in
            ["name": name, "host": "127.0.0.1", "port": smsc.smppPort, "systemId": "tandem", "password": "secret",
             "priority": priority, "window": 32]
        }
        try JSONSerialization.data(withJSONObject: ["smpp": ["providers": [provider("first", first, 1), provider("second", second, 2)]]])
            .write(to: config)
        let server = try TandemServer.start(database: database, extra: ["--config", config.path])
        let bound = try await eventually(timeout: .seconds(15)) {
            let a = try await first.binds(), b = try await second.binds()
            return !a.isEmpty && !b.isEmpty
        }
        #expect(bound, "not bound to both SMSCs; log:\n\(server.log.suffix(2000))")
        return Pool(first: first, second: second, server: server, database: database)
    }

    func conversationWithOneSMSParticipant(_ server: TandemServer) async throws -> String {
        let conversation = try #require(try await server.request("POST", "/v1/Conversations", form: "").json?["sid"] as? String)
        let added = try await server.request("POST", "/v1/Conversations/\(conversation)/Participants",
                                             form: form([("MessagingBinding.Address", "+15550004001"), ("MessagingBinding.ProxyAddress", "+15559990041")]))
        #expect(added.status == 201, "\(added.text)")
        return conversation
    }

    func texts(_ submits: [[String: Any]], accepted: Bool = true) -> [String] { submittedTexts(submits, accepted: accepted) }

    @Test func aFailOverStatusSendsEveryMessageToTheNextSMSCExactlyOnce() async throws {
        let pool = try await start()
        defer { pool.server.stop(); pool.first.stop(); pool.second.stop() }
        // The preferred SMSC answers ESME_RSYSERR (a fail-over status) to everything.
        _ = try await pool.first.control("POST", "/inject", ["command_status": 8, "count": 1000])
        let conversation = try await conversationWithOneSMSParticipant(pool.server)
        let bodies = (1...20).map { "failover message \($0)" }
        for body in bodies {
            let created = try await pool.server.request("POST", "/v1/Conversations/\(conversation)/Messages", form: form([("Body", body)]))
            #expect(created.status == 201)
        }
        let arrived = try await eventually(timeout: .seconds(20)) { try await self.texts(pool.second.submitted()).count >= bodies.count }
        #expect(arrived, "log:\n\(pool.server.log.suffix(2000))")
        let atSecond = texts(try await pool.second.submitted())
        #expect(atSecond.sorted() == bodies.sorted(), "each message exactly once at the second SMSC")
        #expect(texts(try await pool.first.submitted()).isEmpty, "the first SMSC accepted something")
        #expect(texts(try await pool.first.submitted(), accepted: false).count >= bodies.count)
        // The conversation shows one message each, all sent.
        let listed = try await pool.server.request("GET", "/v1/Conversations/\(conversation)/Messages?PageSize=100")
        let messages = listed.json?["messages"] as? [[String: Any]] ?? []
        #expect(messages.count == bodies.count)
        #expect(messages.allSatisfy { (($0["delivery"] as? [String: Any])?["sent"] as? String) == "all" })
    }

    @Test func aRetrySameStatusBringsTheMessageBackToTheSameSMSC() async throws {
        let pool = try await start()
        defer { pool.server.stop(); pool.first.stop(); pool.second.stop() }
        // The preferred SMSC fails over once (ESME_RSYSERR); the second answers ESME_RX_T_APPN
        // once: "ask me again", not "ask someone else". The retry must go back to the second,
        // although a free choice would now pick the preferred one.
        _ = try await pool.first.control("POST", "/inject", ["command_status": 0x08, "count": 1])
        _ = try await pool.second.control("POST", "/inject", ["command_status": 0x64, "count": 1])
        let conversation = try await conversationWithOneSMSParticipant(pool.server)
        let created = try await pool.server.request("POST", "/v1/Conversations/\(conversation)/Messages", form: form([("Body", "same again")]))
        #expect(created.status == 201)
        let accepted = try await eventually(timeout: .seconds(20)) { try await self.texts(pool.second.submitted()) == ["same again"] }
        #expect(accepted, "the retry did not come back to the second SMSC; log:\n\(pool.server.log.suffix(2000))")
        #expect(texts(try await pool.second.submitted(), accepted: false) == ["same again"])
        #expect(texts(try await pool.first.submitted()).isEmpty, "the retry went to the preferred SMSC instead of the one that asked")
        #expect(texts(try await pool.first.submitted(), accepted: false) == ["same again"])
    }

    @Test func anSMSCKilledMidWindowLosesNothingAndTheOtherTakesTheRestOnce() async throws {
        let pool = try await start()
        defer { pool.server.stop(); pool.second.stop() }
        let conversation = try await conversationWithOneSMSParticipant(pool.server)
        let total = 300
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...total {
                group.addTask {
                    let created = try await pool.server.request("POST", "/v1/Conversations/\(conversation)/Messages",
                                                                form: form([("Body", "load \(n)")]))
                    #expect(created.status == 201)
                }
            }
            group.addTask {
                _ = try await eventually(timeout: .seconds(20)) { try await pool.first.submitted().count >= 30 }
                pool.first.kill()
            }
            try await group.waitForAll()
        }
        // Every message ends up sent, by one provider or the other.
        let database = try DatabaseQueue(path: pool.database)
        let done = try await eventually(timeout: .seconds(60)) {
            try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") } == 0
        }
        #expect(done, "the outbox never emptied; log:\n\(pool.server.log.suffix(3000))")
        let byProvider = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT provider, status, COUNT(*) AS n FROM delivery_receipts GROUP BY provider, status")
                .map { (($0["provider"] as String?) ?? "none", $0["status"] as String, $0["n"] as Int) }
        }
        #expect(byProvider.allSatisfy { $0.1 == "sent" }, "\(byProvider)")
        #expect(byProvider.reduce(0) { $0 + $1.2 } == total)
        let second = texts(try await pool.second.submitted())
        #expect(Set(second).count == second.count, "the second SMSC got a duplicate")
        let recordedSecond = byProvider.first { $0.0 == "second" }?.2 ?? 0
        #expect(second.count == recordedSecond, "the second SMSC accepted \(second.count), Tandem recorded \(recordedSecond)")
        #expect(recordedSecond > 0, "nothing failed over")
    }
}
