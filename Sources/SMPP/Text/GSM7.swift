// GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) and its extension table (§6.2.1.1),
// unpacked (one septet per octet, as SMPP data_coding 0 usually carries it) and packed
// (§6.1.2.1.1, as on the air interface, with leading fill bits after a UDH per TS 23.040 §9.2.3.24).
//
// Standard library only: no Foundation, no NIO.

/// The GSM 7-bit default alphabet of 3GPP TS 23.038.
///
/// Septets are values `0x00...0x7F`. A character of the extension table (§6.2.1.1) takes two
/// septets: the escape `0x1B` followed by its extension code (`{` is `0x1B 0x28`).
///
/// Encoding works on Unicode scalars, strictly by the tables of the standard: a scalar that is
/// not in the default alphabet or the extension table makes the text unrepresentable. No
/// look-alike substitution is made (`ç` U+00E7 is not `Ç` 0x09) and no normalisation is applied,
/// so a character written as a base letter plus a combining mark (`e` + U+0301) is
/// unrepresentable even though its precomposed form `é` is in the table; callers falling back to
/// UCS-2 then keep the text exactly as given.
public enum GSM7 {

    /// The escape septet that introduces an extension-table code (TS 23.038 §6.2.1, 0x1B).
    public static let escape: UInt8 = 0x1B

    // MARK: - Tables

    /// Default alphabet (TS 23.038 §6.2.1): septet → Unicode scalar value.
    /// Entry 0x1B, the escape, holds a space: what ``decode(septets:)`` shows for an escape
    /// that no valid code follows. 0x09 is capital `Ç` (U+00C7) as the standard prints it
    /// (some older mappings used small `ç`).
    static let basicTable: [UInt16] = [
        // 0x00–0x0F:  @       £       $       ¥       è       é       ù       ì
        0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
        //             ò       Ç       LF      Ø       ø       CR      Å       å
        0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
        // 0x10–0x1F:  Δ       _       Φ       Γ       Λ       Ω       Π       Ψ
        0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
        //             Σ       Θ       Ξ       ESC     Æ       æ       ß       É
        0x03A3, 0x0398, 0x039E, 0x0020, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
        // 0x20–0x2F:  SP      !       "       #       ¤       %       &       '
        0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
        //             (       )       *       +       ,       -       .       /
        0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
        // 0x30–0x3F:  0       1       2       3       4       5       6       7
        0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
        //             8       9       :       ;       <       =       >       ?
        0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
        // 0x40–0x4F:  ¡       A       B       C       D       E       F       G
        0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
        //             H       I       J       K       L       M       N       O
        0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
        // 0x50–0x5F:  P       Q       R       S       T       U       V       W
        0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
        //             X       Y       Z       Ä       Ö       Ñ       Ü       §
        0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
        // 0x60–0x6F:  ¿       a       b       c       d       e       f       g
        0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
        //             h       i       j       k       l       m       n       o
        0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
        // 0x70–0x7F:  p       q       r       s       t       u       v       w
        0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
        //             x       y       z       ä       ö       ñ       ü       à
        0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
    ]

    /// Extension table (TS 23.038 §6.2.1.1): code after the escape → Unicode scalar value.
    /// Codes not listed are undefined (0x0D "CR2" and 0x1B "SS2" are reserved controls).
    static let extensionPairs: [(code: UInt8, scalar: UInt16)] = [
        (0x0A, 0x000C),  // form feed (page break)
        (0x14, 0x005E),  // ^
        (0x28, 0x007B),  // {
        (0x29, 0x007D),  // }
        (0x2F, 0x005C),  // \
        (0x3C, 0x005B),  // [
        (0x3D, 0x007E),  // ~
        (0x3E, 0x005D),  // ]
        (0x40, 0x007C),  // |
        (0x65, 0x20AC),  // €
    ]

    /// Septet → scalar for decoding, 128 entries. Entry 0x1B is a space (see `basicTable`).
    static let basicScalars: [Unicode.Scalar] = basicTable.map { Unicode.Scalar($0) ?? "\u{FFFD}" }

    /// Septet → UTF-8 of its character, for decoding: the bytes little-endian in bits 0–23,
    /// the byte count in bits 24–31. Entry 0x1B is a space.
    static let basicUTF8: [UInt32] = basicScalars.map(packedUTF8)

