import Conversations
import Foundation
import Hummingbird
import Logging
import NIOCore
import TandemStore

/// The Conversations v1 REST API: the paths, parameters and JSON of the mirrored API, served
/// from the embedded store. Every path exists twice: `/v1/X` (the default service) and
/// `/v1/Services/{IS}/X`.
public struct ConversationsAPI: Sendable {
    public let store: ConversationStore
    public let credentials: APICredentials
    /// Absolute base of every URL the API emits (`url`, `links`, `meta.*_url`), no trailing slash.
    public let baseURL: String

    public init(store: ConversationStore, credentials: APICredentials, baseURL: String) {
        self.store = store
        self.credentials = credentials
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    typealias Context = BasicRequestContext
    typealias Handler = @Sendable (Request, Context, Scope, FormParameters) async throws -> Response

    var account: String { credentials.accountSid }

    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: BasicAuthenticationMiddleware(credentials: credentials))
        registerAccountRoutes(on: router)
        registerConversationRoutes(on: router)
        registerUserRoutes(on: router)
    }

    // MARK: plumbing

    /// Reads the query string and (for POST) the form body into one parameter set.
    static func parameters(_ request: inout Request) async throws -> FormParameters {
        var form = FormParameters()
        if let query = request.uri.query { form.add(encoded: query.utf8) }
        if request.method == .post {
            let body = try await request.collectBody(upTo: APIResponse.maxBody)
            form.add(encoded: body.readableBytesView)
        }
        return form
    }

    /// Registers `path` on the account level only.
    func account(_ router: Router<Context>, _ method: HTTPRequest.Method, _ path: RouterPath,
                 _ handler: @escaping @Sendable (Request, Context, FormParameters) async throws -> Response) {
        router.on(path, method: method) { request, context in
            var request = request
            let form = try await Self.parameters(&request)
            return try await handler(request, context, form)
        }
    }

    /// Registers `path` under `/v1` (default service) and `/v1/Services/:service`.
    func scoped(_ router: Router<Context>, _ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        let store = store, base = baseURL, account = account
        router.on(RouterPath("/v1" + path), method: method) { request, context in
            var request = request
            let form = try await Self.parameters(&request)
            return try await handler(request, context, Scope(service: store.defaultServiceSid, prefix: base + "/v1", accountSid: account), form)
        }
        router.on(RouterPath("/v1/Services/:service" + path), method: method) { request, context in
            var request = request
            let service = try Self.pathParameter(context, "service")
            _ = try await store.service(service)
            let form = try await Self.parameters(&request)
            return try await handler(request, context, Scope(service: service, prefix: "\(base)/v1/Services/\(service)", accountSid: account), form)
        }
    }

    static func pathParameter(_ context: Context, _ name: String) throws(ConversationsError) -> String {
        guard let raw = context.parameters.get(name) else { throw .notFound(name) }
        return raw.removingPercentEncoding ?? raw
    }

    static func pageRequest(_ form: FormParameters, max: Int, descending: Bool = false) throws(ConversationsError) -> (PageRequest, Int) {
        let size = min(try form.int("PageSize", range: 1...Int.max) ?? 50, max)
        var cursor: PageCursor?
        if let token = form.string("PageToken") {
            guard let parsed = PageCursor(token: token) else { throw .invalidParameter("PageToken", "'\(token)' is not a token this server issued") }
            cursor = parsed
        }
        let page = try form.int("Page", range: 0...1_000_000) ?? 0
        return (PageRequest(size: size, cursor: cursor, descending: descending), page)
    }

    /// A v1 list page: the items under `key` and the `meta` object with absolute URLs that
    /// carry the list's filters along.
    static func list<T>(_ key: String, _ page: Page<T>, request: PageRequest, number: Int, listURL: String,
                        filters: [(String, String)] = [], render: (T) -> JSON) -> Response {
        func url(page pageNumber: Int, token: String?) -> JSON {
            var query = filters
            query.append(("PageSize", String(request.size)))
            query.append(("Page", String(pageNumber)))
            if let token { query.append(("PageToken", token)) }
            return .string(listURL + "?" + query.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&"))
        }
        let meta: JSON = .object([
            ("page", .int(number)), ("page_size", .int(request.size)),
            ("first_page_url", url(page: 0, token: nil)),
            ("previous_page_url", page.previous.map { url(page: Swift.max(number - 1, 0), token: $0.token) } ?? .null),
            ("url", url(page: number, token: request.cursor?.token)),
            ("next_page_url", page.next.map { url(page: number + 1, token: $0.token) } ?? .null),
            ("key", .string(key)),
        ])
        return APIResponse.json(.object([(key, .array(page.items.map(render))), ("meta", meta)]))
    }

    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func webhookMethod(_ form: FormParameters, _ name: String) throws(ConversationsError) -> String? {
        try form.choice(name, ["GET", "POST"], caseInsensitive: true)
    }
}
