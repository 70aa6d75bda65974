import Conversations
import Foundation
import GRDB
import Logging

/// An inbound SMS as the bridge hands it over: from the end user's `source` to our
/// `destination`, whole or one part of a long message.
public struct InboundSMS: Sendable, Hashable {
    /// One part of a long message (3GPP concatenation or SAR): parts share the scheme and reference.
    public struct Part: Sendable, Hashable {
        public var scheme: UInt8
        public var reference: Int
        public var total: Int
        public var sequence: Int
        public init(scheme: UInt8, reference: Int, total: Int, sequence: Int) {
            self.scheme = scheme; self.reference = reference; self.total = total; self.sequence = sequence
        }
    }

    public var source: String
    public var destination: String
    public var dataCoding: UInt8
    /// The user data without any header.
    public var payload: [UInt8]
    public var part: Part?

    public init(source: String, destination: String, dataCoding: UInt8, payload: [UInt8], part: Part? = nil) {
        self.source = source; self.destination = destination; self.dataCoding = dataCoding; self.payload = payload; self.part = part
    }
}

/// What happened to an inbound SMS.
public enum InboundOutcome: Sendable, Hashable {
    /// Appended to a conversation (`created`: the conversation was autocreated for it).
    case appended(conversation: String, message: String, created: Bool)
    /// A part of a long message, stored until the others arrive.
    case waitingForParts(received: Int, total: Int)
    /// No open binding and no address configuration that autocreates: dropped (nothing stored).
    case unrouted
    /// Acknowledged and dropped: its data coding has no text (binary), or its parts do not add up.
    case dropped(reason: String)
}

/// Refusal of an inbound message nobody takes, under the `reject` policy: nothing was stored and
/// the SMSC should offer it again later.
public struct InboundUnrouted: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var destination: String
    public var description: String { "no conversation and no autocreating address configuration for \(source) → \(destination)" }
}

