// Character codings of SMPP 3.4 short messages: data_coding (SMPP 3.4 §5.2.19) → coding,
// decoding of short_message / message_payload octets, and encoding of outgoing text.
//
// Standard library only: no Foundation, no NIO.

// MARK: - Byte codings

/// UCS-2 as SMPP data_coding 8 carries it (SMPP 3.4 §5.2.19; TS 23.038 §6.2.3), read and written
/// as UTF-16 big-endian: characters outside the Basic Multilingual Plane (emoji) are surrogate
/// pairs, which is what handsets send and display.
public enum UCS2 {

    /// UTF-16BE octets of `text`: `"A"` → `00 41`, `"😀"` → `D8 3D DE 00`.
    public static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf16.count * 2)
        for unit in text.utf16 {
            out.append(UInt8(truncatingIfNeeded: unit >> 8))
            out.append(UInt8(truncatingIfNeeded: unit))
        }
        return out
    }

    /// Decodes UTF-16BE octets. Never fails: an unpaired surrogate becomes U+FFFD, and an odd
    /// trailing octet (half a code unit, e.g. a truncated message) becomes one U+FFFD, so the
    /// damage stays visible rather than silently dropped.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        withContiguousOctets(bytes, decode(buffer:))
    }

    static func decode(buffer bytes: UnsafeBufferPointer<UInt8>) -> String {
        // Each 2-octet unit gives at most 3 UTF-8 octets (a pair of units gives 4), and an odd
        // trailing octet 3 more.
        String(unsafeUninitializedCapacity: bytes.count / 2 * 3 + 3) { out in
            var n = 0
            var i = 0
            let count = bytes.count
            while i + 1 < count {
                var value = UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
                i += 2
                if value & 0xF800 == 0xD800 {
                    // A high surrogate followed by a low one is one scalar; anything else is
                    // an unpaired surrogate (the following unit is then read on its own).
                    if value < 0xDC00, i + 1 < count {
                        let low = UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
                        if low & 0xFC00 == 0xDC00 {
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                            i += 2
                        } else {
                            value = 0xFFFD
                        }
                    } else {
                        value = 0xFFFD
                    }
                }
                n = putUTF8(value, into: out, at: n)
            }
            if i < count {
                n = putUTF8(0xFFFD, into: out, at: n)
            }
            return n
        }
    }
}

/// Writes the UTF-8 of scalar value `value` (a valid scalar) at `n`; returns the next offset.
@inline(__always)
func putUTF8(_ value: UInt32, into out: UnsafeMutableBufferPointer<UInt8>, at n: Int) -> Int {
    if value < 0x80 {
        out[n] = UInt8(truncatingIfNeeded: value)
        return n + 1
    }
    if value < 0x800 {
        out[n] = UInt8(truncatingIfNeeded: 0xC0 | value >> 6)
        out[n + 1] = UInt8(truncatingIfNeeded: 0x80 | value & 0x3F)
        return n + 2
    }
    if value < 0x10000 {
        out[n] = UInt8(truncatingIfNeeded: 0xE0 | value >> 12)
        out[n + 1] = UInt8(truncatingIfNeeded: 0x80 | (value >> 6) & 0x3F)
        out[n + 2] = UInt8(truncatingIfNeeded: 0x80 | value & 0x3F)
        return n + 3
    }
    out[n] = UInt8(truncatingIfNeeded: 0xF0 | value >> 18)
    out[n + 1] = UInt8(truncatingIfNeeded: 0x80 | (value >> 12) & 0x3F)
    out[n + 2] = UInt8(truncatingIfNeeded: 0x80 | (value >> 6) & 0x3F)
    out[n + 3] = UInt8(truncatingIfNeeded: 0x80 | value & 0x3F)
    return n + 4
}

/// ISO 8859-1 (Latin-1), SMPP data_coding 3 (SMPP 3.4 §5.2.19): one octet per scalar
/// U+0000...U+00FF.
public enum Latin1 {

    /// Latin-1 octets of `text`, or `nil` if a Unicode scalar is above U+00FF.
    public static func encode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard scalar.value < 0x100 else { return nil }
            out.append(UInt8(truncatingIfNeeded: scalar.value))
        }
        return out
    }

    /// Decodes Latin-1 octets; every octet is a character, so this never fails.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        withContiguousOctets(bytes) { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                var n = 0
                for byte in bytes {
                    n = putUTF8(UInt32(byte), into: out, at: n)
                }
                return n
            }
        }
    }
}

/// IA5 / ASCII (ITU-T T.50 international reference version, ANSI X3.4), SMPP data_coding 1
/// (SMPP 3.4 §5.2.19).
public enum IA5 {

