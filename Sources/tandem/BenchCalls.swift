import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import SIP

/// `tandem bench calls`: call setups per second (INVITE → 200 → ACK → BYE → 200) through a
/// trunk, and the memory an answered call holds.
struct BenchCalls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "Call setups per second through a trunk (INVITE, 200, ACK, BYE); prints calls/s last.",
        discussion: """
        Point it at a number the trunk answers statelessly (scripts/sip/trunk-up answers +15559999).
        With --hold-all, every call is kept up until all are answered, and the resident memory per
        answered call is printed too.
        """
    )

    @OptionGroup var trunkOptions: TrunkOptions

    @Option(help: "Calling number.")
    var from = "+15551000"

    @Option(help: "Called number.")
    var to: String

    @Option(help: "Calls to place.")
    var count = 10_000

    @Option(help: "Calls in flight at once.")
    var concurrency = 100

    @Option(help: "Transaction retention: indexed (finished transactions leave osip2 for Tandem's index) or rfc3261 (osip2 keeps them).")
    var retention = "indexed"

    @Flag(help: "Keep every call up until all are answered, then measure memory per call and hang all up.")
    var holdAll = false

    func validate() throws {
        guard count > 0, concurrency > 0 else { throw ValidationError("--count and --concurrency must be positive") }
        guard ["indexed", "rfc3261"].contains(retention) else { throw ValidationError("--retention must be indexed or rfc3261") }
        try TrunkOptions.validateNumber(to, option: "--to")
        _ = try trunkOptions.sipTrunk()
    }

    func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless. Use: swift build -c release")
        #endif
        let trunk = try trunkOptions.sipTrunk()
        let logger = trunkOptions.logger("tandem.sip")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: try trunkOptions.endpointConfiguration(
            trunk: trunk, listenTCP: trunk.destination.transport == .tcp, retention: retention == "indexed" ? .indexed : .rfc3261),
            logger: logger)
        try await endpoint.start()
        let agent = try await endpoint.eventLoop.submit { SIPUserAgent(endpoint: endpoint, logger: logger) }.get()
        let driver = CallBenchDriver(agent: agent, trunk: trunk, from: from, to: to, count: count,
                                     concurrency: concurrency, holdAll: holdAll)
        print("calls: \(count), concurrency: \(concurrency)\(holdAll ? " (setups; answered calls held)" : ""), transport: \(trunk.destination.transport.rawValue), retention: \(retention)")
        let baseline = BenchCalls.residentBytes()
        let started = Date()
        let progress = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                if Task.isCancelled { break }
                let snapshot = try? await endpoint.eventLoop.submit { (driver.completed, driver.failed, endpoint.transactionCounts) }.get()
                if let (completed, failed, counts) = snapshot {
                    print(String(format: "  %6.1f s: %d completed, %d failed; osip2 ict/ist/nict/nist %d/%d/%d/%d, retired %d",
                                 Date().timeIntervalSince(started), completed, failed, counts.ict, counts.ist, counts.nict, counts.nist, counts.retired))
                }
            }
        }
        let result = try await driver.run(memoryBaseline: baseline)
        progress.cancel()
        let elapsed = Date().timeIntervalSince(started)
        if !result.failures.isEmpty {
            print("failures by reason:")
            for (reason, number) in result.failures.sorted(by: { $0.value > $1.value }).prefix(5) { print("  \(number) × \(reason)") }
        }
        if let perCall = result.bytesPerAnsweredCall {
            print(String(format: "memory per answered call: %.1f KiB (resident growth with %d calls up)", perCall / 1024, result.completed))
        }
        print(String(format: "completed: %d, failed: %d, elapsed: %.2f s", result.completed, result.failed, elapsed))
        if let stats = try? await endpoint.eventLoop.submit({ endpoint.statistics }).get() {
            print("SIP messages: \(stats.messagesSent) sent, \(stats.messagesReceived) received, \(stats.absorbed) retransmissions absorbed by retired transactions, \(stats.rejected) refused")
        }
        await endpoint.close()
        try? await group.shutdownGracefully()
        print(String(format: "calls/s: %.0f", Double(result.completed) / elapsed))
        if result.failed > 0 { throw ExitCode(1) }
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Keeps `concurrency` calls in flight on the endpoint's loop: each call is hung up as soon as
/// it is answered (or, with holdAll, once every call is answered).
final class CallBenchDriver: @unchecked Sendable {
    struct Result {
        var completed: Int
        var failed: Int
        var failures: [String: Int]
        var bytesPerAnsweredCall: Double?
    }

    let agent: SIPUserAgent
    let trunk: SIPTrunk
    let from: String
    let to: String
    let count: Int
    let concurrency: Int
    let holdAll: Bool
    var started = 0
    var completed = 0
    var failed = 0
    var answered = 0
    var failures: [String: Int] = [:]
    var held: [SIPCallControl] = []
    var memoryBaseline = 0
    var bytesPerCall: Double?
    var promise: EventLoopPromise<Result>?

    init(agent: SIPUserAgent, trunk: SIPTrunk, from: String, to: String, count: Int, concurrency: Int, holdAll: Bool) {
        self.agent = agent
        self.trunk = trunk
        self.from = from
        self.to = to
        self.count = count
        self.concurrency = concurrency
        self.holdAll = holdAll
    }

    func run(memoryBaseline: Int) async throws -> Result {
        let loop = agent.endpoint.eventLoop
        return try await loop.flatSubmit { () -> EventLoopFuture<Result> in
            self.memoryBaseline = memoryBaseline
            let promise = loop.makePromise(of: Result.self)
            self.promise = promise
            for _ in 0..<min(self.concurrency, self.count) { self.startOne() }
            return promise.futureResult
        }.get()
    }

    private func startOne() {
        guard started < count else { return }
        started += 1
        let timers = CallTimers(ringTimeout: .seconds(10), maximumDuration: .seconds(600), trunkResponseTimeout: .seconds(8))
        _ = agent.startCall(from: from, to: to, trunk: trunk, offer: nil, timers: timers) { [unowned self] event, control in
            self.callEvent(event, control)
        }
    }

    private func callEvent(_ event: CallEvent, _ control: SIPCallControl) {
        switch event.call.status {
        case .inProgress:
            answered += 1
            if holdAll {
                held.append(control)
                holdAllCheck()
                startOne()
            } else {
                control.hangUp()
            }
        case .completed:
            completed += 1
            next()
        case .busy, .noAnswer, .failed, .canceled:
            failed += 1
            failures["\(event.call.status.rawValue) \(event.call.sipCode.map(String.init) ?? "-") \(event.call.reason ?? "")", default: 0] += 1
            if holdAll {
                holdAllCheck()
                startOne()
            }
            next()
        default:
            break
        }
    }

    /// With holdAll: once every call is answered or failed, measure, then hang all up.
    private func holdAllCheck() {
        guard answered + failed == count, !held.isEmpty else { return }
        bytesPerCall = Double(BenchCalls.residentBytes() - memoryBaseline) / Double(held.count)
        for call in held { call.hangUp() }
        held.removeAll()
    }

    private func next() {
        if completed + failed == count {
            promise?.succeed(Result(completed: completed, failed: failed, failures: failures, bytesPerAnsweredCall: bytesPerCall))
            promise = nil
        } else if !holdAll {
            startOne()
        }
    }
}
