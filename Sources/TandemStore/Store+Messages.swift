import Conversations
import Foundation
import GRDB

/// A message to append.
public struct MessageDraft: Sendable {
    public var author: String?
    public var body: String?
    public var attributes: String?
    public var media: [MediaItem]?
    public var subject: String?
    public var contentSid: String?
    public var dateCreated: UnixTime?
    public var dateUpdated: UnixTime?
    public init(author: String? = nil, body: String? = nil, attributes: String? = nil, media: [MediaItem]? = nil,
                subject: String? = nil, contentSid: String? = nil, dateCreated: UnixTime? = nil, dateUpdated: UnixTime? = nil) {
        self.author = author; self.body = body; self.attributes = attributes; self.media = media; self.subject = subject
        self.contentSid = contentSid; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// A change to a message; nil fields stay as they are.
public typealias MessageUpdate = MessageDraft

extension ConversationStore {
    /// Appends a message: the next index, the author's participant (matched by identity or
    /// address), one queued delivery receipt and one outbox row per non-chat participant
    /// other than the author — all in one transaction. A new message makes an inactive
    /// conversation active again and restarts its timers.
    public func appendMessage(service: String, conversation id: String, _ draft: MessageDraft) async throws(ConversationsError) -> Message {
        let now = clock()
        let cache = writer.appendCache
        return try await write(isAppend: true) { db in
            try Self.appendMessage(db, service: service, conversation: id, draft, now: now, cache: cache)
        }
    }

    /// Loads what an append needs about a conversation (row, next index, members).
    static func appendEntry(_ db: Database, service: String, conversation id: String) throws -> AppendCache.Entry {
        let byName = !SID.isValid(id, prefix: .conversation)
        let find = try RawStatement(db, "SELECT \(Columns.conversation), next_index FROM conversations WHERE "
                                    + (byName ? "unique_name = ?" : "sid = ?") + " AND service_sid = ?")
        find.bind(1, id)
        find.bind(2, service)
        guard try find.step() else {
            find.reset()
            throw ConversationsError.notFound("Conversation \(id)")
        }
        let conversation = Conversation(
            sid: find.text(0)!, serviceSid: find.text(1)!, messagingServiceSid: find.text(2), friendlyName: find.text(3),
            uniqueName: find.text(4), attributes: find.text(5) ?? "{}", state: ConversationState(rawValue: find.text(6) ?? "") ?? .active,
            timers: ConversationTimers(inactiveAfter: find.int64(7), closedAfter: find.int64(8), dateInactive: find.int64(9),
                                       dateClosed: find.int64(10)),
            dateCreated: find.int64(12) ?? 0, dateUpdated: find.int64(13) ?? 0, createdBy: find.text(11))
        let index = Int(find.int64(14) ?? 0)
        find.reset()
        let members = try RawStatement(db, "SELECT sid, identity, address, proxy_address FROM participants WHERE conversation_sid = ? ORDER BY rowid")
        members.bind(1, conversation.sid)
        var list: [AppendCache.Member] = []
        while try members.step() {
            list.append(.init(sid: members.text(0)!, identity: members.text(1), address: members.text(2), proxy: members.text(3)))
        }
        members.reset()
        return AppendCache.Entry(conversation: conversation, nextIndex: index, members: list)
    }

    /// `inbound`: the text came from a carrier, where the limit is the chat one (32 KiB): a long
    /// SMS the handset sent is never refused for its length.
    static func appendMessage(_ db: Database, service: String, conversation id: String, _ draft: MessageDraft, now: UnixTime,
                              cache: AppendCache, inbound: Bool = false) throws -> Message {
        let entry: AppendCache.Entry
        if let cached = cache.entry(service: service, id: id) {
            entry = cached
        } else {
            entry = try appendEntry(db, service: service, conversation: id)
            try cache.insert(entry, db: db)
        }
        var conversation = entry.conversation
        let index = entry.nextIndex
        if conversation.state == .closed { throw ConversationsError.conversationClosed(conversation.sid) }
        let participants = entry.members
        let author = draft.author ?? "system"
        let authorParticipant = participants.first { $0.identity == author || $0.address == author }
        let recipients = participants.filter { $0.address != nil && $0.sid != authorParticipant?.sid }
        if let body = draft.body {
            let hasSMS = participants.contains { $0.address != nil }
            let limit = hasSMS && !inbound ? ConversationLimits.smsBody : ConversationLimits.chatBody
            if body.count > limit {
                if hasSMS && !inbound { throw ConversationsError.bodyTooLong(limit: limit) }
                throw ConversationsError.invalidParameter("Body", "longer than \(limit) characters")
            }
        }

        if conversation.state == .inactive { conversation.state = .active }
        conversation.timers = ConversationLifecycle.schedule(conversation.timers, state: conversation.state, activityAt: now)
        conversation.dateUpdated = now

        let created = draft.dateCreated ?? now
        let message = Message(
            sid: SID.make(.message), conversationSid: conversation.sid, serviceSid: conversation.serviceSid, index: index,
            author: author, body: draft.body, attributes: draft.attributes ?? "{}", participantSid: authorParticipant?.sid,
            media: draft.media, subject: draft.subject, contentSid: draft.contentSid, dateCreated: created,
            dateUpdated: draft.dateUpdated,
            delivery: recipients.isEmpty ? nil : DeliverySummary(statuses: recipients.map { _ in DeliveryStatus.queued }))
        let media = try draft.media.map { items in
            try encodeJSON(items.map { StoredMedia(sid: $0.sid, content_type: $0.contentType, filename: $0.filename, size: $0.size) })
        }
        let insert = try RawStatement(db, """
            INSERT INTO messages(sid, conversation_sid, service_sid, idx, author, body, attributes, participant_sid, media, subject,
                content_sid, date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.run([.text(message.sid), .text(message.conversationSid), .text(message.serviceSid), .int(Int64(index)),
                        .text(author), .text(message.body), .text(message.attributes), .text(message.participantSid), .text(media),
                        .text(message.subject), .text(message.contentSid), .int(message.dateCreated), .int(message.dateUpdated)])
        for (position, recipient) in recipients.enumerated() {
            let receipt = SID.make(.deliveryReceipt)
            let addReceipt = try RawStatement(db, """
                INSERT INTO delivery_receipts(message_sid, position, sid, participant_sid, status, date_created)
                VALUES (?, ?, ?, ?, 'queued', ?)
                """)
            try addReceipt.run([.text(message.sid), .int(Int64(position)), .text(receipt), .text(recipient.sid), .int(now)])
            let enqueue = try RawStatement(db, """
                INSERT INTO outbox(message_sid, receipt_position, receipt_sid, participant_sid, address, proxy_address, body, not_before)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try enqueue.run([.text(message.sid), .int(Int64(position)), .text(receipt), .text(recipient.sid), .text(recipient.address),
                             .text(recipient.proxy), .text(message.body ?? ""), .int(now)])
        }
        // Everything this append wrote succeeded: the cache may now move on (the conversation
        // row itself is written at the end of the transaction).
        entry.conversation = conversation
        entry.nextIndex = index + 1
        cache.markDirty(entry)
        return message
    }

    static func message(_ db: Database, conversation: Conversation, _ sid: String) throws -> Message {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.message) FROM messages WHERE sid = ? AND conversation_sid = ?"),
                                         arguments: [sid, conversation.sid]) else {
            throw ConversationsError.notFound("Message \(sid)")
        }
        return try withDelivery(db, Message(row: row))
    }

