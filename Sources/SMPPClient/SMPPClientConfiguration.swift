import NIOCore
import SMPP

/// Everything one bind to an SMSC needs. Validated by ``validate()`` before a client starts,
/// so a wrong setting is a clear error at start-up instead of a puzzling session.
public struct SMPPBindConfiguration: Sendable, Hashable {
    /// A name for logs and metrics, e.g. `smsc-a/trx-1`.
    public var name: String
    public var host: String
    public var port: Int
    public var bindType: BindType
    public var systemID: String
    public var password: String
    public var systemType: String
    public var interfaceVersion: UInt8
    public var addrTON: UInt8
    public var addrNPI: UInt8
    public var addressRange: String

    /// Requests in flight on this bind at most (SMPP "window").
    public var windowSize: Int
    /// Requests waiting for the window at most; beyond it submits fail at once (retryable).
    public var maxQueuedRequests: Int
    /// How long a submit may take, queueing included, before it fails with `.timedOut`.
    public var requestTimeout: TimeAmount
    /// Messages per second on this bind (token bucket); `nil` for no limit.
    public var rateLimit: Double?
    /// Tokens the bucket holds when full (how many may go at once after idling).
    public var rateBurst: Int

    public var connectTimeout: TimeAmount
    public var bindTimeout: TimeAmount
    public var enquireLinkInterval: TimeAmount
    public var enquireLinkTimeout: TimeAmount

    /// First reconnect delay; doubled per failed attempt up to ``reconnectMaxDelay``, with ±20 %
    /// jitter so a fleet of binds does not reconnect in lockstep.
    public var reconnectInitialDelay: TimeAmount
    public var reconnectMaxDelay: TimeAmount

    /// Wait before retrying a PDU the SMSC answered ESME_RTHROTTLED or ESME_RMSGQFUL; doubled
    /// for each consecutive throttle of the same PDU, up to ``throttleMaxDelay``.
    public var throttleInitialDelay: TimeAmount
    public var throttleMaxDelay: TimeAmount
    /// Throttle answers for one PDU before the submit fails with the throttling status.
    public var maxThrottleRetries: Int

    public var maxCommandLength: Int

    /// SMPP over TLS (commonly port 3550 or 8775); `nil` for plain TCP.
    public var tls: SMPPTLSConfiguration?

    public init(name: String, host: String, port: Int, bindType: BindType = .transceiver,
                systemID: String, password: String, systemType: String = "", interfaceVersion: UInt8 = 0x34,
                addrTON: UInt8 = 0, addrNPI: UInt8 = 0, addressRange: String = "",
                windowSize: Int = 10, maxQueuedRequests: Int = 10_000, requestTimeout: TimeAmount = .seconds(30),
                rateLimit: Double? = nil, rateBurst: Int = 10,
                connectTimeout: TimeAmount = .seconds(5), bindTimeout: TimeAmount = .seconds(10),
                enquireLinkInterval: TimeAmount = .seconds(30), enquireLinkTimeout: TimeAmount = .seconds(10),
                reconnectInitialDelay: TimeAmount = .seconds(1), reconnectMaxDelay: TimeAmount = .seconds(60),
                throttleInitialDelay: TimeAmount = .milliseconds(500), throttleMaxDelay: TimeAmount = .seconds(30),
                maxThrottleRetries: Int = 20, maxCommandLength: Int = PDUDecoder.defaultMaxCommandLength) {
        self.name = name
        self.host = host
        self.port = port
        self.bindType = bindType
        self.systemID = systemID
        self.password = password
        self.systemType = systemType
        self.interfaceVersion = interfaceVersion
        self.addrTON = addrTON
        self.addrNPI = addrNPI
        self.addressRange = addressRange
        self.windowSize = windowSize
        self.maxQueuedRequests = maxQueuedRequests
        self.requestTimeout = requestTimeout
        self.rateLimit = rateLimit
        self.rateBurst = rateBurst
        self.connectTimeout = connectTimeout
        self.bindTimeout = bindTimeout
        self.enquireLinkInterval = enquireLinkInterval
        self.enquireLinkTimeout = enquireLinkTimeout
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.throttleInitialDelay = throttleInitialDelay
        self.throttleMaxDelay = throttleMaxDelay
        self.maxThrottleRetries = maxThrottleRetries
        self.maxCommandLength = maxCommandLength
    }

