import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SMPP

/// An ESME bound to one SMSC over TCP: it connects, binds, stays bound (enquire_link,
/// reconnect with exponential back-off and jitter) and submits with a window, a rate limit
/// and throttling back-off. Inbound deliver_sm / data_sm go to the consumer and are
/// acknowledged only once it returned (ESME_ROK) or threw (ESME_RX_T_APPN, so the SMSC
/// delivers it again).
///
/// The protocol itself is ``SMPPSession``; this type only runs connections around it.
///
/// Durability is the caller's: a request in flight when the connection dies fails with a
/// retryable ``SMPPClientError`` (`.connectionLost`), never silently.
public final class SMPPClient: Sendable {
    public typealias InboundConsumer = @Sendable (InboundMessage) async throws -> Void

    /// The SMSC's answer to an accepted submit_sm.
    public struct SubmitResponse: Sendable, Hashable {
        public var messageID: String
        /// How many ESME_RTHROTTLED / ESME_RMSGQFUL answers it took.
        public var throttledAttempts: Int
    }

    public enum ConnectionState: Sendable, Hashable {
        case disconnected
        case connecting
        case bound
    }

    private struct State {
        var channel: (any Channel)?
        var handler: NIOLoopBound<SMPPChannelHandler>?
        var connection: ConnectionState = .disconnected
        var bindError: SMPPClientError?
        var pausedUntil: NIODeadline?
        var consecutiveThrottles = 0
        var shutdown = false
        var boundSince: NIODeadline?
    }

    public let configuration: SMPPBindConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let rateLimiter: TokenBucket?
    private let metrics: SMPPMetrics
    private let inbound: InboundDispatcher

