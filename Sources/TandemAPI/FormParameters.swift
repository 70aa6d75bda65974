import Conversations
import Foundation

/// The parameters of a request: form-encoded body and query string, PascalCase keys, dotted
/// keys for nested fields (`MessagingBinding.Address`), repeated keys for lists. Unknown keys
/// are ignored, as the mirrored API does. Every accessor that rejects a value throws a 400
/// naming the parameter.
struct FormParameters: Sendable {
    private(set) var values: [String: [String]] = [:]

    init() {}

    init(encoded: some Sequence<UInt8>) {
        add(encoded: encoded)
    }

    mutating func add(encoded: some Sequence<UInt8>) {
        var key: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        func flush(_ key: [UInt8], _ value: [UInt8]) -> (String, String)? {
            guard !key.isEmpty else { return nil }
            return (Self.decode(key), Self.decode(value))
        }
        for byte in encoded {
            switch byte {
            case UInt8(ascii: "&"):
                if let (k, v) = flush(key, value) { values[k, default: []].append(v) }
                key.removeAll(keepingCapacity: true); value.removeAll(keepingCapacity: true); inValue = false
            case UInt8(ascii: "=") where !inValue:
                inValue = true
            default:
                if inValue { value.append(byte) } else { key.append(byte) }
            }
        }
        if let (k, v) = flush(key, value) { values[k, default: []].append(v) }
    }

    /// Percent-decoding with `+` as space; invalid escapes are kept literally.
    static func decode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: return b - 48
            case 65...70: return b - 55
            case 97...102: return b - 87
            default: return nil
            }
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func has(_ name: String) -> Bool { values[name] != nil }

    /// The last value of `name` (a repeated scalar takes the last one).
    func string(_ name: String) -> String? { values[name]?.last }

    func strings(_ name: String) -> [String]? { values[name] }

    /// A repeated parameter (filters, permissions): at most `count` values of at most 256 characters.
    func list(_ name: String, count: Int = 64) throws(ConversationsError) -> [String]? {
        guard let items = values[name] else { return nil }
        if items.count > count { throw .invalidParameter(name, "at most \(count) values") }
        for item in items { try Validate.length(item, max: 256, parameter: name) }
        return items
    }

    func url(_ name: String) throws(ConversationsError) -> String? {
        let value = string(name)
        try Validate.webURL(value, parameter: name)
        return value
    }

    func text(_ name: String, max: Int) throws(ConversationsError) -> String? {
        let value = string(name)
        try Validate.length(value, max: max, parameter: name)
        return value
    }

    func required(_ name: String, max: Int = 4096) throws(ConversationsError) -> String {
        guard let value = try text(name, max: max), !value.isEmpty else { throw .missingParameter(name) }
        return value
    }

    func bool(_ name: String) throws(ConversationsError) -> Bool? {
        guard let value = string(name) else { return nil }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidParameter(name, "'\(value)' is not true or false")
        }
    }

    func int(_ name: String, range: ClosedRange<Int> = Int.min...Int.max) throws(ConversationsError) -> Int? {
        guard let value = string(name) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw .invalidParameter(name, "'\(value)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// A timestamp; a bare date (`2026-01-31`) is its first second, or with `endOfDay` its last.
    func date(_ name: String, endOfDay: Bool = false) throws(ConversationsError) -> UnixTime? {
        guard let value = string(name) else { return nil }
        if let time = V1Timestamp.parse(value) { return time }
        if value.count == 10, let time = V1Timestamp.parse(value + "T00:00:00Z") { return endOfDay ? time + 86_399 : time }
        throw .invalidParameter(name, "'\(value)' is not an ISO 8601 date such as 2026-01-31T12:00:00Z")
    }

    func choice(_ name: String, _ allowed: [String], caseInsensitive: Bool = false) throws(ConversationsError) -> String? {
        guard let value = string(name) else { return nil }
        if let match = allowed.first(where: { caseInsensitive ? $0.lowercased() == value.lowercased() : $0 == value }) { return match }
        throw .invalidParameter(name, "'\(value)' is not one of \(allowed.joined(separator: ", "))")
    }

    func attributes(_ name: String = "Attributes", max: Int) throws(ConversationsError) -> String? {
        let value = string(name)
        try Validate.attributes(value, max: max, parameter: name)
        return value
    }

    func address(_ name: String) throws(ConversationsError) -> String? {
        guard let value = string(name) else { return nil }
        try Validate.address(value, parameter: name)
        return value
    }

    func sid(_ name: String, prefix: SIDPrefix) throws(ConversationsError) -> String? {
        guard let value = string(name) else { return nil }
        guard SID.isValid(value, prefix: prefix) else {
            throw .invalidParameter(name, "'\(value)' is not a \(prefix.rawValue) SID")
        }
        return value
    }
}
