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

/// How the bridge runs: the SMSC binds it delivers through and what it does with inbound
/// messages nobody takes.
public struct SMSBridgeConfiguration: Sendable {
    /// One provider per bind (transceiver, or transmitter plus a receiver of the same name).
    public var providers: [SMPPBindConfiguration]
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

    public init(providers: [SMPPBindConfiguration], rejectUnrouted: Bool = true, concurrency: Int = 256,
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
    let logger: Logger
    private let inFlight = NIOLockedValueBox<Set<Int64>>([])
    private let counters = NIOLockedValueBox<[String: Int]>([:])

    public init(store: ConversationStore, configuration: SMSBridgeConfiguration, logger: Logger = Logger(label: "tandem.bridge")) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        let inbound = InboundHandler(store: store, rejectUnrouted: configuration.rejectUnrouted, logger: logger)
        clients = configuration.providers.map { bind in
            SMPPClient(configuration: bind, logger: logger) { message in try await inbound.handle(message) }
        }
    }

    /// Problems with the configuration, one line each (empty when it can run).
    public func problems() -> [String] {
        var problems = configuration.providers.flatMap { $0.problems() }
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
            await group.next()
            group.cancelAll()
            for client in clients { await client.shutdown() }
        }
    }

    /// Counts of what the dispatcher did, by outcome (for logs and tests).
    public var statistics: [String: Int] { counters.withLockedValue { $0 } }

    private func count(_ key: String) { counters.withLockedValue { $0[key, default: 0] += 1 } }

    // MARK: outbound

    func dispatch() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            while !Task.isCancelled {
                let due: [OutboxEntry]
                do {
                    due = try await store.dueOutbox(limit: configuration.concurrency * 2)
                } catch {
                    logger.error("outbox: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                let fresh = inFlight.withLockedValue { flight in
                    due.filter { flight.insert($0.id).inserted }
                }
                if fresh.isEmpty {
                    // Nothing new: collect finished deliveries or wait a little for new rows.
                    if running > 0, await group.next() != nil { running -= 1 }
                    else { try? await Task.sleep(for: .milliseconds(20)) }
                    continue
                }
                for entry in fresh {
                    while running >= configuration.concurrency {
                        if await group.next() != nil { running -= 1 }
                    }
                    running += 1
                    group.addTask {
                        await self.deliver(entry)
                        _ = self.inFlight.withLockedValue { $0.remove(entry.id) }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// The first bound provider, in configuration order.
    func provider() -> SMPPClient? {
        clients.first { if case .bound = $0.connectionState { return true } else { return false } }
    }

    func deliver(_ entry: OutboxEntry) async {
        guard let client = provider() else {
            count("no-provider")
            try? await store.rescheduleDelivery(entry, delay: configuration.retryDelay)
            return
        }
        var template = SubmitSM()
        template.setAddresses(source: SMPPAddress.derive(entry.proxyAddress), destination: SMPPAddress.derive(entry.address))
        template.registeredDelivery = 1
        let parts: [SubmitSM]
        do {
            parts = try SubmitSM.parts(of: entry.body, template: template, reference: UInt16.random(in: 1...0xFFFF))
        } catch {
            logger.error("message \(entry.messageSid) to \(entry.address) cannot be encoded: \(error)")
            count("unencodable")
            try? await store.failDelivery(entry, errorCode: 30007)
            return
        }
        var submitted: [SubmittedPart] = []
        do {
            for part in parts {
                let response = try await client.submit(part)
                submitted.append(SubmittedPart(idKeys: MessageIDMatching.keys(forSubmitResponseID: response.messageID)))
            }
        } catch {
            if error.isRetryable, entry.attempts + 1 < configuration.maxAttempts {
                let delay = min(configuration.retryDelay << min(Int64(entry.attempts), 16), configuration.maxRetryDelay)
                logger.warning("message \(entry.messageSid) to \(entry.address): \(error); retrying in \(delay) s")
                count("retried")
                try? await store.rescheduleDelivery(entry, delay: delay)
            } else {
                logger.warning("message \(entry.messageSid) to \(entry.address) failed: \(error)")
                count("failed")
                try? await store.failDelivery(entry, errorCode: Int(error.status?.rawValue ?? 30008))
            }
            return
        }
        do {
            try await store.recordSubmission(entry, provider: client.configuration.name, parts: submitted)
            count("sent")
        } catch {
            // Accepted by the SMSC but not recorded: it stays in the outbox and is sent again.
            logger.error("message \(entry.messageSid): accepted by \(client.configuration.name) but not recorded: \(error)")
        }
    }
}

/// The consumer of every bind's inbound traffic.
struct InboundHandler: Sendable {
    let store: ConversationStore
    let rejectUnrouted: Bool
    let logger: Logger

    /// `+` and the digits for international numbers (TON 1), the address as sent otherwise.
    static func address(_ text: String, ton: UInt8) -> String {
        ton == 1 && !text.hasPrefix("+") ? "+" + text : text
    }

    func handle(_ message: InboundMessage) async throws {
        switch message {
        case .mobileOriginated(let mo):
            var sourceTON: UInt8 = 0, destinationTON: UInt8 = 0
            if case .deliverSM(let deliver) = mo.pdu.body { (sourceTON, destinationTON) = (deliver.sourceAddrTON, deliver.destAddrTON) }
            if case .dataSM(let data) = mo.pdu.body { (sourceTON, destinationTON) = (data.sourceAddrTON, data.destAddrTON) }
            let part = mo.concatenation.map {
                InboundSMS.Part(scheme: $0.scheme.rawValue, reference: Int($0.reference), total: Int($0.total), sequence: Int($0.sequence))
            }
            let sms = InboundSMS(source: Self.address(mo.source, ton: sourceTON), destination: Self.address(mo.destination, ton: destinationTON),
                                 dataCoding: mo.dataCoding, payload: mo.payload, part: part)
            let outcome = try await store.receiveInbound(sms, rejectUnrouted: rejectUnrouted) { bytes, dataCoding in
                ShortMessageText.decode(bytes, dataCoding: dataCoding, defaultAlphabet: .gsm7Unpacked)
            }
            switch outcome {
            case .appended(let conversation, let messageSid, let created):
                logger.info("inbound \(sms.source) → \(sms.destination): message \(messageSid) in \(created ? "new " : "")conversation \(conversation)")
            case .waitingForParts(let received, let total):
                logger.debug("inbound \(sms.source) → \(sms.destination): part \(received) of \(total) kept")
            case .unrouted:
                logger.warning("inbound \(sms.source) → \(sms.destination): no conversation and no autocreation; dropped")
            }
        case .deliveryReceipt(let receipt, let mo):
            guard let status = Self.status(of: receipt) else {
                logger.debug("receipt \(receipt.messageID) with an intermediate state ignored")
                return
            }
            let errorCode = receipt.errorCode.flatMap { Int($0) } ?? 0
            let matched = try await store.applyCarrierReceipt(provider: mo.bind, keys: MessageIDMatching.keys(forReceiptID: receipt.messageID),
                                                              status: status, errorCode: errorCode)
            if !matched { logger.info("receipt \(receipt.messageID) on \(mo.bind) before its submission was recorded; kept") }
        }
    }

    /// The receipt status a carrier receipt means; nil for intermediate states.
    static func status(of receipt: SMPP.DeliveryReceipt) -> DeliveryStatus? {
        switch receipt.state {
        case .delivered?: return .delivered
        case .expired?, .deleted?, .undeliverable?: return .undelivered
        case .rejected?: return .failed
        case .enroute?, .accepted?, .unknown?, nil: return nil
        }
    }
}
