import Foundation
@testable import TandemTestSupport
import Testing

/// Wrong requests get the API's error JSON naming what was wrong, and the server goes on.
@Suite(.serialized) struct BadInputTests {
    static let server = Result { try TandemServer.start(database: TandemServer.temporaryDatabase("bad-input")) }

    func error(_ result: TandemServer.HTTPResult) -> (code: Int?, message: String, status: Int?) {
        (result.json?["code"] as? Int, result.json?["message"] as? String ?? "", result.json?["status"] as? Int)
    }

    @Test func malformedValuesAre400NamingTheParameter() async throws {
        let server = try Self.server.get()
        let cases: [(String, String, String)] = [
            ("/v1/Conversations", "State=bogus", "State"),
            ("/v1/Conversations", "Attributes=%7Bnot-json", "Attributes"),
            ("/v1/Conversations", "Timers.Inactive=10+minutes", "Timers.Inactive"),
            ("/v1/Conversations", "Timers.Closed=PT1M", "Timers.Closed"),
            ("/v1/Conversations", "DateCreated=yesterday", "DateCreated"),
            ("/v1/Conversations", "FriendlyName=" + String(repeating: "x", count: 257), "FriendlyName"),
            ("/v1/Users", "FriendlyName=nobody", "Identity"),
            ("/v1/Roles", "FriendlyName=r&Type=conversation", "Permission"),
            ("/v1/Configuration/Addresses", "Type=pager&Address=%2B15550001111", "Type"),
            ("/v1/Configuration/Addresses", "Type=sms&Address=%2B1555+0001111", "Address"),
        ]
        for (path, body, parameter) in cases {
            let result = try await server.request("POST", path, form: body)
            let e = error(result)
            #expect(result.status == 400, "\(path) \(body): \(result.text)")
            #expect(e.code == 20001, "\(path) \(body): \(result.text)")
            #expect(e.message.contains(parameter), "\(path) \(body): message does not name \(parameter): \(e.message)")
        }
    }

    @Test func badPagingParametersAre400() async throws {
        let server = try Self.server.get()
        for (query, parameter) in [("PageSize=abc", "PageSize"), ("PageSize=0", "PageSize"), ("PageToken=XYZ", "PageToken"), ("Order=sideways", "Order")] {
            let path = parameter == "Order" ? "/v1/Conversations/CH00000000000000000000000000000000/Messages?\(query)" : "/v1/Conversations?\(query)"
            let result = try await server.request("GET", path)
            if parameter == "Order" {
                // The conversation does not exist: a 404 may win; a 400 must name Order.
                #expect(result.status == 400 || result.status == 404, "\(result.text)")
            } else {
                #expect(result.status == 400, "\(query): \(result.text)")
                #expect(error(result).message.contains(parameter), "\(query): \(result.text)")
            }
        }
    }

    @Test func aMessageWithNothingToSendIs400AndAHugePageNumberIsRefused() async throws {
        let server = try Self.server.get()
        let conversation = try #require(try await server.request("POST", "/v1/Conversations", form: "").json?["sid"] as? String)
        let empty = try await server.request("POST", "/v1/Conversations/\(conversation)/Messages", form: "Author=agent")
        #expect(empty.status == 400, "\(empty.text)")
        #expect(error(empty).message.contains("Body"))
        let page = try await server.request("GET", "/v1/Conversations?Page=9223372036854775807&PageSize=1")
        #expect(page.status == 400, "\(page.text)")
        let health = try await server.request("GET", "/health", authorization: nil)
        #expect(health.status == 200, "the server died")
    }

    @Test func webhookURLsMustBeAbsoluteHTTP() async throws {
        let server = try Self.server.get()
        let result = try await server.request("POST", "/v1/Configuration/Webhooks", form: form([("PostWebhookUrl", "file:///etc/passwd")]))
        #expect(result.status == 400, "\(result.text)")
        #expect(error(result).message.contains("PostWebhookUrl"))
    }

