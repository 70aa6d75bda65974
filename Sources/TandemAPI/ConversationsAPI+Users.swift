import Conversations
import Hummingbird
import TandemStore

extension ConversationsAPI {
    func registerUserRoutes(on router: Router<Context>) {
        let store = store

        @Sendable func userDraft(_ form: FormParameters) throws(ConversationsError) -> UserDraft {
            UserDraft(identity: try form.text("Identity", max: ConversationLimits.identity),
                      friendlyName: try form.text("FriendlyName", max: ConversationLimits.friendlyName),
                      attributes: try form.attributes(max: ConversationLimits.userAttributes),
                      roleSid: try form.sid("RoleSid", prefix: .role))
        }

        // Users
        scoped(router, .get, "/Users") { _, _, scope, form in
            let (request, number) = try Self.pageRequest(form, max: 50)
            let page = try await store.listUsers(service: scope.service, request)
            return Self.list("users", page, request: request, number: number, listURL: "\(scope.prefix)/Users") { Render.user($0, scope) }
        }
        scoped(router, .post, "/Users") { _, _, scope, form in
            var draft = try userDraft(form)
            draft.identity = try form.required("Identity", max: ConversationLimits.identity)
            return APIResponse.json(Render.user(try await store.createUser(service: scope.service, draft), scope), status: .created)
        }
        scoped(router, .get, "/Users/:user") { _, context, scope, _ in
            APIResponse.json(Render.user(try await store.user(service: scope.service, try Self.pathParameter(context, "user")), scope))
        }
        scoped(router, .post, "/Users/:user") { _, context, scope, form in
            let updated = try await store.updateUser(service: scope.service, try Self.pathParameter(context, "user"), try userDraft(form))
            return APIResponse.json(Render.user(updated, scope))
        }
        scoped(router, .delete, "/Users/:user") { _, context, scope, _ in
            try await store.deleteUser(service: scope.service, try Self.pathParameter(context, "user"))
            return APIResponse.deleted
        }

        // User conversations
        scoped(router, .get, "/Users/:user/Conversations") { _, context, scope, form in
            let user = try Self.pathParameter(context, "user")
            let (request, number) = try Self.pageRequest(form, max: 50)
            let page = try await store.userConversations(service: scope.service, user: user, request)
            return Self.list("conversations", page, request: request, number: number, listURL: "\(scope.prefix)/Users/\(user)/Conversations") {
                Render.userConversation($0, scope)
            }
        }
        scoped(router, .get, "/Users/:user/Conversations/:conversation") { _, context, scope, _ in
            let uc = try await store.userConversation(service: scope.service, user: try Self.pathParameter(context, "user"),
                                                      conversation: try Self.pathParameter(context, "conversation"))
            return APIResponse.json(Render.userConversation(uc, scope))
        }
        scoped(router, .post, "/Users/:user/Conversations/:conversation") { _, context, scope, form in
            let level = try form.choice("NotificationLevel", ["default", "muted"])
            let index = try form.int("LastReadMessageIndex", range: 0...Int.max)
            let timestamp = try form.date("LastReadTimestamp").map(V1Timestamp.format)
            let uc = try await store.updateUserConversation(service: scope.service, user: try Self.pathParameter(context, "user"),
                                                            conversation: try Self.pathParameter(context, "conversation"),
                                                            notificationLevel: level, lastReadMessageIndex: index, lastReadTimestamp: timestamp)
            return APIResponse.json(Render.userConversation(uc, scope))
        }
        scoped(router, .delete, "/Users/:user/Conversations/:conversation") { _, context, scope, _ in
            try await store.leaveConversation(service: scope.service, user: try Self.pathParameter(context, "user"),
                                              conversation: try Self.pathParameter(context, "conversation"))
            return APIResponse.deleted
        }

        // Participant conversations: which conversations is this identity or address in?
        scoped(router, .get, "/ParticipantConversations") { _, _, scope, form in
            let identity = form.string("Identity"), address = form.string("Address")
            guard (identity == nil) != (address == nil) else {
                throw ConversationsError.invalidParameter("Identity", "give exactly one of Identity or Address")
            }
            let (request, number) = try Self.pageRequest(form, max: 50)
            let page = try await store.participantConversations(service: scope.service, identity: identity, address: address, request)
            return Self.list("conversations", page, request: request, number: number, listURL: "\(scope.prefix)/ParticipantConversations",
                             filters: identity.map { [("Identity", $0)] } ?? [("Address", address ?? "")]) {
                Render.participantConversation($0, scope)
            }
        }

        // Roles
        scoped(router, .get, "/Roles") { _, _, scope, form in
            let (request, number) = try Self.pageRequest(form, max: 50)
            let page = try await store.listRoles(service: scope.service, request)
            return Self.list("roles", page, request: request, number: number, listURL: "\(scope.prefix)/Roles") { Render.role($0, scope) }
        }
        scoped(router, .post, "/Roles") { _, _, scope, form in
            let name = try form.required("FriendlyName", max: ConversationLimits.friendlyName)
            guard let type = try form.choice("Type", RoleType.allCases.map(\.rawValue)).flatMap(RoleType.init(rawValue:)) else {
                throw ConversationsError.missingParameter("Type")
            }
            guard let permissions = try form.list("Permission"), !permissions.isEmpty else { throw ConversationsError.missingParameter("Permission") }
            let role = try await store.createRole(service: scope.service, friendlyName: name, type: type, permissions: permissions)
            return APIResponse.json(Render.role(role, scope), status: .created)
        }
        scoped(router, .get, "/Roles/:sid") { _, context, scope, _ in
            APIResponse.json(Render.role(try await store.role(service: scope.service, try Self.pathParameter(context, "sid")), scope))
        }
        scoped(router, .post, "/Roles/:sid") { _, context, scope, form in
            guard let permissions = try form.list("Permission"), !permissions.isEmpty else { throw ConversationsError.missingParameter("Permission") }
            let role = try await store.updateRole(service: scope.service, try Self.pathParameter(context, "sid"), permissions: permissions)
            return APIResponse.json(Render.role(role, scope))
        }
        scoped(router, .delete, "/Roles/:sid") { _, context, scope, _ in
            try await store.deleteRole(service: scope.service, try Self.pathParameter(context, "sid"))
            return APIResponse.deleted
        }
    }
}
