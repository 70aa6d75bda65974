import Logging
import NIOCore
import SMPP

/// Who hears about a request's outcome: a promise (the async API) or a plain callback run on
/// the event loop (the hot path: no future machinery per message).
enum SMPPResponder {
    case promise(EventLoopPromise<PDU>)
    case callback(@Sendable (Result<PDU, any Error>) -> Void)

    func succeed(_ pdu: PDU) {
        switch self {
        case .promise(let promise): promise.succeed(pdu)
        case .callback(let callback): callback(.success(pdu))
        }
    }

    func fail(_ error: any Error) {
        switch self {
        case .promise(let promise): promise.fail(error)
        case .callback(let callback): callback(.failure(error))
        }
    }
}

struct SMPPConnectionCallbacks: Sendable {
    var bound: @Sendable (_ systemID: String?, _ interfaceVersion: UInt8?) -> Void
    /// An inbound deliver_sm / data_sm: complete the promise with the status to acknowledge
    /// with, once the consumer has taken responsibility for the message.
    var inbound: @Sendable (_ pdu: PDU, _ ack: EventLoopPromise<CommandStatus>) -> Void
    /// Requests outstanding (in the window or queued for it), reported once per I/O batch.
    var outstanding: @Sendable (_ count: Int) -> Void = { _ in }
    /// A transport error (TLS handshake, reset, …) before the connection closes.
    var transportError: @Sendable (_ error: any Error) -> Void = { _ in }
    var closing: @Sendable (_ reason: SMPPSession.CloseReason) -> Void
}