    /// Extension code → UTF-8 of its character as in ``basicUTF8``; 0 where undefined.
    static let extensionUTF8: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 128)
        for (code, value) in extensionPairs {
            if let scalar = Unicode.Scalar(value) { table[Int(code)] = packedUTF8(scalar) }
        }
        return table
    }()

    /// UTF-8 of U+FFFD packed as in ``basicUTF8``.
    static let replacementUTF8: UInt32 = packedUTF8("\u{FFFD}")

    /// UTF-8 of a space packed as in ``basicUTF8``.
    static let spaceUTF8: UInt32 = packedUTF8(" ")

    static func packedUTF8(_ scalar: Unicode.Scalar) -> UInt32 {
        var packed: UInt32 = 0
        var count: UInt32 = 0
        UTF8.encode(scalar) { byte in
            packed |= UInt32(byte) << (8 * count)
            count += 1
        }
        return packed | count << 24
    }

    /// Marker in ``latin1Reverse`` for "not representable".
    static let unrepresentable: UInt16 = 0xFFFF

    /// Reverse map for scalars U+0000...U+00FF: `0x00...0x7F` is a default-alphabet septet,
    /// `0x1Bxx` is escape + extension code `xx`, ``unrepresentable`` otherwise.
    static let latin1Reverse: [UInt16] = {
        var table = [UInt16](repeating: unrepresentable, count: 256)
        for (septet, value) in basicTable.enumerated() where septet != 0x1B && value < 0x100 {
            table[Int(value)] = UInt16(septet)
        }
        for (code, value) in extensionPairs where value < 0x100 {
            table[Int(value)] = 0x1B00 | UInt16(code)
        }
        return table
    }()

    /// Encodes one scalar: a septet (`0x00...0x7F`), escape + code (`0x1Bxx`), or
    /// ``unrepresentable``. O(1): a 256-entry table below U+0100, a switch above.
    @inline(__always)
    static func code(for scalar: Unicode.Scalar) -> UInt16 {
        let value = scalar.value
        if value < 0x100 {
            return latin1Reverse[Int(value)]
        }
        switch value {
        case 0x0394: return 0x10  // Δ
        case 0x03A6: return 0x12  // Φ
        case 0x0393: return 0x13  // Γ
        case 0x039B: return 0x14  // Λ
        case 0x03A9: return 0x15  // Ω
        case 0x03A0: return 0x16  // Π
        case 0x03A8: return 0x17  // Ψ
        case 0x03A3: return 0x18  // Σ
        case 0x0398: return 0x19  // Θ
        case 0x039E: return 0x1A  // Ξ
        case 0x20AC: return 0x1B65  // €
        default: return unrepresentable
        }
    }

    // MARK: - Queries

    /// Whether `scalar` is in the default alphabet or the extension table.
    public static func isRepresentable(_ scalar: Unicode.Scalar) -> Bool {
        code(for: scalar) != unrepresentable
    }

    /// Number of septets `scalar` takes: 1 (default alphabet), 2 (extension table), or `nil`.
    public static func septetCount(of scalar: Unicode.Scalar) -> Int? {
        let c = code(for: scalar)
        if c == unrepresentable { return nil }
        return c > 0xFF ? 2 : 1
    }

    /// Number of septets `text` takes in the GSM 7-bit default alphabet, extension-table
    /// characters counting 2 (TS 23.038 §6.2.1.1); `nil` if any scalar is not representable.
    /// This is the length that counts against the 160-septet SMS limit.
    public static func septetCount(of text: String) -> Int? {
        var count = 0
        for scalar in text.unicodeScalars {
            let c = code(for: scalar)
            if c == unrepresentable { return nil }
            count &+= c > 0xFF ? 2 : 1
        }
        return count
    }

    // MARK: - Unpacked encoding and decoding

    /// Encodes `text` as unpacked septets, one per octet (SMPP data_coding 0 as most SMSCs
    /// carry it): `"@"` → `[0x00]`, `"{"` → `[0x1B, 0x28]`, `"€"` → `[0x1B, 0x65]`.
    ///
    /// Returns `nil` if any Unicode scalar is in neither table of TS 23.038 §6.2.1/§6.2.1.1.
    /// A character made of several scalars (e.g. `e` + combining acute) is representable only
    /// if every one of its scalars is; `"\r\n"` is CR, LF.
    public static func septets(for text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let c = code(for: scalar)
            if c <= 0x7F {
                out.append(UInt8(truncatingIfNeeded: c))
            } else if c == unrepresentable {
                return nil
            } else {
                out.append(escape)
                out.append(UInt8(truncatingIfNeeded: c))
            }
        }
        return out
    }

    /// Decodes unpacked septets (one per octet).
    ///
    /// Never fails; irregular input decodes as follows:
    /// - Escape + an undefined extension code: the default-alphabet character of the second
    ///   septet, as TS 23.038 §6.2.1.1 directs a receiving entity (`1B 41` → `"A"`).
    /// - Escape + escape (`1B 1B`, reserved for a further extension table): a space, as
    ///   §6.2.1.1 directs; decoding resumes with the septet after the pair.
    /// - A lone escape (last septet, or followed by an octet ≥ 0x80): a space — the
    ///   standard's "display a space" for an escape the receiver cannot resolve — rather than
    ///   dropping it, so truncation stays visible.
    /// - An octet ≥ 0x80 is not a septet: U+FFFD (not masked to 7 bits, which would silently
    ///   turn e.g. mis-labelled Latin-1 into wrong letters).
    public static func decode(septets: some Collection<UInt8>) -> String {
        withContiguousOctets(septets, decode(septetBuffer:))
    }

    static func decode(septetBuffer septets: UnsafeBufferPointer<UInt8>) -> String {
        let basic = basicUTF8
        let ext = extensionUTF8
        let space = spaceUTF8
        let replacement = replacementUTF8
        // At most 3 UTF-8 octets per septet (€, U+FFFD); an escape and its octet make ≤ 4.
        return String(unsafeUninitializedCapacity: septets.count * 3) { out in
            var n = 0
            @inline(__always) func put(_ entry: UInt32) {
                let length = Int(entry >> 24)
                out[n] = UInt8(truncatingIfNeeded: entry)
                if length > 1 {
                    out[n + 1] = UInt8(truncatingIfNeeded: entry >> 8)
                    if length > 2 { out[n + 2] = UInt8(truncatingIfNeeded: entry >> 16) }
                }
                n += length
            }
            var escaped = false
            for byte in septets {
                if escaped {
                    escaped = false
                    if byte < 0x80 {
                        if byte == escape {
                            put(space)
                        } else {
                            let entry = ext[Int(byte)]
                            put(entry != 0 ? entry : basic[Int(byte)])
                        }
                        continue
                    }
                    put(space)  // lone escape, then the invalid octet below
                }
                if byte < 0x80 {
                    if byte == escape {
                        escaped = true
                    } else {
                        put(basic[Int(byte)])
                    }
                } else {
                    put(replacement)
                }
            }
            if escaped {
                put(space)
            }
            return n
        }
    }

    // MARK: - Packing (TS 23.038 §6.1.2.1.1)

    /// Number of fill bits that bring a user data header of `afterUDHOctets` octets (including
    /// the UDHL octet itself) to a septet boundary, so that the first character starts on one
    /// (TS 23.040 §9.2.3.24): `(7 - (octets * 8) % 7) % 7`. A 6-octet UDH (8-bit concatenation
    /// reference) needs 1; a 7-octet one (16-bit reference) needs 0.
    public static func fillBits(afterUDHOctets octets: Int) -> Int {
        guard octets > 0 else { return 0 }
        return (7 - (octets * 8) % 7) % 7
    }

    /// Packs septets into octets, least significant bit first (TS 23.038 §6.1.2.1.1):
    /// `"hellohello"` → `E8 32 9B FD 46 97 D9 EC 37`.
    ///
    /// `fillBits` zero bits (0...6; other values are clamped) come first, in the low bits of
    /// the first octet, so that the first septet starts on a septet boundary after a UDH.
    /// Septet values are masked to 7 bits. Spare bits in the last octet are zero; no `<CR>`
    /// padding is added (see TS 23.038 §6.1.2.3.1 for when a caller should add one). Returns
    /// `[]` for no septets.
    public static func pack(_ septets: [UInt8], fillBits: Int = 0) -> [UInt8] {
        guard !septets.isEmpty else { return [] }
        let fill = min(max(fillBits, 0), 6)
        var out: [UInt8] = []
        out.reserveCapacity((fill + septets.count * 7 + 7) / 8)
        var accumulator: UInt32 = 0
        var bits = fill
        for septet in septets {
            accumulator |= UInt32(septet & 0x7F) << UInt32(bits)
            bits += 7
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        if bits > 0 {
            out.append(UInt8(truncatingIfNeeded: accumulator))
        }
        return out
    }

    /// Unpacks `septetCount` septets from packed octets (TS 23.038 §6.1.2.1.1), skipping
    /// `fillBits` (0...6; other values are clamped) leading fill bits.
    ///
    /// If `octets` holds fewer septets than `septetCount`, returns only the complete septets
    /// it holds; a negative count yields `[]`.
    public static func unpack(
        _ octets: some Collection<UInt8>, septetCount: Int, fillBits: Int = 0
    ) -> [UInt8] {
        withContiguousOctets(octets) { unpack(buffer: $0, septetCount: septetCount, fillBits: fillBits) }
    }

    static func unpack(buffer octets: UnsafeBufferPointer<UInt8>, septetCount: Int, fillBits: Int) -> [UInt8] {
        guard septetCount > 0 else { return [] }
        let fill = min(max(fillBits, 0), 6)
        let wanted = min(septetCount, septetCapacity(ofOctets: octets.count, fillBits: fill))
        var out: [UInt8] = []
        out.reserveCapacity(wanted)
        guard wanted > 0 else { return out }
        var accumulator: UInt32 = 0
        var bits = -fill
        for octet in octets {
            if bits < 0 {
                accumulator = UInt32(octet) >> UInt32(fill)
                bits = 8 - fill
            } else {
                accumulator |= UInt32(octet) << UInt32(bits)
                bits += 8
            }
            while bits >= 7 {
                out.append(UInt8(truncatingIfNeeded: accumulator) & 0x7F)
                if out.count == wanted { return out }
                accumulator >>= 7
                bits -= 7
            }
        }
        return out
    }

    /// The number of septets packed `octets` hold after `fillBits` leading fill bits, when
    /// the exact count is not known (SMPP carries lengths in octets): `(octets * 8 - fill) / 7`.
    /// When that leaves the last septet in the top 7 bits of the last octet it may be padding;
    /// see ``unpack(_:fillBits:)``.
    public static func septetCapacity(ofOctets octets: Int, fillBits: Int = 0) -> Int {
        let fill = min(max(fillBits, 0), 6)
        return max(0, (octets * 8 - fill) / 7)
    }

    /// Unpacks packed octets whose septet count is not known (SMPP gives sm_length in octets).
    ///
    /// Takes every complete septet, then, if the last one lies wholly in the 7 spare bits of
    /// the last octet and is `0x00` (zero-bit padding, which would read as `@`) or `0x0D`
    /// (the `<CR>` padding of TS 23.038 §6.1.2.3.1), drops it as padding. A genuine `@` in that
    /// exact position is indistinguishable from padding and is lost — senders should pad with
    /// `<CR>`, as ``MessageSplitter`` does.
    public static func unpack(_ octets: some Collection<UInt8>, fillBits: Int = 0) -> [UInt8] {
        withContiguousOctets(octets) { unpack(buffer: $0, fillBits: fillBits) }
    }

    static func unpack(buffer octets: UnsafeBufferPointer<UInt8>, fillBits: Int) -> [UInt8] {
        let fill = min(max(fillBits, 0), 6)
        let count = septetCapacity(ofOctets: octets.count, fillBits: fill)
        var septets = unpack(buffer: octets, septetCount: count, fillBits: fill)
        // fill + 7 * count == 8 * octets: the last septet fills exactly the top 7 bits of the
        // last octet, i.e. a sender with one septet fewer would have left 7 spare bits there.
        if count > 0, fill + count * 7 == octets.count * 8,
           let last = septets.last, last == 0x00 || last == 0x0D {
            septets.removeLast()
        }
        return septets
    }
}

/// Runs `body` over the octets of `collection` in contiguous memory: directly for arrays,
/// slices and other contiguous collections, via a copy otherwise. Keeps the generic public
/// entry points fast when called unspecialised from another module.
@inline(__always)
func withContiguousOctets<R>(
    _ collection: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R
) -> R {
    if let result = collection.withContiguousStorageIfAvailable(body) {
        return result
    }
    return Array(collection).withUnsafeBufferPointer(body)
}
