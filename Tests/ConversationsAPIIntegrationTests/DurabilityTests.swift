import Conversations
import Foundation
import TandemStore
@testable import TandemTestSupport
import Testing

/// Nothing accepted is lost: a message the API answered 201 for is in the database after
/// kill -9, with its outbox rows.
@Suite(.serialized) struct DurabilityTests {
    @Test func messagesAcceptedBeforeSIGKILLAreAllThereWithTheirOutboxRowsAfterRestart() async throws {
        let database = TandemServer.temporaryDatabase("restart")
        let server = try TandemServer.start(database: database)
        let conversation = try #require(try await server.request("POST", "/v1/Conversations", form: form([("FriendlyName", "restart")])).json?["sid"] as? String)
        for (address, proxy) in [("+15550000101", "+15559990101"), ("+15550000102", "+15559990102")] {
            let added = try await server.request("POST", "/v1/Conversations/\(conversation)/Participants",
                                                 form: form([("MessagingBinding.Address", address), ("MessagingBinding.ProxyAddress", proxy)]))
            #expect(added.status == 201, "\(added.text)")
        }

        // Many writers at once, and the kill lands while requests are still in flight.
        let accepted = AcceptedMessages()
        let total = 400
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<total {
                group.addTask {
                    guard let result = try? await server.request("POST", "/v1/Conversations/\(conversation)/Messages",
                                                                 form: form([("Author", "agent"), ("Body", "message \(i)")])),
                          result.status == 201, let sid = result.json?["sid"] as? String else { return }
                    await accepted.add(sid)
                }
            }
            group.addTask {
                while await accepted.count < total / 4 { try await Task.sleep(for: .milliseconds(2)) }
                server.kill()
            }
            try await group.waitForAll()
        }
        let sids = await accepted.sids
        #expect(sids.count >= total / 4, "the kill came before a quarter of the messages were accepted")

        let restarted = try TandemServer.start(database: database)
        for sid in sids {
            let fetched = try await restarted.request("GET", "/v1/Conversations/\(conversation)/Messages/\(sid)")
            #expect(fetched.status == 200, "accepted message \(sid) is missing after restart: \(fetched.text)")
        }
        restarted.stop()

        let store = try ConversationStore(path: database)
        for sid in sids {
            let rows = try await store.outbox(message: sid)
            #expect(rows.count == 2, "message \(sid) has \(rows.count) outbox rows, not one per SMS participant")
            #expect(Set(rows.map(\.address)) == ["+15550000101", "+15550000102"])
        }
        try store.close()
    }
}

actor AcceptedMessages {
    private(set) var sids: [String] = []
    var count: Int { sids.count }
    func add(_ sid: String) { sids.append(sid) }
}
