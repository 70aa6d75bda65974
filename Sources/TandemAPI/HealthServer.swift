// TandemAPI — the HTTP face of Tandem: the Conversations v1 REST API (forms in, JSON out)
// served by Hummingbird from the embedded store, and `GET /health`.

import Hummingbird
import Logging
import TandemStore

/// What `GET /health` reports.
public struct HealthStatus: ResponseEncodable, Sendable, Equatable {
    public var status: String
    public var version: String
    public init(status: String = "ok", version: String) {
        self.status = status
        self.version = version
    }
}

/// Builds the HTTP application `tandem serve` runs.
public enum TandemHTTP {
    public static let version = "0.2.0"

    /// `/health` (no authentication) and, when given, the Conversations API.
    public static func router(conversations: ConversationsAPI? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        conversations?.register(on: router)
        router.get("health") { _, _ -> HealthStatus in
            HealthStatus(version: version)
        }
        return router
    }

    /// The application; `onListening` gets the bound port (useful with port 0).
    public static func application(host: String, port: Int, conversations: ConversationsAPI? = nil, logger: Logger,
                                   onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(conversations: conversations),
            configuration: .init(address: .hostname(host, port: port), serverName: "tandem/\(version)"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
