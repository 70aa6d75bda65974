import ArgumentParser
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import SIP
import SMPP  // JSONValue: the project's ordered-key JSON writer

/// Options shared by the commands that reach a trunk.
struct TrunkOptions: ParsableArguments {
    @Option(help: "The carrier trunk as HOST:PORT.")
    var trunk: String

    @Option(help: "Transport to the trunk: udp or tcp.")
    var transport: String = "udp"

    @Option(help: "Digest user name for 401/407 challenges.")
    var user: String?

    @Option(help: "Digest password (or the environment variable TANDEM_SIP_PASSWORD, which ps does not show).")
    var password: String?

    @Option(help: "Domain in Request-URI, From and To (default: the trunk's HOST:PORT).")
    var domain: String?

    @Option(help: "Address to listen on for SIP, HOST:PORT (port 0 = any free one).")
    var listen: String = "127.0.0.1:0"

    @Flag(help: "Add P-Asserted-Identity with the caller's number (RFC 3325).")
    var assertIdentity = false

    @Option(help: "Host to write in Via and Contact (default: the listening host, or when listening on 0.0.0.0/:: the local address that reaches the trunk).")
    var advertise: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "warning"

    func transportProtocol() throws -> SIPTransportProtocol {
        guard let value = SIPTransportProtocol(rawValue: transport.lowercased()) else {
            throw ValidationError("--transport must be udp or tcp, got '\(transport)'")
        }
        return value
    }

    func sipTrunk() throws -> SIPTrunk {
        let (host, port) = try TrunkOptions.hostPort(trunk, option: "--trunk")
        let destination: SIPDestination
        do {
            destination = try SIPDestination(host: host, port: port, transport: try transportProtocol())
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("--trunk: cannot resolve '\(host)': \(error)")
        }
        let secret = password ?? ProcessInfo.processInfo.environment["TANDEM_SIP_PASSWORD"]
        if user == nil, password != nil { throw ValidationError("--password needs --user") }
        if user != nil, secret == nil { throw ValidationError("--user needs --password or TANDEM_SIP_PASSWORD") }
        let credentials = user.map { DigestCredentials(username: $0, password: secret ?? "") }
        return SIPTrunk(destination: destination, domain: domain ?? trunk, credentials: credentials, assertIdentity: assertIdentity)
    }

    func listenAddress() throws -> (String, Int) {
        let (host, port) = try TrunkOptions.hostPort(listen, option: "--listen", allowZero: true)
        return (host, port)
    }

    /// The endpoint settings for reaching `trunk` from `--listen` (and `--advertise`).
    func endpointConfiguration(trunk: SIPTrunk, listenTCP: Bool, retention: SIPTransactionRetention = .indexed) throws -> SIPEndpointConfiguration {
        let (host, port) = try listenAddress()
        var configuration = SIPEndpointConfiguration(listenHost: host, listenPort: port, listenUDP: true, listenTCP: listenTCP,
                                                     advertisedHost: advertise, retention: retention)
        guard configuration.advertiseLocalAddress(toward: trunk.destination.address) else {
            throw ValidationError("cannot tell which local address reaches the trunk; give --advertise HOST")
        }
        return configuration
    }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return logger
    }

    static func hostPort(_ text: String, option: String, allowZero: Bool = false) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex, let port = Int(text[text.index(after: colon)...]),
              (allowZero ? 0 : 1)...65535 ~= port else {
            throw ValidationError("\(option) must be HOST:PORT, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func validateNumber(_ number: String, option: String) throws {
        guard number.hasPrefix("+"), number.count >= 4, number.count <= 16, number.dropFirst().allSatisfy(\.isNumber) else {
            throw ValidationError("\(option) must be an E.164 number like +15550001, got '\(number)'")
        }
    }
}

