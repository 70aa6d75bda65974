// Reassembler.swift — reassembly of long (concatenated) mobile-originated messages received
// as several deliver_sm PDUs, and detection of their concatenation information.
//
// Standard library only: no Foundation, no NIO. Time is injected by the caller as a
// `Duration` since an arbitrary epoch, so the type needs no clock and tests need none either.

// MARK: - Detection

/// The concatenation information of one part of a long message, taken from raw PDU fields:
/// a concatenation element in the User Data Header (3GPP TS 23.040 9.2.3.24.1 / .8) when
/// esm_class has UDHI set, or the SAR TLVs `sar_msg_ref_num` (0x020C), `sar_total_segments`
/// (0x020E) and `sar_segment_seqnum` (0x020F) (SMPP 3.4 5.3.2.22–5.3.2.24).
public struct ConcatenationInfo: Sendable, Hashable {
    /// How the parts of a message are linked. Parts linked by different schemes never belong
    /// to the same message, even with equal numbers.
    public enum Scheme: UInt8, Sendable, Hashable, CaseIterable {
        /// UDH IEI 0x00, 8-bit reference.
        case udh8
        /// UDH IEI 0x08, 16-bit reference.
        case udh16
        /// SMPP SAR TLVs, 16-bit reference.
        case sar
    }

    /// The concatenated message reference (for `.udh8` always 0…255).
    public var reference: UInt16
    /// The total number of parts, as sent (may be 0 or smaller than `sequence` in bad input).
    public var total: UInt8
    /// This part's sequence number, 1-based, as sent.
    public var sequence: UInt8
    public var scheme: Scheme
    /// The user data without the User Data Header (the whole message for SAR without UDHI).
    public var payload: [UInt8]

    public init(reference: UInt16, total: UInt8, sequence: UInt8, scheme: Scheme, payload: [UInt8]) {
        self.reference = scheme == .udh8 ? reference & 0x00FF : reference
        self.total = total
        self.sequence = sequence
        self.scheme = scheme
        self.payload = payload
    }

    /// Finds the concatenation information of a `deliver_sm`/`submit_sm`/`data_sm` from its
    /// raw fields. Pass `message_payload`'s octets as `shortMessage` when `short_message` is
    /// empty.
    ///
    /// - When the UDHI bit (0x40) of `esmClass` is set (SMPP 3.4 5.2.12) and the header
    ///   parses, a concatenation element in it wins (`.udh8` or `.udh16`); the payload is the
    ///   data after the header.
    /// - Otherwise, when all three SAR values are present, the result is `.sar`; the payload
    ///   is the data after the header when UDHI is set and the header parses, else the whole
    ///   `shortMessage`.
    /// - Otherwise `nil`: a single-part message (including a UDHI message whose header has no
    ///   concatenation element or is malformed).
    ///
    /// Values are not validated (a total of 1 is returned as is; 0 totals and out-of-range
    /// sequence numbers are left for ``Reassembler/add(_:key:sequence:now:)`` to report).
    public static func detect(
        esmClass: UInt8,
        shortMessage: [UInt8],
        sarMsgRefNum: UInt16?,
        sarTotalSegments: UInt8?,
        sarSegmentSeqnum: UInt8?
    ) -> ConcatenationInfo? {
        var payload = shortMessage
        if esmClass & 0x40 != 0, let parsed = UserDataHeader.parse(shortMessage) {
            payload = Array(shortMessage[parsed.headerLength...])
            if let concatenation = parsed.header.concatenation {
                return ConcatenationInfo(
                    reference: concatenation.reference,
                    total: concatenation.total,
                    sequence: concatenation.sequence,
                    scheme: concatenation.is16Bit ? .udh16 : .udh8,
                    payload: payload
                )
            }
        }
        if let sarMsgRefNum, let sarTotalSegments, let sarSegmentSeqnum {
            return ConcatenationInfo(
                reference: sarMsgRefNum,
                total: sarTotalSegments,
                sequence: sarSegmentSeqnum,
                scheme: .sar,
                payload: payload
            )
        }
        return nil
    }
}

// MARK: - Keys and outcomes

/// Identifies one long message being reassembled.
///
/// Parts belong together when bind, source, destination, scheme, reference and total are all
/// equal. `bind` is whatever names the SMSC connection (references are only unique per
/// originator and SMSC); `source` and `destination` are the addresses as the caller
/// normalises them (include TON/NPI in them if they matter). The `scheme` keeps UDH 8-bit,
/// UDH 16-bit and SAR parts apart even when their numbers coincide. For `.udh8` the
/// initialisers keep only the low byte of `reference`.
public struct SegmentKey: Hashable, Sendable {
    /// The SMSC or bind name the parts arrived on.
    public var bind: String
    public var source: String
    public var destination: String
    /// The message reference: the full 16 bits for `.udh16` and `.sar`, 0…255 for `.udh8`.
    public var reference: UInt16
    /// The total number of parts.
    public var total: UInt8
    public var scheme: ConcatenationInfo.Scheme

