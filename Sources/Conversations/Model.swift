/// An opaque partition: its own conversations, users, roles and bindings.
public struct Service: Sendable, Hashable {
    public var sid: String
    public var friendlyName: String
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime
    public init(sid: String, friendlyName: String, dateCreated: UnixTime, dateUpdated: UnixTime) {
        self.sid = sid; self.friendlyName = friendlyName
        self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// A conversation's life cycle. `closed` is final: nothing about a closed conversation can
/// change, and closing releases its participants' messaging bindings.
public enum ConversationState: String, Sendable, CaseIterable {
    case initializing, inactive, active, closed
}

/// A thread of messages between participants.
public struct Conversation: Sendable, Hashable {
    public var sid: String
    public var serviceSid: String
    public var messagingServiceSid: String?
    public var friendlyName: String?
    public var uniqueName: String?
    /// A JSON document, kept as the text the client sent; `{}` when unset.
    public var attributes: String
    public var state: ConversationState
    public var timers: ConversationTimers
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime
    /// Who created it (`system` for the API, the sender's address when autocreated).
    public var createdBy: String?

    public init(sid: String, serviceSid: String, messagingServiceSid: String? = nil, friendlyName: String? = nil,
                uniqueName: String? = nil, attributes: String = "{}", state: ConversationState = .active,
                timers: ConversationTimers = .init(), dateCreated: UnixTime, dateUpdated: UnixTime, createdBy: String? = nil) {
        self.sid = sid; self.serviceSid = serviceSid; self.messagingServiceSid = messagingServiceSid
        self.friendlyName = friendlyName; self.uniqueName = uniqueName; self.attributes = attributes
        self.state = state; self.timers = timers; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
        self.createdBy = createdBy
    }
}

/// The inactive and closed timers: durations set by the client, and the moments they fire,
/// counted from the conversation's last activity (creation, a new message, a state change
/// back to active).
public struct ConversationTimers: Sendable, Hashable {
    public var inactiveAfter: Int64?
    public var closedAfter: Int64?
    public var dateInactive: UnixTime?
    public var dateClosed: UnixTime?
    public init(inactiveAfter: Int64? = nil, closedAfter: Int64? = nil, dateInactive: UnixTime? = nil, dateClosed: UnixTime? = nil) {
        self.inactiveAfter = inactiveAfter; self.closedAfter = closedAfter
        self.dateInactive = dateInactive; self.dateClosed = dateClosed
    }
}

/// How a non-chat participant is reached: the end user's `address` through our `proxyAddress`.
/// The pair is unique among the service's non-closed conversations: it is how an inbound SMS
/// finds its conversation.
public struct MessagingBinding: Sendable, Hashable {
    public var type: String
    public var address: String?
    public var proxyAddress: String?
    public var projectedAddress: String?
    public init(type: String = "sms", address: String? = nil, proxyAddress: String? = nil, projectedAddress: String? = nil) {
        self.type = type; self.address = address; self.proxyAddress = proxyAddress; self.projectedAddress = projectedAddress
    }
}

/// A member of a conversation: a chat `identity`, or a messaging binding (SMS).
public struct Participant: Sendable, Hashable {
    public var sid: String
    public var conversationSid: String
    public var serviceSid: String
    public var identity: String?
    public var binding: MessagingBinding?
    public var attributes: String
    public var roleSid: String?
    public var lastReadMessageIndex: Int?
    public var lastReadTimestamp: String?
    /// The per-user notification level (`default` or `muted`) of a chat participant.
    public var notificationLevel: String?
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime

    public init(sid: String, conversationSid: String, serviceSid: String, identity: String? = nil,
                binding: MessagingBinding? = nil, attributes: String = "{}", roleSid: String? = nil,
                lastReadMessageIndex: Int? = nil, lastReadTimestamp: String? = nil, notificationLevel: String? = nil,
                dateCreated: UnixTime, dateUpdated: UnixTime) {
        self.sid = sid; self.conversationSid = conversationSid; self.serviceSid = serviceSid
        self.identity = identity; self.binding = binding; self.attributes = attributes; self.roleSid = roleSid
        self.lastReadMessageIndex = lastReadMessageIndex; self.lastReadTimestamp = lastReadTimestamp
        self.notificationLevel = notificationLevel; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }

    /// A participant reached over a carrier channel (it gets delivery receipts and outbox rows).
    public var isMessaging: Bool { binding?.address != nil }
}

/// Media metadata attached to a message (the content itself lives elsewhere).
public struct MediaItem: Sendable, Hashable {
    public var sid: String
    public var contentType: String
    public var filename: String?
    public var size: Int
    public init(sid: String, contentType: String, filename: String? = nil, size: Int) {
        self.sid = sid; self.contentType = contentType; self.filename = filename; self.size = size
    }
}

/// One message of a conversation. `index` is 0, 1, 2… per conversation, in append order.
public struct Message: Sendable, Hashable {
    public var sid: String
    public var conversationSid: String
    public var serviceSid: String
    public var index: Int
    public var author: String
    public var body: String?
    public var attributes: String
    public var participantSid: String?
    public var media: [MediaItem]?
    public var subject: String?
    public var contentSid: String?
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime?
    /// The delivery summary over the message's receipts (nil when it has no non-chat recipient).
    public var delivery: DeliverySummary?

    public init(sid: String, conversationSid: String, serviceSid: String, index: Int, author: String, body: String?,
                attributes: String = "{}", participantSid: String? = nil, media: [MediaItem]? = nil, subject: String? = nil,
                contentSid: String? = nil, dateCreated: UnixTime, dateUpdated: UnixTime? = nil, delivery: DeliverySummary? = nil) {
        self.sid = sid; self.conversationSid = conversationSid; self.serviceSid = serviceSid; self.index = index
        self.author = author; self.body = body; self.attributes = attributes; self.participantSid = participantSid
        self.media = media; self.subject = subject; self.contentSid = contentSid
        self.dateCreated = dateCreated; self.dateUpdated = dateUpdated; self.delivery = delivery
    }
}

/// Where one message stands for one non-chat participant. `queued` is Tandem's: the delivery
/// is an outbox row the carrier has not accepted yet (the mirrored API has no pre-send state).
public enum DeliveryStatus: String, Sendable, CaseIterable {
    case queued, sent, delivered, read, failed, undelivered
}

/// The receipt of one message for one non-chat participant.
public struct DeliveryReceipt: Sendable, Hashable {
    public var sid: String
    public var conversationSid: String
    public var serviceSid: String
    public var messageSid: String
    public var participantSid: String
    public var channelMessageSid: String?
    public var status: DeliveryStatus
    public var errorCode: Int
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime?
    public init(sid: String, conversationSid: String, serviceSid: String, messageSid: String, participantSid: String,
                channelMessageSid: String? = nil, status: DeliveryStatus = .queued, errorCode: Int = 0,
                dateCreated: UnixTime, dateUpdated: UnixTime? = nil) {
        self.sid = sid; self.conversationSid = conversationSid; self.serviceSid = serviceSid; self.messageSid = messageSid
        self.participantSid = participantSid; self.channelMessageSid = channelMessageSid; self.status = status
        self.errorCode = errorCode; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// An app user (agent) of a service.
public struct User: Sendable, Hashable {
    public var sid: String
    public var serviceSid: String
    public var identity: String
    public var friendlyName: String?
    public var attributes: String
    public var roleSid: String?
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime
    public init(sid: String, serviceSid: String, identity: String, friendlyName: String? = nil, attributes: String = "{}",
                roleSid: String? = nil, dateCreated: UnixTime, dateUpdated: UnixTime) {
        self.sid = sid; self.serviceSid = serviceSid; self.identity = identity; self.friendlyName = friendlyName
        self.attributes = attributes; self.roleSid = roleSid; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// A user's view of one conversation it takes part in (as a chat participant).
public struct UserConversation: Sendable, Hashable {
    public var user: User
    public var participant: Participant
    public var conversation: Conversation
    /// Messages after the read horizon; nil until the horizon was set (as the mirrored API does).
    public var unreadMessagesCount: Int?
    public init(user: User, participant: Participant, conversation: Conversation, unreadMessagesCount: Int?) {
        self.user = user; self.participant = participant; self.conversation = conversation
        self.unreadMessagesCount = unreadMessagesCount
    }
}

/// One conversation a participant (identity or address) is in, for ParticipantConversations.
public struct ParticipantConversation: Sendable, Hashable {
    public var participant: Participant
    public var conversation: Conversation
    public var userSid: String?
    public init(participant: Participant, conversation: Conversation, userSid: String?) {
        self.participant = participant; self.conversation = conversation; self.userSid = userSid
    }
}

/// Whether and how an inbound message to one of our numbers creates a conversation.
public struct AutoCreation: Sendable, Hashable {
    public var enabled: Bool
    public var type: String?
    public var conversationServiceSid: String?
    public var webhookUrl: String?
    public var webhookMethod: String?
    public var webhookFilters: [String]
    public var studioFlowSid: String?
    public var studioRetryCount: Int?
    public init(enabled: Bool = false, type: String? = nil, conversationServiceSid: String? = nil, webhookUrl: String? = nil,
                webhookMethod: String? = nil, webhookFilters: [String] = [], studioFlowSid: String? = nil, studioRetryCount: Int? = nil) {
        self.enabled = enabled; self.type = type; self.conversationServiceSid = conversationServiceSid
        self.webhookUrl = webhookUrl; self.webhookMethod = webhookMethod; self.webhookFilters = webhookFilters
        self.studioFlowSid = studioFlowSid; self.studioRetryCount = studioRetryCount
    }
}

/// One of our numbers (`address`) and what happens to inbound traffic without a binding.
public struct AddressConfiguration: Sendable, Hashable {
    public var sid: String
    public var type: String
    public var address: String
    public var friendlyName: String?
    public var autoCreation: AutoCreation
    public var addressCountry: String?
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime
    public init(sid: String, type: String, address: String, friendlyName: String? = nil, autoCreation: AutoCreation = .init(),
                addressCountry: String? = nil, dateCreated: UnixTime, dateUpdated: UnixTime) {
        self.sid = sid; self.type = type; self.address = address; self.friendlyName = friendlyName
        self.autoCreation = autoCreation; self.addressCountry = addressCountry
        self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

public enum RoleType: String, Sendable, CaseIterable { case conversation, service }

/// A named set of permissions, service-wide or per conversation.
public struct Role: Sendable, Hashable {
    public var sid: String
    public var serviceSid: String
    public var friendlyName: String
    public var type: RoleType
    public var permissions: [String]
    /// The built-in roles every service starts with; they cannot be changed or deleted.
    public var isDefault: Bool
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime
    public init(sid: String, serviceSid: String, friendlyName: String, type: RoleType, permissions: [String],
                isDefault: Bool = false, dateCreated: UnixTime, dateUpdated: UnixTime) {
        self.sid = sid; self.serviceSid = serviceSid; self.friendlyName = friendlyName; self.type = type
        self.permissions = permissions; self.isDefault = isDefault; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// The account-wide configuration (`/v1/Configuration`).
public struct AccountConfiguration: Sendable, Hashable, Codable {
    public var defaultChatServiceSid: String
    public var defaultMessagingServiceSid: String?
    public var defaultInactiveTimer: String?
    public var defaultClosedTimer: String?
    public init(defaultChatServiceSid: String, defaultMessagingServiceSid: String? = nil,
                defaultInactiveTimer: String? = nil, defaultClosedTimer: String? = nil) {
        self.defaultChatServiceSid = defaultChatServiceSid; self.defaultMessagingServiceSid = defaultMessagingServiceSid
        self.defaultInactiveTimer = defaultInactiveTimer; self.defaultClosedTimer = defaultClosedTimer
    }
}

/// Account- or service-level webhook settings (stored now; delivered by the bridge).
public struct WebhookConfiguration: Sendable, Hashable, Codable {
    public var method: String
    public var filters: [String]
    public var preWebhookUrl: String?
    public var postWebhookUrl: String?
    public var target: String
    public init(method: String = "POST", filters: [String] = [], preWebhookUrl: String? = nil,
                postWebhookUrl: String? = nil, target: String = "webhook") {
        self.method = method; self.filters = filters; self.preWebhookUrl = preWebhookUrl
        self.postWebhookUrl = postWebhookUrl; self.target = target
    }
}

/// A service's own configuration (`/v1/Services/{IS}/Configuration`).
public struct ServiceConfiguration: Sendable, Hashable, Codable {
    public var defaultConversationCreatorRoleSid: String?
    public var defaultConversationRoleSid: String?
    public var defaultChatServiceRoleSid: String?
    public var reachabilityEnabled: Bool
    public init(defaultConversationCreatorRoleSid: String? = nil, defaultConversationRoleSid: String? = nil,
                defaultChatServiceRoleSid: String? = nil, reachabilityEnabled: Bool = false) {
        self.defaultConversationCreatorRoleSid = defaultConversationCreatorRoleSid
        self.defaultConversationRoleSid = defaultConversationRoleSid
        self.defaultChatServiceRoleSid = defaultChatServiceRoleSid
        self.reachabilityEnabled = reachabilityEnabled
    }
}

/// A webhook scoped to one conversation (at most five per conversation, post-event only).
public struct ScopedWebhook: Sendable, Hashable {
    public var sid: String
    public var conversationSid: String
    public var serviceSid: String
    public var target: String
    public var url: String?
    public var method: String?
    public var filters: [String]
    public var triggers: [String]
    public var flowSid: String?
    public var replayAfter: Int?
    public var dateCreated: UnixTime
    public var dateUpdated: UnixTime
    public init(sid: String, conversationSid: String, serviceSid: String, target: String, url: String? = nil,
                method: String? = nil, filters: [String] = [], triggers: [String] = [], flowSid: String? = nil,
                replayAfter: Int? = nil, dateCreated: UnixTime, dateUpdated: UnixTime) {
        self.sid = sid; self.conversationSid = conversationSid; self.serviceSid = serviceSid; self.target = target
        self.url = url; self.method = method; self.filters = filters; self.triggers = triggers; self.flowSid = flowSid
        self.replayAfter = replayAfter; self.dateCreated = dateCreated; self.dateUpdated = dateUpdated
    }
}

/// One delivery waiting for a carrier: a message to one non-chat participant. Written in the
/// same transaction as the message; removed only when the carrier accepted it.
public struct OutboxEntry: Sendable, Hashable {
    public var id: Int64
    public var receiptSid: String
    /// The receipt's place among its message's receipts (its key with the message SID).
    public var receiptPosition: Int
    public var messageSid: String
    public var participantSid: String
    /// Where to: the participant's address, from its proxy address.
    public var address: String
    public var proxyAddress: String
    public var body: String
    public var attempts: Int
    public var notBefore: UnixTime
    /// The provider a retry must go back to (retry-same, or parts already there); nil: any.
    public var provider: String?
    /// Leading parts of a long message that `provider` already accepted (recorded).
    public var partsDone: Int
    public init(id: Int64, receiptSid: String, receiptPosition: Int, messageSid: String,
                participantSid: String, address: String, proxyAddress: String, body: String, attempts: Int, notBefore: UnixTime,
                provider: String? = nil, partsDone: Int = 0) {
        self.provider = provider
        self.partsDone = partsDone
        self.id = id; self.receiptSid = receiptSid; self.receiptPosition = receiptPosition; self.messageSid = messageSid
        self.participantSid = participantSid; self.address = address
        self.proxyAddress = proxyAddress; self.body = body; self.attempts = attempts; self.notBefore = notBefore
    }
}
