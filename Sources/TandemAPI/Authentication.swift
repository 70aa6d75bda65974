import Conversations
import Foundation
import Hummingbird
import NIOCore

/// Who may call the API: the account SID with its auth token, or API key SID/secret pairs
/// mapped to the account (HTTP Basic, as the mirrored API and its client libraries use).
public struct APICredentials: Sendable {
    public var accountSid: String
    public var authToken: String
    /// API key SID (`SK…`) → secret.
    public var apiKeys: [String: String]

    public init(accountSid: String, authToken: String, apiKeys: [String: String] = [:]) {
        self.accountSid = accountSid; self.authToken = authToken; self.apiKeys = apiKeys
    }

    /// Whether `Authorization: Basic …` carries a valid pair. Comparisons take the same time
    /// whatever the secret's prefix, and the answer never depends on the resource asked for.
    func accepts(authorization header: String?) -> Bool {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic ",
              let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return false }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        if user == accountSid { return Self.constantTimeEqual(password, authToken) }
        if let secret = apiKeys[user] { return Self.constantTimeEqual(password, secret) }
        return false
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

/// Rejects every request under `/v1` without valid credentials (401, code 20003), before
/// routing, so a wrong credential cannot tell which resources exist.
struct BasicAuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let credentials: APICredentials

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        guard credentials.accepts(authorization: request.headers[.authorization]) else {
            var response = APIResponse.error(.authenticationFailed)
            response.headers[.wwwAuthenticate] = "Basic realm=\"Tandem\""
            return response
        }
        return try await next(request, context)
    }
}

/// Turns thrown API errors (and unknown paths) into the `{code, message, more_info, status}` body.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ConversationsError {
            return APIResponse.error(error)
        } catch is NIOTooManyBytesError {
            return APIResponse.error(.bodyTooLarge(limit: APIResponse.maxBody))
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound: return APIResponse.error(.notFound(request.uri.path))
            case .contentTooLarge: return APIResponse.error(.bodyTooLarge(limit: APIResponse.maxBody))
            case .methodNotAllowed:
                return APIResponse.error(.init(code: 20004, status: 405, message: "Method \(request.method) not allowed on \(request.uri.path)"))
            default:
                return APIResponse.error(.init(code: error.status.code * 100, status: error.status.code, message: error.status.reasonPhrase))
            }
        }
    }
}
