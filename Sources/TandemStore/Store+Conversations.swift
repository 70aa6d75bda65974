import Conversations
import GRDB

/// What a client asks for when it creates a conversation (validated by the API layer's
/// parsing and again here where a rule spans rows).
public struct ConversationDraft: Sendable {
    public var friendlyName: String?
    public var uniqueName: String?
    public var attributes: String?
    public var messagingServiceSid: String?
    public var state: ConversationState?
    public var inactiveAfter: Int64?
    public var closedAfter: Int64?
    public var dateCreated: UnixTime?
    public var dateUpdated: UnixTime?
    public var createdBy: String?
    public init(friendlyName: String? = nil, uniqueName: String? = nil, attributes: String? = nil, messagingServiceSid: String? = nil,
                state: ConversationState? = nil, inactiveAfter: Int64? = nil, closedAfter: Int64? = nil,
                dateCreated: UnixTime? = nil, dateUpdated: UnixTime? = nil, createdBy: String? = nil) {
        self.friendlyName = friendlyName; self.uniqueName = uniqueName; self.attributes = attributes
        self.messagingServiceSid = messagingServiceSid; self.state = state; self.inactiveAfter = inactiveAfter
        self.closedAfter = closedAfter; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated; self.createdBy = createdBy
    }
}

/// A change to a conversation; nil fields stay as they are.
public typealias ConversationUpdate = ConversationDraft

