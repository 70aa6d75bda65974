// Conversations — the domain: services, conversations, participants (chat identities and
// messaging bindings of address + proxy_address), messages, delivery receipts, users, address
// configurations, roles, and the rules that hold between them. It knows nothing of SMPP, SIP,
// HTTP or SQLite: `TandemStore` keeps these values, `TandemAPI` renders them.

/// The kinds of resource identifiers (SIDs) of the API style Tandem mirrors: two letters and
/// 32 lowercase hex digits, e.g. `CH6f0e…`.
public enum SIDPrefix: String, Sendable, CaseIterable {
    case account = "AC"
    case apiKey = "SK"
    case service = "IS"
    case conversation = "CH"
    case participant = "MB"
    case message = "IM"
    case deliveryReceipt = "DY"
    case user = "US"
    case role = "RL"
    case addressConfiguration = "IG"
    case webhook = "WH"
    case media = "ME"
    /// A message as handed to a carrier channel (`channel_message_sid` of a receipt).
    case channelMessage = "SM"
}

public enum SID {
    /// A new random SID: the prefix and 128 random bits as 32 lowercase hex digits.
    public static func make(_ prefix: SIDPrefix) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(prefix, using: &generator)
    }

    public static func make(_ prefix: SIDPrefix, using generator: inout some RandomNumberGenerator) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](prefix.rawValue.utf8)
        bytes.reserveCapacity(34)
        for _ in 0..<2 {
            var word = generator.next()
            for _ in 0..<16 {
                bytes.append(hex[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `text` is a well-formed SID with the given prefix (hex in either case, as the
    /// spec's pattern `^XX[0-9a-fA-F]{32}$` allows).
    public static func isValid(_ text: some StringProtocol, prefix: SIDPrefix) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 34, text.hasPrefix(prefix.rawValue) else { return false }
        return utf8.dropFirst(2).allSatisfy { byte in
            (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
        }
    }

    /// Whether `text` looks like a SID of any kind (two letters, 32 hex digits): used to tell a
    /// SID from a unique name or identity in a path.
    public static func looksLikeSID(_ text: some StringProtocol) -> Bool {
        SIDPrefix.allCases.contains { isValid(text, prefix: $0) }
    }
}
