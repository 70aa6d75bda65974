import ArgumentParser
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMPP
import SMPPClient

/// `tandem bench sink`: a minimal SMSC for benchmarking only. It accepts any bind, answers
/// every submit_sm with a fresh message id, answers enquire_link and unbind, and nothing else
/// (no receipts, no MO, no validation beyond framing).
struct BenchSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "A minimal acknowledging SMSC for benchmarks (binds and acks, nothing more)."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 2775

    func run() async throws {
        let channel = try await BenchSMSC.listen(host: host, port: port) { SinkHandler() }
        writeLine("READY sink=\(channel.localAddress?.port ?? port)")
        try await channel.closeFuture.get()
    }
}

/// What the benchmark SMSCs (`bench sink`, `bench relay`) answer, written straight into the
/// outgoing buffer.
enum BenchSMSC {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Listens on one event loop; each connection gets SMPP framing and a `makeHandler()`.
    static func listen(host: String, port: Int,
                       makeHandler: @escaping @Sendable () -> some ChannelInboundHandler) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMPPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// submit_sm_resp with an 8-hex-digit message_id: 16 + 9 octets.
    static func writeSubmitResponse(sequence: UInt32, messageID: UInt32, into out: inout ByteBuffer) {
        out.writeInteger(UInt32(25))
        out.writeInteger(CommandID.submitSMResp.rawValue)
        out.writeInteger(UInt32(0))
        out.writeInteger(sequence)
        for shift in stride(from: 28, through: 0, by: -4) {
            out.writeInteger(hexDigits[Int((messageID >> UInt32(shift)) & 0xF)])
        }
        out.writeInteger(UInt8(0))
    }

    /// Answers enquire_link, unbind and binds. Returns nil for any other command, or what was
    /// answered (the bind type for binds).
    @discardableResult
    static func answerSession(_ frame: ByteBuffer, commandID: UInt32, sequence: UInt32, decoder: PDUDecoder, systemID: String,
                              into out: inout ByteBuffer) -> CommandID? {
        switch CommandID(rawValue: commandID) {
        case .enquireLink:
            try? PDU(.enquireLinkResp, sequenceNumber: sequence).encode(into: &out)
            return .enquireLink
        case .unbind:
            try? PDU(.unbindResp, sequenceNumber: sequence).encode(into: &out)
            return .unbind
        case let command? where [.bindTransmitter, .bindReceiver, .bindTransceiver].contains(command):
            if case .bind(let type, _)? = try? decoder.decode(frame).body {
                try? PDU(.bindResp(type, BindResp(systemID: systemID)), sequenceNumber: sequence).encode(into: &out)
            }
            return command
        default:
            return nil
        }
    }
}

