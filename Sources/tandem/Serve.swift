import ArgumentParser
import Hummingbird
import Logging
import TandemAPI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bridge. At this stage it serves only GET /health."
    )

    @Option(help: "Address the HTTP API listens on.")
    var host = "127.0.0.1"

    @Option(help: "Port the HTTP API listens on.")
    var port = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535, got \(port)") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var logger = Logger(label: "tandem")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        logger.notice("tandem \(TandemHTTP.version) serving http://\(host):\(port)/health (SMPP, SIP and the Conversations API are not wired yet)")
        try await TandemHTTP.application(host: host, port: port, logger: logger).runService()
    }
}
