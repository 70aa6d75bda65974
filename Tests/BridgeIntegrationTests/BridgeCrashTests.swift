import Foundation
import GRDB
@testable import TandemTestSupport
import Testing

/// kill -9 of Tandem while it relays a few hundred messages a second: after a restart every
/// message the API accepted reaches the SMSC. Delivery is at least once; the test counts the
/// duplicates (messages the SMSC accepted whose acceptance Tandem had not committed yet).
@Suite(.serialized) struct BridgeCrashTests {
    @Test func everyAcceptedMessageIsDeliveredAfterKill9AndRestart() async throws {
        let smsc = try SMSCSimulator.start()
        defer { smsc.stop() }
        let database = TandemServer.temporaryDatabase("bridge-crash")
        let config = URL(fileURLWithPath: database + ".json")
        try JSONSerialization.data(withJSONObject: ["smpp": ["providers": [
            ["name": "smsc", "host": "127.0.0.1", "port": smsc.smppPort, "systemId": "tandem", "password": "secret", "window": 32],
        ]]]).write(to: config)
        let server = try TandemServer.start(database: database, extra: ["--config", config.path])
        let conversation = try #require(try await server.request("POST", "/v1/Conversations", form: "").json?["sid"] as? String)
        _ = try await server.request("POST", "/v1/Conversations/\(conversation)/Participants",
                                     form: form([("MessagingBinding.Address", "+15550005001"), ("MessagingBinding.ProxyAddress", "+15559990051")]))

        // 16 writers post for as long as the server lives; the kill lands once 150 were accepted,
        // with the others still in flight (a machine busy with other tests is slower, not wrong).
        let accepted = AcceptedBodies()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    for n in 0..<1000 {
                        let body = "crash \(writer)-\(n)"
                        guard let result = try? await server.request("POST", "/v1/Conversations/\(conversation)/Messages", form: form([("Body", body)])),
                              result.status == 201 else { return }
                        await accepted.add(body)
                    }
                }
            }
            group.addTask {
                _ = await eventually(timeout: .seconds(60)) { await accepted.count >= 150 }
                server.kill()
            }
        }
        let bodies = await accepted.bodies
        #expect(bodies.count >= 150, "only \(bodies.count) messages were accepted before the kill")

        let restarted = try TandemServer.start(database: database, extra: ["--config", config.path])
        defer { restarted.stop() }
        let queue = try DatabaseQueue(path: database)
        let drained = try await eventually(timeout: .seconds(60)) {
            try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") } == 0
        }
        #expect(drained, "the outbox never emptied after restart; log:\n\(restarted.log.suffix(2000))")
        let atSMSC = submittedTexts(try await smsc.submitted())
        let counts = Dictionary(atSMSC.map { ($0, 1) }, uniquingKeysWith: +)
        let missing = bodies.filter { counts[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) accepted messages never reached the SMSC, e.g. \(missing.prefix(5))")
        let duplicates = counts.values.filter { $0 > 1 }.count
        print("bridge crash test: \(bodies.count) accepted, \(atSMSC.count) submits at the SMSC, \(duplicates) duplicated")
        // At least once: a duplicate is a message in flight at the kill (bounded by the dispatcher's window).
        #expect(duplicates <= 256, "\(duplicates) duplicates")
    }
}

actor AcceptedBodies {
    private(set) var bodies: [String] = []
    var count: Int { bodies.count }
    func add(_ body: String) { bodies.append(body) }
}