    public init(
        bind: String,
        source: String,
        destination: String,
        reference: UInt16,
        total: UInt8,
        scheme: ConcatenationInfo.Scheme
    ) {
        self.bind = bind
        self.source = source
        self.destination = destination
        self.reference = scheme == .udh8 ? reference & 0x00FF : reference
        self.total = total
        self.scheme = scheme
    }

    /// The key of the message `info` is a part of.
    public init(bind: String, source: String, destination: String, info: ConcatenationInfo) {
        self.init(
            bind: bind, source: source, destination: destination,
            reference: info.reference, total: info.total, scheme: info.scheme
        )
    }
}

/// A part held by the reassembler, with its sequence number.
public struct SequencedPart<Part> {
    public var sequence: UInt8
    public var part: Part

    public init(sequence: UInt8, part: Part) {
        self.sequence = sequence
        self.part = part
    }
}

extension SequencedPart: Sendable where Part: Sendable {}
extension SequencedPart: Equatable where Part: Equatable {}
extension SequencedPart: Hashable where Part: Hashable {}

/// A message given up before all its parts arrived: expired by
/// ``Reassembler/expire(now:)``, evicted to respect the memory cap, or removed by
/// ``Reassembler/removeAll()``. The caller decides whether to log it or deliver it partially.
public struct IncompleteMessage<Part> {
    public enum Reason: Sendable, Hashable {
        /// Older than the timeout (measured from its first part's arrival).
        case expired
        /// Removed to keep the pending parts within `maxPendingSegments`.
        case evicted
        /// Removed by ``Reassembler/removeAll()``.
        case removed
    }

    public var key: SegmentKey
    /// The parts received, in ascending sequence order.
    public var parts: [SequencedPart<Part>]
    /// When the first part arrived (the reassembler's clock).
    public var firstArrival: Duration
    public var reason: Reason

    public init(key: SegmentKey, parts: [SequencedPart<Part>], firstArrival: Duration, reason: Reason) {
        self.key = key
        self.parts = parts
        self.firstArrival = firstArrival
        self.reason = reason
    }

    /// The sequence numbers 1…total not received, ascending.
    public var missingSequences: [UInt8] {
        guard key.total > 0 else { return [] }
        var present = [Bool](repeating: false, count: 256)
        for part in parts {
            present[Int(part.sequence)] = true
        }
        return (1...key.total).filter { !present[Int($0)] }
    }
}

extension IncompleteMessage: Sendable where Part: Sendable {}
extension IncompleteMessage: Equatable where Part: Equatable {}
extension IncompleteMessage: Hashable where Part: Hashable {}

/// Why ``Reassembler/add(_:key:sequence:now:)`` refused a part.
public enum InvalidSegmentReason: Sendable, Hashable {
    /// The key's total is 0 (23.040 9.2.3.24.1: the element is to be ignored).
    case totalZero
    /// The sequence number is 0.
    case sequenceZero
    /// The sequence number exceeds the total.
    case sequenceExceedsTotal
    /// The message has more parts than `maxPendingSegments + 1`, so it could never be held
    /// complete within the cap.
    case totalExceedsCapacity
}

/// The result of adding one part.
public enum ReassemblyOutcome<Part> {
    /// All parts 1…total are present: the message, removed from the reassembler, with its
    /// parts in sequence order.
    case complete(parts: [Part])
    /// The part is held; `received` of `total` parts are now present. `evicted` lists the
    /// oldest incomplete messages (by first arrival; never the message of this part) removed
    /// to bring the pending parts back within `maxPendingSegments` — usually empty.
    case pending(received: Int, total: Int, evicted: [IncompleteMessage<Part>])
    /// A part with the same key and sequence number is already held; the new copy was dropped
    /// and the held one kept (a retransmission after a lost `deliver_sm_resp` is normally
    /// identical).
    case duplicate
    /// The part was refused and not stored. Per 3GPP TS 23.040 9.2.3.24.1 a receiver ignores
    /// such a concatenation element, so a caller would typically deliver the part's payload
    /// as a message of its own.
    case invalid(InvalidSegmentReason)
}

extension ReassemblyOutcome: Sendable where Part: Sendable {}
extension ReassemblyOutcome: Equatable where Part: Equatable {}

// MARK: - Reassembler

