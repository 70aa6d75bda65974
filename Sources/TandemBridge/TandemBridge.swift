// TandemBridge — wires carriers to conversations: the inbound router (long messages kept part
// by part, receipts told apart from messages), the outbound dispatcher driven by the durable
// outbox, and delivery receipts. The provider pool with failover and call orchestration come
// later.

import Conversations
import Foundation
import Logging
import NIOConcurrencyHelpers
import SMPP
import SMPPClient
import TandemStore

/// One SMSC the bridge can deliver through, and when to use it.
public struct SMSProvider: Sendable {
    /// The transceiver bind (its name is the provider's name; receipts are matched per provider).
    public var bind: SMPPBindConfiguration
    /// Lower is preferred; a provider is used only when every better one cannot take the message.
    public var priority: Int
    /// Share of the traffic among providers of the same priority.
    public var weight: Int
    /// Destination prefixes it serves (`+1`, `+4477`); empty serves every destination.
    public var prefixes: [String]

    public init(bind: SMPPBindConfiguration, priority: Int = 1, weight: Int = 1, prefixes: [String] = []) {
        self.bind = bind; self.priority = priority; self.weight = weight; self.prefixes = prefixes
    }

    public var name: String { bind.name }

    func serves(_ destination: String) -> Bool {
        prefixes.isEmpty || prefixes.contains { destination.hasPrefix($0) }
    }
}

/// What a failed submit means for the delivery: the bridge's error-class table.
///
/// | class | when |
/// |---|---|
/// | `failOver` | this provider cannot take it now: not bound, the connection died or timed out with it in flight (the SMSC may have it: a possible duplicate), still throttled after the client's own back-off, the bind refused, or an answer of the `.retryable` status class (ESME_RSYSERR, ESME_RINVBNDSTS, ESME_RSUBMITFAIL, ESME_RDELIVERYFAILURE, ESME_RUNKNOWNERR, vendor values ≥ 0x400) — the next provider gets it at once |
/// | `retrySame` | ESME_RX_T_APPN (the SMSC's application asks to be asked again) and ESME_RMSGQFUL — the same choice later, with back-off |
/// | `final` | the message itself is refused (every other status, e.g. ESME_RINVDSTADR, ESME_RINVMSGLEN, ESME_RX_P_APPN) or cannot be encoded — the receipt fails with the status as error code |
public enum DeliveryAction: String, Sendable, Hashable {
    case failOver, retrySame, final

    public init(_ error: SMPPClientError) {
        switch error.kind {
        case .notBound, .connectionLost, .timedOut, .throttled, .bindRejected, .tlsFailed, .shutDown:
            self = .failOver
        case .invalidRequest:
            self = .final
        case .rejected:
            guard let status = error.status else { self = .failOver; return }
            switch status {
            case .temporaryAppError, .messageQueueFull: self = .retrySame
            default: self = SubmitStatusClass(status) == .permanent ? .final : .failOver
            }
        }
    }
}

/// How the bridge runs: the SMSCs it delivers through and what it does with inbound
/// messages nobody takes.
public struct SMSBridgeConfiguration: Sendable {
    public var providers: [SMSProvider]
    /// Refuse unrouted inbound messages with ESME_RX_T_APPN (the SMSC retries later) instead of
    /// acknowledging and dropping them.
    public var rejectUnrouted: Bool
    /// Outbox rows in flight at once.
    public var concurrency: Int
    /// Delay before a retryable failure is tried again, doubled per attempt up to `maxRetryDelay`.
    public var retryDelay: Int64
    public var maxRetryDelay: Int64
    /// Attempts after which a delivery that keeps failing retryably is given up.
    public var maxAttempts: Int

    public init(providers: [SMSProvider], rejectUnrouted: Bool = true, concurrency: Int = 256,
                retryDelay: Int64 = 5, maxRetryDelay: Int64 = 600, maxAttempts: Int = 50) {
        self.providers = providers; self.rejectUnrouted = rejectUnrouted; self.concurrency = concurrency
        self.retryDelay = retryDelay; self.maxRetryDelay = maxRetryDelay; self.maxAttempts = maxAttempts
    }
}

