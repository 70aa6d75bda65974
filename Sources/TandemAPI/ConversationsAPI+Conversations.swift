import Conversations
import Foundation
import Hummingbird
import TandemStore

extension ConversationsAPI {
    static let states = ConversationState.allCases.map(\.rawValue)

    static func conversationDraft(_ form: FormParameters) throws(ConversationsError) -> ConversationDraft {
        var draft = ConversationDraft()
        draft.friendlyName = try form.text("FriendlyName", max: ConversationLimits.friendlyName)
        draft.uniqueName = try form.text("UniqueName", max: ConversationLimits.uniqueName)
        if let unique = draft.uniqueName, SID.looksLikeSID(unique) {
            throw .invalidParameter("UniqueName", "must not look like a SID")
        }
        draft.attributes = try form.attributes(max: ConversationLimits.conversationAttributes)
        draft.messagingServiceSid = form.string("MessagingServiceSid")
        draft.state = try form.choice("State", states).flatMap(ConversationState.init(rawValue:))
        draft.inactiveAfter = try Validate.timer(form.string("Timers.Inactive"), minimum: ConversationLimits.minimumInactiveTimer,
                                                 parameter: "Timers.Inactive")
        draft.closedAfter = try Validate.timer(form.string("Timers.Closed"), minimum: ConversationLimits.minimumClosedTimer,
                                               parameter: "Timers.Closed")
        draft.dateCreated = try form.date("DateCreated")
        draft.dateUpdated = try form.date("DateUpdated")
        return draft
    }

    static func participantDraft(_ form: FormParameters) throws(ConversationsError) -> ParticipantDraft {
        var draft = ParticipantDraft()
        draft.identity = try form.text("Identity", max: ConversationLimits.identity)
        draft.address = try form.address("MessagingBinding.Address")
        draft.proxyAddress = try form.address("MessagingBinding.ProxyAddress")
        draft.projectedAddress = try form.address("MessagingBinding.ProjectedAddress")
        draft.attributes = try form.attributes(max: ConversationLimits.participantAttributes)
        draft.roleSid = try form.sid("RoleSid", prefix: .role)
        draft.dateCreated = try form.date("DateCreated")
        draft.dateUpdated = try form.date("DateUpdated")
        if draft.identity == nil && draft.address == nil && draft.projectedAddress == nil {
            throw .invalidParameter("Identity", "a participant needs Identity or MessagingBinding.Address")
        }
        if draft.address != nil && draft.proxyAddress == nil { throw ConversationsError.proxyAddressMissing }
        return draft
    }