/// Reassembles long messages from their parts; a pure value type owned by one bridge task.
///
/// The parts are the caller's own values (`Part` — typically the decoded PDU or a struct of
/// payload, data coding and whatever metadata the bridge must carry per part); the
/// reassembler only keeps them with their sequence numbers and hands them back in order.
///
/// Contract:
/// - A message completes when every sequence number 1…total is present — on count, not on
///   the arrival of the last-numbered part — so parts may arrive in any order. `total == 1`
///   completes at once without being stored.
/// - A part whose key and sequence number are already held is reported `.duplicate` and
///   dropped. A late copy of a part of an *already completed* message starts a new pending
///   message, which eventually expires.
/// - Time is a `Duration` since any fixed epoch (e.g. `ContinuousClock.now - start`), passed
///   as `now`. It must not go backwards; if it does, the reassembler uses the latest `now`
///   it has seen instead.
/// - ``expire(now:)`` removes and returns messages whose first part arrived at least
///   `timeout` ago.
/// - At most `maxPendingSegments` parts are held across all messages. When storing a part
///   would exceed that, the oldest incomplete messages (by first arrival), other than the
///   one being added to, are evicted and returned in `.pending`. A message with more than
///   `maxPendingSegments + 1` parts is refused as `.invalid(.totalExceedsCapacity)`, as it
///   could never complete.
///
/// Cost: `add` is O(1) amortised (hash lookups, a bitmap per message, an arrival-order
/// queue with lazy deletion), plus O(k log k) to order the k parts of a completed message;
/// `expire` is O(expired messages) amortised.
public struct Reassembler<Part> {
    /// How long an incomplete message is kept after its first part arrived.
    public let timeout: Duration
    /// The cap on parts held across all pending messages.
    public let maxPendingSegments: Int

    fileprivate struct Pending {
        var parts: [SequencedPart<Part>]
        /// Bit `s` set when sequence `s` is held (256 bits).
        var present: (UInt64, UInt64, UInt64, UInt64)
        var firstArrival: Duration
        var generation: UInt64

        func has(_ sequence: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(sequence & 63)
            switch sequence >> 6 {
            case 0: return present.0 & bit != 0
            case 1: return present.1 & bit != 0
            case 2: return present.2 & bit != 0
            default: return present.3 & bit != 0
            }
        }

        mutating func mark(_ sequence: UInt8) {
            let bit = UInt64(1) << UInt64(sequence & 63)
            switch sequence >> 6 {
            case 0: present.0 |= bit
            case 1: present.1 |= bit
            case 2: present.2 |= bit
            default: present.3 |= bit
            }
        }
    }

    private struct QueueEntry {
        var key: SegmentKey
        var generation: UInt64
    }

    private var pending: [SegmentKey: Pending] = [:]
    /// Messages in order of first arrival; entries whose message is gone (or was replaced by
    /// a newer generation under the same key) are skipped and compacted away.
    private var queue: [QueueEntry] = []
    private var queueHead = 0
    private var nextGeneration: UInt64 = 0
    private var latestNow: Duration?
    private var heldParts = 0

    /// - Parameters:
    ///   - timeout: how long an incomplete message is kept after its first part.
    ///   - maxPendingSegments: the cap on parts held across all messages (≥ 0).
    public init(timeout: Duration, maxPendingSegments: Int) {
        precondition(maxPendingSegments >= 0, "maxPendingSegments must not be negative")
        self.timeout = timeout
        self.maxPendingSegments = maxPendingSegments
    }

    /// The number of incomplete messages held.
    public var pendingMessageCount: Int { pending.count }

    /// The number of parts held across all incomplete messages (≤ `maxPendingSegments`).
    public var pendingSegmentCount: Int { heldParts }

    /// When the oldest incomplete message will be due for expiry (its first arrival plus the
    /// timeout), for scheduling the next ``expire(now:)``; `nil` when nothing is pending.
    public var nextExpiry: Duration? {
        var index = queueHead
        while index < queue.count {
            let entry = queue[index]
            if let message = pending[entry.key], message.generation == entry.generation {
                return message.firstArrival + timeout
            }
            index += 1
        }
        return nil
    }