/// Carrier SMS in and out of conversations.
///
/// - Inbound: every deliver_sm is handed to ``ConversationStore/receiveInbound(_:rejectUnrouted:decode:)``
///   and acknowledged only after that transaction committed (the SMPP client acknowledges when
///   the consumer returns). Receipts update the delivery's receipt through the message-id keys
///   of ``MessageIDMatching``.
/// - Outbound: the outbox is polled; each row is split (GSM 7-bit when the text allows, else
///   UCS-2), submitted from the participant's proxy number with a receipt requested, and
///   recorded with its parts' message ids. Retryable failures come back later with back-off;
///   permanent ones fail the receipt with the SMSC's status as error code.
///
/// Delivery is at least once: if the process dies after the SMSC accepted a message but
/// before the acceptance was committed, the row is sent again after restart.
public final class SMSBridge: Sendable {
    public let store: ConversationStore
    public let configuration: SMSBridgeConfiguration
    let clients: [SMPPClient]
    let providers: [SMSProvider]
    let logger: Logger
    private let tracker = NIOLockedValueBox(DispatchTracker())
    private let recorder: SubmissionRecorder
    private let counters = NIOLockedValueBox<[String: Int]>([:])

    public init(store: ConversationStore, configuration: SMSBridgeConfiguration, logger: Logger = Logger(label: "tandem.bridge")) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        let counters = counters
        let inbound = InboundHandler(store: store, rejectUnrouted: configuration.rejectUnrouted, logger: logger) { key in
            counters.withLockedValue { $0[key, default: 0] += 1 }
        }
        providers = configuration.providers
        recorder = SubmissionRecorder(store: store)
        clients = configuration.providers.map { provider in
            SMPPClient(configuration: provider.bind, logger: logger) { message in try await inbound.handle(message) }
        }
    }

    /// Problems with the configuration, one line each (empty when it can run).
    public func problems() -> [String] {
        var problems = configuration.providers.flatMap { $0.bind.problems() }
        for provider in configuration.providers where provider.weight < 1 { problems.append("\(provider.name): weight must be at least 1") }
        for provider in configuration.providers {
            for prefix in provider.prefixes where !(prefix.hasPrefix("+") && prefix.count > 1 && prefix.dropFirst().allSatisfy(\.isNumber)) {
                problems.append("\(provider.name): prefix '\(prefix)' must be + and digits, as destinations are written (+1, +4477)")
            }
        }
        let names = configuration.providers.map(\.name)
        if Set(names).count != names.count { problems.append("provider names must be unique") }
        if configuration.providers.isEmpty { problems.append("no SMSC provider configured") }
        return problems
    }

    /// Runs the binds and the outbound dispatcher until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.run() } }
            group.addTask { await self.dispatch() }
            group.addTask { await self.summarize() }
            await group.next()
            group.cancelAll()
            for client in clients { await client.shutdown() }
        }
    }

    /// Counts of what the dispatcher did, by outcome (for logs and tests).
    public var statistics: [String: Int] { counters.withLockedValue { $0 } }

    func count(_ key: String) { counters.withLockedValue { $0[key, default: 0] += 1 } }

    /// Every 10 s, what happened since the last summary (one line instead of one per message).
    func summarize() async {
        var last: [String: Int] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(10))
            let now = statistics
            let changes = now.keys.sorted().compactMap { key -> String? in
                let delta = now[key, default: 0] - last[key, default: 0]
                return delta > 0 ? "\(key) \(delta)" : nil
            }
            if !changes.isEmpty { logger.notice("SMS bridge, last 10 s: \(changes.joined(separator: ", "))") }
            last = now
        }
    }

    // MARK: outbound

    func dispatch() async {
        await withDiscardingTaskGroup { group in
            // Reads go forward from the last row seen; when nothing new is due they start over
            // (rows rescheduled for later come back that way).
            var cursor: Int64 = 0
            while !Task.isCancelled {
                let due: [OutboxEntry]
                let poll = tracker.withLockedValue { $0.startPoll() }
                do {
                    due = try await store.dueOutbox(limit: configuration.concurrency * 2, after: cursor)
                    cursor = due.last?.id ?? 0
                } catch {
                    logger.error("outbox: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                let fresh = tracker.withLockedValue { $0.claim(due, poll: poll) }
                if fresh.isEmpty {
                    try? await Task.sleep(for: .milliseconds(10))
                    continue
                }
                for entry in fresh {
                    // At most `concurrency` deliveries in flight; a slow one holds only its slot.
                    while tracker.withLockedValue({ $0.running }) >= configuration.concurrency {
                        try? await Task.sleep(for: .milliseconds(1))
                    }
                    tracker.withLockedValue { $0.running += 1 }
                    group.addTask {
                        await self.deliver(entry)
                        self.tracker.withLockedValue { $0.finish(entry.id) }
                    }
                }
            }
        }
    }

    /// The provider to try next for `destination`: bound, serving the destination, not tried
    /// yet; the pinned one first (`pinned`, when bound), then the best priority, weighted at
    /// random among equals.
    func choose(for destination: String, excluding tried: Set<String>, pinned: String? = nil) -> SMPPClient? {
        if let pinned, !tried.contains(pinned), let client = clients.first(where: { $0.configuration.name == pinned }),
           case .bound = client.connectionState {
            return client
        }
        let candidates = zip(providers, clients).filter { provider, client in
            guard !tried.contains(provider.name), provider.serves(destination) else { return false }
            if case .bound = client.connectionState { return true } else { return false }
        }
        guard let best = candidates.map({ $0.0.priority }).min() else { return nil }
        let top = candidates.filter { $0.0.priority == best }
        var pick = Int.random(in: 0..<top.reduce(0) { $0 + $1.0.weight })
        for (provider, client) in top {
            pick -= provider.weight
            if pick < 0 { return client }
        }
        return top.last?.1
    }

    func retryLater(_ entry: OutboxEntry, _ reason: String, on provider: String? = nil) async {
        if entry.attempts + 1 >= configuration.maxAttempts {
            logger.warning("message \(entry.messageSid) to \(entry.address): giving up after \(entry.attempts + 1) attempts (\(reason))")
            count("failed")
            try? await store.failDelivery(entry, errorCode: 30008)
            return
        }
        let delay = min(configuration.retryDelay << min(Int64(entry.attempts), 16), configuration.maxRetryDelay)
        logger.debug("message \(entry.messageSid) to \(entry.address): \(reason); retrying in \(delay) s")
        count("retried")
        try? await store.rescheduleDelivery(entry, delay: delay, provider: provider)
    }

    func deliver(_ entry: OutboxEntry) async {
        var template = SubmitSM()
        template.setAddresses(source: SMPPAddress.derive(entry.proxyAddress), destination: SMPPAddress.derive(entry.address))
        template.registeredDelivery = 1
        guard providers.contains(where: { $0.serves(entry.address) }) else {
            logger.warning("message \(entry.messageSid) to \(entry.address): no provider serves this destination")
            count("unroutable")
            try? await store.failDelivery(entry, errorCode: 21612)
            return
        }
        let parts: [SubmitSM]
        do {
            // The same reference on every attempt: a handset that got some parts before a
            // failure recognises the repeated ones.
            let reference = UInt16(truncatingIfNeeded: (UInt64(bitPattern: entry.id) &* 0x9E37_79B9_7F4A_7C15) >> 48) | 1
            parts = try SubmitSM.parts(of: entry.body, template: template, reference: reference)
        } catch {
            logger.error("message \(entry.messageSid) to \(entry.address) cannot be encoded: \(error)")
            count("unencodable")
            try? await store.failDelivery(entry, errorCode: 30007)
            return
        }
        // Every part of a message goes through one provider; a provider that cannot take the
        // first part hands the whole message to the next one. Parts a provider already accepted
        // are not sent again: the rest goes to that provider, and only to it.
        let remaining = parts.dropFirst(entry.partsDone)
        if entry.partsDone > 0 {
            guard let pinned = entry.provider, let client = clients.first(where: { $0.configuration.name == pinned }),
                  case .bound = client.connectionState else {
                await retryLater(entry, "waiting for \(entry.provider ?? "?") to send parts \(entry.partsDone + 1)… of \(parts.count)",
                                 on: entry.provider)
                return
            }
        }
        var tried: Set<String> = []
        while let client = choose(for: entry.address, excluding: tried, pinned: tried.isEmpty ? entry.provider : nil) {
            if entry.partsDone > 0, client.configuration.name != entry.provider { break }
            tried.insert(client.configuration.name)
            var submitted: [SubmittedPart] = []
            do {
                for part in remaining {
                    let response = try await client.submit(part)
                    submitted.append(SubmittedPart(idKeys: MessageIDMatching.keys(forSubmitResponseID: response.messageID)))
                }
            } catch {
                let action = DeliveryAction(error)
                if !submitted.isEmpty || entry.partsDone > 0, action != .final {
                    // Some parts are with this SMSC: the rest must follow them there, later.
                    let delay = min(configuration.retryDelay << min(Int64(entry.attempts), 16), configuration.maxRetryDelay)
                    count("retried")
                    if submitted.isEmpty {
                        await retryLater(entry, "\(error) with \(entry.partsDone) of \(parts.count) parts sent", on: client.configuration.name)
                    } else {
                        try? await store.recordPartialSubmission(
                            RecordedSubmission(entry: entry, provider: client.configuration.name, parts: submitted, totalParts: parts.count),
                            delay: delay)
                    }
                    return
                }
                switch action {
                case .failOver:
                    logger.debug("message \(entry.messageSid) to \(entry.address): \(error); failing over")
                    count("failover")
                    continue
                case .retrySame:
                    await retryLater(entry, "\(error)", on: client.configuration.name)
                case .final:
                    logger.warning("message \(entry.messageSid) to \(entry.address) refused: \(error)")
                    count("failed")
                    try? await store.failDelivery(entry, errorCode: Int(error.status?.rawValue ?? 30008))
                }
                return
            }
            await record(entry, client: client, parts: submitted, totalParts: parts.count)
            return
        }
        count("no-provider")
        await retryLater(entry, tried.isEmpty ? "no bound provider serves it" : "every provider failed (\(tried.sorted().joined(separator: ", ")))")
    }

    /// Records an accepted delivery; a store that fails is asked again (1, 2, 4, … 32 s) rather
    /// than sending the message again. Only if it keeps failing does the row stay in the outbox,
    /// to be sent again later (a duplicate).
    func record(_ entry: OutboxEntry, client: SMPPClient, parts submitted: [SubmittedPart], totalParts: Int) async {
        var delay = 1
        while true {
            do {
                try await recorder.record(RecordedSubmission(entry: entry, provider: client.configuration.name, parts: submitted,
                                                             totalParts: totalParts))
                count("sent")
                return
            } catch {
                guard delay <= 32, !Task.isCancelled else {
                    logger.error("message \(entry.messageSid): accepted by \(client.configuration.name) but not recorded: \(error); it will be sent again")
                    return
                }
                logger.error("message \(entry.messageSid): accepted by \(client.configuration.name), recording failed: \(error); again in \(delay) s")
                try? await Task.sleep(for: .seconds(delay))
                delay *= 2
            }
        }
    }
}

/// The consumer of every bind's inbound traffic.
struct InboundHandler: Sendable {
    let store: ConversationStore
    let rejectUnrouted: Bool
    let logger: Logger
    let count: @Sendable (String) -> Void

    /// `+` and the digits for international numbers (TON 1), the address as sent otherwise.
    static func address(_ text: String, ton: UInt8) -> String {
        ton == 1 && !text.hasPrefix("+") ? "+" + text : text
    }

    func handle(_ message: InboundMessage) async throws {
        switch message {
        case .mobileOriginated(let mo) where SMPP.DeliveryReceipt.esmClassIndicatesReceipt(mo.esmClass):
            // Flagged as a receipt but unreadable: never a message from the handset.
            logger.warning("unreadable delivery receipt from \(mo.source) on \(mo.bind) acknowledged and dropped")
            count("receipt-unreadable")
        case .mobileOriginated(let mo):
            var sourceTON: UInt8 = 0, destinationTON: UInt8 = 0
            if case .deliverSM(let deliver) = mo.pdu.body { (sourceTON, destinationTON) = (deliver.sourceAddrTON, deliver.destAddrTON) }
            if case .dataSM(let data) = mo.pdu.body { (sourceTON, destinationTON) = (data.sourceAddrTON, data.destAddrTON) }
            let part = mo.concatenation.map {
                InboundSMS.Part(scheme: $0.scheme.rawValue, reference: Int($0.reference), total: Int($0.total), sequence: Int($0.sequence))
            }
            let sms = InboundSMS(source: Self.address(mo.source, ton: sourceTON), destination: Self.address(mo.destination, ton: destinationTON),
                                 dataCoding: mo.dataCoding, payload: mo.payload, part: part)
            let outcome: InboundOutcome
            do {
                outcome = try await store.receiveInbound(sms, rejectUnrouted: rejectUnrouted) { bytes, dataCoding in
                    ShortMessageText.decode(bytes, dataCoding: dataCoding, defaultAlphabet: .gsm7Unpacked)
                }
            } catch let error as InboundUnrouted {
                count("inbound-unrouted-refused")
                throw error
            }
            switch outcome {
            case .appended(let conversation, let messageSid, let created):
                count(created ? "inbound-autocreated" : "inbound")
                logger.debug("inbound \(sms.source) → \(sms.destination): message \(messageSid) in \(created ? "new " : "")conversation \(conversation)")
            case .waitingForParts(let received, let total):
                logger.debug("inbound \(sms.source) → \(sms.destination): part \(received) of \(total) kept")
            case .unrouted:
                count("inbound-unrouted-dropped")
                logger.debug("inbound \(sms.source) → \(sms.destination): no conversation and no autocreation; dropped")
            case .dropped(let reason):
                count("inbound-dropped")
                logger.warning("inbound \(sms.source) → \(sms.destination) dropped: \(reason)")
            }
        case .deliveryReceipt(let receipt, let mo):
            guard let status = Self.status(of: receipt) else {
                logger.debug("receipt \(receipt.messageID) with an intermediate state ignored")
                return
            }
            let errorCode = receipt.errorCode.flatMap { Int($0) } ?? 0
            let matched = try await store.applyCarrierReceipt(provider: mo.bind, keys: MessageIDMatching.keys(forReceiptID: receipt.messageID),
                                                              status: status, errorCode: errorCode)
            count(matched ? "receipts" : "receipts-early")
            if !matched { logger.debug("receipt \(receipt.messageID) on \(mo.bind) before its submission was recorded; kept") }
        }
    }

    /// The receipt status a carrier receipt means; nil for intermediate states.
    static func status(of receipt: SMPP.DeliveryReceipt) -> DeliveryStatus? {
        switch receipt.state {
        case .delivered?: return .delivered
        // ACCEPTD (read on the subscriber's behalf) is final and counts as delivered; UNKNOWN
        // is final too (the SMSC lost track of it).
        case .accepted?: return .delivered
        case .expired?, .deleted?, .undeliverable?, .unknown?: return .undelivered
        case .rejected?: return .failed
        case .enroute?, nil: return nil
        }
    }
}

/// Which outbox rows are being worked on, so no row is handed to an SMSC twice.
///
/// A poll reads the outbox at some moment; a delivery that finishes (and commits) after that
/// moment may still be in the poll's result. So a finished row stays "recently finished"
/// until a poll that started after it finished has been taken: only such a poll can no
/// longer contain it.
struct DispatchTracker: Sendable {
    /// Claimed rows (waiting for a slot or being delivered).
    private var inFlight: Set<Int64> = []
    /// Deliveries under way.
    var running = 0
    /// Row → the poll counter when it finished.
    private var finished: [Int64: Int] = [:]
    private var polls = 0

    /// Call before reading the outbox; pass the result to ``claim(_:poll:)``.
    mutating func startPoll() -> Int {
        polls += 1
        return polls
    }

    /// The rows of poll `poll` that nobody works on, now marked in flight.
    mutating func claim(_ rows: [OutboxEntry], poll: Int) -> [OutboxEntry] {
        // Rows finished before this poll started cannot be in it any more.
        finished = finished.filter { $0.value >= poll }
        return rows.filter { row in
            if let at = finished[row.id], at >= poll { return false }
            return inFlight.insert(row.id).inserted
        }
    }

    mutating func finish(_ id: Int64) {
        running -= 1
        inFlight.remove(id)
        finished[id] = polls
    }
}

/// Records accepted deliveries in batches: the deliveries that finish while one batch is being
/// committed go together in the next one (one write request instead of one each). Each caller
/// returns once its own delivery is committed.
final class SubmissionRecorder: Sendable {
    private struct Waiting {
        var submission: RecordedSubmission
        var continuation: CheckedContinuation<Void, any Error>
    }
    private let store: ConversationStore
    private let state = NIOLockedValueBox<(pending: [Waiting], draining: Bool)>(([], false))

    init(store: ConversationStore) { self.store = store }

    func record(_ submission: RecordedSubmission) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLockedValue { state -> Bool in
                state.pending.append(Waiting(submission: submission, continuation: continuation))
                defer { state.draining = true }
                return !state.draining
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                let batch = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                try await store.recordSubmissions(batch.map(\.submission))
                for waiting in batch { waiting.continuation.resume() }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
