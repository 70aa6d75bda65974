// Long-message segmentation for submit_sm: concatenation by user data header (3GPP TS 23.040
// §9.2.3.24.1, 8-bit reference; §9.2.3.24.8, 16-bit reference), by the SMPP 3.4 sar_* TLVs
// (§5.3.2.22–24), or as one message_payload TLV (§5.3.2.32).
//
// Standard library only: no Foundation, no NIO.

/// How a text too long for one short message is sent.
public enum ConcatenationMethod: String, Sendable, Hashable, CaseIterable {
    /// User data header with the concatenated-SMS IE, 8-bit reference (IEI 0x00,
    /// TS 23.040 §9.2.3.24.1): `05 00 03 ref total seq`.
    case udh8 = "udh"
    /// User data header with the concatenated-SMS IE, 16-bit reference (IEI 0x08,
    /// TS 23.040 §9.2.3.24.8): `06 08 04 refHi refLo total seq`.
    case udh16 = "udh16"
    /// The sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (SMPP 3.4
    /// §5.3.2.22–24); the SMSC builds the header.
    case sar
    /// The whole text in one message_payload TLV (SMPP 3.4 §5.3.2.32); the SMSC segments it.
    case payload
}

/// SMPP 3.4 sar_* TLV values (§5.3.2.22–24) for one segment.
public struct SARInfo: Sendable, Hashable {
    /// sar_msg_ref_num: the same for every segment of a message.
    public var reference: UInt16
    /// sar_total_segments, 1...255.
    public var totalSegments: UInt8
    /// sar_segment_seqnum, 1...totalSegments.
    public var segmentSequence: UInt8

    public init(reference: UInt16, totalSegments: UInt8, segmentSequence: UInt8) {
        self.reference = reference
        self.totalSegments = totalSegments
        self.segmentSequence = segmentSequence
    }
}

/// One submit_sm worth of a (possibly split) message.
public struct MessageSegment: Sendable, Hashable {
    /// The short_message octets, including the user data header when ``hasUDH``; or, when
    /// ``usesMessagePayload``, the message_payload octets (short_message is then sent empty).
    public var shortMessage: [UInt8]
    /// The octets start with a user data header: the caller sets the UDHI bit (0x40) of
    /// esm_class (SMPP 3.4 §5.2.12).
    public var hasUDH: Bool
    /// The sar_* TLVs to send with this segment, for ``ConcatenationMethod/sar``.
    public var sar: SARInfo?
    /// ``shortMessage`` goes in the message_payload TLV and short_message is empty
    /// (sm_length 0), for ``ConcatenationMethod/payload``.
    public var usesMessagePayload: Bool

    public init(
        shortMessage: [UInt8], hasUDH: Bool = false, sar: SARInfo? = nil, usesMessagePayload: Bool = false
    ) {
        self.shortMessage = shortMessage
        self.hasUDH = hasUDH
        self.sar = sar
        self.usesMessagePayload = usesMessagePayload
    }
}

/// A text encoded and split for sending: one submit_sm per segment, all with ``dataCoding``.
public struct SplitMessage: Sendable, Hashable {
    /// data_coding for every segment (SMPP 3.4 §5.2.19): 0, 3 or 8.
    public var dataCoding: UInt8
    /// How the segments' text octets are coded.
    public var coding: TextCoding
    /// The segments in order; never empty.
    public var segments: [MessageSegment]

    public init(dataCoding: UInt8, coding: TextCoding, segments: [MessageSegment]) {
        self.dataCoding = dataCoding
        self.coding = coding
        self.segments = segments
    }
}

/// Why a text cannot be split for sending.
public enum MessageSplitError: Error, Hashable, Sendable {
    /// The forced coding cannot represent a character of the text.
    case unencodable(TextEncodingError)
    /// The text needs more than 255 segments (`segments` is the number it needs, or a
    /// lower bound when the text is far too long), the most a one-octet total allows.
    case tooManySegments(segments: Int)
    /// The encoded text is longer than a message_payload TLV can hold (65 535 octets).
    case payloadTooLong(octets: Int)
}

/// Splits outgoing text into short messages.
public enum MessageSplitter {

    /// Most segments a concatenated message can have: the total is one octet.
    public static let maximumSegments = 255

    /// Most octets a message_payload TLV can hold (its length field is 16-bit).
    public static let maximumPayloadOctets = 65_535