/// A participant to add: a chat `identity`, or an `address` reached through `proxyAddress`.
public struct ParticipantDraft: Sendable {
    public var identity: String?
    public var address: String?
    public var proxyAddress: String?
    public var projectedAddress: String?
    public var attributes: String?
    public var roleSid: String?
    public var dateCreated: UnixTime?
    public var dateUpdated: UnixTime?
    public init(identity: String? = nil, address: String? = nil, proxyAddress: String? = nil, projectedAddress: String? = nil,
                attributes: String? = nil, roleSid: String? = nil, dateCreated: UnixTime? = nil, dateUpdated: UnixTime? = nil) {
        self.identity = identity; self.address = address; self.proxyAddress = proxyAddress; self.projectedAddress = projectedAddress
        self.attributes = attributes; self.roleSid = roleSid; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// A change to a participant; nil fields stay as they are.
public struct ParticipantUpdate: Sendable {
    public var identity: String?
    public var proxyAddress: String?
    public var projectedAddress: String?
    public var attributes: String?
    public var roleSid: String?
    public var lastReadMessageIndex: Int?
    public var lastReadTimestamp: String?
    public var notificationLevel: String?
    public var dateCreated: UnixTime?
    public var dateUpdated: UnixTime?
    /// Sets the read horizon (index and timestamp) back to null.
    public var clearReadHorizon = false
    public init(identity: String? = nil, proxyAddress: String? = nil, projectedAddress: String? = nil, attributes: String? = nil,
                roleSid: String? = nil, lastReadMessageIndex: Int? = nil, lastReadTimestamp: String? = nil,
                notificationLevel: String? = nil, dateCreated: UnixTime? = nil, dateUpdated: UnixTime? = nil) {
        self.identity = identity; self.proxyAddress = proxyAddress; self.projectedAddress = projectedAddress
        self.attributes = attributes; self.roleSid = roleSid; self.lastReadMessageIndex = lastReadMessageIndex
        self.lastReadTimestamp = lastReadTimestamp; self.notificationLevel = notificationLevel
        self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// Filters of the conversation list.
public struct ConversationFilter: Sendable {
    public var state: ConversationState?
    public var createdFrom: UnixTime?
    public var createdUntil: UnixTime?
    public init(state: ConversationState? = nil, createdFrom: UnixTime? = nil, createdUntil: UnixTime? = nil) {
        self.state = state; self.createdFrom = createdFrom; self.createdUntil = createdUntil
    }
}

extension ConversationStore {
    // MARK: services

    public func createService(friendlyName: String) async throws(ConversationsError) -> Service {
        let now = clock()
        let sid = SID.make(.service)
        return try await write { db in
            try Self.insertService(db, sid: sid, friendlyName: friendlyName, now: now)
            return Service(sid: sid, friendlyName: friendlyName, dateCreated: now, dateUpdated: now)
        }
    }

    public func service(_ sid: String) async throws(ConversationsError) -> Service {
        try await read { db in try Self.service(db, sid) }
    }

    static func service(_ db: Database, _ sid: String) throws -> Service {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM services WHERE sid = ?"), arguments: [sid]) else {
            throw ConversationsError.notFound("Service \(sid)")
        }
        return Service(row: row)
    }

    public func listServices(_ page: PageRequest) async throws(ConversationsError) -> Page<Service> {
        try await read { db in
            try KeysetPage(select: "SELECT *, rowid AS _key FROM services", arguments: [], key: "rowid").fetch(db, page, map: Service.init(row:))
        }
    }

    /// Deletes a service and everything in it. The default service cannot be deleted.
    public func deleteService(_ sid: String) async throws(ConversationsError) {
        if sid == defaultServiceSid {
            throw ConversationsError.invalidParameter("Sid", "the default service cannot be deleted")
        }
        try await write { db in
            _ = try Self.service(db, sid)
            try db.execute(sql: "DELETE FROM services WHERE sid = ?", arguments: [sid])
        }
    }

    // MARK: conversations

    /// Creates a conversation and, in the same transaction, its initial participants
    /// (ConversationWithParticipants): either all of it is written or none.
    public func createConversation(service: String, _ draft: ConversationDraft, participants: [ParticipantDraft] = [])
        async throws(ConversationsError) -> Conversation {
        let now = clock()
        return try await write { db in
            let conversation = try Self.insertConversation(db, service: service, draft, now: now)
            for participant in participants {
                do {
                    _ = try Self.insertParticipant(db, conversation: conversation, participant, now: now)
                } catch let error as ConversationsError where error.code == 50416 {
                    throw ConversationsError.bindingInUseAtCreation(address: participant.address ?? "", proxyAddress: participant.proxyAddress ?? "")
                }
            }
            return conversation
        }
    }

    static func insertConversation(_ db: Database, service: String, _ draft: ConversationDraft, now: UnixTime) throws -> Conversation {
        let sid = SID.make(.conversation)
        _ = try Self.service(db, service)
        let state = draft.state ?? .active
        if state == .closed { throw ConversationsError.initialStateClosed }
        if let unique = draft.uniqueName, try Self.conversationRow(db, service: service, uniqueName: unique) != nil {
            throw ConversationsError.uniqueNameInUse(unique)
        }
        let defaults = try Self.loadSetting(db, key: "account", as: AccountConfiguration.self)
        let inactiveAfter = draft.inactiveAfter ?? defaults?.defaultInactiveTimer.flatMap(ISODuration.parse)
        let closedAfter = draft.closedAfter ?? defaults?.defaultClosedTimer.flatMap(ISODuration.parse)
        let created = draft.dateCreated ?? now
        let timers = ConversationLifecycle.schedule(
            ConversationTimers(inactiveAfter: inactiveAfter, closedAfter: closedAfter), state: state, activityAt: now)
        let conversation = Conversation(
            sid: sid, serviceSid: service, messagingServiceSid: draft.messagingServiceSid, friendlyName: draft.friendlyName,
            uniqueName: draft.uniqueName, attributes: draft.attributes ?? "{}", state: state, timers: timers,
            dateCreated: created, dateUpdated: draft.dateUpdated ?? created, createdBy: draft.createdBy ?? "system")
        try db.execute(sql: """
            INSERT INTO conversations(sid, service_sid, messaging_service_sid, friendly_name, unique_name, attributes, state,
                timer_inactive, timer_closed, date_inactive, date_closed, created_by, date_created, date_updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [sid, service, conversation.messagingServiceSid, conversation.friendlyName, conversation.uniqueName,
                             conversation.attributes, state.rawValue, timers.inactiveAfter, timers.closedAfter,
                             timers.dateInactive, timers.dateClosed, conversation.createdBy, conversation.dateCreated,
                             conversation.dateUpdated])
        return conversation
    }

    static func conversationRow(_ db: Database, service: String, uniqueName: String) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.conversation) FROM conversations WHERE service_sid = ? AND unique_name = ?"),
                         arguments: [service, uniqueName])
    }

    /// The conversation with this SID or unique_name in `service`.
    static func conversation(_ db: Database, service: String, _ id: String) throws -> Conversation {
        let row: Row?
        if SID.isValid(id, prefix: .conversation) {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.conversation) FROM conversations WHERE sid = ? AND service_sid = ?"),
                                   arguments: [id, service])
        } else {
            row = try conversationRow(db, service: service, uniqueName: id)
        }
        guard let row else { throw ConversationsError.notFound("Conversation \(id)") }
        return Conversation(row: row)
    }

    static func openConversation(_ db: Database, service: String, _ id: String) throws -> Conversation {
        let conversation = try conversation(db, service: service, id)
        if conversation.state == .closed { throw ConversationsError.conversationClosed(conversation.sid) }
        return conversation
    }

    public func conversation(service: String, _ id: String) async throws(ConversationsError) -> Conversation {
        try await read { db in try Self.conversation(db, service: service, id) }
    }

    public func updateConversation(service: String, _ id: String, _ update: ConversationUpdate) async throws(ConversationsError) -> Conversation {
        let now = clock()
        return try await write { db in
            var conversation = try Self.conversation(db, service: service, id)
            if conversation.state == .closed { throw ConversationsError.conversationClosed(conversation.sid) }
            if let unique = update.uniqueName, unique != conversation.uniqueName,
               try Self.conversationRow(db, service: service, uniqueName: unique) != nil {
                throw ConversationsError.uniqueNameInUse(unique)
            }
            if let value = update.friendlyName { conversation.friendlyName = value }
            if let value = update.uniqueName { conversation.uniqueName = value }
            if let value = update.attributes { conversation.attributes = value }
            if let value = update.messagingServiceSid { conversation.messagingServiceSid = value }
            if let value = update.dateCreated { conversation.dateCreated = value }
            if let value = update.inactiveAfter { conversation.timers.inactiveAfter = value }
            if let value = update.closedAfter { conversation.timers.closedAfter = value }
            let oldState = conversation.state
            if let state = update.state { conversation.state = state }
            conversation.timers = ConversationLifecycle.schedule(conversation.timers, state: conversation.state, activityAt: now)
            conversation.dateUpdated = update.dateUpdated ?? now
            try Self.saveConversation(db, conversation)
            if conversation.state == .closed, oldState != .closed { try Self.releaseBindings(db, conversation: conversation.sid) }
            return conversation
        }
    }

    static func saveConversation(_ db: Database, _ c: Conversation) throws {
        try db.execute(sql: """
            UPDATE conversations SET messaging_service_sid = ?, friendly_name = ?, unique_name = ?, attributes = ?, state = ?,
                timer_inactive = ?, timer_closed = ?, date_inactive = ?, date_closed = ?, date_created = ?, date_updated = ?
            WHERE sid = ?
            """, arguments: [c.messagingServiceSid, c.friendlyName, c.uniqueName, c.attributes, c.state.rawValue,
                             c.timers.inactiveAfter, c.timers.closedAfter, c.timers.dateInactive, c.timers.dateClosed,
                             c.dateCreated, c.dateUpdated, c.sid])
    }

    /// Closing a conversation frees its participants' (address, proxy_address) pairs.
    static func releaseBindings(_ db: Database, conversation: String) throws {
        try db.execute(sql: "UPDATE participants SET binding_open = 0 WHERE conversation_sid = ?", arguments: [conversation])
    }

    public func deleteConversation(service: String, _ id: String) async throws(ConversationsError) {
        try await write { db in
            let conversation = try Self.conversation(db, service: service, id)
            try db.execute(sql: "DELETE FROM conversations WHERE sid = ?", arguments: [conversation.sid])
        }
    }

    public func listConversations(service: String, filter: ConversationFilter = .init(), _ page: PageRequest)
        async throws(ConversationsError) -> Page<Conversation> {
        try await read { db in
            var sql = "SELECT \(Columns.conversation), rowid AS _key FROM conversations WHERE service_sid = ?"
            var arguments: StatementArguments = [service]
            if let state = filter.state { sql += " AND state = ?"; _ = arguments.append(contentsOf: [state.rawValue]) }
            if let from = filter.createdFrom { sql += " AND date_created >= ?"; _ = arguments.append(contentsOf: [from]) }
            if let until = filter.createdUntil { sql += " AND date_created <= ?"; _ = arguments.append(contentsOf: [until]) }
            return try KeysetPage(select: sql, arguments: arguments, key: "rowid").fetch(db, page, map: Conversation.init(row:))
        }
    }

    /// Moves every conversation whose timer is due at `now` (active → inactive, any → closed)
    /// and returns what changed. `tandem serve` calls this every second.
    @discardableResult
    public func fireTimers(now: UnixTime? = nil) async throws(ConversationsError) -> [(sid: String, state: ConversationState)] {
        let now = now ?? clock()
        return try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Columns.conversation) FROM conversations
                WHERE state != 'closed' AND ((date_closed IS NOT NULL AND date_closed <= ?)
                   OR (state = 'active' AND date_inactive IS NOT NULL AND date_inactive <= ?))
                LIMIT 1000
                """), arguments: [now, now])
            var changed: [(sid: String, state: ConversationState)] = []
            for row in rows {
                var conversation = Conversation(row: row)
                guard let next = ConversationLifecycle.due(conversation, at: now) else { continue }
                conversation.state = next
                if next == .closed {
                    conversation.timers.dateClosed = nil
                    conversation.timers.dateInactive = nil
                } else {
                    conversation.timers.dateInactive = nil
                }
                conversation.dateUpdated = now
                try Self.saveConversation(db, conversation)
                if next == .closed { try Self.releaseBindings(db, conversation: conversation.sid) }
                changed.append((conversation.sid, next))
            }
            return changed
        }
    }

    // MARK: participants

    public func addParticipant(service: String, conversation id: String, _ draft: ParticipantDraft) async throws(ConversationsError) -> Participant {
        let now = clock()
        return try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            let participant = try Self.insertParticipant(db, conversation: conversation, draft, now: now)
            try db.execute(sql: "UPDATE conversations SET date_updated = ? WHERE sid = ?", arguments: [now, conversation.sid])
            return participant
        }
    }

