import Conversations
import Hummingbird
import NIOCore

/// Response helpers: JSON bodies with the right status, and the error shape.
enum APIResponse {
    /// The largest request body accepted (a 32 KiB chat body and 16 KiB of attributes,
    /// form-encoded, fit with room to spare).
    static let maxBody = 256 * 1024

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1024)
        value.write(into: &buffer)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }

    static func error(_ error: ConversationsError) -> Response {
        json(.object([
            ("code", .int(error.code)),
            ("message", .string(error.message)),
            ("more_info", .string("https://www.twilio.com/docs/errors/\(error.code)")),
            ("status", .int(error.status)),
        ]), status: .init(code: error.status))
    }

    static let deleted = Response(status: .noContent)
}

/// Where a resource lives: its service, and the URL prefix it was reached through
/// (`…/v1` for the default service, `…/v1/Services/IS…` when the path names the service).
struct Scope: Sendable {
    var service: String
    /// Absolute, e.g. `http://127.0.0.1:8080/v1/Services/IS…`.
    var prefix: String
    var accountSid: String
}

/// Resource → JSON, with every field of the spec (null where unknown) and absolute URLs.
enum Render {
    static func time(_ t: UnixTime?) -> JSON { .str(t.map(V1Timestamp.format)) }

    static func timers(_ t: ConversationTimers) -> JSON {
        var fields: [(String, JSON)] = []
        if let d = t.dateInactive { fields.append(("date_inactive", .string(V1Timestamp.format(d)))) }
        if let d = t.dateClosed { fields.append(("date_closed", .string(V1Timestamp.format(d)))) }
        return .object(fields)
    }

    static func service(_ s: Service, base: String, account: String) -> JSON {
        let url = "\(base)/v1/Services/\(s.sid)"
        return .object([
            ("account_sid", .string(account)), ("sid", .string(s.sid)), ("friendly_name", .string(s.friendlyName)),
            ("date_created", time(s.dateCreated)), ("date_updated", time(s.dateUpdated)), ("url", .string(url)),
            ("links", .object([
                ("conversations", .string("\(url)/Conversations")), ("users", .string("\(url)/Users")),
                ("roles", .string("\(url)/Roles")), ("bindings", .string("\(url)/Bindings")),
                ("configuration", .string("\(url)/Configuration")),
                ("participant_conversations", .string("\(url)/ParticipantConversations")),
                ("conversation_with_participants", .string("\(url)/ConversationWithParticipants")),
            ])),
        ])
    }

