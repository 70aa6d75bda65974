import Testing

@testable import SMPP

/// Deterministic generator so random round trips are reproducible.
private func repeated(_ text: String, _ count: Int) -> String {
    String(repeating: text, count: count)
}

/// The text octets of a segment: short_message without its user data header.
private func body(_ segment: MessageSegment) -> ArraySlice<UInt8> {
    guard segment.hasUDH, let udhl = segment.shortMessage.first else { return segment.shortMessage[...] }
    return segment.shortMessage.dropFirst(1 + Int(udhl))
}

@Suite struct MessageSplitterTests {

    // MARK: Single messages

    @Test func textThatFitsIsOneSegmentWithoutHeaderWhateverTheMethod() throws {
        for method in ConcatenationMethod.allCases {
            let split = try MessageSplitter.split(repeated("a", 160), method: method, reference: 7)
            #expect(split.dataCoding == 0)
            #expect(split.segments == [MessageSegment(shortMessage: [UInt8](repeating: 0x61, count: 160))])
        }
    }

    @Test func singleMessageLimitsPerCoding() throws {
        #expect(try MessageSplitter.split(repeated("\u{416}", 70), reference: 1).segments.count == 1)
        #expect(try MessageSplitter.split(repeated("\u{416}", 71), reference: 1).segments.count == 2)
        #expect(try MessageSplitter.split(repeated("\u{E9}", 140), choice: .latin1, reference: 1).segments.count == 1)
        #expect(try MessageSplitter.split(repeated("\u{E9}", 141), choice: .latin1, reference: 1).segments.count == 2)
        // Extension characters count two septets: 80 × "{" is 160 septets, 81 is 162.
        #expect(try MessageSplitter.split(repeated("{", 80), reference: 1).segments.count == 1)
        #expect(try MessageSplitter.split(repeated("{", 81), reference: 1).segments.count == 2)
    }

    @Test func emptyTextIsOneEmptySegment() throws {
        let split = try MessageSplitter.split("", reference: 1)
        #expect(split.segments == [MessageSegment(shortMessage: [])])
    }

    // MARK: UDH, 8-bit reference (TS 23.040 §9.2.3.24.1)

    @Test func gsmText161SplitsInto153And8WithEightBitReferenceHeaders() throws {
        let split = try MessageSplitter.split(repeated("a", 161), method: .udh8, reference: 0x1234)
        #expect(split.dataCoding == 0)
        #expect(split.coding == .gsm7)
        #expect(split.segments.count == 2)
        let first = split.segments[0], second = split.segments[1]
        #expect(first.hasUDH && second.hasUDH)
        #expect(first.sar == nil && !first.usesMessagePayload)
        #expect(Array(first.shortMessage.prefix(6)) == [0x05, 0x00, 0x03, 0x34, 0x02, 0x01])
        #expect(Array(second.shortMessage.prefix(6)) == [0x05, 0x00, 0x03, 0x34, 0x02, 0x02])
        #expect(body(first) == ArraySlice(repeating: 0x61, count: 153))
        #expect(body(second) == ArraySlice(repeating: 0x61, count: 8))
    }

    @Test func ucs2PartsHold67UnitsWithEightBitReference() throws {
        let split = try MessageSplitter.split(repeated("\u{416}", 71), method: .udh8, reference: 9)
        #expect(split.dataCoding == 8)
        #expect(split.segments.map { body($0).count } == [134, 8])
        #expect(split.segments.map(\.shortMessage.count) == [140, 14])
    }

    @Test func latin1PartsHold134OctetsWithEightBitReference() throws {
        let split = try MessageSplitter.split(repeated("\u{E9}", 141), choice: .latin1, method: .udh8, reference: 9)
        #expect(split.dataCoding == 3)
        #expect(split.segments.map { body($0).count } == [134, 7])
    }

    // MARK: UDH, 16-bit reference (TS 23.040 §9.2.3.24.8)

    @Test func sixteenBitReferenceHeaderCarriesBothReferenceOctets() throws {
        let split = try MessageSplitter.split(repeated("a", 161), method: .udh16, reference: 0x1234)
        #expect(split.segments.count == 2)
        #expect(Array(split.segments[0].shortMessage.prefix(7)) == [0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01])
        #expect(Array(split.segments[1].shortMessage.prefix(7)) == [0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02])
        #expect(split.segments.map { body($0).count } == [152, 9])
    }

    @Test func sixteenBitReferenceLimitsForUCS2AndLatin1() throws {
        let ucs2 = try MessageSplitter.split(repeated("\u{416}", 71), method: .udh16, reference: 1)
        #expect(ucs2.segments.map { body($0).count } == [132, 10])
        let latin1 = try MessageSplitter.split(repeated("\u{E9}", 141), choice: .latin1, method: .udh16, reference: 1)
        #expect(latin1.segments.map { body($0).count } == [133, 8])
    }