    static func insertParticipant(_ db: Database, conversation: Conversation, _ draft: ParticipantDraft, now: UnixTime) throws -> Participant {
        var binding: MessagingBinding?
        if draft.identity != nil && draft.address != nil {
            throw ConversationsError.invalidParameter("Identity", "a participant has Identity or MessagingBinding.Address, not both")
        }
        if let role = draft.roleSid { try requireRole(db, service: conversation.serviceSid, role, type: .conversation) }
        if let address = draft.address {
            guard let proxy = draft.proxyAddress, !proxy.isEmpty else { throw ConversationsError.proxyAddressMissing }
            if address == proxy { throw ConversationsError.addressEqualsProxy }
            let channel = ChannelAddress.channel(of: address)
            if channel != ChannelAddress.channel(of: proxy) { throw ConversationsError.bindingChannelMismatch }
            binding = MessagingBinding(type: channel, address: address, proxyAddress: proxy, projectedAddress: draft.projectedAddress)
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM participants WHERE conversation_sid = ? AND address = ?"),
                                arguments: [conversation.sid, address]) != nil {
                throw ConversationsError.participantExists(address)
            }
            if let holder = try String.fetchOne(db.cachedStatement(sql: """
                SELECT conversation_sid FROM participants WHERE service_sid = ? AND address = ? AND proxy_address = ? AND binding_open = 1
                """), arguments: [conversation.serviceSid, address, proxy]) {
                throw ConversationsError.bindingInUse(address: address, proxyAddress: proxy, conversation: holder)
            }
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM participants WHERE conversation_sid = ? AND address IS NOT NULL"),
                                         arguments: [conversation.sid]) ?? 0
            if count >= ConversationLimits.messagingParticipants {
                throw ConversationsError.tooManyMessagingParticipants(limit: ConversationLimits.messagingParticipants)
            }
        } else if let projected = draft.projectedAddress {
            binding = MessagingBinding(type: "sms", projectedAddress: projected)
        }
        if draft.identity == nil && draft.address == nil {
            throw ConversationsError.invalidParameter("Identity", "a participant needs Identity or MessagingBinding.Address")
        }
        if let identity = draft.identity,
           try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM participants WHERE conversation_sid = ? AND identity = ?"),
                            arguments: [conversation.sid, identity]) != nil {
            throw ConversationsError.participantExists(identity)
        }
        let created = draft.dateCreated ?? now
        let participant = Participant(
            sid: SID.make(.participant), conversationSid: conversation.sid, serviceSid: conversation.serviceSid,
            identity: draft.identity, binding: binding, attributes: draft.attributes ?? "{}", roleSid: draft.roleSid,
            notificationLevel: draft.identity == nil ? nil : "default",
            dateCreated: created, dateUpdated: draft.dateUpdated ?? created)
        try db.execute(sql: """
            INSERT INTO participants(sid, conversation_sid, service_sid, identity, binding_type, address, proxy_address, projected_address,
                binding_open, attributes, role_sid, notification_level, date_created, date_updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [participant.sid, conversation.sid, conversation.serviceSid, participant.identity, binding?.type,
                             binding?.address, binding?.proxyAddress, binding?.projectedAddress,
                             binding?.address != nil && conversation.state != .closed,
                             participant.attributes, participant.roleSid, participant.notificationLevel,
                             participant.dateCreated, participant.dateUpdated])
        return participant
    }

    /// The participant with this SID or identity in the conversation.
    static func participant(_ db: Database, conversation: Conversation, _ id: String) throws -> Participant {
        let column = SID.isValid(id, prefix: .participant) ? "sid" : "identity"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.participant) FROM participants WHERE conversation_sid = ? AND \(column) = ?"),
                                         arguments: [conversation.sid, id]) else {
            throw ConversationsError.notFound("Participant \(id)")
        }
        return Participant(row: row)
    }

    public func participant(service: String, conversation: String, _ id: String) async throws(ConversationsError) -> Participant {
        try await read { db in
            try Self.participant(db, conversation: Self.conversation(db, service: service, conversation), id)
        }
    }

    public func updateParticipant(service: String, conversation id: String, _ participantID: String, _ update: ParticipantUpdate)
        async throws(ConversationsError) -> Participant {
        let now = clock()
        return try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            var participant = try Self.participant(db, conversation: conversation, participantID)
            try Self.apply(update, to: &participant, in: db, conversation: conversation, now: now)
            return participant
        }
    }

    static func apply(_ update: ParticipantUpdate, to participant: inout Participant, in db: Database, conversation: Conversation, now: UnixTime) throws {
        if let identity = update.identity, identity != participant.identity {
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM participants WHERE conversation_sid = ? AND identity = ?"),
                                arguments: [conversation.sid, identity]) != nil {
                throw ConversationsError.participantExists(identity)
            }
            participant.identity = identity
        }
        if update.proxyAddress != nil && participant.binding?.address == nil {
            throw ConversationsError.invalidParameter("MessagingBinding.ProxyAddress", "only a messaging participant has a proxy address")
        }
        if let role = update.roleSid { try requireRole(db, service: conversation.serviceSid, role, type: .conversation) }
        if let proxy = update.proxyAddress, var binding = participant.binding, let address = binding.address, proxy != binding.proxyAddress {
            if proxy == address { throw ConversationsError.addressEqualsProxy }
            if ChannelAddress.channel(of: proxy) != binding.type { throw ConversationsError.bindingChannelMismatch }
            if let holder = try String.fetchOne(db.cachedStatement(sql: """
                SELECT conversation_sid FROM participants WHERE service_sid = ? AND address = ? AND proxy_address = ? AND binding_open = 1
                """), arguments: [conversation.serviceSid, address, proxy]) {
                throw ConversationsError.bindingInUse(address: address, proxyAddress: proxy, conversation: holder)
            }
            binding.proxyAddress = proxy
            participant.binding = binding
        }
        if let projected = update.projectedAddress {
            var binding = participant.binding ?? MessagingBinding(type: "sms")
            binding.projectedAddress = projected
            participant.binding = binding
        }
        if let value = update.attributes { participant.attributes = value }
        if let value = update.roleSid { participant.roleSid = value }
        if update.clearReadHorizon {
            participant.lastReadMessageIndex = nil
            participant.lastReadTimestamp = nil
        }
        if let value = update.lastReadMessageIndex { participant.lastReadMessageIndex = value }
        if let value = update.lastReadTimestamp { participant.lastReadTimestamp = value }
        if let value = update.notificationLevel { participant.notificationLevel = value }
        if let value = update.dateCreated { participant.dateCreated = value }
        participant.dateUpdated = update.dateUpdated ?? now
        try db.execute(sql: """
            UPDATE participants SET identity = ?, binding_type = ?, address = ?, proxy_address = ?, projected_address = ?, attributes = ?,
                role_sid = ?, last_read_index = ?, last_read_timestamp = ?, notification_level = ?, date_created = ?, date_updated = ?
            WHERE sid = ?
            """, arguments: [participant.identity, participant.binding?.type, participant.binding?.address, participant.binding?.proxyAddress,
                             participant.binding?.projectedAddress, participant.attributes, participant.roleSid,
                             participant.lastReadMessageIndex, participant.lastReadTimestamp, participant.notificationLevel,
                             participant.dateCreated, participant.dateUpdated, participant.sid])
    }

    /// Removes a participant (its binding is free again at once).
    public func removeParticipant(service: String, conversation id: String, _ participantID: String) async throws(ConversationsError) {
        try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            let participant = try Self.participant(db, conversation: conversation, participantID)
            try Self.deleteParticipant(db, participant.sid)
        }
    }

    public func listParticipants(service: String, conversation id: String, _ page: PageRequest) async throws(ConversationsError) -> Page<Participant> {
        try await read { db in
            let conversation = try Self.conversation(db, service: service, id)
            return try KeysetPage(select: "SELECT \(Columns.participant), rowid AS _key FROM participants WHERE conversation_sid = ?",
                                  arguments: [conversation.sid], key: "rowid").fetch(db, page, map: Participant.init(row:))
        }
    }

    /// The open conversation an inbound message from `address` to our `proxyAddress` belongs to.
    public func conversationForBinding(service: String, address: String, proxyAddress: String) async throws(ConversationsError) -> (Conversation, Participant)? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(Columns.participant) FROM participants WHERE service_sid = ? AND address = ? AND proxy_address = ? AND binding_open = 1
                """), arguments: [service, address, proxyAddress]) else { return nil }
            let participant = Participant(row: row)
            return (try Self.conversation(db, service: service, participant.conversationSid), participant)
        }
    }
}
