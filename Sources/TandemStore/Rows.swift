import Conversations
import Foundation
import GRDB

// Row -> domain value. Column lists are kept next to the mapping that reads them.

enum Columns {
    static let conversation = """
        sid, service_sid, messaging_service_sid, friendly_name, unique_name, attributes, state,
        timer_inactive, timer_closed, date_inactive, date_closed, created_by, date_created, date_updated
        """
    static let participant = """
        sid, conversation_sid, service_sid, identity, binding_type, address, proxy_address, projected_address,
        attributes, role_sid, last_read_index, last_read_timestamp, notification_level, date_created, date_updated
        """
    static let message = """
        sid, conversation_sid, service_sid, idx, author, body, attributes, participant_sid, media, subject,
        content_sid, date_created, date_updated
        """
    static let receipt = """
        sid, message_sid, participant_sid, channel_message_sid, status, error_code, date_created, date_updated
        """
    static let outbox = "id, receipt_sid, receipt_position, message_sid, participant_sid, address, proxy_address, body, attempts, not_before, provider, parts_done"
    static let user = "sid, service_sid, identity, friendly_name, attributes, role_sid, date_created, date_updated"
    static let role = "sid, service_sid, friendly_name, type, permissions, is_default, date_created, date_updated"
    static let address = "sid, type, address, friendly_name, auto_creation, address_country, date_created, date_updated"
    static let webhook = """
        sid, conversation_sid, service_sid, target, url, method, filters, triggers, flow_sid, replay_after,
        date_created, date_updated
        """
}

extension Service {
    init(row: Row) {
        self.init(sid: row["sid"], friendlyName: row["friendly_name"], dateCreated: row["date_created"], dateUpdated: row["date_updated"])
    }
}

// The hot-path values read their columns by position (the order of `Columns`): reading by
// name costs a case-insensitive lookup per column.

extension Conversation {
    /// From a row of `Columns.conversation` (extra columns may follow).
    init(row: Row) {
        self.init(
            sid: row[0], serviceSid: row[1], messagingServiceSid: row[2], friendlyName: row[3], uniqueName: row[4],
            attributes: row[5], state: ConversationState(rawValue: row[6]) ?? .active,
            timers: ConversationTimers(inactiveAfter: row[7], closedAfter: row[8], dateInactive: row[9], dateClosed: row[10]),
            dateCreated: row[12], dateUpdated: row[13], createdBy: row[11])
    }
}

extension Participant {
    /// From a row of `Columns.participant` (extra columns may follow).
    init(row: Row) {
        let type: String? = row[4]
        let binding = type.map { MessagingBinding(type: $0, address: row[5], proxyAddress: row[6], projectedAddress: row[7]) }
        self.init(
            sid: row[0], conversationSid: row[1], serviceSid: row[2], identity: row[3], binding: binding, attributes: row[8],
            roleSid: row[9], lastReadMessageIndex: row[10], lastReadTimestamp: row[11], notificationLevel: row[12],
            dateCreated: row[13], dateUpdated: row[14])
    }
}

struct StoredMedia: Codable {
    var sid: String
    var content_type: String
    var filename: String?
    var size: Int
}

extension Message {
    init(row: Row) {
        let mediaJSON: String? = row[8]
        let media = mediaJSON.flatMap { try? JSONDecoder().decode([StoredMedia].self, from: Data($0.utf8)) }
            .map { $0.map { MediaItem(sid: $0.sid, contentType: $0.content_type, filename: $0.filename, size: $0.size) } }
        self.init(
            sid: row[0], conversationSid: row[1], serviceSid: row[2], index: row[3], author: row[4], body: row[5],
            attributes: row[6], participantSid: row[7], media: media, subject: row[9], contentSid: row[10],
            dateCreated: row[11], dateUpdated: row[12])
    }
}

extension DeliveryReceipt {
    /// From a row of `Columns.receipt`; the conversation and service are the message's.
    init(row: Row, message: Message) {
        self.init(
            sid: row["sid"], conversationSid: message.conversationSid, serviceSid: message.serviceSid, messageSid: row["message_sid"],
            participantSid: row["participant_sid"], channelMessageSid: row["channel_message_sid"],
            status: DeliveryStatus(rawValue: row["status"]) ?? .queued, errorCode: row["error_code"],
            dateCreated: row["date_created"], dateUpdated: row["date_updated"])
    }
}

extension User {
    init(row: Row) {
        self.init(sid: row["sid"], serviceSid: row["service_sid"], identity: row["identity"], friendlyName: row["friendly_name"],
                  attributes: row["attributes"], roleSid: row["role_sid"], dateCreated: row["date_created"], dateUpdated: row["date_updated"])
    }
}

extension Role {
    init(row: Row) {
        self.init(sid: row["sid"], serviceSid: row["service_sid"], friendlyName: row["friendly_name"],
                  type: RoleType(rawValue: row["type"]) ?? .conversation, permissions: decodeList(row["permissions"]),
                  isDefault: row["is_default"], dateCreated: row["date_created"], dateUpdated: row["date_updated"])
    }
}

struct StoredAutoCreation: Codable {
    var enabled: Bool
    var type: String?
    var conversation_service_sid: String?
    var webhook_url: String?
    var webhook_method: String?
    var webhook_filters: [String]
    var studio_flow_sid: String?
    var studio_retry_count: Int?

    init(_ a: AutoCreation) {
        enabled = a.enabled; type = a.type; conversation_service_sid = a.conversationServiceSid; webhook_url = a.webhookUrl
        webhook_method = a.webhookMethod; webhook_filters = a.webhookFilters; studio_flow_sid = a.studioFlowSid
        studio_retry_count = a.studioRetryCount
    }

    var value: AutoCreation {
        AutoCreation(enabled: enabled, type: type, conversationServiceSid: conversation_service_sid, webhookUrl: webhook_url,
                     webhookMethod: webhook_method, webhookFilters: webhook_filters, studioFlowSid: studio_flow_sid,
                     studioRetryCount: studio_retry_count)
    }
}

extension AddressConfiguration {
    init(row: Row) {
        let json: String = row["auto_creation"]
        let auto = (try? JSONDecoder().decode(StoredAutoCreation.self, from: Data(json.utf8)))?.value ?? AutoCreation()
        self.init(sid: row["sid"], type: row["type"], address: row["address"], friendlyName: row["friendly_name"],
                  autoCreation: auto, addressCountry: row["address_country"], dateCreated: row["date_created"], dateUpdated: row["date_updated"])
    }
}

extension ScopedWebhook {
    init(row: Row) {
        self.init(sid: row["sid"], conversationSid: row["conversation_sid"], serviceSid: row["service_sid"], target: row["target"],
                  url: row["url"], method: row["method"], filters: decodeList(row["filters"]), triggers: decodeList(row["triggers"]),
                  flowSid: row["flow_sid"], replayAfter: row["replay_after"], dateCreated: row["date_created"], dateUpdated: row["date_updated"])
    }
}

extension OutboxEntry {
    /// From a row of `Columns.outbox` (the dispatcher reads many: by position).
    init(row: Row) {
        self.init(id: row[0], receiptSid: row[1], receiptPosition: row[2], messageSid: row[3], participantSid: row[4],
                  address: row[5], proxyAddress: row[6], body: row[7], attempts: row[8], notBefore: row[9], provider: row[10],
                  partsDone: row[11])
    }
}