extension ConversationStore {
    /// Takes an inbound SMS in one transaction (so the SMSC may be acknowledged when it returns):
    /// 1. a part of a long message is stored; until every part is here nothing else happens;
    /// 2. the whole text (parts in sequence order, decoded by `decode`) goes to the open
    ///    conversation whose binding is (source, destination), authored by that participant;
    /// 3. without one, an enabled sms Address Configuration for `destination` creates the
    ///    conversation in its service, adds the sender with that binding (and, for the webhook
    ///    type, a conversation webhook with its URL, method and filters), then appends;
    /// 4. otherwise `rejectUnrouted` throws ``InboundUnrouted`` (nothing stored, the part
    ///    included), or the message is dropped and ``InboundOutcome/unrouted`` returned.
    public func receiveInbound(_ sms: InboundSMS, rejectUnrouted: Bool,
                               decode: @escaping @Sendable (_ payload: [UInt8], _ dataCoding: UInt8) -> String?) async throws -> InboundOutcome {
        let now = clock()
        let cache = writer.appendCache
        // The common case — a whole message from a bound sender — is an append: the binding is
        // looked up (and remembered) by the writer, with the appends' cache.
        if sms.part == nil, let text = decode(sms.payload, sms.dataCoding), !text.isEmpty {
            let fast = try await writer.write(isAppend: true) { db -> InboundOutcome? in
                let key = sms.source + "\u{0}" + sms.destination
                var target = cache.bindings[key]
                if target == nil {
                    target = try Self.openBinding(db, address: sms.source, proxyAddress: sms.destination)
                    if let target { cache.bindings[key] = target }
                }
                guard let (service, conversation) = target else { return nil }
                do {
                    let message = try Self.appendMessage(db, service: service, conversation: conversation,
                                                         MessageDraft(author: sms.source, body: text), now: now, cache: cache, inbound: true)
                    return .appended(conversation: conversation, message: message.sid, created: false)
                } catch let error as ConversationsError where error.code == 50377 || error.code == 20404 {
                    // Closed or deleted meanwhile: the full routing below decides.
                    cache.bindings[key] = nil
                    return nil
                }
            }
            if let fast { return fast }
        }
        let defaultService = defaultServiceSid
        do {
            return try await writer.write { db -> InboundOutcome in
                var text = decode(sms.payload, sms.dataCoding)
                // Concatenation data that cannot describe a long message (total < 2, sequence out
                // of 1...total) is ignored: the part is taken as a whole message.
                if let part = sms.part, part.total >= 2, (1...part.total).contains(part.sequence) {
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO inbound_segments(source, destination, scheme, reference, total, sequence, data_coding, payload, received)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [sms.source, sms.destination, part.scheme, part.reference, part.total, part.sequence,
                                         sms.dataCoding, Data(sms.payload), now])
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT sequence, data_coding, payload FROM inbound_segments
                        WHERE source = ? AND destination = ? AND scheme = ? AND reference = ? AND total = ? ORDER BY sequence
                        """, arguments: [sms.source, sms.destination, part.scheme, part.reference, part.total])
                    if rows.count < part.total { return .waitingForParts(received: rows.count, total: part.total) }
                    try db.execute(sql: """
                        DELETE FROM inbound_segments WHERE source = ? AND destination = ? AND scheme = ? AND reference = ? AND total = ?
                        """, arguments: [sms.source, sms.destination, part.scheme, part.reference, part.total])
                    let codings = Set(rows.map { $0["data_coding"] as Int })
                    if codings.count == 1 {
                        text = decode(rows.flatMap { [UInt8]($0["payload"] as Data) }, sms.dataCoding)
                    } else {
                        // Parts in different codings: each decoded on its own.
                        let texts = rows.map { decode([UInt8]($0["payload"] as Data), UInt8($0["data_coding"] as Int)) }
                        text = texts.contains { $0 == nil } ? nil : texts.compactMap { $0 }.joined()
                    }
                }
                guard let text, !text.isEmpty else {
                    return .dropped(reason: "data_coding \(sms.dataCoding) carries no text, or the message is empty")
                }

                // 2. An open binding.
                if let (service, conversation) = try Self.openBinding(db, address: sms.source, proxyAddress: sms.destination) {
                    try cache.flush(db, clear: true)
                    let message = try Self.appendMessage(db, service: service, conversation: conversation,
                                                         MessageDraft(author: sms.source, body: text), now: now, cache: cache, inbound: true)
                    try cache.flush(db, clear: true)
                    return .appended(conversation: conversation, message: message.sid, created: false)
                }

                // 3. Autocreation.
                if let row = try Row.fetchOne(db, sql: "SELECT \(Columns.address) FROM address_configurations WHERE type = 'sms' AND address = ?",
                                              arguments: [sms.destination]) {
                    let configuration = AddressConfiguration(row: row)
                    if configuration.autoCreation.enabled {
                        let service = configuration.autoCreation.conversationServiceSid ?? defaultService
                        let conversation = try Self.insertConversation(db, service: service, ConversationDraft(createdBy: sms.source), now: now)
                        _ = try Self.insertParticipant(db, conversation: conversation,
                                                       ParticipantDraft(address: sms.source, proxyAddress: sms.destination), now: now)
                        if configuration.autoCreation.type == "webhook", let url = configuration.autoCreation.webhookUrl {
                            try db.execute(sql: """
                                INSERT INTO webhooks(sid, conversation_sid, service_sid, target, url, method, filters, triggers, date_created, date_updated)
                                VALUES (?, ?, ?, 'webhook', ?, ?, ?, '[]', ?, ?)
                                """, arguments: [SID.make(.webhook), conversation.sid, service, url,
                                                 (configuration.autoCreation.webhookMethod ?? "post").lowercased(),
                                                 encodeList(configuration.autoCreation.webhookFilters), now, now])
                        }
                        try cache.flush(db, clear: true)
                        let message = try Self.appendMessage(db, service: service, conversation: conversation.sid,
                                                             MessageDraft(author: sms.source, body: text), now: now, cache: cache, inbound: true)
                        try cache.flush(db, clear: true)
                        return .appended(conversation: conversation.sid, message: message.sid, created: true)
                    }
                }

                // 4. Nobody takes it.
                if rejectUnrouted { throw InboundUnrouted(source: sms.source, destination: sms.destination) }
                return .unrouted
            }
        } catch let error as InboundUnrouted {
            throw error
        } catch let error as ConversationsError {
            throw error
        } catch {
            logger.error("store write failed: \(error)")
            throw ConversationsError.storeFailed
        }
    }

    /// The open conversation (in any service, the oldest binding first) an inbound message from
    /// `address` to our `proxyAddress` belongs to.
    static func openBinding(_ db: Database, address: String, proxyAddress: String) throws -> (service: String, conversation: String)? {
        let lookup = try RawStatement(db, """
            SELECT service_sid, conversation_sid FROM participants WHERE address = ? AND proxy_address = ? AND binding_open = 1
            ORDER BY rowid LIMIT 1
            """)
        lookup.bind(1, address)
        lookup.bind(2, proxyAddress)
        defer { lookup.reset() }
        return try lookup.step() ? (lookup.text(0)!, lookup.text(1)!) : nil
    }

    /// Forgets parts of long messages whose other parts never came (older than `age` seconds).
    @discardableResult
    public func purgeStaleSegments(olderThan age: Int64) async throws(ConversationsError) -> Int {
        let cutoff = clock() - age
        return try await write { db in
            try db.execute(sql: "DELETE FROM inbound_segments WHERE received < ?", arguments: [cutoff])
            return db.changesCount
        }
    }
}
