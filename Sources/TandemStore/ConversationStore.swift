// TandemStore — the conversations in SQLite (system libsqlite3, through GRDB) in WAL mode:
// migrations, the tables and their hot-path indexes, and the durable outbox written in the
// same transaction as the message it delivers.

import Conversations
import Foundation
import GRDB
import Logging

/// How hard a commit presses data to disk before the API answers.
public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous=FULL`: every commit is fsynced (the WAL); survives power loss. Concurrent
    /// writes share one commit (group commit), so the fsync cost is paid per batch.
    case full
    /// `synchronous=NORMAL`: commits survive a crash or kill -9 of the process, not a power
    /// loss of the machine (SQLite syncs at checkpoints only).
    case normal
}

/// The conversations, participants, messages, receipts, users, roles, address configurations
/// and the outbox, in one SQLite database.
///
/// Every write runs through one writer that coalesces concurrent requests into one
/// transaction (each request in its own savepoint, so one failing request leaves the others
/// and nothing of itself). A call returns only after its transaction committed.
public final class ConversationStore: Sendable {
    let pool: DatabasePool
    let writer: WriteCoalescer
    /// The service that `/v1/Conversations/...` (no service in the path) uses; changed through
    /// the account configuration (`DefaultChatServiceSid`).
    public var defaultServiceSid: String {
        defaultService.withLock { currentDefaultService }
    }
    let defaultService = NSLock()
    nonisolated(unsafe) var currentDefaultService: String
    public let path: String
    let logger: Logger
    /// The clock (seconds since 1970); tests move it to fire timers.
    let clock: @Sendable () -> UnixTime

    public init(path: String, durability: Durability = .full, logger: Logger = Logger(label: "tandem.store"),
                clock: @escaping @Sendable () -> UnixTime = { UnixTime(Date().timeIntervalSince1970) }) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // 16 MiB of page cache per connection: a batch's dirty pages never spill mid-transaction.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Checkpoint every 16,384 WAL pages (64 MiB) instead of 1,000: the hot pages that every
            // commit rewrites are copied into the database file once per checkpoint, not once per
            // thousand pages; the WAL is truncated back to 64 MiB afterwards.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        configuration.label = "tandem"
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        self.pool = pool
        self.path = path
        self.logger = logger
        self.clock = clock
        self.writer = WriteCoalescer(pool: pool)
        self.currentDefaultService = try pool.write { db in try Self.seed(db, now: clock()) }
    }

    /// The tables. Dates are Unix seconds; JSON lists are text. `seq`-less tables page by rowid.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 conversations") { db in
            try db.execute(sql: """
            CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE services(
                sid TEXT PRIMARY KEY, friendly_name TEXT NOT NULL,
                configuration TEXT, webhooks TEXT,
                date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            CREATE TABLE conversations(
                sid TEXT PRIMARY KEY,
                service_sid TEXT NOT NULL REFERENCES services(sid) ON DELETE CASCADE,
                messaging_service_sid TEXT, friendly_name TEXT, unique_name TEXT,
                attributes TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL,
                timer_inactive INTEGER, timer_closed INTEGER, date_inactive INTEGER, date_closed INTEGER,
                created_by TEXT, next_index INTEGER NOT NULL DEFAULT 0,
                date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            CREATE UNIQUE INDEX conversations_unique_name ON conversations(service_sid, unique_name) WHERE unique_name IS NOT NULL;
            CREATE INDEX conversations_by_service ON conversations(service_sid);
            CREATE INDEX conversations_inactive_due ON conversations(date_inactive) WHERE date_inactive IS NOT NULL;
            CREATE INDEX conversations_closed_due ON conversations(date_closed) WHERE date_closed IS NOT NULL;
            CREATE TABLE participants(
                sid TEXT PRIMARY KEY,
                conversation_sid TEXT NOT NULL REFERENCES conversations(sid) ON DELETE CASCADE,
                service_sid TEXT NOT NULL,
                identity TEXT, binding_type TEXT, address TEXT, proxy_address TEXT, projected_address TEXT,
                binding_open INTEGER NOT NULL DEFAULT 0,
                attributes TEXT NOT NULL DEFAULT '{}', role_sid TEXT,
                last_read_index INTEGER, last_read_timestamp TEXT, notification_level TEXT,
                date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            -- The inbound routing key: one open binding per (service, address, proxy_address).
            -- (address first so an inbound message, which names no service, finds it too).
            CREATE UNIQUE INDEX participants_open_binding ON participants(address, proxy_address, service_sid) WHERE binding_open = 1;
            CREATE UNIQUE INDEX participants_identity ON participants(conversation_sid, identity) WHERE identity IS NOT NULL;
            CREATE INDEX participants_by_conversation ON participants(conversation_sid);
            CREATE INDEX participants_by_identity ON participants(service_sid, identity) WHERE identity IS NOT NULL;
            CREATE INDEX participants_by_address ON participants(service_sid, address) WHERE address IS NOT NULL;
            CREATE TABLE messages(
                sid TEXT PRIMARY KEY,
                conversation_sid TEXT NOT NULL REFERENCES conversations(sid) ON DELETE CASCADE,
                service_sid TEXT NOT NULL, idx INTEGER NOT NULL,
                author TEXT NOT NULL, body TEXT, attributes TEXT NOT NULL DEFAULT '{}',
                participant_sid TEXT, media TEXT, subject TEXT, content_sid TEXT,
                date_created INTEGER NOT NULL, date_updated INTEGER);
            CREATE UNIQUE INDEX messages_by_index ON messages(conversation_sid, idx);
            -- Receipts live clustered under their message (one B-tree, no rowid): a message's
            -- receipts are always reached through it.
            CREATE TABLE delivery_receipts(
                message_sid TEXT NOT NULL REFERENCES messages(sid) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                sid TEXT NOT NULL,
                participant_sid TEXT NOT NULL,
                channel_message_sid TEXT, status TEXT NOT NULL, error_code INTEGER NOT NULL DEFAULT 0,
                provider TEXT,
                date_created INTEGER NOT NULL, date_updated INTEGER,
                PRIMARY KEY (message_sid, position)) WITHOUT ROWID;
            -- One row per message x non-chat participant still to hand to a carrier, in arrival
            -- order (the rowid); removed when the carrier accepted it.
            CREATE TABLE outbox(
                id INTEGER PRIMARY KEY,
                message_sid TEXT NOT NULL REFERENCES messages(sid) ON DELETE CASCADE,
                receipt_position INTEGER NOT NULL, receipt_sid TEXT NOT NULL,
                participant_sid TEXT NOT NULL, address TEXT NOT NULL, proxy_address TEXT NOT NULL,
                body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL);
            CREATE INDEX outbox_by_message ON outbox(message_sid);
            CREATE TABLE users(
                sid TEXT PRIMARY KEY,
                service_sid TEXT NOT NULL REFERENCES services(sid) ON DELETE CASCADE,
                identity TEXT NOT NULL, friendly_name TEXT, attributes TEXT NOT NULL DEFAULT '{}', role_sid TEXT,
                date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            CREATE UNIQUE INDEX users_identity ON users(service_sid, identity);
            CREATE TABLE roles(
                sid TEXT PRIMARY KEY,
                service_sid TEXT NOT NULL REFERENCES services(sid) ON DELETE CASCADE,
                friendly_name TEXT NOT NULL, type TEXT NOT NULL, permissions TEXT NOT NULL,
                is_default INTEGER NOT NULL DEFAULT 0,
                date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            CREATE INDEX roles_by_service ON roles(service_sid);
            CREATE TABLE address_configurations(
                sid TEXT PRIMARY KEY, type TEXT NOT NULL, address TEXT NOT NULL, friendly_name TEXT,
                auto_creation TEXT NOT NULL, address_country TEXT,
                date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            CREATE UNIQUE INDEX address_configurations_address ON address_configurations(type, address);
            CREATE TABLE webhooks(
                sid TEXT PRIMARY KEY,
                conversation_sid TEXT NOT NULL REFERENCES conversations(sid) ON DELETE CASCADE,
                service_sid TEXT NOT NULL, target TEXT NOT NULL, url TEXT, method TEXT,
                filters TEXT NOT NULL DEFAULT '[]', triggers TEXT NOT NULL DEFAULT '[]', flow_sid TEXT,
                replay_after INTEGER, date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);
            CREATE INDEX webhooks_by_conversation ON webhooks(conversation_sid);
            """)
        }
        migrator.registerMigration("v2 inbound segments") { db in
            try db.execute(sql: """
            -- Parts of long inbound messages, kept until the last part arrives: each part is
            -- acknowledged to the SMSC only once it is here.
            CREATE TABLE inbound_segments(
                source TEXT NOT NULL, destination TEXT NOT NULL, scheme INTEGER NOT NULL, reference INTEGER NOT NULL,
                total INTEGER NOT NULL, sequence INTEGER NOT NULL, data_coding INTEGER NOT NULL, payload BLOB NOT NULL,
                received INTEGER NOT NULL,
                PRIMARY KEY (source, destination, scheme, reference, sequence)) WITHOUT ROWID;
            """)
        }
        migrator.registerMigration("v3 carrier deliveries") { db in
            try db.execute(sql: """
            -- Each part handed to an SMSC, under every key its message id matches by
            -- (MessageIDMatching: text, and numeric when the id reads as hex).
            CREATE TABLE delivery_parts(
                provider TEXT NOT NULL, id_key TEXT NOT NULL,
                message_sid TEXT NOT NULL REFERENCES messages(sid) ON DELETE CASCADE,
                receipt_position INTEGER NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL,
                status TEXT NOT NULL, error_code INTEGER NOT NULL DEFAULT 0, submitted INTEGER NOT NULL,
                PRIMARY KEY (provider, id_key)) WITHOUT ROWID;
            CREATE INDEX delivery_parts_by_receipt ON delivery_parts(message_sid, receipt_position);
            -- Carrier receipts that arrived before their submit_sm_resp was recorded.
            CREATE TABLE early_receipts(
                provider TEXT NOT NULL, id_key TEXT NOT NULL, status TEXT NOT NULL, error_code INTEGER NOT NULL,
                received INTEGER NOT NULL,
                PRIMARY KEY (provider, id_key)) WITHOUT ROWID;
            """)
        }
        migrator.registerMigration("v4 pinned provider") { db in
            // A delivery to retry on the provider that asked for it (retry-same), or that holds
            // some of its parts already.
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN provider TEXT")
        }
        migrator.registerMigration("v5 parts done") { db in
            // Parts of a long message the pinned provider already accepted: a retry sends the rest.
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN parts_done INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }

    /// First start: the default service (with its default roles) and the account configuration.
    static func seed(_ db: Database, now: UnixTime) throws -> String {
        if let json = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = 'account'")),
           let configuration = try? JSONDecoder().decode(AccountConfiguration.self, from: Data(json.utf8)) {
            return configuration.defaultChatServiceSid
        }
        let sid = SID.make(.service)
        try insertService(db, sid: sid, friendlyName: "Default Conversations Service", now: now)
        try saveSetting(db, key: "account", AccountConfiguration(defaultChatServiceSid: sid))
        return sid
    }

    static func insertService(_ db: Database, sid: String, friendlyName: String, now: UnixTime) throws {
        try db.execute(sql: "INSERT INTO services(sid, friendly_name, date_created, date_updated) VALUES (?, ?, ?, ?)",
                       arguments: [sid, friendlyName, now, now])
        var roleSids: [String: String] = [:]
        for role in DefaultRoles.all {
            let roleSid = SID.make(.role)
            roleSids[role.friendlyName] = roleSid
            try db.execute(sql: """
                INSERT INTO roles(sid, service_sid, friendly_name, type, permissions, is_default, date_created, date_updated)
                VALUES (?, ?, ?, ?, ?, 1, ?, ?)
                """, arguments: [roleSid, sid, role.friendlyName, role.type.rawValue, encodeList(role.permissions), now, now])
        }
        let configuration = ServiceConfiguration(
            defaultConversationCreatorRoleSid: roleSids[DefaultRoles.channelAdmin.friendlyName],
            defaultConversationRoleSid: roleSids[DefaultRoles.channelUser.friendlyName],
            defaultChatServiceRoleSid: roleSids[DefaultRoles.serviceUser.friendlyName])
        try db.execute(sql: "UPDATE services SET configuration = ?, webhooks = ? WHERE sid = ?",
                       arguments: [encodeJSON(configuration), encodeJSON(WebhookConfiguration()), sid])
    }

    static func saveSetting(_ db: Database, key: String, _ value: some Encodable) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", arguments: [key, encodeJSON(value)])
    }

    static func loadSetting<T: Decodable>(_ db: Database, key: String, as type: T.Type) throws -> T? {
        guard let json = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = ?"), arguments: [key]) else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    // MARK: running reads and writes

    /// Runs `work` in the shared write transaction; store errors become API errors.
    func write<T: Sendable>(isAppend: Bool = false, _ work: @escaping @Sendable (Database) throws -> T) async throws(ConversationsError) -> T {
        do {
            return try await writer.write(isAppend: isAppend, work)
        } catch let error as ConversationsError {
            throw error
        } catch {
            logger.error("store write failed: \(error)")
            throw .storeFailed
        }
    }

    func read<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws(ConversationsError) -> T {
        do {
            return try await pool.read(work)
        } catch let error as ConversationsError {
            throw error
        } catch {
            logger.error("store read failed: \(error)")
            throw .storeFailed
        }
    }

    /// Write transactions so far and the requests they carried (group commit's batching).
    public var writeStatistics: (transactions: Int, requests: Int, writerCPUNanoseconds: UInt64) {
        let s = writer.statistics
        return (s.transactions, s.jobs, s.cpuNanoseconds)
    }

    /// Closes the database (the WAL is checkpointed). Call it once no request is in flight
    /// (`tandem serve` closes it after the HTTP server has stopped gracefully).
    public func close() throws {
        try pool.close()
    }
}

// MARK: JSON columns

func encodeList(_ list: [String]) -> String {
    (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
}

func decodeList(_ text: String?) -> [String] {
    guard let text, let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return [] }
    return list
}

func encodeJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
