/// An error the API reports as `{code, message, more_info, status}`: the numeric code of the
/// API style Tandem mirrors, and the HTTP status it travels with.
///
/// Codes follow the mirrored API's error dictionary where it has one for the situation
/// (20404, 20003, 50416, 50437, 50409, 50377, 50384, 50353, 21617, …). Where it has none that
/// is documented, the code is Tandem's own and the README lists it.
public struct ConversationsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var status: Int
    public var message: String

    public init(code: Int, status: Int, message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    // MARK: generic

    /// 20404: no such resource (also for a resource in another service).
    public static func notFound(_ what: String) -> Self {
        .init(code: 20404, status: 404, message: "The requested resource \(what) was not found")
    }
    /// 20001: a parameter is missing or its value is malformed. The message names it.
    public static func invalidParameter(_ name: String, _ reason: String) -> Self {
        .init(code: 20001, status: 400, message: "Invalid parameter \(name): \(reason)")
    }
    public static func missingParameter(_ name: String) -> Self {
        .init(code: 20001, status: 400, message: "Missing required parameter \(name) in the post body")
    }
    /// 20003: authentication failed (every endpoint; never says whether the resource exists).
    public static let authenticationFailed = Self(code: 20003, status: 401, message: "Authenticate")
    /// 20413: the request body is larger than the API accepts.
    public static func bodyTooLarge(limit: Int) -> Self {
        .init(code: 20413, status: 413, message: "Request body exceeds \(limit) bytes")
    }
    /// 20500: the store failed (disk full, I/O error): nothing was written. The detail goes to
    /// the server's log, not to the client.
    public static let storeFailed = Self(code: 20500, status: 500, message: "Internal error; nothing was written (see the server log)")

    // MARK: conversations

    /// 50353: the service already has a conversation with this unique_name.
    public static func uniqueNameInUse(_ name: String) -> Self {
        .init(code: 50353, status: 409, message: "Conversation with provided unique name \(name) already exists")
    }
    /// 50377: a closed conversation cannot be modified in any way.
    public static func conversationClosed(_ sid: String) -> Self {
        .init(code: 50377, status: 400, message: "Conversation \(sid) is in its final closed state and can't be updated")
    }
    /// 50384: a conversation cannot be created closed.
    public static let initialStateClosed = Self(code: 50384, status: 400, message: "Initial state can't be 'closed'")

    // MARK: participants

    /// 50416: the (address, proxy_address) pair already belongs to a non-closed conversation.
    public static func bindingInUse(address: String, proxyAddress: String, conversation: String?) -> Self {
        let where_ = conversation.map { " (conversation \($0))" } ?? ""
        return .init(code: 50416, status: 409,
                     message: "Participant and proxy address pair \(address), \(proxyAddress) is already in use\(where_)")
    }
    /// 50437: the identity or binding is already a participant of this conversation.
    public static func participantExists(_ who: String) -> Self {
        .init(code: 50437, status: 409, message: "Participant \(who) already exists in this conversation")
    }
    /// 50409: the address and the proxy address are the same.
    public static let addressEqualsProxy = Self(code: 50409, status: 400,
                                                message: "Participant address and proxy address must differ")
    /// 50412: a messaging binding without a proxy address.
    public static let proxyAddressMissing = Self(code: 50412, status: 400,
                                                 message: "MessagingBinding.ProxyAddress is required with MessagingBinding.Address")
    /// 50414: the address and the proxy address are of different channel types (sms vs whatsapp).
    public static let bindingChannelMismatch = Self(code: 50414, status: 400,
                                                    message: "Participant address and proxy address must be of the same channel type")
    /// 50439 (Tandem's own): more non-chat participants than a conversation allows.
    public static func tooManyMessagingParticipants(limit: Int) -> Self {
        .init(code: 50439, status: 400, message: "A conversation can have at most \(limit) non-chat participants")
    }
    /// 50425: ConversationWithParticipants found a pair already in use.
    public static func bindingInUseAtCreation(address: String, proxyAddress: String) -> Self {
        .init(code: 50425, status: 409,
              message: "Participant and proxy address pair \(address), \(proxyAddress) is already in use")
    }

    // MARK: messages

    /// 21617: a message to SMS participants longer than 1600 characters.
    public static func bodyTooLong(limit: Int) -> Self {
        .init(code: 21617, status: 400, message: "The message body exceeds the \(limit) character limit for SMS participants")
    }

    // MARK: users, roles, addresses

    /// 50201: the service already has a user with this identity.
    public static func userExists(_ identity: String) -> Self {
        .init(code: 50201, status: 409, message: "User \(identity) already exists")
    }
    /// 50441 (Tandem's own): an address configuration for this address exists.
    public static func addressConfigurationExists(_ address: String) -> Self {
        .init(code: 50441, status: 409, message: "An address configuration for \(address) already exists")
    }
    /// 50442 (Tandem's own): a default role cannot be deleted or changed.
    public static let defaultRoleImmutable = Self(code: 50442, status: 400, message: "Default roles cannot be modified or deleted")
    /// 50443 (Tandem's own): a conversation has at most 5 scoped webhooks.
    public static let tooManyWebhooks = Self(code: 50443, status: 400, message: "A conversation can have at most 5 webhooks")
}