    static func withDelivery(_ db: Database, _ message: Message) throws -> Message {
        let statuses = try String.fetchAll(db.cachedStatement(sql: "SELECT status FROM delivery_receipts WHERE message_sid = ?"), arguments: [message.sid])
        var message = message
        message.delivery = statuses.isEmpty ? nil : DeliverySummary(statuses: statuses.map { DeliveryStatus(rawValue: $0) ?? .queued })
        return message
    }

    public func message(service: String, conversation: String, _ sid: String) async throws(ConversationsError) -> Message {
        try await read { db in try Self.message(db, conversation: Self.conversation(db, service: service, conversation), sid) }
    }

    public func updateMessage(service: String, conversation id: String, _ sid: String, _ update: MessageUpdate) async throws(ConversationsError) -> Message {
        let now = clock()
        return try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            var message = try Self.message(db, conversation: conversation, sid)
            if let body = update.body, body.count > ConversationLimits.smsBody,
               try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM participants WHERE conversation_sid = ? AND address IS NOT NULL",
                                arguments: [conversation.sid]) ?? 0 > 0 {
                throw ConversationsError.bodyTooLong(limit: ConversationLimits.smsBody)
            }
            if let value = update.author { message.author = value }
            if let value = update.body { message.body = value }
            if let value = update.attributes { message.attributes = value }
            if let value = update.subject { message.subject = value }
            if let value = update.dateCreated { message.dateCreated = value }
            message.dateUpdated = update.dateUpdated ?? now
            try db.execute(sql: """
                UPDATE messages SET author = ?, body = ?, attributes = ?, subject = ?, date_created = ?, date_updated = ? WHERE sid = ?
                """, arguments: [message.author, message.body, message.attributes, message.subject, message.dateCreated,
                                 message.dateUpdated, message.sid])
            return message
        }
    }

    /// Deletes a message, its receipts and any outbox rows not yet delivered.
    public func deleteMessage(service: String, conversation id: String, _ sid: String) async throws(ConversationsError) {
        try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            let message = try Self.message(db, conversation: conversation, sid)
            try db.execute(sql: "DELETE FROM messages WHERE sid = ?", arguments: [message.sid])
        }
    }

    public func listMessages(service: String, conversation id: String, _ page: PageRequest) async throws(ConversationsError) -> Page<Message> {
        try await read { db in
            let conversation = try Self.conversation(db, service: service, id)
            let page = try KeysetPage(select: "SELECT \(Columns.message), idx AS _key FROM messages WHERE conversation_sid = ?",
                                      arguments: [conversation.sid], key: "idx").fetch(db, page, map: Message.init(row:))
            return Page(items: try page.items.map { try Self.withDelivery(db, $0) }, next: page.next, previous: page.previous)
        }
    }

    // MARK: receipts

    public func receipts(service: String, conversation id: String, message sid: String, _ page: PageRequest) async throws(ConversationsError) -> Page<DeliveryReceipt> {
        try await read { db in
            let conversation = try Self.conversation(db, service: service, id)
            let message = try Self.message(db, conversation: conversation, sid)
            return try KeysetPage(select: "SELECT \(Columns.receipt), position AS _key FROM delivery_receipts WHERE message_sid = ?",
                                  arguments: [message.sid], key: "position").fetch(db, page) { DeliveryReceipt(row: $0, message: message) }
        }
    }

    public func receipt(service: String, conversation id: String, message sid: String, _ receiptSid: String) async throws(ConversationsError) -> DeliveryReceipt {
        try await read { db in
            let conversation = try Self.conversation(db, service: service, id)
            let message = try Self.message(db, conversation: conversation, sid)
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.receipt) FROM delivery_receipts WHERE sid = ? AND message_sid = ?"),
                                             arguments: [receiptSid, message.sid]) else {
                throw ConversationsError.notFound("Receipt \(receiptSid)")
            }
            return DeliveryReceipt(row: row, message: message)
        }
    }

    // MARK: outbox (for the bridge)

    /// Outbox rows due at `now` with an id above `after`, oldest first (a poller passes the
    /// last id it saw to read only what is new).
    public func dueOutbox(limit: Int, after: Int64 = 0, now: UnixTime? = nil) async throws(ConversationsError) -> [OutboxEntry] {
        let now = now ?? clock()
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Columns.outbox) FROM outbox WHERE id > ? AND not_before <= ? ORDER BY id LIMIT ?"),
                             arguments: [after, now, limit])
                .map(OutboxEntry.init(row:))
        }
    }

    /// Every outbox row of a message (tests, diagnostics).
    public func outbox(message: String) async throws(ConversationsError) -> [OutboxEntry] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Columns.outbox) FROM outbox WHERE message_sid = ? ORDER BY id"), arguments: [message]).map(OutboxEntry.init(row:))
        }
    }

    /// Counts for diagnostics and the restart test: messages and outbox rows.
    public func counts() async throws(ConversationsError) -> (messages: Int, outbox: Int) {
        try await read { db in
            (try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM messages")) ?? 0, try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM outbox")) ?? 0)
        }
    }
}
