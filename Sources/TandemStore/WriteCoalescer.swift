import Foundation
import GRDB

/// Group commit: write requests that arrive while a transaction is running wait and then run
/// together in the next one, each in its own savepoint. A request's failure rolls back its
/// savepoint only; a failed commit fails every request of the batch. Callers resume only
/// after the commit, so "answered" means "on disk" (to the configured ``Durability``).
final class WriteCoalescer: @unchecked Sendable {
    private struct Job {
        var run: (Database) throws -> any Sendable
        var resume: (Result<any Sendable, any Error>) -> Void
        /// Message appends may use the writer's ``AppendCache``; any other write first flushes
        /// and clears it, so it always reads what the appends wrote.
        var isAppend: Bool
    }

    /// State the appends of consecutive batches share (only ever touched on the writer queue).
    let appendCache = AppendCache()

    private let pool: DatabasePool
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    private var transactions = 0
    private var jobs = 0
    private var writerCPUNanoseconds: UInt64 = 0

    /// Transactions committed, requests they carried (the average batch is jobs/transactions),
    /// and the CPU time the writer thread spent on them.
    var statistics: (transactions: Int, jobs: Int, cpuNanoseconds: UInt64) {
        lock.lock(); defer { lock.unlock() }
        return (transactions, jobs, writerCPUNanoseconds)
    }

    private static func threadCPUTime() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
    private let queue = DispatchQueue(label: "tandem.store.writer", qos: .userInitiated)
    /// The largest batch one transaction takes (keeps commit latency bounded under load).
    private let maxBatch = 512

    init(pool: DatabasePool) { self.pool = pool }

    func write<T: Sendable>(isAppend: Bool = false, _ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(run: { db in try work(db) }, resume: { result in
                continuation.resume(with: result.map { $0 as! T })
            }, isAppend: isAppend)
            lock.lock()
            pending.append(job)
            let start = !draining
            draining = true
            lock.unlock()
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            lock.lock()
            if pending.isEmpty {
                draining = false
                lock.unlock()
                return
            }
            let take = min(pending.count, maxBatch)
            let batch = Array(pending.prefix(take))
            pending.removeFirst(take)
            transactions += 1
            jobs += take
            lock.unlock()
            let start = Self.threadCPUTime()
            run(batch)
            let spent = Self.threadCPUTime() - start
            lock.lock()
            writerCPUNanoseconds += spent
            lock.unlock()
        }
    }

    private func run(_ batch: [Job]) {
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    // Savepoint statements prepared once (GRDB's inSavepoint prepares them per call).
                    for job in batch {
                        if !job.isAppend { try appendCache.flush(db, clear: true) }
                        try RawStatement(db, "SAVEPOINT tandem_request").run()
                        do {
                            let value = try job.run(db)
                            try RawStatement(db, "RELEASE SAVEPOINT tandem_request").run()
                            results.append(.success(value))
                        } catch {
                            try RawStatement(db, "ROLLBACK TRANSACTION TO SAVEPOINT tandem_request").run()
                            try RawStatement(db, "RELEASE SAVEPOINT tandem_request").run()
                            results.append(.failure(error))
                        }
                    }
                    try appendCache.flush(db, clear: false)
                    return .commit
                }
            }
        } catch {
            appendCache.clear()
            results = batch.map { _ in .failure(error) }
        }
        for (job, result) in zip(batch, results) { job.resume(result) }
    }
}