    /// ASCII octets of `text`, or `nil` if a Unicode scalar is above U+007F.
    public static func encode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            guard byte < 0x80 else { return nil }
            out.append(byte)
        }
        return out
    }

    /// Decodes ASCII octets. An octet ≥ 0x80 is not ASCII and becomes U+FFFD (no 7-bit masking).
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        withContiguousOctets(bytes) { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 3) { out in
                var n = 0
                for byte in bytes {
                    n = putUTF8(byte < 0x80 ? UInt32(byte) : 0xFFFD, into: out, at: n)
                }
                return n
            }
        }
    }
}

// MARK: - data_coding

/// What SMPP data_coding 0 means on a given link.
///
/// SMPP 3.4 §5.2.19 defines data_coding 0 only as "SMSC Default Alphabet", so it is
/// configured per SMSC. Most carry the GSM 7-bit default alphabet (TS 23.038 §6.2.1) one
/// septet per octet, which is the default here.
public enum DefaultAlphabet: Sendable, Hashable, CaseIterable {
    /// GSM 7-bit default alphabet, one septet per octet (`@` is `0x00`, `{` is `0x1B 0x28`).
    case gsm7Unpacked
    /// GSM 7-bit default alphabet packed 8 septets into 7 octets (TS 23.038 §6.1.2.1.1).
    case gsm7Packed
    /// IA5 / ASCII octets; the SMSC maps them to GSM 7-bit for the air interface.
    case ascii
    /// ISO 8859-1 octets; the SMSC maps them to GSM 7-bit for the air interface.
    case latin1
}

/// The character coding of short_message / message_payload octets.
public enum TextCoding: Sendable, Hashable {
    /// GSM 7-bit default alphabet (TS 23.038 §6.2.1), packed or not per ``DefaultAlphabet``.
    case gsm7
    /// IA5 / ASCII: data_coding 1, or 0 on an SMSC whose default alphabet is ASCII.
    case ascii
    /// ISO 8859-1: data_coding 3, or 0 on an SMSC whose default alphabet is Latin-1.
    case latin1
    /// Octets that are not decoded as text: data_coding 2 and 4 (8-bit data) and every
    /// coding this library does not decode.
    case binary
    /// UCS-2, read and written as UTF-16BE: data_coding 8.
    case ucs2

    /// The coding of a data_coding value (SMPP 3.4 §5.2.19; TS 23.038 §4 for the GSM
    /// data coding scheme groups SMPP refers to).
    ///
    /// - `0x00`: per `defaultAlphabet` (`.gsm7Unpacked`/`.gsm7Packed` → `.gsm7`, `.ascii`,
    ///   `.latin1`).
    /// - `0x01` → `.ascii`; `0x03` → `.latin1`; `0x08` → `.ucs2`; `0x02`, `0x04` → `.binary`.
    /// - `0x05` JIS, `0x06` Cyrillic (ISO 8859-5), `0x07` Hebrew (ISO 8859-8), `0x09`
    ///   pictogram, `0x0A` ISO-2022-JP, `0x0D` extended kanji, `0x0E` KS C 5601, and the
    ///   reserved `0x0B`, `0x0C`, `0x0F` → `.binary`: left undecoded.
    /// - `0x10...0x1F`: SMPP 3.4 marks these reserved, but SMSCs pass TS 23.038 general data
    ///   coding values with a message class there (bit 4 set, uncompressed). Decided: read
    ///   bits 3..2 as TS 23.038 does — `00` → `.gsm7`, `01` (8-bit data) → `.binary`,
    ///   `10` → `.ucs2`, `11` (reserved) → `.binary`. The values `0x00...0x0F` always follow
    ///   the SMPP table above, which differs from TS 23.038 there.
    /// - `0x20...0x3F` (TS 23.038 compressed text; TS 23.042 compression is not implemented)
    ///   → `.binary`.
    /// - `0xC0...0xDF` (message waiting indication groups, "discard" and "store", whose text
    ///   TS 23.038 codes in the GSM 7-bit default alphabet) → `.gsm7`.
    /// - `0xE0...0xEF` (SMPP 3.4 reserved; TS 23.038 "store message" with UCS-2 text) →
    ///   `.ucs2`.
    /// - `0xF0...0xFF` (data coding/message class group): bit 2 clear → `.gsm7`, set (8-bit
    ///   data) → `.binary`.
    /// - Anything else (`0x40...0xBF`, reserved) → `.binary`.
    ///
    /// Where a GSM data coding scheme says "GSM 7-bit", the octets are taken to be carried the
    /// way this SMSC carries data_coding 0 when that is GSM 7-bit; on an SMSC whose default
    /// alphabet is ASCII or Latin-1 they are still decoded as GSM 7-bit (unpacked).
    public static func coding(
        forDataCoding dc: UInt8, defaultAlphabet: DefaultAlphabet = .gsm7Unpacked
    ) -> TextCoding {
        switch dc {
        case 0x00:
            switch defaultAlphabet {
            case .gsm7Unpacked, .gsm7Packed: return .gsm7
            case .ascii: return .ascii
            case .latin1: return .latin1
            }
        case 0x01: return .ascii
        case 0x03: return .latin1
        case 0x08: return .ucs2
        case 0x10...0x1F:
            switch dc & 0x0C {
            case 0x00: return .gsm7
            case 0x08: return .ucs2
            default: return .binary
            }
        case 0xC0...0xDF: return .gsm7
        case 0xE0...0xEF: return .ucs2
        case 0xF0...0xFF: return dc & 0x04 == 0 ? .gsm7 : .binary
        default: return .binary
        }
    }
}

