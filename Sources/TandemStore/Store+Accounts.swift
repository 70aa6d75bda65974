import Conversations
import Foundation
import GRDB

/// A user to create, or a change to one (nil fields stay as they are).
public struct UserDraft: Sendable {
    public var identity: String?
    public var friendlyName: String?
    public var attributes: String?
    public var roleSid: String?
    public init(identity: String? = nil, friendlyName: String? = nil, attributes: String? = nil, roleSid: String? = nil) {
        self.identity = identity; self.friendlyName = friendlyName; self.attributes = attributes; self.roleSid = roleSid
    }
}

/// An address configuration to create, or a change to one.
public struct AddressConfigurationDraft: Sendable {
    public var type: String?
    public var address: String?
    public var friendlyName: String?
    public var addressCountry: String?
    public var enabled: Bool?
    public var autoType: String?
    public var conversationServiceSid: String?
    public var webhookUrl: String?
    public var webhookMethod: String?
    public var webhookFilters: [String]?
    public var studioFlowSid: String?
    public var studioRetryCount: Int?
    public init() {}
}

/// A conversation-scoped webhook to create, or a change to one.
public struct WebhookDraft: Sendable {
    public var target: String?
    public var url: String?
    public var method: String?
    public var filters: [String]?
    public var triggers: [String]?
    public var flowSid: String?
    public var replayAfter: Int?
    public init() {}
}

extension ConversationStore {
    // MARK: users

