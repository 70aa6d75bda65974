import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Testing
@testable import TandemAPI
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite struct HealthTests {
    /// Starts the real application on an ephemeral loopback port and asks it over HTTP.
    @Test func healthEndpointAnswersOKOverHTTP() async throws {
        // Port 0: the kernel picks a free one and the app reports it (a random fixed port could
        // collide with the ephemeral ports the peers of other suites hold).
        let logger = Logger(label: "test")
        let (bound, boundPort) = AsyncStream<Int>.makeStream()
        let app = TandemHTTP.application(host: "127.0.0.1", port: 0, logger: logger) { port in
            boundPort.yield(port)
            boundPort.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = bound.makeAsyncIterator()
            let port = try #require(await iterator.next())
            var body: Data?
            var status = 0
            for _ in 0..<50 {
                do {
                    let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
                    body = data
                    status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    break
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            #expect(status == 200)
            let object = try JSONSerialization.jsonObject(with: try #require(body)) as? [String: Any]
            #expect(object?["status"] as? String == "ok")
            #expect(object?["version"] as? String == TandemHTTP.version)
        }
    }
}