    /// - Parameters:
    ///   - consumer: called for every inbound message on receiving binds, concurrently; the
    ///     deliver_sm is acknowledged when it returns, or refused with ESME_RX_T_APPN when it throws.
    public init(configuration: SMPPBindConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "tandem.smpp"), consumer: @escaping InboundConsumer = { _ in }) {
        self.configuration = configuration
        group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "bind"] = "\(configuration.name)"
        self.logger = logger
        rateLimiter = configuration.rateLimit.map { TokenBucket(rate: $0, burst: configuration.rateBurst) }
        metrics = SMPPMetrics(bind: configuration.name)
        inbound = InboundDispatcher(bind: configuration.name, consumer: consumer, logger: logger, metrics: metrics)
    }

    public var connectionState: ConnectionState { state.withLockedValue { $0.connection } }

    /// The current rate limit after throttling back-off, if a rate limit is configured.
    public var currentRateLimit: Double? { rateLimiter?.currentRate }

    // MARK: Lifecycle

    /// Connects, binds and keeps the bind up until the task is cancelled or ``shutdown()`` is
    /// called; then unbinds and closes.
    public func run() async {
        let problems = configuration.problems()
        guard problems.isEmpty else {
            logger.critical("invalid SMPP bind configuration: \(problems.joined(separator: "; "))")
            state.withLockedValue {
                $0.bindError = SMPPClientError(.invalidRequest, bind: configuration.name, detail: problems.joined(separator: "; "))
            }
            return
        }
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = try makeTLSContext()
        } catch {
            logger.critical("\(error)")
            state.withLockedValue { $0.bindError = error }
            return
        }
        var attempt = 0
        while !Task.isCancelled, !state.withLockedValue({ $0.shutdown }) {
            state.withLockedValue { $0.connection = .connecting }
            do {
                let channel = try await connect(tlsContext: tlsContext)
                let shuttingDown = state.withLockedValue { state -> Bool in
                    state.channel = channel
                    return state.shutdown
                }
                // shutdown() may have run while we were connecting, when there was no channel to close.
                if shuttingDown { channel.close(promise: nil) }
                await withTaskCancellationHandler {
                    try? await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
            } catch {
                logger.warning("cannot connect to \(configuration.host):\(configuration.port): \(error)")
            }
            let wasBound = state.withLockedValue { state -> Bool in
                let wasBound = state.boundSince != nil
                state.channel = nil
                state.handler = nil
                state.connection = .disconnected
                state.boundSince = nil
                return wasBound
            }
            metrics.bound(false)
            if Task.isCancelled || state.withLockedValue({ $0.shutdown }) { break }
            attempt = wasBound ? 1 : attempt + 1
            let delay = reconnectDelay(attempt: attempt)
            logger.notice("reconnecting in \(Double(delay.nanoseconds) / 1e9) s (attempt \(attempt))")
            do { try await Task.sleep(nanoseconds: UInt64(delay.nanoseconds)) } catch { break }
        }
        state.withLockedValue { $0.connection = .disconnected }
    }

    /// Unbinds and closes the connection, and stops ``run()`` from reconnecting.
    public func shutdown() async {
        let channel = state.withLockedValue { state -> (any Channel)? in
            state.shutdown = true
            return state.channel
        }
        guard let channel else { return }
        channel.close(promise: nil)
        try? await channel.closeFuture.get()
    }

    /// Waits until the session is bound. Throws the bind error as soon as the SMSC refuses
    /// the bind, or `.notBound` after `timeout`.
    public func waitUntilBound(timeout: Duration = .seconds(10)) async throws(SMPPClientError) {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            let (connection, error) = state.withLockedValue { ($0.connection, $0.bindError) }
            if connection == .bound { return }
            if let error { throw error }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { throw SMPPClientError(.shutDown, bind: configuration.name, detail: "cancelled") }
        }
        throw SMPPClientError(.notBound, bind: configuration.name, detail: "not bound within \(timeout)")
    }

    private func reconnectDelay(attempt: Int) -> TimeAmount {
        let base = Double(configuration.reconnectInitialDelay.nanoseconds) * pow(2, Double(min(attempt - 1, 30)))
        let capped = min(base, Double(configuration.reconnectMaxDelay.nanoseconds))
        return .nanoseconds(Int64(capped * Double.random(in: 0.8...1.2)))
    }

    /// The TLS context for this bind, built once (reading the PEM files).
    private func makeTLSContext() throws(SMPPClientError) -> NIOSSLContext? {
        guard let settings = configuration.tls else { return nil }
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile { tls.trustRoots = .file(caFile) }
            tls.certificateVerification = settings.verifyHostname ? .fullVerification : .noHostnameVerification
            if let certificateFile = settings.certificateFile, let keyFile = settings.privateKeyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SMPPClientError(.tlsFailed, bind: configuration.name, detail: "cannot set up TLS: \(error)")
        }
    }

    private func connect(tlsContext: NIOSSLContext?) async throws -> any Channel {
        let configuration = configuration
        let callbacks = SMPPConnectionCallbacks(
            bound: { [self] systemID, version in
                state.withLockedValue {
                    $0.connection = .bound
                    $0.bindError = nil
                    $0.boundSince = .now()
                }
                metrics.bound(true)
                _ = (systemID, version)
            },
            inbound: { [inbound] pdu, ack in
                inbound.dispatch(pdu, ack: ack)
            },
            outstanding: { [metrics] count in metrics.outstanding(count) },
            transportError: { [self] error in
                guard error is NIOSSLError || error is BoringSSLError else { return }
                let failure = SMPPClientError(.tlsFailed, bind: configuration.name,
                                              detail: "TLS with \(configuration.host):\(configuration.port) failed: \(error)")
                self.logger.error("\(failure)")
                state.withLockedValue { $0.bindError = failure }
            },
            closing: { [self] reason in
                if case .bindRejected(let status) = reason {
                    let error = SMPPClientError(.bindRejected, bind: configuration.name, status: status,
                                                detail: "the SMSC refused bind_\(configuration.bindType.rawValue) for system_id '\(configuration.systemID)'")
                    self.logger.error("\(error)")
                    state.withLockedValue { $0.bindError = error }
                }
            })
        let connectionLogger = logger
        return try await ClientBootstrap(group: group)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SMPPChannelHandler(configuration: configuration.sessionConfiguration,
                                                     maxCommandLength: configuration.maxCommandLength,
                                                     callbacks: callbacks, logger: connectionLogger)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(SMPPFrameDecoder(maxCommandLength: configuration.maxCommandLength)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                    if let tlsContext {
                        // SNI and name checks need a host name; for an IP address NIOSSL checks the
                        // certificate's IP entries against the peer instead.
                        let isAddress = (try? SocketAddress(ipAddress: configuration.host, port: 0)) != nil
                        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: isAddress ? nil : configuration.host)
                        try channel.pipeline.syncOperations.addHandler(tls, position: .first)
                    }
                    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    self.state.withLockedValue { $0.handler = bound }
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .get()
    }

    // MARK: Submitting

    /// Submits one submit_sm and returns the SMSC's message_id. Throttling answers are retried
    /// after a growing pause of the whole bind; every other failure is thrown, classified.
    public func submit(_ submit: SubmitSM) async throws(SMPPClientError) -> SubmitResponse {
        var throttles = 0
        while true {
            try await waitWhilePaused()
            if let rateLimiter {
                do { try await rateLimiter.acquire() } catch {
                    throw SMPPClientError(.shutDown, bind: configuration.name, detail: "cancelled while rate limited")
                }
            }
            let started = NIODeadline.now()
            let pdu: PDU
            do {
                pdu = try await send(.submitSM(submit)).get()
            } catch {
                throw mapFailure(error)
            }
            metrics.submitted(pdu.commandStatus, latency: .now() - started)
            if pdu.commandStatus == .ok {
                state.withLockedValue { $0.consecutiveThrottles = 0 }
                var messageID = ""
                if case .submitSMResp(let resp?) = pdu.body { messageID = resp.messageID }
                return SubmitResponse(messageID: messageID, throttledAttempts: throttles)
            }
            let statusClass = SubmitStatusClass(pdu.commandStatus)
            guard statusClass == .throttled else {
                logger.info("submit_sm refused with \(pdu.commandStatus) (\(statusClass.rawValue))", metadata: ["seq": "\(pdu.sequenceNumber)"])
                throw SMPPClientError(.rejected, bind: configuration.name, status: pdu.commandStatus,
                                      detail: "submit_sm refused (\(statusClass.rawValue))")
            }
            throttles += 1
            guard throttles <= configuration.maxThrottleRetries else {
                throw SMPPClientError(.throttled, bind: configuration.name, status: pdu.commandStatus,
                                      detail: "still throttled after \(configuration.maxThrottleRetries) retries")
            }
            throttled(status: pdu.commandStatus)
        }
    }

    /// Sends any request PDU through the window and returns the response, whatever its
    /// command_status: no retry, no classification (query_sm, cancel_sm, …).
    public func request(_ body: PDUBody) async throws(SMPPClientError) -> PDU {
        do { return try await send(body).get() } catch { throw mapFailure(error) }
    }

    /// The raw send path: one request into the connection's window. The future fails with
    /// ``SMPPSession/RequestError`` or ``SMPPClientError``.
    public func send(_ body: PDUBody, timeout: TimeAmount? = nil) -> EventLoopFuture<PDU> {
        guard let handler = boundHandler() else {
            return group.any().makeFailedFuture(notBoundError())
        }
        let promise = handler.eventLoop.makePromise(of: PDU.self)
        submit(body, timeout: timeout, responder: .promise(promise), on: handler)
        return promise.futureResult
    }

    /// The hot path for high-volume callers: like ``send(_:timeout:)``, but the outcome goes to
    /// `completion`, called once on the connection's event loop, with no future per message.
    public func send(_ body: PDUBody, timeout: TimeAmount? = nil,
                     completion: @escaping @Sendable (Result<PDU, any Error>) -> Void) {
        guard let handler = boundHandler() else {
            completion(.failure(notBoundError()))
            return
        }
        submit(body, timeout: timeout, responder: .callback(completion), on: handler)
    }

    private func boundHandler() -> NIOLoopBound<SMPPChannelHandler>? {
        state.withLockedValue { $0.connection == .bound ? $0.handler : nil }
    }

    private func notBoundError() -> SMPPClientError {
        SMPPClientError(.notBound, bind: configuration.name, detail: "no bound session to \(configuration.host):\(configuration.port)")
    }

    private func submit(_ body: PDUBody, timeout: TimeAmount?, responder: SMPPResponder, on handler: NIOLoopBound<SMPPChannelHandler>) {
        let deadline = NIODeadline.now() + (timeout ?? configuration.requestTimeout)
        if handler.eventLoop.inEventLoop {
            handler.value.submit(body, deadline: deadline, responder: responder)
        } else {
            handler.eventLoop.execute { handler.value.submit(body, deadline: deadline, responder: responder) }
        }
    }

    private func mapFailure(_ error: any Error) -> SMPPClientError {
        if let error = error as? SMPPClientError { return error }
        if let error = error as? SMPPSession.RequestError {
            metrics.failed(error.kind)
            switch error.kind {
            case .notBound: return SMPPClientError(.notBound, bind: configuration.name, detail: error.detail)
            case .notAllowedForBindType: return SMPPClientError(.invalidRequest, bind: configuration.name, detail: error.detail)
            case .queueFull: return SMPPClientError(.notBound, bind: configuration.name, detail: error.detail)
            case .timedOut: return SMPPClientError(.timedOut, bind: configuration.name, detail: error.detail)
            case .connectionClosed, .unbound: return SMPPClientError(.connectionLost, bind: configuration.name, detail: error.detail)
            }
        }
        return SMPPClientError(.connectionLost, bind: configuration.name, detail: "\(error)")
    }

    private func throttled(status: CommandStatus) {
        let delay = state.withLockedValue { state -> TimeAmount in
            state.consecutiveThrottles += 1
            let factor = pow(2, Double(min(state.consecutiveThrottles - 1, 20)))
            let nanos = min(Double(configuration.throttleInitialDelay.nanoseconds) * factor,
                            Double(configuration.throttleMaxDelay.nanoseconds))
            let until = NIODeadline.now() + .nanoseconds(Int64(nanos))
            if state.pausedUntil.map({ $0 < until }) ?? true { state.pausedUntil = until }
            return .nanoseconds(Int64(nanos))
        }
        rateLimiter?.throttled()
        let rate = rateLimiter.map { ", rate now \(Int($0.currentRate))/s" } ?? ""
        logger.notice("SMSC answered \(status): pausing this bind for \(Double(delay.nanoseconds) / 1e6) ms\(rate)")
    }

    private func waitWhilePaused() async throws(SMPPClientError) {
        while let until = state.withLockedValue({ $0.pausedUntil }) {
            let now = NIODeadline.now()
            if until <= now {
                state.withLockedValue { if $0.pausedUntil == until { $0.pausedUntil = nil } }
                return
            }
            do { try await Task.sleep(nanoseconds: UInt64((until - now).nanoseconds)) } catch {
                throw SMPPClientError(.shutDown, bind: configuration.name, detail: "cancelled while throttled")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