    /// Adds one part of the message `key` with the given 1-based `sequence` number.
    ///
    /// See the type's documentation for the contract; the outcome says whether the message is
    /// now complete (its parts are then removed and returned in order), still pending (with
    /// any messages evicted to respect the cap), a duplicate, or invalid.
    public mutating func add(
        _ part: Part, key: SegmentKey, sequence: UInt8, now: Duration
    ) -> ReassemblyOutcome<Part> {
        let now = advance(now)
        let total = Int(key.total)
        guard total > 0 else { return .invalid(.totalZero) }
        guard sequence > 0 else { return .invalid(.sequenceZero) }
        guard sequence <= key.total else { return .invalid(.sequenceExceedsTotal) }
        if total == 1 { return .complete(parts: [part]) }
        guard total - 1 <= maxPendingSegments else { return .invalid(.totalExceedsCapacity) }

        if var message = pending[key] {
            if message.has(sequence) { return .duplicate }
            if message.parts.count + 1 == total {
                pending[key] = nil
                heldParts -= message.parts.count
                message.parts.append(SequencedPart(sequence: sequence, part: part))
                return .complete(parts: Self.ordered(message.parts).map(\.part))
            }
            // Avoid a copy of the parts array while mutating it in the dictionary.
            pending[key] = nil
            message.mark(sequence)
            message.parts.append(SequencedPart(sequence: sequence, part: part))
            let received = message.parts.count
            pending[key] = message
            heldParts += 1
            return .pending(received: received, total: total, evicted: evictOverflow(sparing: key))
        }

        var message = Pending(parts: [], present: (0, 0, 0, 0), firstArrival: now, generation: nextGeneration)
        nextGeneration &+= 1
        message.mark(sequence)
        message.parts.append(SequencedPart(sequence: sequence, part: part))
        pending[key] = message
        heldParts += 1
        queue.append(QueueEntry(key: key, generation: message.generation))
        return .pending(received: 1, total: total, evicted: evictOverflow(sparing: key))
    }

    /// Removes and returns the incomplete messages whose first part arrived at least
    /// `timeout` before `now`, oldest first, each with the parts received (reason
    /// `.expired`).
    public mutating func expire(now: Duration) -> [IncompleteMessage<Part>] {
        let now = advance(now)
        var expired: [IncompleteMessage<Part>] = []
        while queueHead < queue.count {
            let entry = queue[queueHead]
            guard let message = pending[entry.key], message.generation == entry.generation else {
                queueHead += 1
                continue
            }
            // First arrivals never decrease along the queue, so the first young one stops us.
            guard now - message.firstArrival >= timeout else { break }
            expired.append(remove(entry.key, message, reason: .expired))
            queueHead += 1
        }
        compactQueue()
        return expired
    }

    /// Removes and returns every incomplete message, oldest first (reason `.removed`), e.g.
    /// when the bind goes away.
    public mutating func removeAll() -> [IncompleteMessage<Part>] {
        var removed: [IncompleteMessage<Part>] = []
        for entry in queue[queueHead...] {
            if let message = pending[entry.key], message.generation == entry.generation {
                removed.append(remove(entry.key, message, reason: .removed))
            }
        }
        queue = []
        queueHead = 0
        return removed
    }

    // MARK: Internals

    private mutating func advance(_ now: Duration) -> Duration {
        if let latestNow, latestNow > now { return latestNow }
        latestNow = now
        return now
    }

    private static func ordered(_ parts: [SequencedPart<Part>]) -> [SequencedPart<Part>] {
        parts.sorted { $0.sequence < $1.sequence }
    }

    private mutating func remove(_ key: SegmentKey, _ message: Pending, reason: IncompleteMessage<Part>.Reason) -> IncompleteMessage<Part> {
        pending[key] = nil
        heldParts -= message.parts.count
        return IncompleteMessage(
            key: key, parts: Self.ordered(message.parts), firstArrival: message.firstArrival, reason: reason
        )
    }

    /// Evicts the oldest messages other than `spared` until the held parts fit the cap.
    private mutating func evictOverflow(sparing spared: SegmentKey) -> [IncompleteMessage<Part>] {
        var evicted: [IncompleteMessage<Part>] = []
        var index = queueHead
        while heldParts > maxPendingSegments, index < queue.count {
            let entry = queue[index]
            if let message = pending[entry.key], message.generation == entry.generation {
                if entry.key == spared {
                    index += 1
                    continue
                }
                evicted.append(remove(entry.key, message, reason: .evicted))
            }
            if index == queueHead { queueHead += 1 }
            index += 1
        }
        compactQueue()
        return evicted
    }

    /// Drops consumed and stale queue entries once they outnumber the live ones, keeping the
    /// queue's size proportional to the pending messages (amortised O(1) per entry).
    private mutating func compactQueue() {
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
            return
        }
        guard queue.count > 32, queue.count > 2 * pending.count else { return }
        queue = queue[queueHead...].filter { entry in
            pending[entry.key]?.generation == entry.generation
        }
        queueHead = 0
    }
}

extension Reassembler: Sendable where Part: Sendable {}
extension Reassembler.Pending: Sendable where Part: Sendable {}
