// MessageState.swift — the SMPP 3.4 `message_state` values and their delivery-receipt words.
//
// Standard library only: no Foundation, no NIO.

/// The state of a short message, as carried by the `message_state` field of `query_sm_resp`
/// and the `message_state` TLV (0x0427) of a delivery receipt (SMPP 3.4 section 5.2.28 and
/// 5.3.2.35), and — as a seven-letter word — by the `stat:` field of the receipt text
/// (SMPP 3.4 Appendix B).
///
/// Values outside 1…8 (for instance SMPP 5.0's `SKIPPED` = 9, or 0) have no case here:
/// `MessageState(rawValue:)` returns `nil` for them and callers keep the raw octet.
public enum MessageState: UInt8, Sendable, Hashable, CaseIterable {
    /// The message is in enroute state (not yet delivered; retries may follow).
    case enroute = 1
    /// The message was delivered to its destination.
    case delivered = 2
    /// The message's validity period expired.
    case expired = 3
    /// The message was deleted.
    case deleted = 4
    /// The message is undeliverable.
    case undeliverable = 5
    /// The message is in accepted state, i.e. it "has been manually read on behalf of the
    /// subscriber by customer service" (SMPP 3.4 5.2.28).
    case accepted = 6
    /// The message is in an invalid state.
    case unknown = 7
    /// The message was rejected.
    case rejected = 8

    /// The name the SMPP 3.4 specification gives the state in 5.2.28: `"ENROUTE"`,
    /// `"DELIVERED"`, `"EXPIRED"`, `"DELETED"`, `"UNDELIVERABLE"`, `"ACCEPTED"`, `"UNKNOWN"`,
    /// `"REJECTED"`.
    public var specName: String {
        switch self {
        case .enroute: "ENROUTE"
        case .delivered: "DELIVERED"
        case .expired: "EXPIRED"
        case .deleted: "DELETED"
        case .undeliverable: "UNDELIVERABLE"
        case .accepted: "ACCEPTED"
        case .unknown: "UNKNOWN"
        case .rejected: "REJECTED"
        }
    }

    /// The seven-character word used in the `stat:` field of the receipt text
    /// (SMPP 3.4 Appendix B, table B-2): `"ENROUTE"`, `"DELIVRD"`, `"EXPIRED"`, `"DELETED"`,
    /// `"UNDELIV"`, `"ACCEPTD"`, `"UNKNOWN"`, `"REJECTD"`.
    public var receiptStat: String {
        switch self {
        case .enroute: "ENROUTE"
        case .delivered: "DELIVRD"
        case .expired: "EXPIRED"
        case .deleted: "DELETED"
        case .undeliverable: "UNDELIV"
        case .accepted: "ACCEPTD"
        case .unknown: "UNKNOWN"
        case .rejected: "REJECTD"
        }
    }

    /// Maps a receipt `stat:` word (SMPP 3.4 Appendix B) to a state.
    ///
    /// Matching ignores ASCII case and surrounding whitespace. Both the seven-character
    /// receipt words (`DELIVRD`, `EXPIRED`, `DELETED`, `UNDELIV`, `ACCEPTD`, `UNKNOWN`,
    /// `REJECTD`, `ENROUTE`) and the 5.2.28 names (`DELIVERED`, `UNDELIVERABLE`,
    /// `ACCEPTED`, `REJECTED`) are accepted. Any other word gives `nil`.
    public init?(receiptStat: String) {
        var scalars = Substring(receiptStat).unicodeScalars[...]
        while let first = scalars.first, Self.isPadding(first) { scalars.removeFirst() }
        while let last = scalars.last, Self.isPadding(last) { scalars.removeLast() }
        guard scalars.dropFirst(16).isEmpty else { return nil }
        var word = ""
        for scalar in scalars {
            // ASCII upper-casing only: the words are ASCII, anything else cannot match.
            if scalar.value >= 0x61, scalar.value <= 0x7A {
                word.unicodeScalars.append(Unicode.Scalar(UInt8(scalar.value - 0x20)))
            } else {
                word.unicodeScalars.append(scalar)
            }
        }
        switch word {
        case "ENROUTE": self = .enroute
        case "DELIVRD", "DELIVERED": self = .delivered
        case "EXPIRED": self = .expired
        case "DELETED": self = .deleted
        case "UNDELIV", "UNDELIVERABLE": self = .undeliverable
        case "ACCEPTD", "ACCEPTED": self = .accepted
        case "UNKNOWN": self = .unknown
        case "REJECTD", "REJECTED": self = .rejected
        default: return nil
        }
    }

    private static func isPadding(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\0" || scalar.properties.isWhitespace
    }

    /// Whether the state is final, i.e. the SMSC will report no further change.
    ///
    /// Decision (SMPP 3.4 5.2.28): only `enroute` is an intermediate state. `accepted` is
    /// **final** in the specification — it means the message was read by customer service on
    /// the subscriber's behalf, which ends its life in the SMSC — and so are `delivered`,
    /// `expired`, `deleted`, `undeliverable`, `unknown` and `rejected` (`unknown`, "invalid
    /// state", promises no further update, so it is treated as final as well).
    ///
    /// Caveat: some gateways use `ACCEPTD` as an *intermediate* "accepted by the SMSC"
    /// notification (Jasmin, for instance, sends `stat:ACCEPTD` / `message_state` 6 for an
    /// SMSC-level receipt when the upstream `submit_sm_resp` was `ESME_ROK`, and a later
    /// `DELIVRD` may follow). A bridge that talks to such a peer should not close a message's
    /// tracking on `accepted`; this property reports the specification's meaning only.
    public var isFinal: Bool {
        self != .enroute
    }
}
