import ArgumentParser
import Conversations
import Foundation
import TandemStore

/// Message appends per second through the store alone: what the API's durable create costs
/// once HTTP is taken away. Each append is the real one (message row, receipt and outbox row
/// per SMS participant, conversation index bump) and returns only after its commit.
struct BenchStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Durable message appends per second through the SQLite store (group commit)."
    )

    @Option(help: "Appends per round.")
    var messages = 100_000

    @Option(help: "Concurrent writers (each awaits its own commit, as API requests do).")
    var concurrency = 256

    @Option(help: "Conversations the writers spread over; each has one SMS participant.")
    var conversations = 64

    @Option(help: "full (fsync per group commit) or normal.")
    var durability = "full"

    @Option(help: "Timed rounds; the best is reported.")
    var rounds = 3

    @Option(help: "Database file (default: a fresh temporary file, removed afterwards).")
    var database: String?

    func validate() throws {
        guard messages > 0, concurrency > 0, conversations > 0, rounds > 0 else {
            throw ValidationError("--messages, --concurrency, --conversations and --rounds must be positive")
        }
        guard Durability(rawValue: durability) != nil else { throw ValidationError("--durability must be full or normal") }
    }

    func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless. Use: swift build -c release && .build/release/tandem bench store")
        #endif
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-bench-store-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if database == nil { try? FileManager.default.removeItem(at: directory) } }
        let path = database ?? directory.appendingPathComponent("bench.db").path
        let store = try ConversationStore(path: path, durability: Durability(rawValue: durability)!)
        let service = store.defaultServiceSid
        var sids: [String] = []
        for i in 0..<conversations {
            let c = try await store.createConversation(service: service, ConversationDraft(friendlyName: "bench \(i)"))
            _ = try await store.addParticipant(service: service, conversation: c.sid,
                                               ParticipantDraft(address: "+1555\(String(format: "%07d", i))", proxyAddress: "+15559990000"))
            sids.append(c.sid)
        }
        let targets = sids
        print("store appends: \(messages) per round, \(concurrency) concurrent writers, \(conversations) conversations, durability \(durability), \(rounds) rounds")
        var best = 0.0
        for round in 1...rounds {
            let perWriter = messages / concurrency
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<concurrency {
                    group.addTask {
                        for n in 0..<perWriter {
                            let target = targets[(writer + n) % targets.count]
                            _ = try await store.appendMessage(service: service, conversation: target,
                                                              MessageDraft(author: "agent", body: "benchmark message \(n) from writer \(writer)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(perWriter * concurrency) / seconds
            best = max(best, rate)
            print("round \(round): \(perWriter * concurrency) appends in \(String(format: "%.2f", seconds)) s = \(Int(rate)) appends/s")
        }
        let counts = try await store.counts()
        let batches = store.writeStatistics
        print("rows: \(counts.messages) messages, \(counts.outbox) outbox rows; \(batches.transactions) write transactions, \(batches.requests / max(batches.transactions, 1)) requests per commit on average")
        // The writer is the one serial resource: its CPU per append is the steady figure on a busy machine.
        let perAppend = Double(batches.writerCPUNanoseconds) / Double(max(batches.requests, 1)) / 1000
        print("writer thread CPU per append: \(String(format: "%.1f", perAppend)) µs (a ceiling of \(Int(1_000_000 / perAppend)) appends/s)")
        try store.close()
        print("store appends/s: \(Int(best))")
    }
}