    // MARK: SAR TLVs and message_payload

    @Test func sarSegmentsHaveNoHeaderAndCarrySARInfo() throws {
        let split = try MessageSplitter.split(repeated("a", 161), method: .sar, reference: 0xBEEF)
        #expect(split.segments.count == 2)
        for (index, segment) in split.segments.enumerated() {
            #expect(!segment.hasUDH)
            #expect(!segment.usesMessagePayload)
            #expect(segment.sar == SARInfo(reference: 0xBEEF, totalSegments: 2, segmentSequence: UInt8(index + 1)))
        }
        #expect(split.segments.map(\.shortMessage.count) == [152, 9])
    }

    @Test func payloadIsOneSegmentWithTheWholeText() throws {
        let split = try MessageSplitter.split(repeated("a", 400), method: .payload, reference: 1)
        #expect(split.segments == [MessageSegment(
            shortMessage: [UInt8](repeating: 0x61, count: 400), usesMessagePayload: true)])
    }

    @Test func payloadTooLongForTheTLVThrows() {
        #expect(throws: MessageSplitError.payloadTooLong(octets: 70_000)) {
            try MessageSplitter.split(repeated("a", 70_000), method: .payload, reference: 1)
        }
    }

    // MARK: Segment count

    @Test func twoHundredFiftyFivePartsIsTheMaximum() throws {
        let split = try MessageSplitter.split(repeated("a", 153 * 255), reference: 1)
        #expect(split.segments.count == 255)
        #expect(Array(split.segments[254].shortMessage.prefix(6)) == [0x05, 0x00, 0x03, 0x01, 0xFF, 0xFF])
    }

    @Test func moreThan255PartsThrows() {
        #expect(throws: MessageSplitError.tooManySegments(segments: 256)) {
            try MessageSplitter.split(repeated("a", 153 * 255 + 1), reference: 1)
        }
    }

    @Test func forcedGSMWithEmojiThrowsUnencodable() {
        let error = TextEncodingError(coding: .gsm7, character: "\u{1F600}", offset: 1, scalar: "\u{1F600}")
        #expect(throws: MessageSplitError.unencodable(error)) {
            try MessageSplitter.split("a\u{1F600}", choice: .gsm7, reference: 1)
        }
    }

    // MARK: Boundaries

    @Test func escapeSequenceIsNeverSplitAcrossParts() throws {
        // Septets 153 and 154 would be 1B 65: the escape moves to the next part whole.
        let split = try MessageSplitter.split(repeated("a", 152) + "\u{20AC}" + repeated("b", 10), reference: 1)
        #expect(split.segments.count == 2)
        #expect(body(split.segments[0]) == ArraySlice(repeating: 0x61, count: 152))
        #expect(Array(body(split.segments[1])) == [0x1B, 0x65] + [UInt8](repeating: 0x62, count: 10))
    }

    @Test func crlfStaysInOnePart() throws {
        let split = try MessageSplitter.split(repeated("a", 152) + "\r\n" + repeated("b", 10), reference: 1)
        #expect(split.segments.map { body($0).count } == [152, 12])
        #expect(Array(body(split.segments[1]).prefix(2)) == [0x0D, 0x0A])
    }

    @Test func surrogatePairIsNeverSplitAcrossParts() throws {
        // UTF-16 units 67 and 68 would be D83D DE00: the pair moves to the next part.
        let split = try MessageSplitter.split(repeated("a", 66) + "\u{1F600}" + repeated("b", 10), reference: 1)
        #expect(split.dataCoding == 8)
        #expect(split.segments.count == 2)
        #expect(body(split.segments[0]).count == 132)
        #expect(Array(body(split.segments[1]).prefix(4)) == [0xD8, 0x3D, 0xDE, 0x00])
        #expect(body(split.segments[1]).count == 24)
    }

    @Test func multiScalarCharacterStaysInOnePart() throws {
        // A flag is two regional indicators, 4 UTF-16 units; at units 66–69 it moves whole.
        let split = try MessageSplitter.split(repeated("a", 65) + "\u{1F1EB}\u{1F1F7}" + repeated("b", 10), reference: 1)
        #expect(split.segments.map { body($0).count } == [130, 28])
        #expect(Array(body(split.segments[1]).prefix(8)) == [0xD8, 0x3C, 0xDD, 0xEB, 0xD8, 0x3C, 0xDD, 0xF7])
    }

    @Test func characterLongerThanAPartIsSplitBetweenScalars() throws {
        // One grapheme: "e" followed by 80 combining acute accents = 81 UTF-16 units.
        let text = "e" + repeated("\u{301}", 80)
        let split = try MessageSplitter.split(text, reference: 1)
        #expect(split.segments.map { body($0).count } == [134, 28])
        let joined = split.segments.flatMap { body($0) }
        #expect(UCS2.decode(joined) == text)
    }

    // MARK: Packed GSM 7-bit default alphabet

    @Test func packedPartsFollowTheHeaderWithFillBits() throws {
        let text = repeated("0123456789", 17)  // 170 septets
        let split = try MessageSplitter.split(text, method: .udh8, reference: 5, defaultAlphabet: .gsm7Packed)
        #expect(split.segments.count == 2)
        // 6 octets of header + 1 fill bit + 153 septets = 140 octets exactly.
        #expect(split.segments[0].shortMessage.count == 140)
        var decoded = ""
        for segment in split.segments {
            let text = ShortMessageText.decode(
                body(segment), dataCoding: split.dataCoding, defaultAlphabet: .gsm7Packed, udhLength: 6)
            decoded += text ?? "<binary>"
        }
        #expect(decoded == text)
    }

    @Test func packedPartsWithSixteenBitReferenceNeedNoFillBits() throws {
        let text = repeated("xyz{}", 40)  // 280 septets
        let split = try MessageSplitter.split(text, method: .udh16, reference: 5, defaultAlphabet: .gsm7Packed)
        #expect(split.segments.count == 2)
        let first = body(split.segments[0])
        #expect(first.count == 133)  // 152 septets
        let septets = GSM7.unpack(first, septetCount: 152, fillBits: 0)
        #expect(septets.last != 0x1B)
        var decoded = ""
        for segment in split.segments {
            decoded += ShortMessageText.decode(
                body(segment), dataCoding: 0, defaultAlphabet: .gsm7Packed, udhLength: 7) ?? "<binary>"
        }
        #expect(decoded == text)
    }

    @Test func asciiDefaultAlphabetCountsGSMSeptetsButSendsASCII() throws {
        // 80 × "[" is 160 GSM septets (fits); 81 is 162 and splits even though it is 81 octets.
        let fits = try MessageSplitter.split(repeated("[", 80), reference: 1, defaultAlphabet: .ascii)
        #expect(fits.segments == [MessageSegment(shortMessage: [UInt8](repeating: 0x5B, count: 80))])
        let split = try MessageSplitter.split(repeated("[", 81), reference: 1, defaultAlphabet: .ascii)
        #expect(split.coding == .ascii)
        #expect(split.segments.map { body($0).count } == [76, 5])
    }

    // MARK: Random round trips

    @Test func randomGSMTextReassemblesFromItsParts() throws {
        var scalars: [Unicode.Scalar] = GSM7.basicScalars.enumerated().filter { $0.offset != 0x1B }.map(\.element)
        scalars += GSM7.extensionPairs.compactMap { Unicode.Scalar($0.scalar) }
        var rng = SeededGenerator(seed: 0x5350_4C49)
        for round in 0..<300 {
            var view = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...1200, using: &rng) {
                view.append(scalars[Int.random(in: 0..<scalars.count, using: &rng)])
            }
            let text = String(view)
            let method: ConcatenationMethod = round % 2 == 0 ? .udh8 : .udh16
            let split = try MessageSplitter.split(text, choice: .gsm7, method: method, reference: UInt16(round))
            let limit = method == .udh8 ? 153 : 152
            var septets: [UInt8] = []
            for segment in split.segments {
                let part = body(segment)
                #expect(split.segments.count == 1 || part.count <= limit)
                #expect(part.last != 0x1B)
                septets += part
            }
            #expect(GSM7.decode(septets: septets) == text)
        }
    }

    @Test func randomBMPAndEmojiTextReassemblesFromItsParts() throws {
        var rng = SeededGenerator(seed: 0x5543_5353)
        for round in 0..<300 {
            var view = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...400, using: &rng) {
                let value: UInt32 = Int.random(in: 0..<3, using: &rng) == 0
                    ? UInt32.random(in: 0x1F600...0x1F64F, using: &rng)
                    : UInt32.random(in: 0x20...0xD7FF, using: &rng)
                view.append(Unicode.Scalar(value) ?? "?")
            }
            let text = String(view)
            let method: ConcatenationMethod = round % 2 == 0 ? .udh8 : .sar
            let split = try MessageSplitter.split(text, choice: .ucs2, method: method, reference: UInt16(round))
            #expect(split.dataCoding == 8)
            let limit = method == .udh8 ? 134 : 132
            var bytes: [UInt8] = []
            for (index, segment) in split.segments.enumerated() {
                let part = body(segment)
                #expect(split.segments.count == 1 || part.count <= limit)
                #expect(part.count % 2 == 0)
                if let high = part.dropLast().last {
                    #expect(!(0xD8...0xDB).contains(high), "part \(index) ends inside a surrogate pair")
                }
                if split.segments.count > 1, method == .sar {
                    #expect(segment.sar?.segmentSequence == UInt8(index + 1))
                }
                bytes += part
            }
            #expect(UCS2.decode(bytes) == text)
        }
    }
}