    public func createUser(service: String, _ draft: UserDraft) async throws(ConversationsError) -> User {
        let now = clock()
        guard let identity = draft.identity else { throw ConversationsError.missingParameter("Identity") }
        return try await write { db in
            _ = try Self.service(db, service)
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM users WHERE service_sid = ? AND identity = ?"), arguments: [service, identity]) != nil {
                throw ConversationsError.userExists(identity)
            }
            if let role = draft.roleSid { try Self.requireRole(db, service: service, role, type: .service) }
            let defaultRole = try Self.serviceConfiguration(db, service).defaultChatServiceRoleSid
            let user = User(sid: SID.make(.user), serviceSid: service, identity: identity, friendlyName: draft.friendlyName,
                            attributes: draft.attributes ?? "{}", roleSid: draft.roleSid ?? defaultRole,
                            dateCreated: now, dateUpdated: now)
            try db.execute(sql: """
                INSERT INTO users(sid, service_sid, identity, friendly_name, attributes, role_sid, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [user.sid, service, identity, user.friendlyName, user.attributes, user.roleSid, now, now])
            return user
        }
    }

    /// The user with this SID or identity.
    static func user(_ db: Database, service: String, _ id: String) throws -> User {
        let column = SID.isValid(id, prefix: .user) ? "sid" : "identity"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.user) FROM users WHERE service_sid = ? AND \(column) = ?"),
                                         arguments: [service, id]) else {
            throw ConversationsError.notFound("User \(id)")
        }
        return User(row: row)
    }

    public func user(service: String, _ id: String) async throws(ConversationsError) -> User {
        try await read { db in try Self.user(db, service: service, id) }
    }

    public func updateUser(service: String, _ id: String, _ draft: UserDraft) async throws(ConversationsError) -> User {
        let now = clock()
        return try await write { db in
            var user = try Self.user(db, service: service, id)
            if let role = draft.roleSid { try Self.requireRole(db, service: service, role, type: .service) }
            if let value = draft.friendlyName { user.friendlyName = value }
            if let value = draft.attributes { user.attributes = value }
            if let value = draft.roleSid { user.roleSid = value }
            user.dateUpdated = now
            try db.execute(sql: "UPDATE users SET friendly_name = ?, attributes = ?, role_sid = ?, date_updated = ? WHERE sid = ?",
                           arguments: [user.friendlyName, user.attributes, user.roleSid, now, user.sid])
            return user
        }
    }

    public func deleteUser(service: String, _ id: String) async throws(ConversationsError) {
        try await write { db in
            let user = try Self.user(db, service: service, id)
            try db.execute(sql: "DELETE FROM users WHERE sid = ?", arguments: [user.sid])
        }
    }

    public func listUsers(service: String, _ page: PageRequest) async throws(ConversationsError) -> Page<User> {
        try await read { db in
            try KeysetPage(select: "SELECT \(Columns.user), rowid AS _key FROM users WHERE service_sid = ?", arguments: [service], key: "rowid")
                .fetch(db, page, map: User.init(row:))
        }
    }

    // MARK: user conversations

    static func userConversation(_ db: Database, user: User, participantRow row: Row) throws -> UserConversation {
        let participant = Participant(row: row)
        let conversation = try conversation(db, service: user.serviceSid, participant.conversationSid)
        var unread: Int?
        if let horizon = participant.lastReadMessageIndex {
            unread = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM messages WHERE conversation_sid = ? AND idx > ?"),
                                      arguments: [conversation.sid, horizon])
        }
        return UserConversation(user: user, participant: participant, conversation: conversation, unreadMessagesCount: unread)
    }

    public func userConversations(service: String, user id: String, _ page: PageRequest) async throws(ConversationsError) -> Page<UserConversation> {
        try await read { db in
            let user = try Self.user(db, service: service, id)
            return try KeysetPage(
                select: "SELECT \(Columns.participant), rowid AS _key FROM participants WHERE service_sid = ? AND identity = ?",
                arguments: [service, user.identity], key: "rowid")
            .fetch(db, page) { row in try Self.userConversation(db, user: user, participantRow: row) }
        }
    }

    static func userParticipantRow(_ db: Database, service: String, user: User, conversation: String) throws -> Row {
        let conversation = try Self.conversation(db, service: service, conversation)
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.participant) FROM participants WHERE conversation_sid = ? AND identity = ?"),
                                         arguments: [conversation.sid, user.identity]) else {
            throw ConversationsError.notFound("User conversation \(conversation.sid)")
        }
        return row
    }

    public func userConversation(service: String, user id: String, conversation: String) async throws(ConversationsError) -> UserConversation {
        try await read { db in
            let user = try Self.user(db, service: service, id)
            return try Self.userConversation(db, user: user, participantRow: Self.userParticipantRow(db, service: service, user: user, conversation: conversation))
        }
    }

    public func updateUserConversation(service: String, user id: String, conversation: String, notificationLevel: String?,
                                       lastReadMessageIndex: Int?, lastReadTimestamp: String?) async throws(ConversationsError) -> UserConversation {
        let now = clock()
        return try await write { db in
            let user = try Self.user(db, service: service, id)
            let row = try Self.userParticipantRow(db, service: service, user: user, conversation: conversation)
            var participant = Participant(row: row)
            let conversation = try Self.openConversation(db, service: service, participant.conversationSid)
            try Self.apply(ParticipantUpdate(lastReadMessageIndex: lastReadMessageIndex, lastReadTimestamp: lastReadTimestamp,
                                             notificationLevel: notificationLevel),
                           to: &participant, in: db, conversation: conversation, now: now)
            return try Self.userConversation(db, user: user, participantRow: Self.userParticipantRow(db, service: service, user: user, conversation: conversation.sid))
        }
    }

    /// The user leaves the conversation: its participant is removed.
    public func leaveConversation(service: String, user id: String, conversation: String) async throws(ConversationsError) {
        try await write { db in
            let user = try Self.user(db, service: service, id)
            let row = try Self.userParticipantRow(db, service: service, user: user, conversation: conversation)
            let participant = Participant(row: row)
            _ = try Self.openConversation(db, service: service, participant.conversationSid)
            try Self.deleteParticipant(db, participant.sid)
        }
    }

    // MARK: participant conversations

    /// The conversations an identity or an address takes part in (any state).
    public func participantConversations(service: String, identity: String?, address: String?, _ page: PageRequest)
        async throws(ConversationsError) -> Page<ParticipantConversation> {
        try await read { db in
            let (column, value) = identity.map { ("identity", $0) } ?? ("address", address ?? "")
            return try KeysetPage(
                select: "SELECT \(Columns.participant), rowid AS _key FROM participants WHERE service_sid = ? AND \(column) = ?",
                arguments: [service, value], key: "rowid")
            .fetch(db, page) { row in
                let participant = Participant(row: row)
                let conversation = try Self.conversation(db, service: service, participant.conversationSid)
                let userSid = try participant.identity.flatMap {
                    try String.fetchOne(db.cachedStatement(sql: "SELECT sid FROM users WHERE service_sid = ? AND identity = ?"), arguments: [service, $0])
                }
                return ParticipantConversation(participant: participant, conversation: conversation, userSid: userSid)
            }
        }
    }

    // MARK: roles

    public func createRole(service: String, friendlyName: String, type: RoleType, permissions: [String]) async throws(ConversationsError) -> Role {
        let now = clock()
        return try await write { db in
            _ = try Self.service(db, service)
            let role = Role(sid: SID.make(.role), serviceSid: service, friendlyName: friendlyName, type: type, permissions: permissions,
                            dateCreated: now, dateUpdated: now)
            try db.execute(sql: """
                INSERT INTO roles(sid, service_sid, friendly_name, type, permissions, is_default, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                """, arguments: [role.sid, service, friendlyName, type.rawValue, encodeList(permissions), now, now])
            return role
        }
    }

    static func role(_ db: Database, service: String, _ sid: String) throws -> Role {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.role) FROM roles WHERE service_sid = ? AND sid = ?"), arguments: [service, sid]) else {
            throw ConversationsError.notFound("Role \(sid)")
        }
        return Role(row: row)
    }

    public func role(service: String, _ sid: String) async throws(ConversationsError) -> Role {
        try await read { db in try Self.role(db, service: service, sid) }
    }

    public func updateRole(service: String, _ sid: String, permissions: [String]) async throws(ConversationsError) -> Role {
        let now = clock()
        return try await write { db in
            var role = try Self.role(db, service: service, sid)
            if role.isDefault { throw ConversationsError.defaultRoleImmutable }
            role.permissions = permissions
            role.dateUpdated = now
            try db.execute(sql: "UPDATE roles SET permissions = ?, date_updated = ? WHERE sid = ?", arguments: [encodeList(permissions), now, sid])
            return role
        }
    }

    public func deleteRole(service: String, _ sid: String) async throws(ConversationsError) {
        try await write { db in
            let role = try Self.role(db, service: service, sid)
            if role.isDefault { throw ConversationsError.defaultRoleImmutable }
            try db.execute(sql: "DELETE FROM roles WHERE sid = ?", arguments: [sid])
        }
    }

    public func listRoles(service: String, _ page: PageRequest) async throws(ConversationsError) -> Page<Role> {
        try await read { db in
            try KeysetPage(select: "SELECT \(Columns.role), rowid AS _key FROM roles WHERE service_sid = ?", arguments: [service], key: "rowid")
                .fetch(db, page, map: Role.init(row:))
        }
    }

    // MARK: address configurations

    public func createAddressConfiguration(_ draft: AddressConfigurationDraft) async throws(ConversationsError) -> AddressConfiguration {
        let now = clock()
        guard let type = draft.type else { throw ConversationsError.missingParameter("Type") }
        guard let address = draft.address else { throw ConversationsError.missingParameter("Address") }
        let defaultService = defaultServiceSid
        return try await write { db in
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM address_configurations WHERE type = ? AND address = ?"), arguments: [type, address]) != nil {
                throw ConversationsError.addressConfigurationExists(address)
            }
            var configuration = AddressConfiguration(sid: SID.make(.addressConfiguration), type: type, address: address,
                                                     friendlyName: draft.friendlyName, addressCountry: draft.addressCountry,
                                                     dateCreated: now, dateUpdated: now)
            configuration.autoCreation.conversationServiceSid = defaultService
            try Self.apply(draft, to: &configuration.autoCreation, db: db)
            try db.execute(sql: """
                INSERT INTO address_configurations(sid, type, address, friendly_name, auto_creation, address_country, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [configuration.sid, type, address, configuration.friendlyName,
                                 try encodeJSON(StoredAutoCreation(configuration.autoCreation)), configuration.addressCountry, now, now])
            return configuration
        }
    }

    static func apply(_ draft: AddressConfigurationDraft, to auto: inout AutoCreation, db: Database) throws {
        if let value = draft.enabled { auto.enabled = value }
        if let value = draft.autoType { auto.type = value }
        if let value = draft.conversationServiceSid {
            _ = try service(db, value)
            auto.conversationServiceSid = value
        }
        if let value = draft.webhookUrl { auto.webhookUrl = value }
        if let value = draft.webhookMethod { auto.webhookMethod = value }
        if let value = draft.webhookFilters { auto.webhookFilters = value }
        if let value = draft.studioFlowSid { auto.studioFlowSid = value }
        if let value = draft.studioRetryCount { auto.studioRetryCount = value }
    }

    static func addressConfiguration(_ db: Database, _ id: String) throws -> AddressConfiguration {
        let column = SID.isValid(id, prefix: .addressConfiguration) ? "sid" : "address"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.address) FROM address_configurations WHERE \(column) = ?"), arguments: [id]) else {
            throw ConversationsError.notFound("AddressConfiguration \(id)")
        }
        return AddressConfiguration(row: row)
    }

    public func addressConfiguration(_ id: String) async throws(ConversationsError) -> AddressConfiguration {
        try await read { db in try Self.addressConfiguration(db, id) }
    }

    public func updateAddressConfiguration(_ id: String, _ draft: AddressConfigurationDraft) async throws(ConversationsError) -> AddressConfiguration {
        let now = clock()
        return try await write { db in
            var configuration = try Self.addressConfiguration(db, id)
            if let value = draft.friendlyName { configuration.friendlyName = value }
            try Self.apply(draft, to: &configuration.autoCreation, db: db)
            configuration.dateUpdated = now
            try db.execute(sql: "UPDATE address_configurations SET friendly_name = ?, auto_creation = ?, date_updated = ? WHERE sid = ?",
                           arguments: [configuration.friendlyName, try encodeJSON(StoredAutoCreation(configuration.autoCreation)), now,
                                       configuration.sid])
            return configuration
        }
    }

    public func deleteAddressConfiguration(_ id: String) async throws(ConversationsError) {
        try await write { db in
            let configuration = try Self.addressConfiguration(db, id)
            try db.execute(sql: "DELETE FROM address_configurations WHERE sid = ?", arguments: [configuration.sid])
        }
    }

    public func listAddressConfigurations(type: String?, _ page: PageRequest) async throws(ConversationsError) -> Page<AddressConfiguration> {
        try await read { db in
            var select = "SELECT \(Columns.address), rowid AS _key FROM address_configurations"
            var arguments: StatementArguments = []
            if let type { select += " WHERE type = ?"; arguments = [type] }
            return try KeysetPage(select: select, arguments: arguments, key: "rowid").fetch(db, page, map: AddressConfiguration.init(row:))
        }
    }

    // MARK: configuration

    public func accountConfiguration() async throws(ConversationsError) -> AccountConfiguration {
        let fallback = AccountConfiguration(defaultChatServiceSid: defaultServiceSid)
        return try await read { db in try Self.loadSetting(db, key: "account", as: AccountConfiguration.self) ?? fallback }
    }

    public func updateAccountConfiguration(_ change: @escaping @Sendable (inout AccountConfiguration) throws -> Void) async throws(ConversationsError) -> AccountConfiguration {
        let fallback = AccountConfiguration(defaultChatServiceSid: defaultServiceSid)
        let configuration = try await write { db in
            var configuration = try Self.loadSetting(db, key: "account", as: AccountConfiguration.self) ?? fallback
            try change(&configuration)
            _ = try Self.service(db, configuration.defaultChatServiceSid)
            try Self.saveSetting(db, key: "account", configuration)
            return configuration
        }
        defaultService.withLock { currentDefaultService = configuration.defaultChatServiceSid }
        return configuration
    }

    public func accountWebhooks() async throws(ConversationsError) -> WebhookConfiguration {
        try await read { db in try Self.loadSetting(db, key: "webhooks", as: WebhookConfiguration.self) ?? WebhookConfiguration() }
    }

    public func updateAccountWebhooks(_ change: @escaping @Sendable (inout WebhookConfiguration) throws -> Void) async throws(ConversationsError) -> WebhookConfiguration {
        try await write { db in
            var configuration = try Self.loadSetting(db, key: "webhooks", as: WebhookConfiguration.self) ?? WebhookConfiguration()
            try change(&configuration)
            try Self.saveSetting(db, key: "webhooks", configuration)
            return configuration
        }
    }

    static func serviceConfiguration(_ db: Database, _ service: String) throws -> ServiceConfiguration {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT configuration FROM services WHERE sid = ?"), arguments: [service]) else {
            throw ConversationsError.notFound("Service \(service)")
        }
        let json: String? = row["configuration"]
        return json.flatMap { try? JSONDecoder().decode(ServiceConfiguration.self, from: Data($0.utf8)) } ?? ServiceConfiguration()
    }

    public func serviceConfiguration(service: String) async throws(ConversationsError) -> ServiceConfiguration {
        try await read { db in try Self.serviceConfiguration(db, service) }
    }

    public func updateServiceConfiguration(service: String, _ change: @escaping @Sendable (inout ServiceConfiguration) throws -> Void) async throws(ConversationsError) -> ServiceConfiguration {
        try await write { db in
            var configuration = try Self.serviceConfiguration(db, service)
            try change(&configuration)
            for sid in [configuration.defaultChatServiceRoleSid, configuration.defaultConversationRoleSid,
                        configuration.defaultConversationCreatorRoleSid].compactMap({ $0 }) {
                _ = try Self.role(db, service: service, sid)
            }
            try db.execute(sql: "UPDATE services SET configuration = ? WHERE sid = ?", arguments: [try encodeJSON(configuration), service])
            return configuration
        }
    }

    static func serviceWebhooks(_ db: Database, _ service: String) throws -> WebhookConfiguration {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT webhooks FROM services WHERE sid = ?"), arguments: [service]) else {
            throw ConversationsError.notFound("Service \(service)")
        }
        let json: String? = row["webhooks"]
        return json.flatMap { try? JSONDecoder().decode(WebhookConfiguration.self, from: Data($0.utf8)) } ?? WebhookConfiguration()
    }

    public func serviceWebhooks(service: String) async throws(ConversationsError) -> WebhookConfiguration {
        try await read { db in try Self.serviceWebhooks(db, service) }
    }

    public func updateServiceWebhooks(service: String, _ change: @escaping @Sendable (inout WebhookConfiguration) throws -> Void) async throws(ConversationsError) -> WebhookConfiguration {
        try await write { db in
            var configuration = try Self.serviceWebhooks(db, service)
            try change(&configuration)
            try db.execute(sql: "UPDATE services SET webhooks = ? WHERE sid = ?", arguments: [try encodeJSON(configuration), service])
            return configuration
        }
    }

    // MARK: conversation-scoped webhooks

    public func createWebhook(service: String, conversation id: String, _ draft: WebhookDraft) async throws(ConversationsError) -> ScopedWebhook {
        let now = clock()
        guard let target = draft.target else { throw ConversationsError.missingParameter("Target") }
        return try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM webhooks WHERE conversation_sid = ?"), arguments: [conversation.sid]) ?? 0
            if count >= ConversationLimits.webhooksPerConversation { throw ConversationsError.tooManyWebhooks }
            let webhook = ScopedWebhook(sid: SID.make(.webhook), conversationSid: conversation.sid, serviceSid: service, target: target,
                                        url: draft.url, method: draft.method ?? (draft.url == nil ? nil : "POST"),
                                        filters: draft.filters ?? [], triggers: draft.triggers ?? [], flowSid: draft.flowSid,
                                        replayAfter: draft.replayAfter, dateCreated: now, dateUpdated: now)
            try db.execute(sql: """
                INSERT INTO webhooks(sid, conversation_sid, service_sid, target, url, method, filters, triggers, flow_sid, replay_after,
                    date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [webhook.sid, conversation.sid, service, target, webhook.url, webhook.method, encodeList(webhook.filters),
                                 encodeList(webhook.triggers), webhook.flowSid, webhook.replayAfter, now, now])
            return webhook
        }
    }

    static func webhook(_ db: Database, conversation: Conversation, _ sid: String) throws -> ScopedWebhook {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Columns.webhook) FROM webhooks WHERE sid = ? AND conversation_sid = ?"),
                                         arguments: [sid, conversation.sid]) else {
            throw ConversationsError.notFound("Webhook \(sid)")
        }
        return ScopedWebhook(row: row)
    }

    public func webhook(service: String, conversation: String, _ sid: String) async throws(ConversationsError) -> ScopedWebhook {
        try await read { db in try Self.webhook(db, conversation: Self.conversation(db, service: service, conversation), sid) }
    }

    public func updateWebhook(service: String, conversation id: String, _ sid: String, _ draft: WebhookDraft) async throws(ConversationsError) -> ScopedWebhook {
        let now = clock()
        return try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            var webhook = try Self.webhook(db, conversation: conversation, sid)
            if let value = draft.url { webhook.url = value }
            if let value = draft.method { webhook.method = value }
            if let value = draft.filters { webhook.filters = value }
            if let value = draft.triggers { webhook.triggers = value }
            if let value = draft.flowSid { webhook.flowSid = value }
            webhook.dateUpdated = now
            try db.execute(sql: "UPDATE webhooks SET url = ?, method = ?, filters = ?, triggers = ?, flow_sid = ?, date_updated = ? WHERE sid = ?",
                           arguments: [webhook.url, webhook.method, encodeList(webhook.filters), encodeList(webhook.triggers), webhook.flowSid,
                                       now, webhook.sid])
            return webhook
        }
    }

    public func deleteWebhook(service: String, conversation id: String, _ sid: String) async throws(ConversationsError) {
        try await write { db in
            let conversation = try Self.openConversation(db, service: service, id)
            let webhook = try Self.webhook(db, conversation: conversation, sid)
            try db.execute(sql: "DELETE FROM webhooks WHERE sid = ?", arguments: [webhook.sid])
        }
    }

    public func listWebhooks(service: String, conversation id: String, _ page: PageRequest) async throws(ConversationsError) -> Page<ScopedWebhook> {
        try await read { db in
            let conversation = try Self.conversation(db, service: service, id)
            return try KeysetPage(select: "SELECT \(Columns.webhook), rowid AS _key FROM webhooks WHERE conversation_sid = ?",
                                  arguments: [conversation.sid], key: "rowid").fetch(db, page, map: ScopedWebhook.init(row:))
        }
    }
}

/// The API credentials kept in the database when the configuration names none.
public struct StoredCredentials: Codable, Sendable, Hashable {
    public var accountSid: String
    public var authToken: String
}

extension ConversationStore {
    /// The account SID and auth token stored at first start, created (random) if absent.
    /// Returns whether they were created now, so the caller can show them once.
    public func storedCredentials() async throws(ConversationsError) -> (StoredCredentials, created: Bool) {
        try await write { db in
            if let stored = try Self.loadSetting(db, key: "credentials", as: StoredCredentials.self) { return (stored, false) }
            var generator = SystemRandomNumberGenerator()
            let token = (0..<2).map { _ in String(generator.next(), radix: 16).leftPadded(16) }.joined()
            let credentials = StoredCredentials(accountSid: SID.make(.account), authToken: token)
            try Self.saveSetting(db, key: "credentials", credentials)
            return (credentials, true)
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

extension ConversationStore {
    /// The role exists in this service and is of the given type (service roles for users,
    /// conversation roles for participants).
    static func requireRole(_ db: Database, service: String, _ sid: String, type: RoleType) throws {
        let role = try Self.role(db, service: service, sid)
        if role.type != type {
            throw ConversationsError.invalidParameter("RoleSid", "\(sid) is a \(role.type.rawValue) role, a \(type.rawValue) role is needed")
        }
    }

    /// Removes a participant; deliveries still waiting for it are dropped and their receipts
    /// marked failed (it is no longer in the conversation).
    static func deleteParticipant(_ db: Database, _ sid: String) throws {
        try db.execute(sql: """
            UPDATE delivery_receipts SET status = 'failed', error_code = 50432, date_updated = strftime('%s','now')
            WHERE (message_sid, position) IN (SELECT message_sid, receipt_position FROM outbox WHERE participant_sid = ?)
            """, arguments: [sid])
        try db.execute(sql: "DELETE FROM outbox WHERE participant_sid = ?", arguments: [sid])
        try db.execute(sql: "DELETE FROM participants WHERE sid = ?", arguments: [sid])
    }
}

extension ConversationStore {
    /// Whether `number` is one of Tandem's numbers: the proxy address of an open SMS binding,
    /// or the address of an Address Configuration. Used to answer inbound calls 480 (ours, no
    /// route) rather than 404 (not ours).
    public func isOwnNumber(_ number: String) async throws(ConversationsError) -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS(SELECT 1 FROM participants WHERE proxy_address = ? AND binding_open = 1)
                    OR EXISTS(SELECT 1 FROM address_configurations WHERE address = ?)
                """, arguments: [number, number]) ?? false
        }
    }
}
