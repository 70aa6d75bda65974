import NIOCore
internal import COSIP2

/// How long finished transactions stay around to absorb retransmissions, and where.
///
/// RFC 3261 keeps a transaction after its final response only to absorb retransmissions:
/// Timer K (T4 = 5 s) for a non-INVITE client, Timer D (≥ 32 s) for an INVITE client after a
/// non-2xx, Timer I (T4) for an INVITE server after the ACK and Timer J (64·T1 = 32 s) for a
/// non-INVITE server, each over UDP (zero over TCP).
public enum SIPTransactionRetention: Sendable, Equatable {
    /// osip2 keeps each transaction for its whole RFC lifetime. osip2 scans all of them on
    /// every round (`*_execute`, timers), so cost grows with calls/s × 5–32 s.
    case rfc3261
    /// Once a transaction only absorbs retransmissions it leaves osip2 and is kept in
    /// Tandem's own hash index for the same RFC durations: a retransmitted response is
    /// absorbed (or, after a non-2xx, ACKed again), a retransmitted request gets the final
    /// response again. osip2's lists then hold only transactions still in progress.
    case indexed

    var retiresEarly: Bool { self == .indexed }
}

/// A transaction key by RFC 3261 §17.1.3 (client: top Via branch + CSeq method) and §17.2.3
/// (server: branch + method, ACK matching INVITE). Only RFC 3261 branches (`z9hG4bK`) are
/// indexed; other requests go to osip2's own matching.
struct SIPTransactionKey: Hashable {
    enum Role: UInt8 { case client, server }
    var role: Role
    var branch: String
    var method: String

    init?(clientRequest request: SIPMessage) {
        guard let branch = request.topViaBranch, branch.hasPrefix("z9hG4bK"), let method = request.method else { return nil }
        self.role = .client
        self.branch = branch
        self.method = method
    }

    init?(serverRequest request: SIPMessage) {
        guard let branch = request.topViaBranch, branch.hasPrefix("z9hG4bK"), let method = request.method else { return nil }
        self.role = .server
        self.branch = branch
        self.method = method == "ACK" ? "INVITE" : method
    }

    init?(response: SIPMessage) {
        guard let branch = response.topViaBranch, branch.hasPrefix("z9hG4bK"), let method = response.cseq?.method else { return nil }
        self.role = .client
        self.branch = branch
        self.method = method
    }

    /// The RFC 3261 retention over an unreliable transport.
    var retention: TimeAmount {
        switch (role, method == "INVITE") {
        case (.client, true): return .seconds(32)   // Timer D
        case (.client, false): return .seconds(5)   // Timer K = T4
        case (.server, true): return .seconds(5)    // Timer I = T4
        case (.server, false): return .seconds(32)  // Timer J = 64·T1
        }
    }
}

/// Tandem's own transaction lookup: a hash from key to live osip2 transaction, and the
/// retired transactions with what they answer retransmissions with. Loop-confined.
final class SIPTransactionIndex {
    struct Retired {
        /// The final response a server transaction re-sends for a retransmitted request.
        var reply: [UInt8]?
        /// The ACK a client INVITE transaction re-sends for a retransmitted non-2xx.
        var ack: [UInt8]?
        var expiry: NIODeadline
    }

    enum Lookup {
        case active(UnsafeMutablePointer<osip_transaction_t>)
        case retired(Retired)
        case none
        /// No RFC 3261 branch: osip2's own (linear) matching decides.
        case unindexed
    }

    let retention: SIPTransactionRetention
    private var active: [SIPTransactionKey: UnsafeMutablePointer<osip_transaction_t>] = [:]
    private var replies: [SIPTransactionKey: [UInt8]] = [:]
    private var retired: [SIPTransactionKey: Retired] = [:]
    /// Retired keys in expiry order, one queue per duration so each stays sorted.
    private var shortQueue = CircularBuffer<(NIODeadline, SIPTransactionKey)>()
    private var longQueue = CircularBuffer<(NIODeadline, SIPTransactionKey)>()

    init(retention: SIPTransactionRetention) {
        self.retention = retention
    }

    var retiredCount: Int { retired.count }
    var hasRetired: Bool { !retired.isEmpty }

    func lookup(incoming message: SIPMessage) -> Lookup {
        let key = message.isRequest ? SIPTransactionKey(serverRequest: message) : SIPTransactionKey(response: message)
        guard let key else { return .unindexed }
        if let transaction = active[key] { return .active(transaction) }
        if let entry = retired[key] { return .retired(entry) }
        return .none
    }

    func insertActive(_ key: SIPTransactionKey, _ transaction: UnsafeMutablePointer<osip_transaction_t>) {
        active[key] = transaction
    }

    func removeActive(_ key: SIPTransactionKey, _ transaction: UnsafeMutablePointer<osip_transaction_t>) {
        if active[key] == transaction {
            active[key] = nil
            replies[key] = nil
        }
    }

    func recordReply(_ key: SIPTransactionKey, _ bytes: [UInt8]) {
        guard key.role == .server, retention.retiresEarly else { return }
        replies[key] = bytes
    }

    func reply(for key: SIPTransactionKey) -> [UInt8]? { replies[key] }

    func retire(_ key: SIPTransactionKey, reply: [UInt8]?, ack: [UInt8]?, now: NIODeadline, reliable: Bool) {
        active[key] = nil
        replies[key] = nil
        // Over TCP the RFC timers are zero: nothing to absorb.
        guard !reliable else { return }
        let duration = key.retention
        let expiry = now + duration
        retired[key] = Retired(reply: reply, ack: ack, expiry: expiry)
        if duration <= .seconds(5) { shortQueue.append((expiry, key)) } else { longQueue.append((expiry, key)) }
    }

    func expireRetired(now: NIODeadline) {
        for queue in [\SIPTransactionIndex.shortQueue, \SIPTransactionIndex.longQueue] as [ReferenceWritableKeyPath<SIPTransactionIndex, CircularBuffer<(NIODeadline, SIPTransactionKey)>>] {
            while let first = self[keyPath: queue].first, first.0 <= now {
                self[keyPath: queue].removeFirst()
                if let entry = retired[first.1], entry.expiry <= now { retired[first.1] = nil }
            }
        }
    }

    func removeAll() {
        active.removeAll()
        replies.removeAll()
        retired.removeAll()
        shortQueue.removeAll()
        longQueue.removeAll()
    }
}
