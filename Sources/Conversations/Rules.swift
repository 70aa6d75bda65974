import Foundation

/// The limits of the mirrored API (its "Conversations limits" page), enforced with its errors.
public enum ConversationLimits {
    public static let friendlyName = 256
    public static let uniqueName = 256
    public static let identity = 256
    public static let address = 256
    public static let conversationAttributes = 16 * 1024
    public static let participantAttributes = 4 * 1024
    public static let messageAttributes = 4 * 1024
    public static let userAttributes = 16 * 1024
    /// Characters of a message body when the conversation has an SMS participant.
    public static let smsBody = 1600
    /// Characters of a message body otherwise (chat only).
    public static let chatBody = 32 * 1024
    public static let subject = 256
    public static let messagingParticipants = 50
    public static let mediaPerMessage = 10
    public static let webhooksPerConversation = 5
    /// The shortest timers the mirrored API accepts.
    public static let minimumInactiveTimer: Int64 = 60
    public static let minimumClosedTimer: Int64 = 600
}

/// Field checks shared by every write path. Each throws ``ConversationsError/invalidParameter(_:_:)``
/// naming the API parameter, so a client sees which value was wrong.
public enum Validate {
    /// At most `max` characters, counted as Unicode scalars (so combining marks cannot stretch a
    /// "character" without bound), and no control characters.
    public static func length(_ value: String?, max: Int, parameter: String) throws(ConversationsError) {
        guard let value else { return }
        if value.unicodeScalars.count > max { throw .invalidParameter(parameter, "longer than \(max) characters") }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalidParameter(parameter, "contains control characters")
        }
    }

    /// Free text such as a message body: the same count, but line breaks and tabs are fine.
    public static func text(_ value: String?, max: Int, parameter: String) throws(ConversationsError) {
        guard let value else { return }
        if value.unicodeScalars.count > max { throw .invalidParameter(parameter, "longer than \(max) characters") }
    }

    /// An absolute http(s) URL (webhook targets).
    public static func webURL(_ value: String?, parameter: String) throws(ConversationsError) {
        guard let value, !value.isEmpty else { return }
        try length(value, max: 2048, parameter: parameter)
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host?.isEmpty == false else {
            throw .invalidParameter(parameter, "'\(value.prefix(100))' is not an absolute http(s) URL")
        }
    }

    /// `Attributes`: a JSON document (object, array, string, number, …) of at most `max` bytes.
    public static func attributes(_ value: String?, max: Int, parameter: String = "Attributes") throws(ConversationsError) {
        guard let value else { return }
        if value.utf8.count > max { throw .invalidParameter(parameter, "larger than \(max) bytes") }
        guard (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) != nil else {
            throw .invalidParameter(parameter, "not valid JSON")
        }
    }

    /// An address as carriers use them: E.164 (`+` and 1–15 digits), a short code, or a
    /// channel-prefixed address (`whatsapp:+1…`). Nothing empty, nothing with spaces.
    public static func address(_ value: String, parameter: String) throws(ConversationsError) {
        if value.isEmpty { throw .invalidParameter(parameter, "empty") }
        try length(value, max: ConversationLimits.address, parameter: parameter)
        if value.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw .invalidParameter(parameter, "contains whitespace")
        }
        let number = value.split(separator: ":", maxSplits: 1).last.map(String.init) ?? value
        if number.hasPrefix("+") {
            let digits = number.dropFirst()
            guard (1...15).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else {
                throw .invalidParameter(parameter, "'\(value)' is not an E.164 number (+ and up to 15 digits)")
            }
        }
    }

    public static func timer(_ value: String?, minimum: Int64, parameter: String) throws(ConversationsError) -> Int64? {
        guard let value else { return nil }
        guard let seconds = ISODuration.parse(value) else {
            throw .invalidParameter(parameter, "'\(value)' is not an ISO 8601 duration such as PT10M")
        }
        if seconds < minimum { throw .invalidParameter(parameter, "shorter than \(ISODuration.format(minimum))") }
        return seconds
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// State changes and timers of a conversation.
public enum ConversationLifecycle {
    /// Whether an update may move a conversation from `from` to `to`. Closed is final; any
    /// other state may move to any state.
    public static func canTransition(from: ConversationState, to: ConversationState) -> Bool {
        from != .closed || to == .closed
    }

    /// The timer deadlines after activity at `now` in state `state`: the inactive timer runs
    /// only while active; the closed timer runs while not closed.
    public static func schedule(_ timers: ConversationTimers, state: ConversationState, activityAt now: UnixTime) -> ConversationTimers {
        var next = timers
        next.dateInactive = (state == .active || state == .initializing) ? timers.inactiveAfter.map { now + $0 } : nil
        next.dateClosed = state == .closed ? nil : timers.closedAfter.map { now + $0 }
        return next
    }

    /// What the timers do at `now`: the state the conversation moves to, if any.
    public static func due(_ conversation: Conversation, at now: UnixTime) -> ConversationState? {
        if conversation.state == .closed { return nil }
        if let closed = conversation.timers.dateClosed, closed <= now { return .closed }
        if conversation.state == .active, let inactive = conversation.timers.dateInactive, inactive <= now { return .inactive }
        return nil
    }
}

/// One of all / some / none, as the delivery summary reports each status.
public enum DeliveryAmount: String, Sendable {
    case all, some, none
    init(count: Int, total: Int) {
        self = count == 0 ? .none : (count == total ? .all : .some)
    }
}

/// A message's aggregate delivery over its non-chat recipients. A later status counts for the
/// earlier ones: a delivered message was also sent; a read one was also delivered.
public struct DeliverySummary: Sendable, Hashable {
    public var total: Int
    public var sent: DeliveryAmount
    public var delivered: DeliveryAmount
    public var read: DeliveryAmount
    public var failed: DeliveryAmount
    public var undelivered: DeliveryAmount

    public init(statuses: some Collection<DeliveryStatus>) {
        total = statuses.count
        var sent = 0, delivered = 0, read = 0, failed = 0, undelivered = 0
        for status in statuses {
            switch status {
            case .queued: break
            case .sent: sent += 1
            case .delivered: sent += 1; delivered += 1
            case .read: sent += 1; delivered += 1; read += 1
            case .failed: failed += 1
            case .undelivered: sent += 1; undelivered += 1
            }
        }
        self.sent = .init(count: sent, total: total)
        self.delivered = .init(count: delivered, total: total)
        self.read = .init(count: read, total: total)
        self.failed = .init(count: failed, total: total)
        self.undelivered = .init(count: undelivered, total: total)
    }
}

/// The roles every service starts with, as the mirrored API names them.
public enum DefaultRoles {
    public struct Definition: Sendable {
        public var friendlyName: String
        public var type: RoleType
        public var permissions: [String]
    }

    public static let serviceAdmin = Definition(friendlyName: "service admin", type: .service, permissions: [
        "addParticipant", "createConversation", "deleteAnyMessage", "deleteConversation", "editAnyMessage",
        "editAnyMessageAttributes", "editAnyUserInfo", "editConversationAttributes", "editConversationName",
        "joinConversation", "leaveConversation", "removeParticipant", "sendMediaMessage", "sendMessage",
    ])
    public static let serviceUser = Definition(friendlyName: "service user", type: .service, permissions: [
        "createConversation", "editOwnUserInfo", "joinConversation",
    ])
    public static let channelAdmin = Definition(friendlyName: "channel admin", type: .conversation, permissions: [
        "addParticipant", "deleteAnyMessage", "editAnyMessage", "editAnyMessageAttributes", "editConversationAttributes",
        "editConversationName", "editOwnMessage", "editOwnMessageAttributes", "leaveConversation", "removeParticipant",
        "sendMediaMessage", "sendMessage",
    ])
    public static let channelUser = Definition(friendlyName: "channel user", type: .conversation, permissions: [
        "deleteOwnMessage", "editOwnMessage", "editOwnMessageAttributes", "editOwnParticipantAttributes",
        "leaveConversation", "sendMediaMessage", "sendMessage",
    ])
    public static let all = [serviceAdmin, serviceUser, channelAdmin, channelUser]
}

/// An opaque paging position: lists are ordered by a per-list integer key (creation order, or
/// the message index), and a token says "after key k" or "before key k".
public struct PageCursor: Sendable, Hashable {
    public enum Direction: Sendable, Hashable { case after, before }
    public var direction: Direction
    public var key: Int64

    public init(_ direction: Direction, key: Int64) { self.direction = direction; self.key = key }

    /// `PT…` pages forward, `PB…` backward; the key follows in hex.
    public var token: String { (direction == .after ? "PT" : "PB") + String(key, radix: 16) }

    public init?(token: String) {
        guard token.count > 2, token.count <= 20 else { return nil }
        switch token.prefix(2) {
        case "PT": direction = .after
        case "PB": direction = .before
        default: return nil
        }
        guard let key = Int64(token.dropFirst(2), radix: 16) else { return nil }
        self.key = key
    }
}

/// A request for one page of a list.
public struct PageRequest: Sendable, Hashable {
    public var size: Int
    public var cursor: PageCursor?
    /// `desc` lists newest first (messages only).
    public var descending: Bool
    public init(size: Int = 50, cursor: PageCursor? = nil, descending: Bool = false) {
        self.size = size; self.cursor = cursor; self.descending = descending
    }
}

/// One page of results and the cursors around it.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: PageCursor?
    public var previous: PageCursor?
    public init(items: [Item], next: PageCursor?, previous: PageCursor?) {
        self.items = items; self.next = next; self.previous = previous
    }
}

/// The channel of an address: `whatsapp:+1…` is WhatsApp, anything else SMS.
public enum ChannelAddress {
    public static func channel(of address: String) -> String {
        address.lowercased().hasPrefix("whatsapp:") ? "whatsapp" : "sms"
    }
}
