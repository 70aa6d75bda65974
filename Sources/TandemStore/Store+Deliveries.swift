import Conversations
import GRDB
import Logging

/// A delivery an SMSC accepted: which outbox row, through which provider, its parts.
public struct RecordedSubmission: Sendable {
    public var entry: OutboxEntry
    public var provider: String
    /// The parts accepted now, following the `entry.partsDone` accepted before.
    public var parts: [SubmittedPart]
    /// How many parts the message has in all.
    public var totalParts: Int
    public init(entry: OutboxEntry, provider: String, parts: [SubmittedPart], totalParts: Int? = nil) {
        self.entry = entry; self.provider = provider; self.parts = parts
        self.totalParts = totalParts ?? entry.partsDone + parts.count
    }
}

/// One part of a message as an SMSC accepted it: the keys its message id matches receipts by.
public struct SubmittedPart: Sendable, Hashable {
    public var idKeys: [String]
    public init(idKeys: [String]) { self.idKeys = idKeys }
}

extension ConversationStore {
    /// The SMSC of `provider` accepted every part of the delivery: in one transaction the
    /// parts are recorded under their message-id keys, the receipt becomes `sent` (with the
    /// provider and a channel message SID), the outbox row is gone, and receipts that arrived
    /// before this answer are applied.
    public func recordSubmission(_ entry: OutboxEntry, provider: String, parts: [SubmittedPart]) async throws(ConversationsError) {
        try await recordSubmissions([RecordedSubmission(entry: entry, provider: provider, parts: parts)])
    }

    /// Several accepted deliveries in one write request (the dispatcher batches them).
    public func recordSubmissions(_ submissions: [RecordedSubmission]) async throws(ConversationsError) {
        let now = clock()
        let channelMessages = submissions.map { _ in SID.make(.channelMessage) }
        // Touches no conversation or participant row: it may share the appends' cache.
        let logger = logger
        try await write(isAppend: true) { db in
            // Each in its own savepoint: one that cannot be recorded (its message was deleted
            // meanwhile) does not take the others with it.
            for (submission, channelMessage) in zip(submissions, channelMessages) {
                try RawStatement(db, "SAVEPOINT tandem_submission").run()
                do {
                    try Self.record(db, submission, channelMessage: channelMessage, now: now)
                    try RawStatement(db, "RELEASE SAVEPOINT tandem_submission").run()
                } catch {
                    try RawStatement(db, "ROLLBACK TRANSACTION TO SAVEPOINT tandem_submission").run()
                    try RawStatement(db, "RELEASE SAVEPOINT tandem_submission").run()
                    logger.warning("submission of message \(submission.entry.messageSid) not recorded: \(error)")
                }
            }
        }
    }