    /// Every problem with this configuration, one sentence each; empty when it is usable.
    public func problems() -> [String] {
        var problems: [String] = []
        if name.isEmpty { problems.append("the bind needs a name") }
        if host.isEmpty { problems.append("\(name): host is empty") }
        if !(1...65535).contains(port) { problems.append("\(name): port \(port) is outside 1...65535") }
        if systemID.utf8.count > 15 { problems.append("\(name): system_id is longer than 15 characters (SMPP 3.4 4.1.1)") }
        if password.utf8.count > 8 { problems.append("\(name): password is longer than 8 characters (SMPP 3.4 4.1.1)") }
        if systemType.utf8.count > 12 { problems.append("\(name): system_type is longer than 12 characters") }
        if addressRange.utf8.count > 40 { problems.append("\(name): address_range is longer than 40 characters") }
        if windowSize < 1 { problems.append("\(name): window must be at least 1") }
        if maxQueuedRequests < 0 { problems.append("\(name): max queued requests cannot be negative") }
        if let rate = rateLimit, !(rate > 0) { problems.append("\(name): rate limit must be above 0 messages/s") }
        if rateBurst < 1 { problems.append("\(name): rate burst must be at least 1") }
        if requestTimeout <= .zero { problems.append("\(name): request timeout must be positive") }
        if enquireLinkInterval <= .zero || enquireLinkTimeout <= .zero {
            problems.append("\(name): enquire_link interval and timeout must be positive")
        }
        if reconnectInitialDelay <= .zero || reconnectMaxDelay < reconnectInitialDelay {
            problems.append("\(name): reconnect delays must be positive with max ≥ initial")
        }
        if maxThrottleRetries < 0 { problems.append("\(name): max throttle retries cannot be negative") }
        if let tls {
            for (what, path) in [("CA file", tls.caFile), ("certificate file", tls.certificateFile), ("private key file", tls.privateKeyFile)] {
                if let path, access(path, R_OK) != 0 { problems.append("\(name): TLS \(what) '\(path)' cannot be read") }
            }
            if (tls.certificateFile == nil) != (tls.privateKeyFile == nil) {
                problems.append("\(name): a TLS client certificate needs both the certificate and the private key file")
            }
        }
        return problems
    }

    var sessionConfiguration: SMPPSession.Configuration {
        SMPPSession.Configuration(
            bindType: bindType,
            bind: Bind(systemID: systemID, password: password, systemType: systemType,
                       interfaceVersion: interfaceVersion, addrTON: addrTON, addrNPI: addrNPI,
                       addressRange: addressRange),
            windowSize: windowSize, maxQueuedRequests: maxQueuedRequests, bindTimeout: bindTimeout,
            enquireLinkInterval: enquireLinkInterval, enquireLinkTimeout: enquireLinkTimeout)
    }
}

/// How a bind reaches its SMSC over TLS.
public struct SMPPTLSConfiguration: Sendable, Hashable {
    /// PEM file of the CA(s) to trust; `nil` trusts the system's roots.
    public var caFile: String?
    /// PEM client certificate (chain) and key, for SMSCs that authenticate the ESME by certificate.
    public var certificateFile: String?
    public var privateKeyFile: String?
    /// Check that the certificate names the host (name or IP address). Turning this off still
    /// verifies the chain.
    public var verifyHostname: Bool

    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil,
                verifyHostname: Bool = true) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.verifyHostname = verifyHostname
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
