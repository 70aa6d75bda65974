#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
internal import COSIP2

/// What a client transaction reports to its transaction user (RFC 3261 §17.1).
public enum SIPClientEvent: Sendable {
    case provisional(SIPMessage)
    case final(SIPMessage)
    /// Timer B or F fired: no final response (RFC 3261 §17.1.1.2, §17.1.2.2).
    case timeout
    /// The message could not be sent (TCP connect refused, write failed).
    case transportError(String)
}

/// Settings of one SIP endpoint (one listening address, one osip2 instance).
public struct SIPEndpointConfiguration: Sendable {
    /// Address to listen on; port 0 picks a free one (the same for UDP and TCP).
    public var listenHost: String
    public var listenPort: Int
    public var listenUDP: Bool
    public var listenTCP: Bool
    /// Host written into Via and Contact; defaults to the listening host.
    public var advertisedHost: String?
    /// Size and header-line limits applied before osip2 parses anything.
    public var datagramGuard: SIPDatagramGuard
    /// The value of User-Agent / Server.
    public var product: String
    /// How long finished transactions are kept to absorb retransmissions; see
    /// `SIPTransactionRetention`.
    public var retention: SIPTransactionRetention
    /// Inbound TCP connections that send nothing (not even a CRLF keep-alive) for this long
    /// are closed.
    public var tcpIdleTimeout: TimeAmount

    public init(listenHost: String = "127.0.0.1", listenPort: Int = 0, listenUDP: Bool = true, listenTCP: Bool = true,
                advertisedHost: String? = nil, datagramGuard: SIPDatagramGuard = SIPDatagramGuard(),
                product: String = "Tandem", retention: SIPTransactionRetention = .indexed, tcpIdleTimeout: TimeAmount = .seconds(600)) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.listenUDP = listenUDP
        self.listenTCP = listenTCP
        self.advertisedHost = advertisedHost
        self.datagramGuard = datagramGuard
        self.product = product
        self.retention = retention
        self.tcpIdleTimeout = tcpIdleTimeout
    }
}

extension SIPEndpointConfiguration {
    /// Whether Via and Contact would carry a wildcard address: listening on 0.0.0.0 or ::
    /// with nothing to advertise.
    public var needsAdvertisedHost: Bool {
        advertisedHost == nil && (listenHost == "0.0.0.0" || listenHost == "::")
    }

    /// When needed, advertises the local address the kernel would use toward `destination`
    /// (the trunk). Returns false when an address is still needed (no destination, or no route).
    public mutating func advertiseLocalAddress(toward destination: SocketAddress?) -> Bool {
        guard needsAdvertisedHost else { return true }
        advertisedHost = destination.flatMap(SIPEndpoint.localAddress(toward:))
        return advertisedHost != nil
    }
}

/// A request that reached the transaction user through a new server transaction.
///
/// Respond exactly once with a final response (provisional ones before it as needed). The
/// transaction (osip2 IST or NIST) retransmits the final response over UDP and absorbs
/// retransmitted requests; a 2xx to INVITE is retransmitted by the TU (RFC 3261 §13.3.1.4).
public final class SIPServerTransaction: @unchecked Sendable {
    public let request: SIPMessage
    public let source: SIPDestination
    let context: TransactionContext
    unowned let endpoint: SIPEndpoint
    /// The To tag this side puts on responses (fixed per transaction).
    public let localTag: String
    public private(set) var finalStatus: Int?

    init(request: SIPMessage, source: SIPDestination, context: TransactionContext, endpoint: SIPEndpoint) {
        self.request = request
        self.source = source
        self.context = context
        self.endpoint = endpoint
        self.localTag = request.toTag ?? SIPIdentifiers.tag()
    }

    /// Sends a response built from the request (RFC 3261 §8.2.6). Must run on the endpoint's loop.
    public func respond(status: Int, reason: String, headers extra: [SIPHeaderField] = [], body: [UInt8] = []) {
        let response = SIPResponseBuilder.response(to: request, status: status, reason: reason, toTag: status == 100 ? nil : localTag,
                                                    extraHeaders: extra + [SIPHeaderField("Server", endpoint.configuration.product)],
                                                    body: body)
        respond(response)
    }

