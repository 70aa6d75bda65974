// TandemAPI — the HTTP face of Tandem: Conversations v1 REST paths (forms in, JSON out),
// WebSocket events, access tokens and webhooks, served by Hummingbird.
//
// At this stage it serves only `GET /health`: the Conversations API arrives with its issue.

import Hummingbird
import Logging

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
    public static let version = "0.1.0"

    public static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ -> HealthStatus in
            HealthStatus(version: version)
        }
        return router
    }

    public static func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "tandem/\(version)"),
            logger: logger
        )
    }
}