/// `tandem call`: one outbound call or a click-to-call, state changes as JSON lines.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Place a call through a SIP trunk (click-to-call with --connect-to); print each state change as a JSON line.",
        discussion: """
        Exit status: 0 completed, 1 failed, 3 busy, 4 no-answer, 5 canceled, 64 bad arguments.
        SIGINT/SIGTERM: CANCEL while ringing, BYE once answered.
        """
    )

    @OptionGroup var trunkOptions: TrunkOptions

    @Option(help: "Calling number (our proxy number), E.164.")
    var from: String

    @Option(help: "Called number, E.164 (the agent for a click-to-call).")
    var to: String

    @Option(name: .customLong("connect-to"), help: "Click-to-call: the end user to connect the answered --to with (RFC 3725).")
    var connectTo: String?

    @Option(help: "Hang up this many seconds after the call is answered (default: wait for the far end).")
    var hold: Double?

    @Option(help: "Seconds to let the callee ring before CANCEL (no-answer).")
    var ringTimeout: Double = 30

    @Option(help: "Maximum seconds a call may last once answered.")
    var maxDuration: Double = 3600

    @Option(help: "Seconds without any response from the trunk before the call fails.")
    var trunkTimeout: Double = 4

    @Option(help: "File holding the SDP offer for the INVITE (default: no offer).")
    var sdpFile: String?

    func validate() throws {
        try TrunkOptions.validateNumber(from, option: "--from")
        try TrunkOptions.validateNumber(to, option: "--to")
        if let connectTo { try TrunkOptions.validateNumber(connectTo, option: "--connect-to") }
        if connectTo != nil && sdpFile != nil { throw ValidationError("--sdp-file does not apply to click-to-call (the agent's phone makes the offer)") }
        for (value, name) in [(ringTimeout, "--ring-timeout"), (maxDuration, "--max-duration"), (trunkTimeout, "--trunk-timeout")] where !(value > 0) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
        if let hold, !(hold >= 0) { throw ValidationError("--hold must be zero or more seconds") }
        _ = try trunkOptions.sipTrunk()
        _ = try trunkOptions.listenAddress()
    }

    func run() async throws {
        let trunk = try trunkOptions.sipTrunk()
        var offer: [UInt8]?
        if let sdpFile {
            guard let data = FileManager.default.contents(atPath: sdpFile) else { throw ValidationError("cannot read --sdp-file \(sdpFile)") }
            offer = Array(data)
        }
        let logger = trunkOptions.logger("tandem.sip")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: try trunkOptions.endpointConfiguration(
            trunk: trunk, listenTCP: trunk.destination.transport == .tcp), logger: logger)
        do {
            try await endpoint.start()
        } catch {
            throw ValidationError("cannot listen on \(trunkOptions.listen): \(error)")
        }
        // The agent sets the endpoint's handlers: on the loop, which is already receiving.
        let agent = try await endpoint.eventLoop.submit { SIPUserAgent(endpoint: endpoint, logger: logger) }.get()
        let timers = CallTimers(ringTimeout: .milliseconds(Int64(ringTimeout * 1000)), maximumDuration: .milliseconds(Int64(maxDuration * 1000)),
                                trunkResponseTimeout: .milliseconds(Int64(trunkTimeout * 1000)))
        let handle = connectTo.map { agent.clickToCall(from: from, agent: to, endUser: $0, trunk: trunk, timers: timers) }
            ?? agent.placeCall(from: from, to: to, trunk: trunk, offer: offer, timers: timers)
        defer { withExtendedLifetime(agent) {} }

        // The first signal hangs the call up (CANCEL or BYE); a second one exits at once.
        let signals = TerminationSignals { count in
            if count > 1 { Foundation.exit(130) }
            handle.hangUp()
        }
        defer { signals.stop() }
        var legs: [String: Call] = [:]
        var answered: Set<String> = []
        var holdTask: Task<Void, Never>?
        for await event in handle.events {
            legs[event.leg] = event.call
            emitLine(CallCommand.stateLine(event))
            if event.call.status == .inProgress { answered.insert(event.leg) }
            let everyLegAnswered = connectTo == nil ? answered.contains("to") : answered.isSuperset(of: ["to", "connect-to"])
            if let hold, everyLegAnswered, holdTask == nil {
                holdTask = Task {
                    try? await Task.sleep(nanoseconds: UInt64(hold * 1_000_000_000))
                    if !Task.isCancelled { handle.hangUp() }
                }
            }
        }
        holdTask?.cancel()
        let final = CallCommand.overall(legs: legs, clickToCall: connectTo != nil)
        emitLine(CallCommand.finalLine(final))
        await endpoint.close()
        try? await group.shutdownGracefully()
        throw ExitCode(CallCommand.exitCode(final.status))
    }

    /// The overall result: a plain call's own; for a click-to-call, the end user's leg
    /// when it was reached and did not complete, else the agent's.
    static func overall(legs: [String: Call], clickToCall: Bool) -> Call {
        guard let agent = legs["to"] else { return Call(from: "", to: "") }
        guard clickToCall, let endUser = legs["connect-to"] else { return agent }
        if endUser.status != .completed { return endUser }
        var combined = agent
        combined.status = .completed
        return combined
    }

    static func exitCode(_ status: CallStatus) -> Int32 {
        switch status {
        case .completed: return 0
        case .busy: return 3
        case .noAnswer: return 4
        case .canceled: return 5
        default: return 1
        }
    }

    static func stateLine(_ event: CallEvent) -> String {
        var fields: [(String, JSONValue)] = [("event", .string("state")), ("call", .string(event.call.sid)), ("leg", .string(event.leg)),
                                             ("status", .string(event.call.status.rawValue)), ("time", .string(iso8601(Date())))]
        if event.call.status.isFinal { fields += endFields(event.call) }
        return JSONValue.object(fields).rendered()
    }

    static func finalLine(_ call: Call) -> String {
        JSONValue.object([("event", .string("final")), ("call", .string(call.sid)), ("status", .string(call.status.rawValue))]
                         + endFields(call)).rendered()
    }

    private static func endFields(_ call: Call) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if let code = call.sipCode { fields.append(("sipCode", .int(Int64(code)))) }
        fields.append(("reason", .string(call.reason ?? "")))
        fields.append(("duration", .int(Int64(call.duration))))
        return fields
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// SIGINT and SIGTERM handed to `handler` (on the main queue, with how many have come so far)
/// instead of ending the process, until `stop()`.
final class TerminationSignals: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private var count = 0

    init(_ handler: @escaping @Sendable (_ count: Int) -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler { [unowned self] in
                self.count += 1
                handler(self.count)
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}

struct SIPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sip",
        abstract: "SIP tools: answer inbound traffic, ping a trunk.",
        subcommands: [SIPListen.self, SIPPing.self]
    )
}