    /// Encodes `text` (as ``EncodedText/encode(_:choice:defaultAlphabet:)`` chooses the coding)
    /// and splits it for `method`.
    ///
    /// Lengths count what the air interface counts: GSM 7-bit septets (extension characters
    /// 2; also when the SMSC's default alphabet is ASCII or Latin-1, as it converts to GSM),
    /// UTF-16 code units for UCS-2, octets for Latin-1.
    ///
    /// - A text that fits one message (160 septets, 70 UTF-16 units, 140 Latin-1 octets) is one
    ///   segment with neither header nor SAR, whatever the method, `.payload` included.
    /// - `.udh8`: parts of at most 153 septets / 67 units / 134 octets behind
    ///   `05 00 03 ref total seq`, `ref` being the low octet of `reference`
    ///   (TS 23.040 §9.2.3.24.1).
    /// - `.udh16`: at most 152 / 66 / 133 behind `06 08 04 refHi refLo total seq`
    ///   (TS 23.040 §9.2.3.24.8).
    /// - `.sar`: the `.udh16` limits, so the parts fit whichever header the SMSC builds —
    ///   sar_msg_ref_num is 16-bit, so it may well build the 7-octet one; short_message has no
    ///   header and ``MessageSegment/sar`` is set.
    /// - `.payload`: one segment holding the whole encoded text for message_payload.
    ///
    /// Sequence numbers start at 1. A part never ends inside a GSM escape sequence or a UTF-16
    /// surrogate pair, nor inside a character (grapheme cluster) unless that one character is
    /// longer than a whole part, in which case it is split between its Unicode scalars; a
    /// part may so hold fewer units than the limit.
    ///
    /// GSM 7-bit parts are unpacked septets unless `defaultAlphabet` is `.gsm7Packed`; then
    /// each part is packed after its header with ``GSM7/fillBits(afterUDHOctets:)`` fill bits
    /// (TS 23.040 §9.2.3.24), a `<CR>` filling 7 otherwise spare bits (TS 23.038 §6.1.2.3.1).
    ///
    /// - Throws: ``MessageSplitError/unencodable(_:)`` when a forced coding cannot carry the
    ///   text, ``MessageSplitError/tooManySegments(segments:)`` beyond 255 parts,
    ///   ``MessageSplitError/payloadTooLong(octets:)`` beyond 65 535 payload octets.
    public static func split(
        _ text: String,
        choice: CodingChoice = .auto,
        method: ConcatenationMethod = .udh8,
        reference: UInt16,
        defaultAlphabet: DefaultAlphabet = .gsm7Unpacked
    ) throws(MessageSplitError) -> SplitMessage {
        let (encoder, bytes) = try encode(text, choice: choice, defaultAlphabet: defaultAlphabet)
        let units = encoder.units(ofEncoded: bytes, text: text)

        if units <= encoder.singleMessageLimit {
            return SplitMessage(
                dataCoding: encoder.dataCoding, coding: encoder.coding,
                segments: [MessageSegment(shortMessage: encoder.finishBytes(bytes, fillBits: 0))])
        }

        if method == .payload {
            let payload = encoder.finishBytes(bytes, fillBits: 0)
            guard payload.count <= maximumPayloadOctets else {
                throw .payloadTooLong(octets: payload.count)
            }
            return SplitMessage(
                dataCoding: encoder.dataCoding, coding: encoder.coding,
                segments: [MessageSegment(shortMessage: payload, usesMessagePayload: true)])
        }

        let limit = encoder.partLimit(sixOctetHeader: method == .udh8)
        let lowerBound = (units + limit - 1) / limit
        guard lowerBound <= maximumSegments else { throw .tooManySegments(segments: lowerBound) }

        let parts = cut(text, bytes: bytes, encoder: encoder, limit: limit)
        guard parts.count <= maximumSegments else { throw .tooManySegments(segments: parts.count) }

        let total = UInt8(truncatingIfNeeded: parts.count)
        var segments: [MessageSegment] = []
        segments.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            let sequence = UInt8(truncatingIfNeeded: index + 1)
            switch method {
            case .udh8, .udh16:
                let header: [UInt8] = method == .udh8
                    ? [0x05, 0x00, 0x03, UInt8(truncatingIfNeeded: reference), total, sequence]
                    : [0x06, 0x08, 0x04, UInt8(truncatingIfNeeded: reference >> 8),
                       UInt8(truncatingIfNeeded: reference), total, sequence]
                let body = encoder.finishBytes(
                    part, fillBits: GSM7.fillBits(afterUDHOctets: header.count))
                segments.append(MessageSegment(shortMessage: header + body, hasUDH: true))
            case .sar, .payload:  // .payload returned above
                segments.append(MessageSegment(
                    shortMessage: encoder.finishBytes(part, fillBits: 0),
                    sar: SARInfo(reference: reference, totalSegments: total, segmentSequence: sequence)))
            }
        }
        return SplitMessage(dataCoding: encoder.dataCoding, coding: encoder.coding, segments: segments)
    }

    /// The encoder `choice` selects for `text`, and the text's octets (unpacked for GSM).
    static func encode(
        _ text: String, choice: CodingChoice, defaultAlphabet: DefaultAlphabet
    ) throws(MessageSplitError) -> (TextEncoder, [UInt8]) {
        let encoder: TextEncoder
        switch choice {
        case .auto:
            let gsm = TextEncoder.defaultAlphabet(defaultAlphabet)
            if let bytes = gsm.encode(text) { return (gsm, bytes) }
            encoder = .ucs2
        case .gsm7: encoder = .defaultAlphabet(defaultAlphabet)
        case .latin1: encoder = .latin1
        case .ucs2: encoder = .ucs2
        }
        guard let bytes = encoder.encode(text) else {
            throw .unencodable(encoder.firstError(in: text))
        }
        return (encoder, bytes)
    }

    /// Cuts `text` (known to be encodable; `bytes` is its unpacked encoding) into parts of
    /// at most `limit` units, at character boundaries where possible and always at scalar
    /// boundaries, returning each part's unpacked octets.
    static func cut(_ text: String, bytes: [UInt8], encoder: TextEncoder, limit: Int) -> [[UInt8]] {
        guard case .ucs2 = encoder else {
            return cut(octets: bytes, encoder: encoder, limit: limit)
        }
        var cutter = Cutter(encoder: encoder, limit: limit)
        for character in text {
            cutter.add(character.unicodeScalars)
        }
        return cutter.finish()
    }

    /// Cuts GSM septets or Latin-1 / ASCII octets directly. Those repertoires hold no
    /// combining marks, joiners or other grapheme extenders, so the only characters of more
    /// than one octet are an escape sequence (`1B xx`, GSM septets) and CR LF, kept whole.
    static func cut(octets bytes: [UInt8], encoder: TextEncoder, limit: Int) -> [[UInt8]] {
        let septets: Bool
        let gsmWidths: Bool  // octets of ASCII / Latin-1 counted as the GSM septets they become
        switch encoder {
        case .defaultAlphabet(.gsm7Unpacked), .defaultAlphabet(.gsm7Packed):
            (septets, gsmWidths) = (true, false)
        case .defaultAlphabet:
            (septets, gsmWidths) = (false, true)
        case .latin1, .ucs2:
            (septets, gsmWidths) = (false, false)
        }
        let reverse = GSM7.latin1Reverse
        var parts: [[UInt8]] = []
        var start = 0
        var used = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            var length = 1
            var units = 1
            if septets, byte == GSM7.escape, index + 1 < count {
                length = 2
                units = 2
            } else if byte == 0x0D, index + 1 < count, bytes[index + 1] == 0x0A {
                length = 2
                units = 2
            } else if gsmWidths, reverse[Int(byte)] > 0xFF {
                units = 2
            }
            if used + units > limit, index > start {
                parts.append(Array(bytes[start..<index]))
                start = index
                used = 0
            }
            used += units
            index += length
        }
        parts.append(Array(bytes[start..<count]))
        return parts
    }

    /// Greedy accumulation of characters into parts.
    private struct Cutter {
        let encoder: TextEncoder
        let limit: Int
        var parts: [[UInt8]] = []
        var current: [UInt8] = []
        var used = 0
        var scratch: [UInt8] = []

        init(encoder: TextEncoder, limit: Int) {
            self.encoder = encoder
            self.limit = limit
        }

        /// Adds one character, given as its scalars.
        mutating func add(_ character: some Collection<Unicode.Scalar>) {
            scratch.removeAll(keepingCapacity: true)
            var units = 0
            for scalar in character {
                units += encoder.append(scalar, to: &scratch) ?? 0
            }
            if used + units <= limit {
                current.append(contentsOf: scratch)
                used += units
            } else if units <= limit {
                parts.append(current)
                current = scratch
                used = units
            } else {
                // One character longer than a part (e.g. a long emoji ZWJ sequence or a base
                // with many combining marks): split it between its scalars.
                for scalar in character {
                    scratch.removeAll(keepingCapacity: true)
                    let scalarUnits = encoder.append(scalar, to: &scratch) ?? 0
                    if used + scalarUnits > limit {
                        parts.append(current)
                        current = []
                        used = 0
                    }
                    current.append(contentsOf: scratch)
                    used += scalarUnits
                }
            }
        }

        mutating func finish() -> [[UInt8]] {
            if !current.isEmpty || parts.isEmpty {
                parts.append(current)
            }
            return parts
        }
    }
}

extension TextEncoder {
    /// Units of a concatenated part: a 6-octet header (8-bit reference) or a 7-octet one
    /// (16-bit reference, also assumed for SAR) taken from 140 octets of user data.
    func partLimit(sixOctetHeader: Bool) -> Int {
        switch self {
        case .defaultAlphabet: return sixOctetHeader ? 153 : 152
        case .latin1: return sixOctetHeader ? 134 : 133
        case .ucs2: return sixOctetHeader ? 67 : 66
        }
    }

    /// Units (septets, octets, UTF-16 units) of `bytes`, the encoding of `text`.
    func units(ofEncoded bytes: [UInt8], text: String) -> Int {
        switch self {
        case .defaultAlphabet(.gsm7Unpacked), .defaultAlphabet(.gsm7Packed): return bytes.count
        case .defaultAlphabet: return GSM7.septetCount(of: text) ?? bytes.count
        case .latin1: return bytes.count
        case .ucs2: return bytes.count / 2
        }
    }
}