/// Answers a benchmark client from one event loop with as little work as an SMSC can do: it
/// reads the header only (plus the body of binds, to answer with the right response) and
/// writes the responses of one read batch in one write, so the client is what gets measured.
final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var nextMessageID: UInt32 = 0x1000_0000
    private var pending: ByteBuffer?
    private let decoder = PDUDecoder()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var out = pending ?? context.channel.allocator.buffer(capacity: 8192)
        let commandID = frame.getInteger(at: frame.readerIndex + 4, as: UInt32.self) ?? 0
        let sequence = frame.getInteger(at: frame.readerIndex + 12, as: UInt32.self) ?? 0
        switch CommandID(rawValue: commandID) {
        case .submitSM:
            nextMessageID &+= 1
            BenchSMSC.writeSubmitResponse(sequence: sequence, messageID: nextMessageID, into: &out)
        default:
            if BenchSMSC.answerSession(frame, commandID: commandID, sequence: sequence, decoder: decoder, systemID: "sink", into: &out) == nil {
                try? PDU(.genericNack, sequenceNumber: sequence, commandStatus: .invalidCommandID).encode(into: &out)
            }
        }
        pending = out
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let out = pending {
            pending = nil
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// `tandem bench submit`: submits N messages as fast as the window allows and prints the rate.
struct BenchSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit N submit_sm as fast as the window allows; prints `submit_sm/s: <number>` last."
    )

    @OptionGroup var smsc: SMSCOptions

    @Option(help: "Messages to submit in all.")
    var count = 200_000

    @Option(help: "Window (requests in flight) per bind.")
    var window = 64

    @Option(help: "Transmitter binds to spread the messages over.")
    var binds = 1

    func validate() throws {
        guard count > 0, window > 0, binds > 0 else { throw ValidationError("--count, --window and --binds must be positive") }
    }

    func run() async throws {
        #if DEBUG
        writeLine("warning: this is a debug build; figures are meaningless. Use: swift run -c release tandem bench submit …")
        #endif
        let logger = smsc.logger()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clients: [SMPPClient] = []
        for index in 0..<binds {
            var configuration = try smsc.bindConfiguration(.transmitter, window: window)
            configuration.name = "bench-\(index + 1)"
            configuration.maxQueuedRequests = count
            configuration.requestTimeout = .seconds(120)
            clients.append(SMPPClient(configuration: configuration, eventLoopGroup: group, logger: logger))
        }
        let body = PDUBody.submitSM(BenchMessages.submitSM)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.run() } }
            for client in clients { try await client.waitUntilBound(timeout: .seconds(15)) }
            let clock = ContinuousClock()
            let cpuStarted = processCPUSeconds()
            let started = clock.now
            let results = try await withThrowingTaskGroup(of: (ok: Int, failed: Int).self) { pumps in
                for (index, client) in clients.enumerated() {
                    let share = count / binds + (index < count % binds ? 1 : 0)
                    pumps.addTask { try await WindowPump(client: client, body: body, count: share, window: window).run() }
                }
                var total = (ok: 0, failed: 0)
                for try await result in pumps { total.ok += result.ok; total.failed += result.failed }
                return total
            }
            let elapsed = clock.now - started
            let cpu = processCPUSeconds() - cpuStarted
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            writeLine("binds: \(binds), window: \(window), submitted: \(results.ok + results.failed), acknowledged ok: \(results.ok), failed: \(results.failed)")
            writeLine(String(format: "elapsed: %.3f s", seconds))
            writeLine(String(format: "cpu µs/submit_sm: %.2f", cpu / Double(max(results.ok, 1)) * 1e6))
            for client in clients { await client.shutdown() }
            group.cancelAll()
            writeLine("submit_sm/s: \(Int((Double(results.ok) / seconds).rounded()))")
        }
        try await group.shutdownGracefully()
    }
}

/// User + system CPU time of this process so far (both cores' worth).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Keeps `window` submits in flight on one client until `count` were answered. Everything
/// runs on the client's event loop, so the pump costs no thread hops.
final class WindowPump: @unchecked Sendable {
    // Mutated only on the client channel's event loop.
    private let client: SMPPClient
    private let body: PDUBody
    private let count: Int
    private let window: Int
    private var sent = 0
    private var answered = 0
    private var ok = 0
    private var failed = 0
    private var promise: EventLoopPromise<(ok: Int, failed: Int)>?

    init(client: SMPPClient, body: PDUBody, count: Int, window: Int) {
        self.client = client
        self.body = body
        self.count = count
        self.window = window
    }

    func run() async throws -> (ok: Int, failed: Int) {
        // The first request tells which event loop the connection lives on.
        let loop = client.send(.enquireLink).eventLoop
        let promise = loop.makePromise(of: (ok: Int, failed: Int).self)
        loop.execute {
            self.promise = promise
            self.pump()
        }
        return try await promise.futureResult.get()
    }

    /// One closure for every request, rather than one allocated per send.
    private lazy var completion: @Sendable (Result<PDU, any Error>) -> Void = { [unowned self] result in
        self.answered(result)
    }

    private func pump() {
        while sent < count, sent - answered < window {
            sent += 1
            client.send(body, completion: completion)
        }
    }

    private func answered(_ result: Result<PDU, any Error>) {
        answered += 1
        if case .success(let pdu) = result, pdu.commandStatus == .ok { ok += 1 } else { failed += 1 }
        if answered == count {
            promise?.succeed((ok, failed))
        } else {
            pump()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