// MARK: - Decoding

/// Decoding of short_message / message_payload octets into text.
public enum ShortMessageText {

    /// Decodes the text octets of a short message; `nil` when the data_coding is
    /// ``TextCoding/binary`` (see ``TextCoding/coding(forDataCoding:defaultAlphabet:)``).
    ///
    /// - Parameters:
    ///   - bytes: the text octets, without any user data header (strip it first when
    ///     esm_class has UDHI, 0x40).
    ///   - udhLength: octets of the user data header that preceded `bytes` (including its
    ///     UDHL octet), 0 if none. Only used for packed GSM 7-bit, where the text starts after
    ///     ``GSM7/fillBits(afterUDHOctets:)`` fill bits (TS 23.040 §9.2.3.24).
    ///
    /// Packed GSM 7-bit is unpacked with the septet count inferred from the octet count (SMPP
    /// lengths are in octets), dropping a trailing padding septet as
    /// ``GSM7/unpack(_:fillBits:)`` describes; use ``decodePackedGSM7(_:septetCount:fillBits:)``
    /// when the count is known. Other codings never fail; see each decoder for how invalid
    /// octets are shown.
    public static func decode(
        _ bytes: some Collection<UInt8>,
        dataCoding: UInt8,
        defaultAlphabet: DefaultAlphabet = .gsm7Unpacked,
        udhLength: Int = 0
    ) -> String? {
        switch TextCoding.coding(forDataCoding: dataCoding, defaultAlphabet: defaultAlphabet) {
        case .gsm7:
            if defaultAlphabet == .gsm7Packed {
                let fill = GSM7.fillBits(afterUDHOctets: udhLength)
                return GSM7.decode(septets: GSM7.unpack(bytes, fillBits: fill))
            }
            return GSM7.decode(septets: bytes)
        case .ascii: return IA5.decode(bytes)
        case .latin1: return Latin1.decode(bytes)
        case .ucs2: return UCS2.decode(bytes)
        case .binary: return nil
        }
    }

    /// Decodes packed GSM 7-bit octets (TS 23.038 §6.1.2.1.1) after `fillBits` fill bits.
    /// With `septetCount` (e.g. TP-UDL minus the header's septets) exactly that many septets
    /// are decoded (fewer if the octets run out); without it, the count is inferred as
    /// ``GSM7/unpack(_:fillBits:)`` does.
    public static func decodePackedGSM7(
        _ octets: some Collection<UInt8>, septetCount: Int? = nil, fillBits: Int = 0
    ) -> String {
        if let septetCount {
            return GSM7.decode(septets: GSM7.unpack(octets, septetCount: septetCount, fillBits: fillBits))
        }
        return GSM7.decode(septets: GSM7.unpack(octets, fillBits: fillBits))
    }
}

// MARK: - Encoding

/// Which coding to encode outgoing text in.
public enum CodingChoice: Sendable, Hashable {
    /// GSM 7-bit (data_coding 0) when every character is representable, else UCS-2 (8).
    case auto
    /// data_coding 0, the SMSC default alphabet; fails on characters it cannot carry.
    case gsm7
    /// UCS-2 / UTF-16BE, data_coding 8; never fails.
    case ucs2
    /// ISO 8859-1, data_coding 3; fails on scalars above U+00FF.
    case latin1
}

