import Conversations
import Hummingbird
import TandemStore

extension ConversationsAPI {
    func registerAccountRoutes(on router: Router<Context>) {
        let store = store, base = baseURL, account = account

        // Account configuration
        self.account(router, .get, "/v1/Configuration") { _, _, _ in
            APIResponse.json(Render.accountConfiguration(try await store.accountConfiguration(), base: base, account: account))
        }
        self.account(router, .post, "/v1/Configuration") { _, _, form in
            let service = try form.sid("DefaultChatServiceSid", prefix: .service)
            let messaging = form.string("DefaultMessagingServiceSid")
            let inactive = form.string("DefaultInactiveTimer")
            let closed = form.string("DefaultClosedTimer")
            _ = try Validate.timer(inactive, minimum: ConversationLimits.minimumInactiveTimer, parameter: "DefaultInactiveTimer")
            _ = try Validate.timer(closed, minimum: ConversationLimits.minimumClosedTimer, parameter: "DefaultClosedTimer")
            let updated = try await store.updateAccountConfiguration { c in
                if let service { c.defaultChatServiceSid = service }
                if let messaging { c.defaultMessagingServiceSid = messaging }
                if let inactive { c.defaultInactiveTimer = inactive }
                if let closed { c.defaultClosedTimer = closed }
            }
            return APIResponse.json(Render.accountConfiguration(updated, base: base, account: account))
        }
        self.account(router, .get, "/v1/Configuration/Webhooks") { _, _, _ in
            APIResponse.json(Render.accountWebhooks(try await store.accountWebhooks(), base: base, account: account))
        }
        self.account(router, .post, "/v1/Configuration/Webhooks") { _, _, form in
            let method = try Self.webhookMethod(form, "Method")
            let filters = try form.list("Filters")
            let pre = try form.url("PreWebhookUrl"), post = try form.url("PostWebhookUrl")
            let target = try form.choice("Target", ["webhook", "flex"])
            let updated = try await store.updateAccountWebhooks { w in
                if let method { w.method = method }
                if let filters { w.filters = filters }
                if let pre { w.preWebhookUrl = pre.isEmpty ? nil : pre }
                if let post { w.postWebhookUrl = post.isEmpty ? nil : post }
                if let target { w.target = target }
            }
            return APIResponse.json(Render.accountWebhooks(updated, base: base, account: account))
        }

        // Address configurations
        let addressTypes = ["sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat"]
        @Sendable func addressDraft(_ form: FormParameters, creating: Bool) throws(ConversationsError) -> AddressConfigurationDraft {
            var draft = AddressConfigurationDraft()
            if creating {
                draft.type = try form.choice("Type", addressTypes)
                if draft.type == nil { throw .missingParameter("Type") }
                draft.address = try form.address("Address")
                if draft.address == nil { throw .missingParameter("Address") }
                draft.addressCountry = try form.text("AddressCountry", max: 2)
            }
            draft.friendlyName = try form.text("FriendlyName", max: ConversationLimits.friendlyName)
            draft.enabled = try form.bool("AutoCreation.Enabled")
            draft.autoType = try form.choice("AutoCreation.Type", ["webhook", "studio", "default"])
            draft.conversationServiceSid = try form.sid("AutoCreation.ConversationServiceSid", prefix: .service)
            draft.webhookUrl = try form.url("AutoCreation.WebhookUrl")
            draft.webhookMethod = try form.choice("AutoCreation.WebhookMethod", ["get", "post", "GET", "POST"]).map { $0.lowercased() }
            draft.webhookFilters = try form.list("AutoCreation.WebhookFilters")
            draft.studioFlowSid = form.string("AutoCreation.StudioFlowSid")
            draft.studioRetryCount = try form.int("AutoCreation.StudioRetryCount", range: 0...3)
            return draft
        }
        self.account(router, .get, "/v1/Configuration/Addresses") { _, _, form in
            let type = try form.choice("Type", addressTypes)
            let (request, number) = try Self.pageRequest(form, max: 50)
            let page = try await store.listAddressConfigurations(type: type, request)
            return Self.list("address_configurations", page, request: request, number: number, listURL: "\(base)/v1/Configuration/Addresses",
                             filters: type.map { [("Type", $0)] } ?? []) { Render.addressConfiguration($0, base: base, account: account) }
        }
        self.account(router, .post, "/v1/Configuration/Addresses") { _, _, form in
            let created = try await store.createAddressConfiguration(try addressDraft(form, creating: true))
            return APIResponse.json(Render.addressConfiguration(created, base: base, account: account), status: .created)
        }
        self.account(router, .get, "/v1/Configuration/Addresses/:sid") { _, context, _ in
            let sid = try Self.pathParameter(context, "sid")
            return APIResponse.json(Render.addressConfiguration(try await store.addressConfiguration(sid), base: base, account: account))
        }
        self.account(router, .post, "/v1/Configuration/Addresses/:sid") { _, context, form in
            let sid = try Self.pathParameter(context, "sid")
            let updated = try await store.updateAddressConfiguration(sid, try addressDraft(form, creating: false))
            return APIResponse.json(Render.addressConfiguration(updated, base: base, account: account))
        }
        self.account(router, .delete, "/v1/Configuration/Addresses/:sid") { _, context, _ in
            try await store.deleteAddressConfiguration(try Self.pathParameter(context, "sid"))
            return APIResponse.deleted
        }

        // Services
        self.account(router, .get, "/v1/Services") { _, _, form in
            let (request, number) = try Self.pageRequest(form, max: 100)
            let page = try await store.listServices(request)
            return Self.list("services", page, request: request, number: number, listURL: "\(base)/v1/Services") {
                Render.service($0, base: base, account: account)
            }
        }
        self.account(router, .post, "/v1/Services") { _, _, form in
            let name = try form.required("FriendlyName", max: ConversationLimits.friendlyName)
            return APIResponse.json(Render.service(try await store.createService(friendlyName: name), base: base, account: account), status: .created)
        }
        self.account(router, .get, "/v1/Services/:service") { _, context, _ in
            APIResponse.json(Render.service(try await store.service(try Self.pathParameter(context, "service")), base: base, account: account))
        }
        self.account(router, .delete, "/v1/Services/:service") { _, context, _ in
            try await store.deleteService(try Self.pathParameter(context, "service"))
            return APIResponse.deleted
        }

        // Service configuration and webhooks
        self.account(router, .get, "/v1/Services/:service/Configuration") { _, context, _ in
            let service = try Self.pathParameter(context, "service")
            return APIResponse.json(Render.serviceConfiguration(try await store.serviceConfiguration(service: service), service: service, base: base))
        }
        self.account(router, .post, "/v1/Services/:service/Configuration") { _, context, form in
            let service = try Self.pathParameter(context, "service")
            let creator = try form.sid("DefaultConversationCreatorRoleSid", prefix: .role)
            let conversationRole = try form.sid("DefaultConversationRoleSid", prefix: .role)
            let serviceRole = try form.sid("DefaultChatServiceRoleSid", prefix: .role)
            let reachability = try form.bool("ReachabilityEnabled")
            let updated = try await store.updateServiceConfiguration(service: service) { c in
                if let creator { c.defaultConversationCreatorRoleSid = creator }
                if let conversationRole { c.defaultConversationRoleSid = conversationRole }
                if let serviceRole { c.defaultChatServiceRoleSid = serviceRole }
                if let reachability { c.reachabilityEnabled = reachability }
            }
            return APIResponse.json(Render.serviceConfiguration(updated, service: service, base: base))
        }
        self.account(router, .get, "/v1/Services/:service/Configuration/Webhooks") { _, context, _ in
            let service = try Self.pathParameter(context, "service")
            return APIResponse.json(Render.serviceWebhooks(try await store.serviceWebhooks(service: service), service: service, base: base, account: account))
        }
        self.account(router, .post, "/v1/Services/:service/Configuration/Webhooks") { _, context, form in
            let service = try Self.pathParameter(context, "service")
            let method = try Self.webhookMethod(form, "Method")
            let filters = try form.list("Filters")
            let pre = try form.url("PreWebhookUrl"), post = try form.url("PostWebhookUrl")
            let updated = try await store.updateServiceWebhooks(service: service) { w in
                if let method { w.method = method }
                if let filters { w.filters = filters }
                if let pre { w.preWebhookUrl = pre.isEmpty ? nil : pre }
                if let post { w.postWebhookUrl = post.isEmpty ? nil : post }
            }
            return APIResponse.json(Render.serviceWebhooks(updated, service: service, base: base, account: account))
        }
    }
}