/// The thin NIO side of one SMPP session: frames in → ``SMPPSession`` events, the session's
/// actions → PDUs out, promises completed, timers scheduled. No protocol decisions here.
final class SMPPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    /// Requests arrive through ``submit(_:deadline:responder:)`` on the event loop, not as writes.
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private var session: SMPPSession
    private let decoder: PDUDecoder
    private let callbacks: SMPPConnectionCallbacks
    private var logger: Logger
    private var responders: [SMPPSession.RequestID: SMPPResponder] = [:]
    private var nextRequestID: SMPPSession.RequestID = 1
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var flushScheduled = false
    private var needsFlush = false
    private var context: ChannelHandlerContext?
    private var closeRequested = false
    private var outbound = ByteBuffer()
    /// The SMSC opened this connection (outbind) rather than us.
    private let accepted: Bool

    init(configuration: SMPPSession.Configuration, maxCommandLength: Int, callbacks: SMPPConnectionCallbacks, logger: Logger,
         accepted: Bool = false) {
        self.accepted = accepted
        session = SMPPSession(configuration: configuration)
        decoder = PDUDecoder(maxCommandLength: maxCommandLength)
        self.callbacks = callbacks
        self.logger = logger
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard session.state == .closed, !closeRequested else { return }
        if accepted {
            logger.debug("SMSC connected to us; waiting for its outbind")
            run(session.connectionAccepted(now: .now()), context: context)
        } else {
            logger.debug("connected; binding as \(session.configuration.bindType.rawValue)")
            run(session.connectionEstablished(now: .now()), context: context)
        }
        flushIfNeeded(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(session.connectionClosed(now: .now()), context: context)
        for (_, responder) in responders {
            responder.fail(SMPPSession.RequestError(.connectionClosed, "the connection to the SMSC closed"))
        }
        responders.removeAll()
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let now = NIODeadline.now()
        do {
            let pdu = try decoder.decode(frame)
            if logger.logLevel <= .trace {
                logger.trace("received \(pdu.commandID.specName)", metadata: ["seq": "\(pdu.sequenceNumber)", "status": "\(pdu.commandStatus)"])
            }
            run(session.pduReceived(pdu, now: now), context: context)
        } catch {
            logger.warning("undecodable PDU from the SMSC: \(error)", metadata: ["hex": "\(Array(frame.readableBytesView.prefix(64)).smppHex)"])
            run(session.pduDecodingFailed(error, now: now), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        callbacks.outstanding(responders.count)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let decodingError = error as? SMPPDecodingError {
            logger.error("SMSC byte stream cannot be framed: \(decodingError)")
            run(session.pduDecodingFailed(decodingError, now: .now()), context: context)
            flushIfNeeded(context: context)
        } else {
            logger.warning("connection error: \(error)")
            callbacks.transportError(error)
            context.close(promise: nil)
        }
    }

    // MARK: Requests from the client

    /// A request from the client: called on the event loop directly, without a trip through the
    /// pipeline. Fails the promise at once when the connection is already gone.
    func submit(_ body: PDUBody, deadline: NIODeadline, responder: SMPPResponder) {
        guard let context else {
            responder.fail(SMPPSession.RequestError(.connectionClosed, "the connection to the SMSC closed"))
            return
        }
        let id = nextRequestID
        nextRequestID &+= 1
        responders[id] = responder
        run(session.requestSubmitted(id, body: body, deadline: deadline, now: .now()), context: context)
        if let scheduled = timerDeadline, deadline < scheduled { reschedule(context: context, force: true) }
        scheduleFlush(context: context)
    }

    func flush(context: ChannelHandlerContext) {
        scheduleFlush(context: context)
    }

    /// Coalesces: everything submitted in one event-loop tick leaves in one write and syscall.
    private func scheduleFlush(context: ChannelHandlerContext) {
        guard needsFlush, !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            if let context = self.context { flushIfNeeded(context: context) }
        }
    }

    /// The client wants to leave: unbind, then close when the SMSC answered (or timed out).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, !closeRequested, case .bound = session.state else {
            context.close(mode: mode, promise: promise)
            return
        }
        closeRequested = true
        run(session.unbindRequested(now: .now()), context: context)
        flushIfNeeded(context: context)
        context.channel.closeFuture.cascade(to: promise)
    }

    // MARK: Actions

    private func run(_ actions: [SMPPSession.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let pdu):
                // Encoded into one buffer per flush: one write for the whole batch.
                do {
                    try pdu.encode(into: &outbound)
                } catch {
                    logger.error("refusing to send an invalid \(pdu.commandID.specName): \(error)")
                    continue
                }
                needsFlush = true
            case .bound(let type, let systemID, let version):
                logger.info("bound as \(type.rawValue)", metadata: ["smsc_system_id": "\(systemID ?? "")"])
                callbacks.bound(systemID, version)
            case .complete(let id, let pdu):
                responders.removeValue(forKey: id)?.succeed(pdu)
            case .fail(let id, let error):
                responders.removeValue(forKey: id)?.fail(error)
            case .deliver(let pdu):
                let ack = context.eventLoop.makePromise(of: CommandStatus.self)
                let sequence = pdu.sequenceNumber
                let command = pdu.commandID
                ack.futureResult.assumeIsolated().whenComplete { [self] result in
                    guard let context = self.context else { return }
                    let status = (try? result.get()) ?? .temporaryAppError
                    run(session.inboundHandled(sequenceNumber: sequence, commandID: command, status: status, now: .now()),
                        context: context)
                    flushIfNeeded(context: context)
                }
                callbacks.inbound(pdu, ack)
            case .alert(let alert):
                logger.info("alert_notification: \(alert.sourceAddr) is available again")
            case .discard(let pdu, let reason):
                logger.warning("ignored \(pdu.commandID.specName) seq \(pdu.sequenceNumber): \(reason)")
            case .close(let reason):
                logger.notice("closing: \(reason)")
                callbacks.closing(reason)
                flushIfNeeded(context: context)
                context.close(promise: nil)
            }
        }
        // Keep both ends busy: a batch that has grown this large leaves now, so the SMSC
        // works on it while we go on reading its answers (rather than ping-ponging whole windows).
        if outbound.readableBytes >= Self.earlyFlushBytes { flushIfNeeded(context: context) }
        reschedule(context: context, force: false)
    }

    static let earlyFlushBytes = 2048

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            let batch = outbound
            outbound = context.channel.allocator.buffer(capacity: Swift.max(256, batch.readableBytes))
            context.writeAndFlush(wrapOutboundOut(batch), promise: nil)
        }
    }

    private func reschedule(context: ChannelHandlerContext, force: Bool) {
        guard force || timer == nil else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        guard let deadline = session.nextDeadline else { return }
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            guard let context = self.context else { return }
            run(session.timerFired(now: .now()), context: context)
            flushIfNeeded(context: context)
        }
    }

    var state: SMPPSession.State { session.state }
}

@available(*, unavailable)
extension SMPPChannelHandler: Sendable {}