/// Text that could not be encoded in the requested coding: the first offending character.
public struct TextEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The coding that cannot represent ``character``.
    public var coding: TextCoding
    /// The first character (grapheme cluster) that cannot be represented.
    public var character: Character
    /// Zero-based position of ``character`` in the text, counted in characters.
    public var offset: Int
    /// The Unicode scalar of ``character`` that is not representable.
    public var scalar: Unicode.Scalar

    public init(coding: TextCoding, character: Character, offset: Int, scalar: Unicode.Scalar) {
        self.coding = coding
        self.character = character
        self.offset = offset
        self.scalar = scalar
    }

    public var description: String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return "character \"\(character)\" (U+\(padded)) at position \(offset) cannot be encoded as \(coding)"
    }

    /// The error for the scalar at `scalarIndex` of `text`; O(n), for the failure path only.
    static func at(_ scalarIndex: String.Index, in text: String, coding: TextCoding) -> TextEncodingError {
        let scalar = text.unicodeScalars[scalarIndex]
        var index = text.startIndex
        var offset = 0
        while index < text.endIndex {
            let next = text.index(after: index)
            if next > scalarIndex { break }
            index = next
            offset += 1
        }
        let character = index < text.endIndex ? text[index] : Character(scalar)
        return TextEncodingError(coding: coding, character: character, offset: offset, scalar: scalar)
    }
}

/// Outgoing text encoded for short_message / message_payload, with its data_coding.
public struct EncodedText: Sendable, Hashable {
    /// The data_coding to send (SMPP 3.4 §5.2.19): 0, 3 or 8.
    public var dataCoding: UInt8
    /// How ``bytes`` are coded.
    public var coding: TextCoding
    /// The encoded text (no user data header).
    public var bytes: [UInt8]

    public init(dataCoding: UInt8, coding: TextCoding, bytes: [UInt8]) {
        self.dataCoding = dataCoding
        self.coding = coding
        self.bytes = bytes
    }

    /// Encodes `text` as `choice` asks.
    ///
    /// - `.auto`: data_coding 0 when every scalar is in the GSM 7-bit default alphabet or
    ///   its extension table (TS 23.038 §6.2.1, §6.2.1.1) — and, when the SMSC's default
    ///   alphabet is ASCII or Latin-1, also in that character set, since those octets are
    ///   what travels — otherwise UCS-2, data_coding 8.
    /// - `.gsm7`: data_coding 0 under the same condition, or throws.
    /// - `.latin1`: data_coding 3, or throws on a scalar above U+00FF.
    /// - `.ucs2`: data_coding 8.
    ///
    /// data_coding 0 octets are written as `defaultAlphabet` says: unpacked septets, packed
    /// septets (a trailing `<CR>` fills 7 otherwise spare bits, TS 23.038 §6.1.2.3.1, so it
    /// is not read as `@`), ASCII or Latin-1.
    ///
    /// - Throws: ``TextEncodingError`` naming the first character that cannot be encoded.
    public static func encode(
        _ text: String,
        choice: CodingChoice = .auto,
        defaultAlphabet: DefaultAlphabet = .gsm7Unpacked
    ) throws(TextEncodingError) -> EncodedText {
        let encoder: TextEncoder
        switch choice {
        case .auto:
            let gsm = TextEncoder.defaultAlphabet(defaultAlphabet)
            if let bytes = gsm.encode(text) {
                return gsm.finish(bytes, fillBits: 0)
            }
            encoder = .ucs2
        case .gsm7: encoder = .defaultAlphabet(defaultAlphabet)
        case .latin1: encoder = .latin1
        case .ucs2: encoder = .ucs2
        }
        guard let bytes = encoder.encode(text) else {
            throw encoder.firstError(in: text)
        }
        return encoder.finish(bytes, fillBits: 0)
    }
}

/// One way of turning text into octets, scalar by scalar; shared by ``EncodedText`` and
/// ``MessageSplitter``.
enum TextEncoder: Hashable, Sendable {
    /// data_coding 0 in the given SMSC default alphabet; lengths count GSM septets.
    case defaultAlphabet(DefaultAlphabet)
    /// data_coding 3; lengths count octets.
    case latin1
    /// data_coding 8; lengths count UTF-16 code units.
    case ucs2

    var dataCoding: UInt8 {
        switch self {
        case .defaultAlphabet: return 0x00
        case .latin1: return 0x03
        case .ucs2: return 0x08
        }
    }

    var coding: TextCoding {
        switch self {
        case .defaultAlphabet(let alphabet):
            TextCoding.coding(forDataCoding: 0, defaultAlphabet: alphabet)
        case .latin1: .latin1
        case .ucs2: .ucs2
        }
    }

