import ArgumentParser
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMPP

/// `tandem bench relay`: an SMSC for the bridge benchmark. It accepts binds, answers every
/// submit_sm at once, and — on SIGUSR1, once the conversation is set up — pushes `count` MO
/// deliver_sm (at most `window` unanswered) from `--from` to `--to`. It counts the submit_sm
/// the bridge sends on and prints, measured on this side, `relayed/s: N` when `count` arrived.
struct BenchRelay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "SMSC side of the bridge benchmark: pushes MO on SIGUSR1, counts the submit_sm relayed back."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 0

    @Option(help: "MO messages to push.")
    var count = 100_000

    @Option(help: "Unanswered deliver_sm at most.")
    var window = 256

    @Option(help: "The end user who texts (source_addr, international).")
    var from = "15550007001"

    @Option(help: "Our number it texts (destination_addr).")
    var to = "15559990071"

    func run() async throws {
        let plan = RelayPlan(count: count, window: window, mo: try Self.moTemplate(from: from, to: to))
        let channel = try await BenchSMSC.listen(host: host, port: port) { RelayHandler(plan: plan) }
        signal(SIGUSR1, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR1)
        let loop = channel.eventLoop
        source.setEventHandler { loop.execute { plan.start() } }
        source.resume()
        writeLine("READY relay=\(channel.localAddress?.port ?? port)")
        let result = try await plan.finished.futureResult.get()
        writeLine(result)
        source.cancel()
        try await channel.close()
    }

    /// One MO deliver_sm, encoded once; each send patches its sequence number.
    static func moTemplate(from: String, to: String) throws -> [UInt8] {
        var deliver = DeliverSM()
        deliver.setAddresses(source: SMPPAddress(ton: 1, npi: 1, address: from), destination: SMPPAddress(ton: 1, npi: 1, address: to))
        deliver.shortMessage = Array("Benchmark message through the bridge".utf8)
        var buffer = ByteBuffer()
        try PDU(.deliverSM(deliver), sequenceNumber: 1).encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }
}

/// The benchmark's state, touched only on the relay's single event loop.
final class RelayPlan: @unchecked Sendable {
    let count: Int
    let window: Int
    let mo: [UInt8]
    let finished: EventLoopPromise<String>
    private var sent = 0
    private var answered = 0
    private var refused = 0
    private var relayed = 0
    private var started: NIODeadline?
    private var receiver: (ChannelHandlerContext, RelayHandler)?
    private static let loopGroup = MultiThreadedEventLoopGroup.singleton

    init(count: Int, window: Int, mo: [UInt8]) {
        self.count = count; self.window = window; self.mo = mo
        finished = Self.loopGroup.next().makePromise()
    }

    func bound(_ context: ChannelHandlerContext, _ handler: RelayHandler) { receiver = (context, handler) }

    func start() {
        guard started == nil, let (context, _) = receiver else {
            writeLine("relay: SIGUSR1 before any bind, or twice; ignored")
            return
        }
        started = .now()
        pushMore(context)
    }

    /// Sends MO until `window` are unanswered or all were sent.
    func pushMore(_ context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: mo.count * 64)
        while sent < count, sent - answered < window {
            sent += 1
            out.writeBytes(mo)
            out.setInteger(UInt32(sent), at: out.writerIndex - mo.count + 12)
        }
        if out.readableBytes > 0 { context.writeAndFlush(NIOAny(out), promise: nil) }
    }

    func answeredMO(_ context: ChannelHandlerContext, status: UInt32) {
        answered += 1
        if status != 0 { refused += 1 }
        pushMore(context)
    }

    func relayedSubmit() {
        relayed += 1
        guard relayed == count, let started else { return }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        finished.succeed("""
            MO pushed: \(sent), refused: \(refused), submit_sm relayed: \(relayed), in \(String(format: "%.2f", seconds)) s
            relayed/s: \(Int(Double(relayed) / seconds))
            """)
    }
}

final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let plan: RelayPlan
    private let decoder = PDUDecoder()
    private var nextMessageID: UInt32 = 0x2000_0000

    init(plan: RelayPlan) { self.plan = plan }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let commandID = frame.getInteger(at: frame.readerIndex + 4, as: UInt32.self) ?? 0
        let status = frame.getInteger(at: frame.readerIndex + 8, as: UInt32.self) ?? 0
        let sequence = frame.getInteger(at: frame.readerIndex + 12, as: UInt32.self) ?? 0
        var out = context.channel.allocator.buffer(capacity: 64)
        switch CommandID(rawValue: commandID) {
        case .submitSM:
            nextMessageID &+= 1
            BenchSMSC.writeSubmitResponse(sequence: sequence, messageID: nextMessageID, into: &out)
            plan.relayedSubmit()
        case .deliverSMResp:
            plan.answeredMO(context, status: status)
        default:
            let answered = BenchSMSC.answerSession(frame, commandID: commandID, sequence: sequence, decoder: decoder, systemID: "relay", into: &out)
            if answered == .bindReceiver || answered == .bindTransceiver { plan.bound(context, self) }
        }
        if out.readableBytes > 0 { context.write(wrapOutboundOut(out), promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