    @Test func unknownParametersAreIgnoredAsTheMirroredAPIDoes() async throws {
        let server = try Self.server.get()
        let result = try await server.request("POST", "/v1/Conversations", form: "FriendlyName=kept&NoSuchThing=1&Timers.Bogus=2")
        #expect(result.status == 201, "\(result.text)")
        #expect(result.json?["friendly_name"] as? String == "kept")
    }

    @Test func garbledFormEncodingStillGetsAnAnswer() async throws {
        let server = try Self.server.get()
        let result = try await server.request("POST", "/v1/Conversations", body: Data([0x25, 0x7A, 0x7A, 0x3D, 0xFF, 0xFE, 0x26, 0x3D, 0x3D, 0x26]))
        // Undecodable bytes are kept literally (as U+FFFD); the create succeeds with nothing set.
        #expect(result.status == 201, "\(result.text)")
        let health = try await server.request("GET", "/health", authorization: nil)
        #expect(health.status == 200)
    }

    @Test func oversizedBodyIs413WithTheErrorShape() async throws {
        let server = try Self.server.get()
        let body = Data(("Body=" + String(repeating: "a", count: 300 * 1024)).utf8)
        let result = try await server.request("POST", "/v1/Conversations", body: body)
        #expect(result.status == 413, "\(result.text.prefix(300))")
        #expect(error(result).code == 20413)
    }

    @Test func unknownPathIs404WithCode20404() async throws {
        let server = try Self.server.get()
        let result = try await server.request("GET", "/v1/NoSuchResource")
        #expect(result.status == 404)
        #expect(error(result).code == 20404)
        let missing = try await server.request("GET", "/v1/Services/IS00000000000000000000000000000000/Conversations")
        #expect(missing.status == 404)
        #expect(error(missing).code == 20404)
    }

    @Test func missingOrWrongCredentialsAre401AndRevealNothing() async throws {
        let server = try Self.server.get()
        let created = try await server.request("POST", "/v1/Conversations", form: "UniqueName=secret-room")
        #expect(created.status == 201)
        for path in ["/v1/Conversations/secret-room", "/v1/Conversations/no-such-room", "/v1/NoSuchResource"] {
            for authorization in [nil, TandemServer.basic(TandemServer.accountSid, "wrong-token-0000"), "Bearer abc", "Basic !!!"] {
                let result = try server.rawRequest("GET", path, authorization: authorization)
                #expect(result.status == 401, "\(path) with \(authorization ?? "none"): \(result.status)")
                #expect(error(result).code == 20003)
            }
        }
        let health = try await server.request("GET", "/health", authorization: nil)
        #expect(health.status == 200)
    }

    @Test func aFailedWriteLeavesNothingHalfWritten() async throws {
        let server = try Self.server.get()
        // The second participant's pair is taken: the whole ConversationWithParticipants fails.
        let first = try #require(try await server.request("POST", "/v1/Conversations", form: "").json?["sid"] as? String)
        let taken = try await server.request("POST", "/v1/Conversations/\(first)/Participants",
                                             form: form([("MessagingBinding.Address", "+15551110001"), ("MessagingBinding.ProxyAddress", "+15552220001")]))
        #expect(taken.status == 201)
        let attempt = try await server.request("POST", "/v1/ConversationWithParticipants", form: form([
            ("UniqueName", "half-written"), ("Participant", #"{"identity":"first-agent"}"#),
            ("Participant", #"{"messaging_binding":{"address":"+15551110001","proxy_address":"+15552220001"}}"#),
        ]))
        #expect(attempt.status == 409, "\(attempt.text)")
        #expect(error(attempt).code == 50425)
        let lookup = try await server.request("GET", "/v1/Conversations/half-written")
        #expect(lookup.status == 404, "the conversation of a failed ConversationWithParticipants exists: \(lookup.text)")
        let agent = try await server.request("GET", "/v1/ParticipantConversations?Identity=first-agent")
        #expect((agent.json?["conversations"] as? [Any])?.isEmpty == true, "\(agent.text)")
    }
}