/// `tandem sip listen`: the inbound side on its own (OPTIONS, routing of INVITEs to proxy
/// numbers, everything else refused correctly). Prints `READY sip=PORT`.
struct SIPListen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Answer inbound SIP: OPTIONS 200; INVITE to a --proxy-number 480 (no route), other numbers 404.",
        discussion: "Prints READY sip=PORT once listening; runs until SIGINT/SIGTERM."
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 = any free one).")
    var listen: String = "127.0.0.1:0"

    @Option(help: "udp, tcp or both.")
    var transport: String = "both"

    @Option(name: .customLong("proxy-number"), help: "A number of ours (repeatable): INVITEs to it get 480 until a route exists.")
    var proxyNumbers: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        _ = try TrunkOptions.hostPort(listen, option: "--listen", allowZero: true)
        guard ["udp", "tcp", "both"].contains(transport) else { throw ValidationError("--transport must be udp, tcp or both") }
        for number in proxyNumbers { try TrunkOptions.validateNumber(number, option: "--proxy-number") }
    }

    func run() async throws {
        let (host, port) = try TrunkOptions.hostPort(listen, option: "--listen", allowZero: true)
        var logger = Logger(label: "tandem.sip")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: SIPEndpointConfiguration(
            listenHost: host, listenPort: port, listenUDP: transport != "tcp", listenTCP: transport != "udp",
            retention: .indexed), logger: logger)
        try await endpoint.start()
        let numbers = Set(proxyNumbers)
        let agent = try await endpoint.eventLoop.submit {
            let agent = SIPUserAgent(endpoint: endpoint, logger: logger)
            agent.inboundRouter = { request in
                guard let called = request.calledNumber, numbers.contains(called) else { return .notFound }
                return .unavailable(reason: "no voice route for \(called)")
            }
            return agent
        }.get()
        defer { withExtendedLifetime(agent) {} }
        let localPort = try await endpoint.eventLoop.submit { endpoint.localPort }.get()
        emitLine("READY sip=\(localPort)")
        await waitForTermination()
        logger.notice("stopping")
        await endpoint.close()
        try? await group.shutdownGracefully()
    }
}

/// `tandem sip ping`: one OPTIONS to the trunk; prints the status and round trip as JSON.
struct SIPPing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Send OPTIONS to a trunk; exit 0 when it answers (any final status), 1 when it does not.",
        discussion: "Gives up after Timer F over UDP (32 s) or at once when a TCP connect is refused; --timeout caps it."
    )

    @OptionGroup var trunkOptions: TrunkOptions

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 5

    func run() async throws {
        let trunk = try trunkOptions.sipTrunk()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try SIPEndpoint(eventLoop: group.next(), configuration: try trunkOptions.endpointConfiguration(
            trunk: trunk, listenTCP: false), logger: trunkOptions.logger("tandem.sip"))
        try await endpoint.start()
        let logger = trunkOptions.logger("tandem.sip")
        let agent = try await endpoint.eventLoop.submit { SIPUserAgent(endpoint: endpoint, logger: logger) }.get()
        let started = Date()
        let status = try await agent.ping(trunk, timeout: .milliseconds(Int64(timeout * 1000))).get()
        let milliseconds = Int(Date().timeIntervalSince(started) * 1000)
        if let status {
            emitLine(JSONValue.object([("trunk", .string(trunk.destination.description)), ("status", .int(Int64(status))),
                                       ("rttMs", .int(Int64(milliseconds)))]).rendered())
        } else {
            emitLine(JSONValue.object([("trunk", .string(trunk.destination.description)), ("status", .string("no answer")),
                                       ("waitedMs", .int(Int64(milliseconds)))]).rendered())
        }
        withExtendedLifetime(agent) {}
        await endpoint.close()
        try? await group.shutdownGracefully()
        if status == nil { throw ExitCode(1) }
    }
}

/// Suspends until SIGINT or SIGTERM.
func waitForTermination() async {
    let (stream, continuation) = AsyncStream<Void>.makeStream()
    let signals = TerminationSignals { _ in continuation.yield() }
    var iterator = stream.makeAsyncIterator()
    _ = await iterator.next()
    signals.stop()
}

/// One line on stdout, written at once (no buffering: tests and pipes read it live).
func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
