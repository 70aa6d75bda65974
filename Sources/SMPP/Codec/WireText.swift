/// C-octet string text on the wire (SMPP 3.4 section 3.1).
///
/// The spec calls these ASCII. Peers put other octets in them (Latin-1 alphanumeric senders),
/// so decoding maps octets above 0x7F to the Latin-1 code points: every octet string decodes
/// to a String that encodes back to the same octets. Characters above U+00FF cannot be put in
/// a C-octet string and are refused by the encoder.
enum WireText {
    @inline(__always)
    static func string(from bytes: UnsafeRawBufferPointer) -> String {
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    static func string(from bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBytes { string(from: $0) }
    }

    /// The octets of `text`, or `nil` when a character is above U+00FF.
    @inline(__always)
    static func octets(_ text: String) -> [UInt8]? {
        var text = text
        if let ascii = text.withUTF8({ buffer -> [UInt8]? in
            for byte in buffer where byte >= 0x80 { return nil }
            return Array(buffer)
        }) {
            return ascii
        }
        var result: [UInt8] = []
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            result.append(UInt8(scalar.value))
        }
        return result
    }
}