    /// Most units (septets, octets, UTF-16 units) that fit a single unsegmented message.
    var singleMessageLimit: Int {
        switch self {
        case .defaultAlphabet: return 160
        case .latin1: return 140
        case .ucs2: return 70
        }
    }

    /// Appends the octets of `scalar` (unpacked septets for GSM) and returns the units it
    /// counts for against the message limits, or `nil` (appending nothing) if it cannot be
    /// encoded.
    @inline(__always)
    func append(_ scalar: Unicode.Scalar, to out: inout [UInt8]) -> Int? {
        switch self {
        case .defaultAlphabet(let alphabet):
            let code = GSM7.code(for: scalar)
            if code == GSM7.unrepresentable { return nil }
            let units = code > 0xFF ? 2 : 1
            switch alphabet {
            case .gsm7Unpacked, .gsm7Packed:
                if units == 2 { out.append(GSM7.escape) }
                out.append(UInt8(truncatingIfNeeded: code))
            case .ascii:
                guard scalar.value < 0x80 else { return nil }
                out.append(UInt8(truncatingIfNeeded: scalar.value))
            case .latin1:
                guard scalar.value < 0x100 else { return nil }
                out.append(UInt8(truncatingIfNeeded: scalar.value))
            }
            return units
        case .latin1:
            guard scalar.value < 0x100 else { return nil }
            out.append(UInt8(truncatingIfNeeded: scalar.value))
            return 1
        case .ucs2:
            let value = scalar.value
            if value < 0x10000 {
                out.append(UInt8(truncatingIfNeeded: value >> 8))
                out.append(UInt8(truncatingIfNeeded: value))
                return 1
            }
            let v = value - 0x10000
            let high = 0xD800 | (v >> 10)
            let low = 0xDC00 | (v & 0x3FF)
            out.append(UInt8(truncatingIfNeeded: high >> 8))
            out.append(UInt8(truncatingIfNeeded: high))
            out.append(UInt8(truncatingIfNeeded: low >> 8))
            out.append(UInt8(truncatingIfNeeded: low))
            return 2
        }
    }

    /// Octets of all of `text` (unpacked septets for GSM), or `nil` if a scalar cannot be
    /// encoded.
    func encode(_ text: String) -> [UInt8]? {
        switch self {
        case .defaultAlphabet(.gsm7Unpacked), .defaultAlphabet(.gsm7Packed):
            return GSM7.septets(for: text)
        case .ucs2:
            return UCS2.encode(text)
        default:
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars where append(scalar, to: &out) == nil {
                return nil
            }
            return out
        }
    }

    /// The error for the first character of `text` that cannot be encoded (failure path
    /// only). Names ``TextCoding/gsm7`` when a data_coding 0 scalar is not in the GSM
    /// alphabet at all, the link's own coding when only that character set lacks it.
    func firstError(in text: String) -> TextEncodingError {
        var scratch: [UInt8] = []
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if append(scalar, to: &scratch) == nil {
                var failing = coding
                if case .defaultAlphabet = self, !GSM7.isRepresentable(scalar) {
                    failing = .gsm7
                }
                return .at(index, in: text, coding: failing)
            }
            scratch.removeAll(keepingCapacity: true)
            index = scalars.index(after: index)
        }
        // Not reached for text that failed to encode; report the end of the text.
        return TextEncodingError(coding: coding, character: " ", offset: text.count, scalar: " ")
    }

    /// The wire octets for encoded text: packs GSM septets when the default alphabet is
    /// packed (with `<CR>` in 7 otherwise spare bits, TS 23.038 §6.1.2.3.1).
    func finishBytes(_ bytes: [UInt8], fillBits: Int) -> [UInt8] {
        guard case .defaultAlphabet(.gsm7Packed) = self else { return bytes }
        return GSM7.packPadded(bytes, fillBits: fillBits)
    }

    func finish(_ bytes: [UInt8], fillBits: Int) -> EncodedText {
        EncodedText(dataCoding: dataCoding, coding: coding, bytes: finishBytes(bytes, fillBits: fillBits))
    }
}

extension GSM7 {
    /// ``pack(_:fillBits:)``, adding a `<CR>` septet when the last octet would otherwise end
    /// with 7 spare bits, which a receiver counting septets from octets would read as `@`
    /// (TS 23.038 §6.1.2.3.1).
    static func packPadded(_ septets: [UInt8], fillBits: Int) -> [UInt8] {
        let fill = min(max(fillBits, 0), 6)
        if !septets.isEmpty, (fill + septets.count * 7) % 8 == 1 {
            return pack(septets + [0x0D], fillBits: fill)
        }
        return pack(septets, fillBits: fill)
    }
}