    static func conversation(_ c: Conversation, _ scope: Scope) -> JSON {
        let url = "\(scope.prefix)/Conversations/\(c.sid)"
        return .object([
            ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(c.serviceSid)),
            ("messaging_service_sid", .str(c.messagingServiceSid)), ("sid", .string(c.sid)),
            ("friendly_name", .str(c.friendlyName)), ("unique_name", .str(c.uniqueName)), ("attributes", .string(c.attributes)),
            ("state", .string(c.state.rawValue)), ("date_created", time(c.dateCreated)), ("date_updated", time(c.dateUpdated)),
            ("timers", timers(c.timers)), ("url", .string(url)),
            ("links", .object([
                ("participants", .string("\(url)/Participants")), ("messages", .string("\(url)/Messages")),
                ("webhooks", .string("\(url)/Webhooks")),
            ])),
            ("bindings", .null),
        ])
    }

    static func binding(_ b: MessagingBinding?) -> JSON {
        guard let b else { return .null }
        var fields: [(String, JSON)] = [("type", .string(b.type))]
        if let v = b.address { fields.append(("address", .string(v))) }
        if let v = b.proxyAddress { fields.append(("proxy_address", .string(v))) }
        if let v = b.projectedAddress { fields.append(("projected_address", .string(v))) }
        return .object(fields)
    }

    static func participant(_ p: Participant, _ scope: Scope) -> JSON {
        .object([
            ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(p.serviceSid)),
            ("conversation_sid", .string(p.conversationSid)), ("sid", .string(p.sid)), ("identity", .str(p.identity)),
            ("attributes", .string(p.attributes)), ("messaging_binding", binding(p.binding)), ("role_sid", .str(p.roleSid)),
            ("date_created", time(p.dateCreated)), ("date_updated", time(p.dateUpdated)),
            ("url", .string("\(scope.prefix)/Conversations/\(p.conversationSid)/Participants/\(p.sid)")),
            ("last_read_message_index", .int(p.lastReadMessageIndex)), ("last_read_timestamp", .str(p.lastReadTimestamp)),
        ])
    }

    static func delivery(_ d: DeliverySummary?) -> JSON {
        guard let d else { return .null }
        return .object([
            ("total", .int(d.total)), ("sent", .string(d.sent.rawValue)), ("delivered", .string(d.delivered.rawValue)),
            ("read", .string(d.read.rawValue)), ("failed", .string(d.failed.rawValue)), ("undelivered", .string(d.undelivered.rawValue)),
        ])
    }

    static func message(_ m: Message, _ scope: Scope) -> JSON {
        let url = "\(scope.prefix)/Conversations/\(m.conversationSid)/Messages/\(m.sid)"
        let media: JSON = m.media.map { items in
            .array(items.map { .object([("sid", .string($0.sid)), ("content_type", .string($0.contentType)),
                                       ("filename", .str($0.filename)), ("size", .int($0.size))]) })
        } ?? .null
        return .object([
            ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(m.serviceSid)),
            ("conversation_sid", .string(m.conversationSid)), ("sid", .string(m.sid)), ("index", .int(m.index)),
            ("author", .string(m.author)), ("body", .str(m.body)), ("media", media), ("attributes", .string(m.attributes)),
            ("participant_sid", .str(m.participantSid)), ("date_created", time(m.dateCreated)), ("date_updated", time(m.dateUpdated)),
            ("delivery", delivery(m.delivery)), ("url", .string(url)),
            ("links", .object([("delivery_receipts", .string("\(url)/Receipts")), ("channel_metadata", .string("\(url)/ChannelMetadata"))])),
            ("content_sid", .str(m.contentSid)),
        ])
    }

    static func receipt(_ r: DeliveryReceipt, _ scope: Scope) -> JSON {
        .object([
            ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(r.serviceSid)),
            ("conversation_sid", .string(r.conversationSid)), ("message_sid", .string(r.messageSid)), ("sid", .string(r.sid)),
            ("channel_message_sid", .str(r.channelMessageSid)), ("participant_sid", .string(r.participantSid)),
            ("status", .string(r.status.rawValue)), ("error_code", .int(r.errorCode)),
            ("date_created", time(r.dateCreated)), ("date_updated", time(r.dateUpdated)),
            ("url", .string("\(scope.prefix)/Conversations/\(r.conversationSid)/Messages/\(r.messageSid)/Receipts/\(r.sid)")),
        ])
    }

    static func user(_ u: User, _ scope: Scope) -> JSON {
        let url = "\(scope.prefix)/Users/\(u.sid)"
        return .object([
            ("sid", .string(u.sid)), ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(u.serviceSid)),
            ("role_sid", .str(u.roleSid)), ("identity", .string(u.identity)), ("friendly_name", .str(u.friendlyName)),
            ("attributes", .string(u.attributes)), ("is_online", .null), ("is_notifiable", .null),
            ("date_created", time(u.dateCreated)), ("date_updated", time(u.dateUpdated)), ("url", .string(url)),
            ("links", .object([("user_conversations", .string("\(url)/Conversations"))])),
        ])
    }

    static func userConversation(_ uc: UserConversation, _ scope: Scope) -> JSON {
        let c = uc.conversation, p = uc.participant
        return .object([
            ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(c.serviceSid)),
            ("conversation_sid", .string(c.sid)), ("unread_messages_count", .int(uc.unreadMessagesCount)),
            ("last_read_message_index", .int(p.lastReadMessageIndex)), ("participant_sid", .string(p.sid)),
            ("user_sid", .string(uc.user.sid)), ("friendly_name", .str(c.friendlyName)), ("conversation_state", .string(c.state.rawValue)),
            ("timers", timers(c.timers)), ("attributes", .string(c.attributes)), ("date_created", time(c.dateCreated)),
            ("date_updated", time(c.dateUpdated)), ("created_by", .str(c.createdBy)),
            ("notification_level", .str(p.notificationLevel ?? "default")), ("unique_name", .str(c.uniqueName)),
            ("url", .string("\(scope.prefix)/Users/\(uc.user.sid)/Conversations/\(c.sid)")),
            ("links", .object([
                ("participant", .string("\(scope.prefix)/Conversations/\(c.sid)/Participants/\(p.sid)")),
                ("conversation", .string("\(scope.prefix)/Conversations/\(c.sid)")),
            ])),
        ])
    }

    static func participantConversation(_ pc: ParticipantConversation, _ scope: Scope) -> JSON {
        let c = pc.conversation, p = pc.participant
        return .object([
            ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(c.serviceSid)),
            ("participant_sid", .string(p.sid)), ("participant_user_sid", .str(pc.userSid)), ("participant_identity", .str(p.identity)),
            ("participant_messaging_binding", binding(p.binding)), ("conversation_sid", .string(c.sid)),
            ("conversation_unique_name", .str(c.uniqueName)), ("conversation_friendly_name", .str(c.friendlyName)),
            ("conversation_attributes", .string(c.attributes)), ("conversation_date_created", time(c.dateCreated)),
            ("conversation_date_updated", time(c.dateUpdated)), ("conversation_created_by", .str(c.createdBy)),
            ("conversation_state", .string(c.state.rawValue)), ("conversation_timers", timers(c.timers)),
            ("links", .object([
                ("participant", .string("\(scope.prefix)/Conversations/\(c.sid)/Participants/\(p.sid)")),
                ("conversation", .string("\(scope.prefix)/Conversations/\(c.sid)")),
            ])),
        ])
    }

    static func role(_ r: Role, _ scope: Scope) -> JSON {
        .object([
            ("sid", .string(r.sid)), ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(r.serviceSid)),
            ("friendly_name", .string(r.friendlyName)), ("type", .string(r.type.rawValue)), ("permissions", .strings(r.permissions)),
            ("date_created", time(r.dateCreated)), ("date_updated", time(r.dateUpdated)), ("url", .string("\(scope.prefix)/Roles/\(r.sid)")),
        ])
    }

    static func addressConfiguration(_ a: AddressConfiguration, base: String, account: String) -> JSON {
        var auto: [(String, JSON)] = [
            ("enabled", .bool(a.autoCreation.enabled)), ("type", .str(a.autoCreation.type)),
            ("conversation_service_sid", .str(a.autoCreation.conversationServiceSid)),
        ]
        if a.autoCreation.type == "studio" {
            auto += [("studio_flow_sid", .str(a.autoCreation.studioFlowSid)), ("studio_retry_count", .int(a.autoCreation.studioRetryCount))]
        } else {
            auto += [("webhook_url", .str(a.autoCreation.webhookUrl)), ("webhook_method", .str(a.autoCreation.webhookMethod)),
                     ("webhook_filters", .strings(a.autoCreation.webhookFilters))]
        }
        return .object([
            ("sid", .string(a.sid)), ("account_sid", .string(account)), ("type", .string(a.type)), ("address", .string(a.address)),
            ("friendly_name", .str(a.friendlyName)), ("auto_creation", .object(auto)),
            ("date_created", time(a.dateCreated)), ("date_updated", time(a.dateUpdated)),
            ("url", .string("\(base)/v1/Configuration/Addresses/\(a.sid)")), ("address_country", .str(a.addressCountry)),
        ])
    }

    static func accountConfiguration(_ c: AccountConfiguration, base: String, account: String) -> JSON {
        .object([
            ("account_sid", .string(account)), ("default_chat_service_sid", .string(c.defaultChatServiceSid)),
            ("default_messaging_service_sid", .str(c.defaultMessagingServiceSid)),
            ("default_inactive_timer", .str(c.defaultInactiveTimer)), ("default_closed_timer", .str(c.defaultClosedTimer)),
            ("url", .string("\(base)/v1/Configuration")),
            ("links", .object([
                ("service", .string("\(base)/v1/Services/\(c.defaultChatServiceSid)")),
                ("webhooks", .string("\(base)/v1/Configuration/Webhooks")),
            ])),
        ])
    }

    static func accountWebhooks(_ w: WebhookConfiguration, base: String, account: String) -> JSON {
        .object([
            ("account_sid", .string(account)), ("method", .string(w.method)), ("filters", .strings(w.filters)),
            ("pre_webhook_url", .str(w.preWebhookUrl)), ("post_webhook_url", .str(w.postWebhookUrl)), ("target", .string(w.target)),
            ("url", .string("\(base)/v1/Configuration/Webhooks")),
        ])
    }

    static func serviceConfiguration(_ c: ServiceConfiguration, service: String, base: String) -> JSON {
        let url = "\(base)/v1/Services/\(service)/Configuration"
        return .object([
            ("chat_service_sid", .string(service)),
            ("default_conversation_creator_role_sid", .str(c.defaultConversationCreatorRoleSid)),
            ("default_conversation_role_sid", .str(c.defaultConversationRoleSid)),
            ("default_chat_service_role_sid", .str(c.defaultChatServiceRoleSid)), ("url", .string(url)),
            ("links", .object([("notifications", .string("\(url)/Notifications")), ("webhooks", .string("\(url)/Webhooks"))])),
            ("reachability_enabled", .bool(c.reachabilityEnabled)),
        ])
    }

    static func serviceWebhooks(_ w: WebhookConfiguration, service: String, base: String, account: String) -> JSON {
        .object([
            ("account_sid", .string(account)), ("chat_service_sid", .string(service)), ("pre_webhook_url", .str(w.preWebhookUrl)),
            ("post_webhook_url", .str(w.postWebhookUrl)), ("filters", .strings(w.filters)), ("method", .string(w.method)),
            ("url", .string("\(base)/v1/Services/\(service)/Configuration/Webhooks")),
        ])
    }

    static func webhook(_ w: ScopedWebhook, _ scope: Scope) -> JSON {
        var configuration: [(String, JSON)] = []
        if let v = w.url { configuration.append(("url", .string(v))) }
        if let v = w.method { configuration.append(("method", .string(v))) }
        if !w.filters.isEmpty { configuration.append(("filters", .strings(w.filters))) }
        if !w.triggers.isEmpty { configuration.append(("triggers", .strings(w.triggers))) }
        if let v = w.flowSid { configuration.append(("flow_sid", .string(v))) }
        if let v = w.replayAfter { configuration.append(("replay_after", .int(v))) }
        return .object([
            ("sid", .string(w.sid)), ("account_sid", .string(scope.accountSid)), ("chat_service_sid", .string(w.serviceSid)),
            ("conversation_sid", .string(w.conversationSid)), ("target", .string(w.target)),
            ("url", .string("\(scope.prefix)/Conversations/\(w.conversationSid)/Webhooks/\(w.sid)")),
            ("configuration", .object(configuration)),
            ("date_created", time(w.dateCreated)), ("date_updated", time(w.dateUpdated)),
        ])
    }
}
