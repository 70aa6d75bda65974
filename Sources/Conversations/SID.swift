// Conversations — the domain: services, conversations, participants (chat identities and
// messaging bindings of address + proxy_address), messages, delivery receipts, users, address
// configurations, roles, and the rules that hold between them. It knows nothing of SMPP, SIP,
// HTTP or SQLite: `TandemStore` keeps these values, `TandemAPI` renders them.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// A new SID: the prefix, then 12 hex digits of milliseconds since 1970 and 20 random hex
    /// digits (80 bits). Time first keeps new rows at the right edge of every SID index, so a
    /// batch of inserts dirties a few pages instead of one page per row; 80 random bits per
    /// millisecond keep SIDs unguessable and collision-free in practice.
    public static func make(_ prefix: SIDPrefix) -> String {
        var generator = BufferedSystemRandom()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(now.tv_sec) &* 1000 &+ UInt64(now.tv_nsec / 1_000_000)
        return make(prefix, milliseconds: milliseconds, using: &generator)
    }

    public static func make(_ prefix: SIDPrefix, milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](prefix.rawValue.utf8)
        bytes.reserveCapacity(34)
        for shift in stride(from: 44, through: 0, by: -4) {
            bytes.append(hex[Int((milliseconds >> UInt64(shift)) & 0xF)])
        }
        var word = generator.next()
        for _ in 0..<16 {
            bytes.append(hex[Int(word & 0xF)])
            word >>= 4
        }
        word = generator.next()
        for _ in 0..<4 {
            bytes.append(hex[Int(word & 0xF)])
            word >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `text` is a well-formed SID with the given prefix (hex in either case, as the
    /// spec's pattern `^XX[0-9a-fA-F]{32}$` allows).
    public static func isValid(_ text: String, prefix: SIDPrefix) -> Bool {
        var text = text
        let p = prefix.rawValue.utf8
        let p0 = p[p.startIndex], p1 = p[p.index(after: p.startIndex)]
        return text.withUTF8 { bytes in
            guard bytes.count == 34, bytes[0] == p0, bytes[1] == p1 else { return false }
            for i in 2..<34 {
                let byte = bytes[i]
                guard (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte) else { return false }
            }
            return true
        }
    }

    public static func isValid(_ text: Substring, prefix: SIDPrefix) -> Bool { isValid(String(text), prefix: prefix) }

    /// Whether `text` looks like a SID of any kind (two letters, 32 hex digits): used to tell a
    /// SID from a unique name or identity in a path.
    public static func looksLikeSID(_ text: String) -> Bool {
        SIDPrefix.allCases.contains { isValid(text, prefix: $0) }
    }
}

/// The system's CSPRNG read 4 KiB at a time: a SID needs 10 random bytes, and one `getrandom`
/// call per SID showed up in the message-append profile.
struct BufferedSystemRandom: RandomNumberGenerator {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var buffer = [UInt64](repeating: 0, count: 512)
    nonisolated(unsafe) private static var next = 512

    mutating func next() -> UInt64 {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if Self.next == Self.buffer.count {
            Self.buffer.withUnsafeMutableBytes { bytes in
                #if canImport(Glibc)
                // /dev/urandom: the same kernel CSPRNG as getrandom(2), which Glibc's module does not export.
                let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
                precondition(fd >= 0, "cannot open /dev/urandom: errno \(errno)")
                defer { close(fd) }
                var filled = 0
                while filled < bytes.count {
                    let n = read(fd, bytes.baseAddress! + filled, bytes.count - filled)
                    if n > 0 { filled += n } else { precondition(n < 0 && errno == EINTR, "reading /dev/urandom failed: errno \(errno)") }
                }
                #else
                arc4random_buf(bytes.baseAddress!, bytes.count)
                #endif
            }
            Self.next = 0
        }
        defer { Self.next += 1 }
        return Self.buffer[Self.next]
    }
}
