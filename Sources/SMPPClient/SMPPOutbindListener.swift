import Logging
import NIOCore
import NIOPosix
import SMPP

/// Accepts connections an SMSC opens to deliver messages (SMPP 3.4 section 2.2.1): the SMSC
/// sends outbind, we answer with bind_receiver (bind_transceiver when so configured), and the
/// session then runs like a client-opened one, inbound messages going to the consumer.
///
/// `configuration.host`/`port` are the address to listen on; `systemID`/`password` are what we
/// bind with, and an outbind naming another system_id is refused.
public final class SMPPOutbindListener: Sendable {
    public let configuration: SMPPBindConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let inbound: InboundDispatcher

    public init(configuration: SMPPBindConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "tandem.smpp"), consumer: @escaping SMPPClient.InboundConsumer) {
        self.configuration = configuration
        group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "bind"] = "\(configuration.name)"
        self.logger = logger
        inbound = InboundDispatcher(bind: configuration.name, consumer: consumer, logger: logger,
                                    metrics: SMPPMetrics(bind: configuration.name))
    }

    /// Starts listening; returns the server channel (its `localAddress` tells the port; close it
    /// to stop).
    public func listen() async throws -> any Channel {
        let configuration = configuration
        let logger = logger
        let inbound = inbound
        let callbacks = SMPPConnectionCallbacks(
            bound: { _, _ in logger.info("bound after outbind") },
            inbound: { pdu, ack in inbound.dispatch(pdu, ack: ack) },
            closing: { reason in logger.notice("outbind session closing: \(reason)") })
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(SMPPFrameDecoder(maxCommandLength: configuration.maxCommandLength)))
                    try channel.pipeline.syncOperations.addHandler(
                        SMPPChannelHandler(configuration: configuration.sessionConfiguration,
                                           maxCommandLength: configuration.maxCommandLength,
                                           callbacks: callbacks, logger: logger, accepted: true))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }
}