    public func respond(_ response: SIPMessage) {
        if let status = response.statusCode, status >= 200 {
            guard finalStatus == nil else { return }
            finalStatus = status
        }
        endpoint.respond(response, in: context)
    }
}

/// The per-transaction record kept in the osip2 transaction's `reserved1` slot (retained;
/// released when the transaction is freed after its kill callback).
final class TransactionContext {
    let destination: SIPDestination
    var connection: (any Channel)?
    var transaction: UnsafeMutablePointer<osip_transaction_t>?
    var clientHandler: ((SIPClientEvent) -> Void)?
    var key: SIPTransactionKey?
    var finished = false

    init(destination: SIPDestination, connection: (any Channel)?) {
        self.destination = destination
        self.connection = connection
    }
}

/// One SIP endpoint: the transports, the guard before the parser, osip2's transaction layer,
/// and the hand-over to a transaction user.
///
/// **Threading.** Everything runs on `eventLoop`: the sockets' handlers, every osip2 call
/// (parse, transaction events, `*_execute`, timers) and the transaction-user callbacks.
/// Public methods must be called on that loop (`eventLoop.execute { … }` from elsewhere).
/// osip2's callbacks only record what happened; the transaction user runs after
/// `*_execute` returns, so it can create transactions and add events freely. Killed
/// transactions are removed in the kill callback and freed after the round, never inside it.
public final class SIPEndpoint: @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let configuration: SIPEndpointConfiguration
    let logger: Logger
    let osip: UnsafeMutablePointer<osip_t>
    private var udpChannel: (any Channel)?
    private var tcpServer: (any Channel)?
    private var connections: [SocketAddress: any Channel] = [:]
    private var pendingConnections: [SocketAddress: EventLoopFuture<any Channel>] = [:]
    /// Messages parsed this round, by osip message address, so callbacks reuse the values.
    var parsedThisRound: [UnsafeMutableRawPointer: SIPMessage] = [:]
    var pendingUserWork: [() -> Void] = []
    var killedTransactions: [UnsafeMutablePointer<osip_transaction_t>] = []
    private var needsRun = false
    private var runScheduled = false
    private var timerTask: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var closed = false
    let index: SIPTransactionIndex
    public private(set) var localPort: Int = 0
    public private(set) var statistics = SIPEndpointStatistics()

    /// A new request outside any existing transaction (after the guard, the parser and the
    /// transaction layer). Set before `start()`. Without one, requests get 501 / 481.
    public var onRequest: ((SIPServerTransaction) -> Void)?
    /// A 2xx to INVITE that matched no transaction: a retransmission after the ICT ended
    /// (RFC 3261 §13.2.2.4: the TU re-sends its ACK), or a forked answer.
    public var onStrayResponse: ((SIPMessage, SIPDestination) -> Void)?
    /// An ACK that matched no server transaction: the ACK for a 2xx (RFC 3261 §13.3.1.4).
    public var onAck: ((SIPMessage, SIPDestination) -> Void)?

    public init(eventLoop: any EventLoop, configuration: SIPEndpointConfiguration = SIPEndpointConfiguration(),
                logger: Logger = Logger(label: "tandem.sip")) throws {
        SIPParser.ensureInitialised()
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        var pointer: UnsafeMutablePointer<osip_t>?
        guard osip_init(&pointer) == 0, let osip = pointer else { throw SIPEndpointError("osip_init failed") }
        self.osip = osip
        self.index = SIPTransactionIndex(retention: configuration.retention)
        osip_set_application_context(osip, Unmanaged.passUnretained(self).toOpaque())
        osip_set_cb_send_message(osip, SIPEndpoint.sendCallback)
        for type in 0..<Int32(OSIP_MESSAGE_CALLBACK_COUNT.rawValue) {
            osip_set_message_callback(osip, type, SIPEndpoint.messageCallback)
        }
        for type in 0..<Int32(OSIP_KILL_CALLBACK_COUNT.rawValue) {
            osip_set_kill_transaction_callback(osip, type, SIPEndpoint.killCallback)
        }
        for type in 0..<Int32(OSIP_TRANSPORT_ERROR_CALLBACK_COUNT.rawValue) {
            osip_set_transport_error_callback(osip, type, SIPEndpoint.transportErrorCallback)
        }
        SIPParser.routeTrace(to: logger)
    }

    // No deinit: `close()` frees osip2 on the loop. An endpoint never closed leaks it rather
    // than touching osip2 from whatever thread runs the deinit.

    /// Binds the listening sockets. The port is the same for UDP and TCP.
    public func start() async throws {
        let configuration = self.configuration
        let port = LoopConfinedBox<Int>()
        port.value = configuration.listenPort
        if configuration.listenUDP {
            let channel = try await DatagramBootstrap(group: eventLoop)
                .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
                .channelOption(ChannelOptions.maxMessagesPerRead, value: 64)
                // Whole datagrams (NIO's default buffer would truncate them at 2 KiB), so the guard
                // sees the real size and answers 513 rather than parsing a cut-off message.
                .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(endpoint: self))
                    }
                }
                .bind(host: configuration.listenHost, port: port.value ?? 0).get()
            let bound = channel.localAddress?.port ?? 0
            port.value = bound
            try await eventLoop.submit { self.udpChannel = channel; self.localPort = bound }.get()
        }
        if configuration.listenTCP {
            let guardLimits = configuration.datagramGuard
            let server = try await ServerBootstrap(group: eventLoop)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: configuration.tcpIdleTimeout))
                        try channel.pipeline.syncOperations.addHandler(
                            SIPStreamHandler(endpoint: self, maximumSize: guardLimits.maximumSize,
                                             maximumHeaderLines: guardLimits.maximumHeaderLines))
                    }
                }
                .bind(host: configuration.listenHost, port: port.value ?? 0).get()
            let bound = server.localAddress?.port ?? 0
            try await eventLoop.submit { self.tcpServer = server; self.localPort = bound }.get()
        }
        if !configuration.listenUDP && !configuration.listenTCP {
            // Client-only: still need a UDP socket to send from and receive responses on.
            let channel = try await DatagramBootstrap(group: eventLoop)
                .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(endpoint: self))
                    }
                }
                .bind(host: configuration.listenHost, port: 0).get()
            try await eventLoop.submit { self.udpChannel = channel; self.localPort = channel.localAddress?.port ?? 0 }.get()
        }
        logger.info("SIP listening", metadata: ["address": "\(configuration.listenHost):\(localPort)",
                                                "udp": "\(configuration.listenUDP)", "tcp": "\(configuration.listenTCP)"])
    }

    /// Closes the sockets, then frees every live transaction and osip2 itself (osip_release
    /// does not free live transactions). Runs on the loop; idempotent.
    public func close() async {
        let channels: [any Channel] = (try? await eventLoop.submit { () -> [any Channel] in
            self.closed = true
            self.timerTask?.cancel()
            var all: [any Channel] = Array(self.connections.values)
            if let udp = self.udpChannel { all.append(udp) }
            if let tcp = self.tcpServer { all.append(tcp) }
            return all
        }.get()) ?? []
        for channel in channels { try? await channel.close() }
        try? await eventLoop.submit { self.releaseOSIP() }.get()
    }

    private var released = false
    private func releaseOSIP() {
        guard !released else { return }
        released = true
        freeKilledTransactions()
        let lists: [UnsafeMutablePointer<osip_list_t>] = [
            withUnsafeMutablePointer(to: &osip.pointee.osip_ict_transactions) { $0 },
            withUnsafeMutablePointer(to: &osip.pointee.osip_ist_transactions) { $0 },
            withUnsafeMutablePointer(to: &osip.pointee.osip_nict_transactions) { $0 },
            withUnsafeMutablePointer(to: &osip.pointee.osip_nist_transactions) { $0 },
        ]
        for list in lists {
            while let element = osip_list_get(list, 0) {
                let transaction = element.assumingMemoryBound(to: osip_transaction_t.self)
                osip_remove_transaction(osip, transaction)
                releaseContext(of: transaction)
                osip_transaction_free(transaction)
            }
        }
        index.removeAll()
        osip_release(osip)
    }

    // MARK: Addresses

    public var advertisedHost: String { configuration.advertisedHost ?? configuration.listenHost }

    /// The local address the kernel would use to reach `destination` (a connected UDP socket,
    /// nothing sent): what to advertise in Via and Contact when listening on 0.0.0.0 or ::.
    static func localAddress(toward destination: SocketAddress) -> String? {
        let family: Int32 = destination.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        let connected = destination.withSockAddr { address, length in Glibc.connect(fd, address, socklen_t(length)) }
        guard connected == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) }
        }
        guard status == 0 else { return nil }
        return String(cString: host)
    }

    /// `SIP/2.0/UDP host:port;branch=z9hG4bK…;rport` for a new client transaction.
    public func via(transport: SIPTransportProtocol, branch: String) -> String {
        "SIP/2.0/\(transport.viaToken) \(hostForURI(advertisedHost)):\(localPort);branch=\(branch);rport"
    }

    /// Contact URI of this endpoint for `user`.
    public func contact(user: String?, transport: SIPTransportProtocol) -> String {
        let uri = SIPURI(user: user, host: advertisedHost, port: localPort,
                         parameters: transport == .udp ? [] : [("transport", transport.rawValue)])
        return "<\(uri)>"
    }

    private func hostForURI(_ host: String) -> String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }

    // MARK: Sending

    /// Starts a client transaction (ICT for INVITE, NICT otherwise) for `request`, sent to
    /// `destination`. `handler` gets provisional and final responses, timeouts and transport
    /// errors, on the loop. Returns false when osip2 refuses the request (a bug in the caller).
    @discardableResult
    public func sendRequest(_ request: SIPMessage, to destination: SIPDestination,
                            handler: @escaping (SIPClientEvent) -> Void) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard !closed else {
            handler(.transportError("endpoint closed"))
            return false
        }
        let bytes = request.serialized()
        guard let message = Self.osipParse(bytes) else {
            logger.error("osip2 refused an outgoing request", metadata: ["request": "\(request.description)"])
            return false
        }
        var transaction: UnsafeMutablePointer<osip_transaction_t>?
        let type = request.method == "INVITE" ? ICT : NICT
        guard osip_transaction_init(&transaction, type, osip, message) == 0, let transaction else {
            osip_message_free(message)
            logger.error("osip_transaction_init failed", metadata: ["method": "\(request.method ?? "?")"])
            return false
        }
        let context = TransactionContext(destination: destination, connection: nil)
        context.transaction = transaction
        context.clientHandler = handler
        context.key = SIPTransactionKey(clientRequest: request)
        if let key = context.key { index.insertActive(key, transaction) }
        osip_transaction_set_reserved1(transaction, Unmanaged.passRetained(context).toOpaque())
        osip_transaction_add_event(transaction, osip_new_outgoing_sipmessage(message))
        scheduleRun()
        return true
    }

    /// Sends `message` outside any transaction: the ACK for a 2xx (RFC 3261 §13.2.2.4),
    /// stateless answers. Must run on the loop.
    public func sendStateless(_ message: SIPMessage, to destination: SIPDestination, connection: (any Channel)? = nil) {
        eventLoop.preconditionInEventLoop()
        write(message.serialized(), to: destination, connection: connection, onFailure: nil)
    }

    func respond(_ response: SIPMessage, in context: TransactionContext) {
        eventLoop.preconditionInEventLoop()
        guard let transaction = context.transaction else {
            // The transaction is gone (a late answer): send it statelessly.
            write(response.serialized(), to: context.destination, connection: context.connection, onFailure: nil)
            return
        }
        guard let message = Self.osipParse(response.serialized()) else {
            logger.error("osip2 refused an outgoing response", metadata: ["response": "\(response.description)"])
            return
        }
        osip_transaction_add_event(transaction, osip_new_outgoing_sipmessage(message))
        scheduleRun()
    }

    func write(_ bytes: [UInt8], to destination: SIPDestination, connection: (any Channel)?,
                       onFailure: ((String) -> Void)?) {
        statistics.messagesSent += 1
        logger.trace("SIP out to \(destination)\n\(String(decoding: bytes, as: UTF8.self))")
        switch destination.transport {
        case .udp:
            guard let channel = udpChannel else {
                onFailure?("no UDP socket")
                return
            }
            // Written now, flushed once at the end of the round: NIO then hands the whole batch to
            // the kernel in one sendmmsg instead of a sendmsg per datagram.
            let buffer = channel.allocator.buffer(bytes: bytes)
            let future = channel.write(AddressedEnvelope(remoteAddress: destination.address, data: buffer))
            requestFlush()
            if let onFailure {
                let confined = LoopConfined(onFailure)
                future.whenFailure { error in self.eventLoop.execute { confined.value("\(error)") } }
            }
        case .tcp:
            if let channel = connection ?? connections[destination.address] {
                let future = channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
                if let onFailure {
                    let confined = LoopConfined(onFailure)
                    future.whenFailure { error in self.eventLoop.execute { confined.value("\(error)") } }
                }
                return
            }
            let pending = pendingConnections[destination.address] ?? connect(to: destination.address)
            let confined = LoopConfined(onFailure)
            pending.whenComplete { result in
                // Always a later turn of the loop: never inside osip2's execute.
                self.eventLoop.execute {
                    switch result {
                    case .success(let channel):
                        channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
                    case .failure(let error):
                        confined.value?("TCP connect to \(destination.address) failed: \(error)")
                    }
                }
            }
        }
    }

    private func connect(to address: SocketAddress) -> EventLoopFuture<any Channel> {
        let limits = configuration.datagramGuard
        let future = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(3))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SIPStreamHandler(endpoint: self, maximumSize: limits.maximumSize, maximumHeaderLines: limits.maximumHeaderLines))
                }
            }
            .connect(to: address)
        pendingConnections[address] = future
        future.whenComplete { _ in self.pendingConnections[address] = nil }
        return future
    }

    func registerConnection(_ channel: any Channel) {
        if let remote = channel.remoteAddress { connections[remote] = channel }
    }

    func unregisterConnection(_ channel: any Channel) {
        if let remote = channel.remoteAddress, connections[remote] === channel { connections[remote] = nil }
    }

    // MARK: Receiving

    /// One message from the network (a datagram, or a framed message from a stream).
    func receive(_ buffer: ByteBuffer, from source: SIPDestination, connection: (any Channel)?) {
        guard !closed else { return }
        statistics.messagesReceived += 1
        logger.trace("SIP in from \(source)\n\(String(decoding: buffer.readableBytesView, as: UTF8.self))")
        let verdict = buffer.withUnsafeReadableBytes { configuration.datagramGuard.inspect($0) }
        switch verdict {
        case .parse:
            break
        case .keepAlive:
            return
        case .tooLarge(let size):
            statistics.rejected += 1
            logger.warning("SIP message too large, answered 513", metadata: ["from": "\(source)", "bytes": "\(size)"])
            replyFromSkeleton(buffer, status: 513, reason: "Message Too Large", to: source, connection: connection)
            return
        case .tooManyHeaderLines(let count):
            statistics.rejected += 1
            logger.warning("SIP message with too many header lines, answered 513", metadata: ["from": "\(source)", "lines": "\(count)"])
            replyFromSkeleton(buffer, status: 513, reason: "Message Too Large (\(count) header lines)", to: source, connection: connection)
            return
        case .malformed(let reason):
            statistics.rejected += 1
            logger.notice("Malformed SIP message", metadata: ["from": "\(source)", "reason": "\(reason)"])
            replyFromSkeleton(buffer, status: 400, reason: "Bad Request (\(reason))", to: source, connection: connection)
            return
        }
        let bytes = Array(buffer.readableBytesView)
        guard let message = Self.osipParse(bytes) else {
            statistics.rejected += 1
            logger.notice("SIP message refused by the parser", metadata: ["from": "\(source)"])
            let beyond = buffer.withUnsafeReadableBytes { SIPSyntax.declaresMoreBodyThanPresent($0) }
            let reason = beyond ? "Content-Length larger than the body" : "unparseable"
            replyFromSkeleton(buffer, status: 400, reason: "Bad Request (\(reason))", to: source, connection: connection)
            return
        }
        let value: SIPMessage
        do {
            value = try SIPMessage(osip: message, raw: bytes)
        } catch {
            osip_message_free(message)
            statistics.rejected += 1
            logger.notice("Invalid SIP message", metadata: ["from": "\(source)", "reason": "\(error.reason)"])
            replyFromSkeleton(buffer, status: 400, reason: "Bad Request (\(error.reason))", to: source, connection: connection)
            return
        }
        if value.isRequest, let ip = source.address.ipAddress {
            osip_message_fix_last_via_header(message, ip, Int32(source.address.port ?? 0))
        }
        guard let event = cosip2_new_incoming_event(message) else {
            osip_message_free(message)
            return
        }
        parsedThisRound[UnsafeMutableRawPointer(message)] = value
        dispatch(event, value: value, source: source, connection: connection)
        needsRun = true
    }

    /// Hands an incoming message to its transaction, or to the TU when none matches.
    private func dispatch(_ event: UnsafeMutablePointer<osip_event_t>, value: SIPMessage, source: SIPDestination,
                          connection: (any Channel)?) {
        switch index.lookup(incoming: value) {
        case .active(let transaction):
            osip_transaction_add_event(transaction, event)
            return
        case .retired(let retired):
            // A retransmission within the retention window: answer from memory.
            statistics.absorbed += 1
            if let reply = retired.reply, value.isRequest, value.method != "ACK" {
                write(reply, to: source, connection: connection, onFailure: nil)
            } else if let ack = retired.ack, !value.isRequest {
                write(ack, to: source, connection: connection, onFailure: nil)
            }
            osip_event_free(event)
            return
        case .unindexed:
            if osip_find_transaction_and_add_event(osip, event) == 0 { return }
        case .none:
            break
        }
        if !value.isRequest {
            osip_event_free(event)
            if let status = value.statusCode, (200..<300).contains(status), value.cseq?.method == "INVITE" {
                pendingUserWork.append { [weak self] in self?.onStrayResponse?(value, source) }
            } else {
                logger.debug("Response matching no transaction dropped", metadata: ["status": "\(value.statusCode ?? 0)"])
            }
            return
        }
        if value.method == "ACK" {
            osip_event_free(event)
            pendingUserWork.append { [weak self] in self?.onAck?(value, source) }
            return
        }
        guard let transaction = osip_create_transaction(osip, event) else {
            osip_event_free(event)
            statistics.rejected += 1
            let skeleton = SIPResponseBuilder.response(to: value, status: 400, reason: "Bad Request (no transaction)", toTag: SIPIdentifiers.tag())
            write(skeleton.serialized(), to: source, connection: connection, onFailure: nil)
            return
        }
        let context = TransactionContext(destination: source, connection: connection)
        context.transaction = transaction
        context.key = SIPTransactionKey(serverRequest: value)
        if let key = context.key { index.insertActive(key, transaction) }
        osip_transaction_set_reserved1(transaction, Unmanaged.passRetained(context).toOpaque())
        osip_transaction_add_event(transaction, event)
    }

    private func replyFromSkeleton(_ buffer: ByteBuffer, status: Int, reason: String, to source: SIPDestination,
                                   connection: (any Channel)?) {
        let reply: [UInt8]? = buffer.withUnsafeReadableBytes { bytes in
            guard let skeleton = SIPResponseSkeleton(request: bytes) else { return nil }
            if status == 400 && skeleton.hasUnsupportedVersion {
                return skeleton.response(status: 505, reason: "Version Not Supported", toTag: SIPIdentifiers.tag(),
                                         extraHeaders: [("Server", configuration.product)])
            }
            return skeleton.response(status: status, reason: reason, toTag: SIPIdentifiers.tag(),
                                     extraHeaders: [("Server", configuration.product)])
        }
        if let reply {
            write(reply, to: source, connection: connection, onFailure: nil)
        } else {
            logger.debug("No answer: not a request, an ACK, or Via/From/To/Call-ID/CSeq missing", metadata: ["from": "\(source)"])
        }
    }

    // MARK: The osip2 round

    func scheduleRun() {
        needsRun = true
        guard !runScheduled else { return }
        runScheduled = true
        eventLoop.execute { self.runTransactions() }
    }

    /// Runs osip2's state machines and timers until nothing is left to do, then the TU work
    /// they produced, then frees killed transactions, then arms the next timer.
    private var udpFlushPending = false
    private var flushScheduled = false
    private var inRound = false

    /// Marks the UDP socket for a flush: at the end of the current round, or on the next turn
    /// of the loop when the write came from outside one.
    private func requestFlush() {
        udpFlushPending = true
        guard !inRound, !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute {
            self.flushScheduled = false
            self.flushUDP()
        }
    }

    private func flushUDP() {
        guard udpFlushPending else { return }
        udpFlushPending = false
        udpChannel?.flush()
    }

    func runTransactions() {
        runScheduled = false
        guard !released else { return }
        inRound = true
        defer {
            inRound = false
            flushUDP()
        }
        var rounds = 0
        repeat {
            needsRun = false
            osip_ict_execute(osip)
            osip_ist_execute(osip)
            osip_nict_execute(osip)
            osip_nist_execute(osip)
            osip_timers_ict_execute(osip)
            osip_timers_ist_execute(osip)
            osip_timers_nict_execute(osip)
            osip_timers_nist_execute(osip)
            osip_retransmissions_execute(osip)
            parsedThisRound.removeAll(keepingCapacity: true)
            freeKilledTransactions()
            let work = pendingUserWork
            pendingUserWork.removeAll(keepingCapacity: true)
            for item in work { item() }
            rounds += 1
        } while (needsRun || !pendingUserWork.isEmpty) && rounds < 64
        index.expireRetired(now: .now())
        armTimer()
    }

    private func armTimer() {
        guard !closed else { return }
        var timeout = timeval()
        osip_timers_gettimeout(osip, &timeout)
        var delay = Int64(timeout.tv_sec) * 1_000_000 + Int64(timeout.tv_usec)
        delay = max(1_000, min(delay, 500_000))
        if index.hasRetired { delay = min(delay, 1_000_000) }
        let deadline = NIODeadline.now() + .microseconds(delay)
        if let current = timerDeadline, current <= deadline, timerTask != nil { return }
        timerTask?.cancel()
        timerDeadline = deadline
        timerTask = eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.timerTask = nil
            self.timerDeadline = nil
            self.runTransactions()
        }
    }

    private func freeKilledTransactions() {
        guard !killedTransactions.isEmpty else { return }
        let killed = killedTransactions
        killedTransactions.removeAll(keepingCapacity: true)
        for transaction in killed {
            releaseContext(of: transaction)
            osip_transaction_free(transaction)
        }
    }

    private func releaseContext(of transaction: UnsafeMutablePointer<osip_transaction_t>) {
        guard let raw = osip_transaction_get_reserved1(transaction) else { return }
        osip_transaction_set_reserved1(transaction, nil)
        let context = Unmanaged<TransactionContext>.fromOpaque(raw).takeRetainedValue()
        context.transaction = nil
        if let key = context.key { index.removeActive(key, transaction) }
    }

    // MARK: Helpers

    static func osipParse(_ bytes: [UInt8]) -> UnsafeMutablePointer<osip_message_t>? {
        var pointer: UnsafeMutablePointer<osip_message_t>?
        guard osip_message_init(&pointer) == 0, let message = pointer else { return nil }
        let status = bytes.withUnsafeBytes { buffer in
            osip_message_parse(message, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
        }
        guard status == 0 else {
            osip_message_free(message)
            return nil
        }
        return message
    }

    func logTransportError(_ error: any Error, on transport: String) {
        logger.debug("SIP transport error", metadata: ["transport": "\(transport)", "error": "\(error)"])
    }

    func logStreamError(_ reason: String, from source: SIPDestination) {
        statistics.rejected += 1
        logger.notice("SIP stream closed: framing error", metadata: ["from": "\(source)", "reason": "\(reason)"])
    }

    /// Live transaction counts (osip2's lists) and retired entries (the index).
    public var transactionCounts: (ict: Int, ist: Int, nict: Int, nist: Int, retired: Int) {
        (Int(osip_list_size(&osip.pointee.osip_ict_transactions)), Int(osip_list_size(&osip.pointee.osip_ist_transactions)),
         Int(osip_list_size(&osip.pointee.osip_nict_transactions)), Int(osip_list_size(&osip.pointee.osip_nist_transactions)),
         index.retiredCount)
    }
}

/// Counters of one endpoint (read on its loop).
public struct SIPEndpointStatistics: Sendable {
    public var messagesReceived = 0
    public var messagesSent = 0
    /// Refused before or by the parser (answered 400/513 when they were requests).
    public var rejected = 0
    /// Retransmissions answered from retired transactions.
    public var absorbed = 0
}

public struct SIPEndpointError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A value that is only ever used on the endpoint's event loop, carried through a
/// `@Sendable` closure that runs there.
struct LoopConfined<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A mutable slot only touched on the endpoint's event loop.
final class LoopConfinedBox<T>: @unchecked Sendable {
    var value: T?
    init() {}
}
