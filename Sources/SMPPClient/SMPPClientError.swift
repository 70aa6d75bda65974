import SMPP

/// Why a submit (or the bind) failed, with whether resending the same PDU may work.
public struct SMPPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The SMSC answered with a non-zero command_status (see ``status`` and ``statusClass``).
        case rejected
        /// Still throttled after the configured number of retries.
        case throttled
        /// No bound session to send on.
        case notBound
        /// The connection died with the request in flight: the SMSC may or may not have it.
        case connectionLost
        /// No response within the request timeout: the SMSC may or may not have it.
        case timedOut
        /// The bind was refused (wrong credentials, …).
        case bindRejected
        /// TLS could not be set up or the handshake failed (certificate, CA, hostname).
        case tlsFailed
        /// The PDU cannot be encoded or is not allowed on this bind type.
        case invalidRequest
        /// The client was shut down.
        case shutDown
    }

    public var kind: Kind
    /// The bind's configured name.
    public var bind: String
    public var status: CommandStatus?
    public var detail: String

    public init(_ kind: Kind, bind: String, status: CommandStatus? = nil, detail: String) {
        self.kind = kind
        self.bind = bind
        self.status = status
        self.detail = detail
    }

    /// The status class when the SMSC answered, per ``SubmitStatusClass``.
    public var statusClass: SubmitStatusClass? { status.map(SubmitStatusClass.init) }

    /// Whether the same PDU may be submitted again (here later, or on another provider).
    public var isRetryable: Bool {
        switch kind {
        case .rejected: return statusClass != .permanent
        case .throttled, .notBound, .connectionLost, .timedOut, .shutDown: return true
        case .bindRejected, .tlsFailed, .invalidRequest: return false
        }
    }

    public var description: String {
        var text = "bind \(bind): \(kind.rawValue)"
        if let status { text += " with \(status)" }
        return text + " — " + detail
    }
}
