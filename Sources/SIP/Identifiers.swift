/// Random identifiers for SIP: branches with the RFC 3261 magic cookie (§8.1.1.7), tags
/// (§19.3) and Call-IDs (§8.1.1.4).
public enum SIPIdentifiers {
    public static func branch() -> String { "z9hG4bK" + hex(12) }
    public static func tag() -> String { hex(8) }
    public static func callID(host: String) -> String { hex(16) + "@" + host }
    /// `bytes` random bytes from the system's generator as lower-case hex. Eight bytes per
    /// draw: one getrandom call per byte showed up as 6 % of a call-setup benchmark.
    public static func hex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(bytes * 2)
        var remaining = bytes
        while remaining > 0 {
            var word = generator.next()
            for _ in 0..<min(8, remaining) {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
            remaining -= 8
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
