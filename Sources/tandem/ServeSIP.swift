import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import SIP
import TandemStore

/// The SIP side of `tandem serve`: one endpoint on its own event-loop thread, inbound INVITEs
/// routed by the store (ours → 480 until voice routes exist, others → 404), OPTIONS answered,
/// and the trunk's health tracked by OPTIONS pings.
final class ServeSIP: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let endpoint: SIPEndpoint
    let agent: SIPUserAgent
    let monitor: SIPTrunkMonitor?
    let port: Int

    /// Checks the section; nothing is bound yet.
    static func validate(_ section: ServeConfigurationFile.SIPSection) throws -> (host: String, port: Int, udp: Bool, tcp: Bool, trunk: SIPTrunk?) {
        let (host, port) = try TrunkOptions.hostPort(section.listen ?? "127.0.0.1:5060", option: "sip.listen", allowZero: true)
        let transport = section.transport ?? "both"
        guard ["udp", "tcp", "both"].contains(transport) else { throw ValidationError("sip.transport must be udp, tcp or both, got '\(transport)'") }
        if let interval = section.pingInterval, !(interval >= 1) { throw ValidationError("sip.pingInterval must be at least 1 second") }
        var trunk: SIPTrunk?
        if let t = section.trunk {
            guard (1...65535).contains(t.port) else { throw ValidationError("sip.trunk.port must be 1–65535") }
            guard let protocolValue = SIPTransportProtocol(rawValue: (t.transport ?? "udp").lowercased()) else {
                throw ValidationError("sip.trunk.transport must be udp or tcp")
            }
            if (t.user == nil) != (t.password == nil) { throw ValidationError("sip.trunk: give both user and password, or neither") }
            let destination: SIPDestination
            do { destination = try SIPDestination(host: t.host, port: t.port, transport: protocolValue) } catch {
                throw ValidationError("sip.trunk.host: cannot resolve '\(t.host)': \(error)")
            }
            trunk = SIPTrunk(destination: destination, domain: t.domain ?? "\(t.host):\(t.port)",
                             credentials: t.user.map { DigestCredentials(username: $0, password: t.password ?? "") },
                             assertIdentity: t.assertIdentity ?? false)
        }
        return (host, port, transport != "tcp", transport != "udp", trunk)
    }

    init(section: ServeConfigurationFile.SIPSection, store: ConversationStore, logger: Logger) async throws {
        let checked = try ServeSIP.validate(section)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = SIPEndpointConfiguration(
            listenHost: checked.host, listenPort: checked.port, listenUDP: checked.udp, listenTCP: checked.tcp,
            advertisedHost: section.advertise, retention: .indexed)
        guard configuration.advertiseLocalAddress(toward: checked.trunk?.destination.address) else {
            try? await group.shutdownGracefully()
            throw ValidationError("sip.listen is \(checked.host): give sip.advertise, the address to write in Via and Contact")
        }
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: configuration, logger: logger)
        do {
            try await endpoint.start()
        } catch {
            try? await group.shutdownGracefully()
            throw ValidationError("sip.listen: cannot bind \(checked.host):\(checked.port): \(error)")
        }
        self.endpoint = endpoint
        let (agent, monitor, port) = try await endpoint.eventLoop.submit { () -> (SIPUserAgent, SIPTrunkMonitor?, Int) in
            let agent = SIPUserAgent(endpoint: endpoint, logger: logger)
            agent.inboundRouter = { request in
                guard let number = request.calledNumber else { return .notFound }
                do {
                    return try await store.isOwnNumber(number) ? .unavailable(reason: "no voice route for \(number)") : .notFound
                } catch {
                    logger.error("inbound call routing: \(error)")
                    return .reject(status: 500, reason: "Server Internal Error")
                }
            }
            var monitor: SIPTrunkMonitor?
            if let trunk = checked.trunk {
                monitor = SIPTrunkMonitor(agent: agent, trunk: trunk, interval: .milliseconds(Int64((section.pingInterval ?? 30) * 1000)))
                monitor?.start()
            }
            return (agent, monitor, endpoint.localPort)
        }.get()
        self.agent = agent
        self.monitor = monitor
        self.port = port
    }

    func stop() async {
        try? await endpoint.eventLoop.submit { self.monitor?.stop() }.get()
        await endpoint.close()
        try? await group.shutdownGracefully()
    }
}
