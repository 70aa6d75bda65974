import NIOCore
import NIOPosix

/// The SIP transports Tandem speaks (RFC 3261 §18): UDP datagrams and TCP streams.
public enum SIPTransportProtocol: String, Sendable, CaseIterable {
    case udp, tcp

    /// The token used in Via (`SIP/2.0/UDP`) and in the `transport` URI parameter.
    public var viaToken: String { rawValue.uppercased() }
}

/// Where a message goes or came from: an address and the transport to use.
public struct SIPDestination: Hashable, Sendable, CustomStringConvertible {
    public var address: SocketAddress
    public var transport: SIPTransportProtocol

    public init(address: SocketAddress, transport: SIPTransportProtocol) {
        self.address = address
        self.transport = transport
    }

    /// Resolves `host:port` (numeric IPv4/IPv6 or a name) for `transport`.
    public init(host: String, port: Int, transport: SIPTransportProtocol) throws {
        self.address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        self.transport = transport
    }

    public var description: String { "\(transport.rawValue):\(address.ipAddress ?? "?"):\(address.port ?? 0)" }
}

/// Datagrams in, handed to the endpoint on the channel's event loop (which is the endpoint's).
final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let endpoint: SIPEndpoint

    init(endpoint: SIPEndpoint) { self.endpoint = endpoint }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        endpoint.receive(envelope.data, from: SIPDestination(address: envelope.remoteAddress, transport: .udp), connection: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        endpoint.runTransactions()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors on an unconnected socket and the like: log, keep the socket.
        endpoint.logTransportError(error, on: "udp")
    }
}

/// SIP over a TCP stream: frames by Content-Length (RFC 3261 §18.3) with `SIPStreamFraming`,
/// answers a CRLFCRLF ping with a CRLF pong (RFC 5626 §3.5.1), and closes the connection on
/// a framing error (the stream cannot be resynchronised).
final class SIPStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let endpoint: SIPEndpoint
    private var buffer = ByteBuffer()
    private let maximumSize: Int
    private let maximumHeaderLines: Int

    init(endpoint: SIPEndpoint, maximumSize: Int, maximumHeaderLines: Int) {
        self.endpoint = endpoint
        self.maximumSize = maximumSize
        self.maximumHeaderLines = maximumHeaderLines
    }

    func channelActive(context: ChannelHandlerContext) {
        endpoint.registerConnection(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endpoint.unregisterConnection(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        guard let remote = context.channel.remoteAddress else { return }
        let source = SIPDestination(address: remote, transport: .tcp)
        while buffer.readableBytes > 0 {
            let frame = buffer.withUnsafeReadableBytes {
                SIPStreamFraming.nextFrame(in: $0, maximumSize: maximumSize, maximumHeaderLines: maximumHeaderLines)
            }
            switch frame {
            case .needMoreData:
                buffer.discardReadBytes()
                return
            case .keepAlive(let length):
                // A double CRLF is a ping; answer it with a single CRLF (RFC 5626 §3.5.1).
                if length >= 4 {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\r\n")), promise: nil)
                }
                buffer.moveReaderIndex(forwardBy: length)
            case .message(let length):
                let message = buffer.readSlice(length: length)!
                endpoint.receive(message, from: source, connection: context.channel)
            case .invalid(let reason):
                endpoint.logStreamError(reason, from: source)
                buffer.clear()
                context.close(promise: nil)
                return
            }
        }
        buffer.discardReadBytes()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        endpoint.runTransactions()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endpoint.logTransportError(error, on: "tcp")
        context.close(promise: nil)
    }

    /// An inbound connection silent for the idle time (`IdleStateHandler` in front) is closed:
    /// a peer that connects and sends nothing must not hold a socket forever.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            endpoint.logStreamError("idle connection closed", from: SIPDestination(
                address: context.channel.remoteAddress ?? (try! SocketAddress(ipAddress: "0.0.0.0", port: 0)), transport: .tcp))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