    static func record(_ db: Database, _ submission: RecordedSubmission, channelMessage: String, now: UnixTime) throws {
        let entry = submission.entry, provider = submission.provider, parts = submission.parts
        try insertParts(db, submission, now: now)
        try RawStatement(db, """
            UPDATE delivery_receipts SET status = 'sent', channel_message_sid = ?, provider = ?, date_updated = ?
            WHERE message_sid = ? AND position = ? AND status = 'queued'
            """).run([.text(channelMessage), .text(provider), .int(now), .text(entry.messageSid), .int(Int64(entry.receiptPosition))])
        try RawStatement(db, "DELETE FROM outbox WHERE id = ?").run([.int(entry.id)])
        // Receipts that came first (rare): only looked for when there are any.
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM early_receipts)")) == true else { return }
        for part in parts {
            for key in part.idKeys {
                if let early = try Row.fetchOne(db, sql: "SELECT status, error_code FROM early_receipts WHERE provider = ? AND id_key = ?",
                                                arguments: [provider, key]) {
                    for other in part.idKeys {
                        try db.execute(sql: "DELETE FROM early_receipts WHERE provider = ? AND id_key = ?", arguments: [provider, other])
                    }
                    _ = try Self.applyReceipt(db, provider: provider, keys: [key],
                                              status: DeliveryStatus(rawValue: early["status"]) ?? .sent, errorCode: early["error_code"], now: now)
                    break
                }
            }
        }
    }

    static func insertParts(_ db: Database, _ submission: RecordedSubmission, now: UnixTime) throws {
        let entry = submission.entry
        for (index, part) in submission.parts.enumerated() {
            for key in part.idKeys {
                try RawStatement(db, """
                    INSERT OR REPLACE INTO delivery_parts(provider, id_key, message_sid, receipt_position, part, parts, status, submitted)
                    VALUES (?, ?, ?, ?, ?, ?, 'sent', ?)
                    """).run([.text(submission.provider), .text(key), .text(entry.messageSid), .int(Int64(entry.receiptPosition)),
                              .int(Int64(entry.partsDone + index + 1)), .int(Int64(submission.totalParts)), .int(now)])
            }
        }
    }

    /// Some parts of a long message were accepted before a failure: they are recorded (their
    /// receipts will match), and the row waits `delay` seconds to send the rest through the
    /// same provider.
    public func recordPartialSubmission(_ submission: RecordedSubmission, delay: Int64) async throws(ConversationsError) {
        let now = clock()
        try await write(isAppend: true) { db in
            try Self.insertParts(db, submission, now: now)
            try db.execute(sql: """
                UPDATE outbox SET parts_done = ?, provider = ?, attempts = attempts + 1, not_before = ? WHERE id = ?
                """, arguments: [submission.entry.partsDone + submission.parts.count, submission.provider, now + delay, submission.entry.id])
        }
    }

    /// The delivery could not be handed over now: try again after `delay` seconds, on
    /// `provider` when given (nil leaves the choice free).
    public func rescheduleDelivery(_ entry: OutboxEntry, delay: Int64, provider: String? = nil) async throws(ConversationsError) {
        let now = clock()
        try await write(isAppend: true) { db in
            try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, not_before = ?, provider = ? WHERE id = ?",
                           arguments: [now + delay, provider, entry.id])
        }
    }

    /// The delivery failed for good: the receipt is `failed` with `errorCode`, the outbox row gone.
    public func failDelivery(_ entry: OutboxEntry, errorCode: Int) async throws(ConversationsError) {
        let now = clock()
        try await write(isAppend: true) { db in
            try db.execute(sql: """
                UPDATE delivery_receipts SET status = 'failed', error_code = ?, date_updated = ? WHERE message_sid = ? AND position = ?
                """, arguments: [errorCode, now, entry.messageSid, entry.receiptPosition])
            try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [entry.id])
        }
    }

    /// A carrier receipt for the message id whose lookup keys are `keys` (in order). Returns
    /// whether it matched a recorded part; an unmatched receipt is kept (under its first key)
    /// until its submission is recorded. A long message is `delivered` when every part is;
    /// any failed or undelivered part decides the receipt's status.
    @discardableResult
    public func applyCarrierReceipt(provider: String, keys: [String], status: DeliveryStatus, errorCode: Int) async throws(ConversationsError) -> Bool {
        let now = clock()
        // Receipts touch no conversation or participant row: they keep the appends' cache warm.
        return try await write(isAppend: true) { db in
            if try Self.applyReceipt(db, provider: provider, keys: keys, status: status, errorCode: errorCode, now: now) { return true }
            for key in keys {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO early_receipts(provider, id_key, status, error_code, received) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [provider, key, status.rawValue, errorCode, now])
            }
            return false
        }
    }

    /// Forgets receipts that never found their submission (older than `age` seconds).
    @discardableResult
    public func purgeEarlyReceipts(olderThan age: Int64) async throws(ConversationsError) -> Int {
        let cutoff = clock() - age
        return try await write(isAppend: true) { db in
            try db.execute(sql: "DELETE FROM early_receipts WHERE received < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    static func applyReceipt(_ db: Database, provider: String, keys: [String], status: DeliveryStatus, errorCode: Int, now: UnixTime) throws -> Bool {
        guard let key = try keys.first(where: { key in
            try Row.fetchOne(db, sql: "SELECT 1 FROM delivery_parts WHERE provider = ? AND id_key = ?", arguments: [provider, key]) != nil
        }), let part = try Row.fetchOne(db, sql: "SELECT message_sid, receipt_position, part FROM delivery_parts WHERE provider = ? AND id_key = ?",
                                        arguments: [provider, key]) else { return false }
        let message: String = part["message_sid"], position: Int = part["receipt_position"], number: Int = part["part"]
        try db.execute(sql: """
            UPDATE delivery_parts SET status = ?, error_code = ? WHERE message_sid = ? AND receipt_position = ? AND part = ?
            """, arguments: [status.rawValue, errorCode, message, position, number])
        // One row per key: read each part's status once.
        let statuses = try Row.fetchAll(db, sql: """
            SELECT part, status, error_code FROM delivery_parts WHERE message_sid = ? AND receipt_position = ? GROUP BY part
            """, arguments: [message, position])
        let states = statuses.map { DeliveryStatus(rawValue: $0["status"]) ?? .sent }
        let overall: DeliveryStatus
        if states.contains(.failed) { overall = .failed }
        else if states.contains(.undelivered) { overall = .undelivered }
        else if states.allSatisfy({ $0 == .delivered || $0 == .read }) { overall = .delivered }
        else { overall = .sent }
        let code = statuses.map { $0["error_code"] as Int }.first { $0 != 0 } ?? 0
        try db.execute(sql: """
            UPDATE delivery_receipts SET status = ?, error_code = ?, date_updated = ? WHERE message_sid = ? AND position = ?
            """, arguments: [overall.rawValue, code, now, message, position])
        return true
    }
}