    /// One `Participant` value of ConversationWithParticipants: a JSON object such as
    /// `{"messaging_binding":{"address":"+1…","proxy_address":"+1…"}}` or `{"identity":"agent"}`.
    static func participantDraft(json: String) throws(ConversationsError) -> ParticipantDraft {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            throw .invalidParameter("Participant", "not a JSON object")
        }
        var draft = ParticipantDraft()
        draft.identity = object["identity"] as? String
        if let binding = object["messaging_binding"] as? [String: Any] {
            draft.address = binding["address"] as? String
            draft.proxyAddress = binding["proxy_address"] as? String
            draft.projectedAddress = binding["projected_address"] as? String
        }
        if let attributes = object["attributes"] {
            draft.attributes = (attributes as? String) ?? (try? JSONSerialization.data(withJSONObject: attributes)).map { String(decoding: $0, as: UTF8.self) }
        }
        draft.roleSid = object["role_sid"] as? String
        if let role = draft.roleSid, !SID.isValid(role, prefix: .role) {
            throw .invalidParameter("Participant.role_sid", "'\(role)' is not an RL SID")
        }
        try Validate.length(draft.identity, max: ConversationLimits.identity, parameter: "Participant.identity")
        if let address = draft.address { try Validate.address(address, parameter: "Participant.messaging_binding.address") }
        if let proxy = draft.proxyAddress { try Validate.address(proxy, parameter: "Participant.messaging_binding.proxy_address") }
        try Validate.attributes(draft.attributes, max: ConversationLimits.participantAttributes, parameter: "Participant.attributes")
        if draft.identity == nil && draft.address == nil {
            throw .invalidParameter("Participant", "needs identity or messaging_binding.address")
        }
        return draft
    }

    static func messageDraft(_ form: FormParameters) throws(ConversationsError) -> MessageDraft {
        var draft = MessageDraft()
        draft.author = try form.text("Author", max: ConversationLimits.identity)
        draft.body = form.string("Body")
        try Validate.text(draft.body, max: ConversationLimits.chatBody, parameter: "Body")
        draft.attributes = try form.attributes(max: ConversationLimits.messageAttributes)
        draft.subject = try form.text("Subject", max: ConversationLimits.subject)
        draft.contentSid = form.string("ContentSid")
        draft.dateCreated = try form.date("DateCreated")
        draft.dateUpdated = try form.date("DateUpdated")
        if let mediaSids = form.strings("MediaSid") {
            if mediaSids.count > ConversationLimits.mediaPerMessage {
                throw .invalidParameter("MediaSid", "at most \(ConversationLimits.mediaPerMessage) media per message")
            }
            draft.media = try mediaSids.map { (sid: String) throws(ConversationsError) -> MediaItem in
                guard SID.isValid(sid, prefix: .media) else { throw .invalidParameter("MediaSid", "'\(sid)' is not an ME SID") }
                return MediaItem(sid: sid, contentType: "application/octet-stream", size: 0)
            }
        }
        return draft
    }

    func registerConversationRoutes(on router: Router<Context>) {
        let store = store

        // Conversations
        scoped(router, .get, "/Conversations") { _, _, scope, form in
            let state = try form.choice("State", Self.states).flatMap(ConversationState.init(rawValue:))
            let filter = ConversationFilter(state: state, createdFrom: try form.date("StartDate"), createdUntil: try form.date("EndDate", endOfDay: true))
            // With a date filter the mirrored API lists newest first.
            let (request, number) = try Self.pageRequest(form, max: 100, descending: form.has("StartDate") || form.has("EndDate"))
            let page = try await store.listConversations(service: scope.service, filter: filter, request)
            var filters: [(String, String)] = []
            for name in ["StartDate", "EndDate", "State"] { if let v = form.string(name) { filters.append((name, v)) } }
            return Self.list("conversations", page, request: request, number: number, listURL: "\(scope.prefix)/Conversations",
                             filters: filters) { Render.conversation($0, scope) }
        }
        scoped(router, .post, "/Conversations") { _, _, scope, form in
            let created = try await store.createConversation(service: scope.service, try Self.conversationDraft(form))
            return APIResponse.json(Render.conversation(created, scope), status: .created)
        }
        scoped(router, .get, "/Conversations/:conversation") { _, context, scope, _ in
            APIResponse.json(Render.conversation(try await store.conversation(service: scope.service, try Self.pathParameter(context, "conversation")), scope))
        }
        scoped(router, .post, "/Conversations/:conversation") { _, context, scope, form in
            let updated = try await store.updateConversation(service: scope.service, try Self.pathParameter(context, "conversation"), try Self.conversationDraft(form))
            return APIResponse.json(Render.conversation(updated, scope))
        }
        scoped(router, .delete, "/Conversations/:conversation") { _, context, scope, _ in
            try await store.deleteConversation(service: scope.service, try Self.pathParameter(context, "conversation"))
            return APIResponse.deleted
        }

        // ConversationWithParticipants: the conversation and up to 10 participants, all or nothing.
        scoped(router, .post, "/ConversationWithParticipants") { _, _, scope, form in
            let draft = try Self.conversationDraft(form)
            let participantsJSON = form.strings("Participant") ?? []
            if participantsJSON.count > 10 { throw ConversationsError.invalidParameter("Participant", "at most 10 participants") }
            let participants = try participantsJSON.map { (json: String) throws(ConversationsError) in try Self.participantDraft(json: json) }
            let created = try await store.createConversation(service: scope.service, draft, participants: participants)
            return APIResponse.json(Render.conversation(created, scope), status: .created)
        }

        // Participants
        scoped(router, .get, "/Conversations/:conversation/Participants") { _, context, scope, form in
            let conversation = try Self.pathParameter(context, "conversation")
            let (request, number) = try Self.pageRequest(form, max: 100)
            let page = try await store.listParticipants(service: scope.service, conversation: conversation, request)
            return Self.list("participants", page, request: request, number: number,
                             listURL: "\(scope.prefix)/Conversations/\(conversation)/Participants") { Render.participant($0, scope) }
        }
        scoped(router, .post, "/Conversations/:conversation/Participants") { _, context, scope, form in
            let created = try await store.addParticipant(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                         try Self.participantDraft(form))
            return APIResponse.json(Render.participant(created, scope), status: .created)
        }
        scoped(router, .get, "/Conversations/:conversation/Participants/:sid") { _, context, scope, _ in
            let participant = try await store.participant(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                          try Self.pathParameter(context, "sid"))
            return APIResponse.json(Render.participant(participant, scope))
        }
        scoped(router, .post, "/Conversations/:conversation/Participants/:sid") { _, context, scope, form in
            var update = ParticipantUpdate()
            update.identity = try form.text("Identity", max: ConversationLimits.identity)
            update.proxyAddress = try form.address("MessagingBinding.ProxyAddress")
            update.projectedAddress = try form.address("MessagingBinding.ProjectedAddress")
            update.attributes = try form.attributes(max: ConversationLimits.participantAttributes)
            update.roleSid = try form.sid("RoleSid", prefix: .role)
            // An empty value clears the read horizon (the parameter is nullable).
            if form.string("LastReadMessageIndex") == "" {
                update.clearReadHorizon = true
            } else {
                update.lastReadMessageIndex = try form.int("LastReadMessageIndex", range: 0...Int.max)
            }
            update.lastReadTimestamp = try form.date("LastReadTimestamp").map(V1Timestamp.format)
            update.dateCreated = try form.date("DateCreated")
            update.dateUpdated = try form.date("DateUpdated")
            let updated = try await store.updateParticipant(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                            try Self.pathParameter(context, "sid"), update)
            return APIResponse.json(Render.participant(updated, scope))
        }
        scoped(router, .delete, "/Conversations/:conversation/Participants/:sid") { _, context, scope, _ in
            try await store.removeParticipant(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                              try Self.pathParameter(context, "sid"))
            return APIResponse.deleted
        }

        // Messages
        scoped(router, .get, "/Conversations/:conversation/Messages") { _, context, scope, form in
            let conversation = try Self.pathParameter(context, "conversation")
            let order = try form.choice("Order", ["asc", "desc"]) ?? "asc"
            let (request, number) = try Self.pageRequest(form, max: 100, descending: order == "desc")
            let page = try await store.listMessages(service: scope.service, conversation: conversation, request)
            return Self.list("messages", page, request: request, number: number,
                             listURL: "\(scope.prefix)/Conversations/\(conversation)/Messages",
                             filters: order == "desc" ? [("Order", "desc")] : []) { Render.message($0, scope) }
        }
        scoped(router, .post, "/Conversations/:conversation/Messages") { _, context, scope, form in
            let draft = try Self.messageDraft(form)
            if (draft.body ?? "").isEmpty && draft.media == nil && draft.contentSid == nil {
                throw ConversationsError.invalidParameter("Body", "a message needs a Body, a MediaSid or a ContentSid")
            }
            let created = try await store.appendMessage(service: scope.service, conversation: try Self.pathParameter(context, "conversation"), draft)
            return APIResponse.json(Render.message(created, scope), status: .created)
        }
        scoped(router, .get, "/Conversations/:conversation/Messages/:message") { _, context, scope, _ in
            let message = try await store.message(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                  try Self.pathParameter(context, "message"))
            return APIResponse.json(Render.message(message, scope))
        }
        scoped(router, .post, "/Conversations/:conversation/Messages/:message") { _, context, scope, form in
            let updated = try await store.updateMessage(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                        try Self.pathParameter(context, "message"), try Self.messageDraft(form))
            return APIResponse.json(Render.message(updated, scope))
        }
        scoped(router, .delete, "/Conversations/:conversation/Messages/:message") { _, context, scope, _ in
            try await store.deleteMessage(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                          try Self.pathParameter(context, "message"))
            return APIResponse.deleted
        }

        // Delivery receipts
        scoped(router, .get, "/Conversations/:conversation/Messages/:message/Receipts") { _, context, scope, form in
            let conversation = try Self.pathParameter(context, "conversation"), message = try Self.pathParameter(context, "message")
            let (request, number) = try Self.pageRequest(form, max: 50)
            let page = try await store.receipts(service: scope.service, conversation: conversation, message: message, request)
            return Self.list("delivery_receipts", page, request: request, number: number,
                             listURL: "\(scope.prefix)/Conversations/\(conversation)/Messages/\(message)/Receipts") { Render.receipt($0, scope) }
        }
        scoped(router, .get, "/Conversations/:conversation/Messages/:message/Receipts/:sid") { _, context, scope, _ in
            let receipt = try await store.receipt(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                  message: try Self.pathParameter(context, "message"), try Self.pathParameter(context, "sid"))
            return APIResponse.json(Render.receipt(receipt, scope))
        }

        // Conversation-scoped webhooks
        @Sendable func webhookDraft(_ form: FormParameters, creating: Bool) throws(ConversationsError) -> WebhookDraft {
            var draft = WebhookDraft()
            if creating {
                draft.target = try form.choice("Target", ["webhook", "trigger", "studio"])
                if draft.target == nil { throw .missingParameter("Target") }
                draft.replayAfter = try form.int("Configuration.ReplayAfter", range: 0...Int.max)
            }
            draft.url = try form.url("Configuration.Url")
            draft.method = try Self.webhookMethod(form, "Configuration.Method")?.lowercased()
            draft.filters = try form.list("Configuration.Filters")
            draft.triggers = try form.list("Configuration.Triggers")
            draft.flowSid = form.string("Configuration.FlowSid")
            return draft
        }
        scoped(router, .get, "/Conversations/:conversation/Webhooks") { _, context, scope, form in
            let conversation = try Self.pathParameter(context, "conversation")
            let (request, number) = try Self.pageRequest(form, max: 5)
            let page = try await store.listWebhooks(service: scope.service, conversation: conversation, request)
            return Self.list("webhooks", page, request: request, number: number,
                             listURL: "\(scope.prefix)/Conversations/\(conversation)/Webhooks") { Render.webhook($0, scope) }
        }
        scoped(router, .post, "/Conversations/:conversation/Webhooks") { _, context, scope, form in
            let created = try await store.createWebhook(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                        try webhookDraft(form, creating: true))
            return APIResponse.json(Render.webhook(created, scope), status: .created)
        }
        scoped(router, .get, "/Conversations/:conversation/Webhooks/:sid") { _, context, scope, _ in
            let webhook = try await store.webhook(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                  try Self.pathParameter(context, "sid"))
            return APIResponse.json(Render.webhook(webhook, scope))
        }
        scoped(router, .post, "/Conversations/:conversation/Webhooks/:sid") { _, context, scope, form in
            let updated = try await store.updateWebhook(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                                        try Self.pathParameter(context, "sid"), try webhookDraft(form, creating: false))
            return APIResponse.json(Render.webhook(updated, scope))
        }
        scoped(router, .delete, "/Conversations/:conversation/Webhooks/:sid") { _, context, scope, _ in
            try await store.deleteWebhook(service: scope.service, conversation: try Self.pathParameter(context, "conversation"),
                                          try Self.pathParameter(context, "sid"))
            return APIResponse.deleted
        }
    }
}
