import Logging
import NIOCore

/// The trunk's health as Tandem last saw it.
public enum SIPTrunkHealth: Sendable, Equatable {
    case unknown
    /// The last OPTIONS got a final response (any status: the trunk is alive and speaking SIP).
    case up(status: Int, roundTrip: TimeAmount)
    /// `failures` OPTIONS in a row got no response (timeout or transport error).
    case down(failures: Int)
}

/// Pings the trunk with OPTIONS (RFC 3261 §11) every `interval` (an answer must come within
/// the interval, at most 5 s) and tracks its health;
/// a change is logged once (notice when it goes down, info when it comes back).
/// Loop-confined: start, stop and read `health` on the endpoint's loop.
public final class SIPTrunkMonitor: @unchecked Sendable {
    public let agent: SIPUserAgent
    public let trunk: SIPTrunk
    public let interval: TimeAmount
    /// Failed pings in a row before the trunk counts as down.
    public let threshold: Int
    public private(set) var health: SIPTrunkHealth = .unknown
    public var onChange: ((SIPTrunkHealth) -> Void)?
    private var failures = 0
    private var task: Scheduled<Void>?
    private var running = false

    public init(agent: SIPUserAgent, trunk: SIPTrunk, interval: TimeAmount = .seconds(30), threshold: Int = 2) {
        self.agent = agent
        self.trunk = trunk
        self.interval = interval
        self.threshold = max(1, threshold)
    }

    public func start() {
        guard !running else { return }
        running = true
        ping()
    }

    public func stop() {
        running = false
        task?.cancel()
        task = nil
    }

    private func scheduleNext() {
        guard running else { return }
        task = agent.endpoint.eventLoop.assumeIsolated().scheduleTask(in: interval) { [weak self] in self?.ping() }
    }

    private func ping() {
        let started = NIODeadline.now()
        // An answer later than the interval (or 5 s) counts as none.
        let timeout = min(interval, .seconds(5))
        agent.ping(trunk, timeout: timeout).assumeIsolated().whenSuccess { [weak self] status in
            guard let self else { return }
            self.scheduleNext()
            if let status {
                self.failures = 0
                self.update(.up(status: status, roundTrip: NIODeadline.now() - started))
            } else {
                self.failures += 1
                if self.failures >= self.threshold { self.update(.down(failures: self.failures)) }
            }
        }
    }

    private func update(_ new: SIPTrunkHealth) {
        let wasUp: Bool? = { if case .up = health { return true }; if case .down = health { return false }; return nil }()
        health = new
        switch new {
        case .up(let status, let roundTrip):
            if wasUp != true {
                agent.logger.info("SIP trunk up", metadata: ["trunk": "\(trunk.destination)", "options": "\(status)",
                                                             "rtt-ms": "\(roundTrip.nanoseconds / 1_000_000)"])
                onChange?(new)
            }
        case .down(let failures):
            if wasUp != false {
                agent.logger.notice("SIP trunk down: no answer to OPTIONS", metadata: ["trunk": "\(trunk.destination)", "failures": "\(failures)"])
                onChange?(new)
            }
        case .unknown:
            break
        }
    }
}
