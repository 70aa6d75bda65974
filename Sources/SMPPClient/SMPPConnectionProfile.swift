import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMPP

/// Several binds to one SMSC used as one: e.g. a transmitter and a receiver (SMSCs that offer
/// no transceiver), or N transceivers for throughput. Submits go round-robin over the binds
/// that can transmit and are bound; inbound messages from every receiving bind reach the one
/// consumer (SMSCs deliver receipts on any bind of the account, not the one that submitted).
public final class SMPPConnectionProfile: Sendable {
    public let name: String
    public let clients: [SMPPClient]
    private let next = NIOLockedValueBox(0)

    /// - Parameter binds: the binds, each with its own name, type, window and rate.
    public init(name: String, binds: [SMPPBindConfiguration],
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "tandem.smpp"),
                consumer: @escaping SMPPClient.InboundConsumer = { _ in }) {
        self.name = name
        clients = binds.map { SMPPClient(configuration: $0, eventLoopGroup: eventLoopGroup, logger: logger, consumer: consumer) }
    }

    /// Every problem with the binds' configurations, and the profile's own: at least one bind,
    /// unique bind names.
    public func problems() -> [String] {
        var problems = clients.flatMap { $0.configuration.problems() }
        if clients.isEmpty { problems.append("profile \(name): no binds") }
        let names = clients.map(\.configuration.name)
        if Set(names).count != names.count { problems.append("profile \(name): bind names must be unique") }
        return problems
    }

    /// Runs every bind until cancelled or shut down.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.run() } }
        }
    }

    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.shutdown() } }
        }
    }

    /// Waits until at least one bind of each kind the profile has is bound: one that can
    /// transmit if any can, one that can receive if any can.
    public func waitUntilBound(timeout: Duration = .seconds(10)) async throws(SMPPClientError) {
        for canTransmit in [true, false] {
            let candidates = clients.filter {
                canTransmit ? $0.configuration.bindType.canTransmit : $0.configuration.bindType.canReceive
            }
            guard !candidates.isEmpty else { continue }
            let clock = ContinuousClock()
            let end = clock.now + timeout
            var lastError: SMPPClientError?
            while !candidates.contains(where: { $0.connectionState == .bound }) {
                if clock.now >= end {
                    throw lastError ?? SMPPClientError(.notBound, bind: name, detail: "no bind of the profile bound within \(timeout)")
                }
                for candidate in candidates {
                    do throws(SMPPClientError) { try await candidate.waitUntilBound(timeout: .milliseconds(50)) } catch {
                        if error.kind == .bindRejected { lastError = error }
                    }
                }
            }
        }
    }

    /// Submits on the next bound bind that can transmit (round-robin).
    public func submit(_ submit: SubmitSM) async throws(SMPPClientError) -> SMPPClient.SubmitResponse {
        let transmitters = clients.filter { $0.configuration.bindType.canTransmit }
        guard !transmitters.isEmpty else {
            throw SMPPClientError(.invalidRequest, bind: name, detail: "the profile has no transmitter or transceiver bind")
        }
        let start = next.withLockedValue { value -> Int in
            defer { value &+= 1 }
            return value
        }
        for offset in 0..<transmitters.count {
            let client = transmitters[(start &+ offset) % transmitters.count]
            if client.connectionState == .bound { return try await client.submit(submit) }
        }
        throw SMPPClientError(.notBound, bind: name, detail: "none of the profile's \(transmitters.count) transmitting binds is bound")
    }
}
