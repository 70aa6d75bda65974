import Testing

@testable import SMPP

/// Deterministic generator so random round trips are reproducible.
/// A random scalar from the BMP (surrogates excluded) or the emoji block U+1F600–U+1F64F.
private func randomScalar(using rng: inout SeededGenerator) -> Unicode.Scalar {
    let value: UInt32
    switch Int.random(in: 0..<4, using: &rng) {
    case 0: value = UInt32.random(in: 0x1F600...0x1F64F, using: &rng)
    case 1: value = UInt32.random(in: 0xE000...0xFFFD, using: &rng)
    default: value = UInt32.random(in: 0x20...0xD7FF, using: &rng)
    }
    return Unicode.Scalar(value) ?? "?"
}

@Suite struct TextCodingTests {

    // MARK: UCS-2 / UTF-16BE

    @Test func ucs2EncodesBigEndian() {
        #expect(UCS2.encode("A\u{20AC}") == [0x00, 0x41, 0x20, 0xAC])
    }

    @Test func ucs2EncodesEmojiAsSurrogatePair() {
        #expect(UCS2.encode("\u{1F600}") == [0xD8, 0x3D, 0xDE, 0x00])
    }

    @Test func ucs2DecodesSurrogatePair() {
        #expect(UCS2.decode([0xD8, 0x3D, 0xDE, 0x00]) == "\u{1F600}")
    }

    @Test func ucs2UnpairedSurrogatesDecodeAsReplacementCharacter() {
        #expect(UCS2.decode([0xD8, 0x3D, 0x00, 0x41]) == "\u{FFFD}A")
        #expect(UCS2.decode([0xDE, 0x00]) == "\u{FFFD}")
        #expect(UCS2.decode([0x00, 0x41, 0xD8, 0x3D]) == "A\u{FFFD}")
    }

    @Test func ucs2OddTrailingOctetDecodesAsReplacementCharacter() {
        #expect(UCS2.decode([0x00, 0x41, 0x00]) == "A\u{FFFD}")
        #expect(UCS2.decode([UInt8]()) == "")
    }

    @Test func randomBMPAndEmojiTextRoundTripsThroughUCS2() {
        var rng = SeededGenerator(seed: 0x5543_5332)
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...200, using: &rng) {
                scalars.append(randomScalar(using: &rng))
            }
            let text = String(scalars)
            let bytes = UCS2.encode(text)
            #expect(bytes.count == text.utf16.count * 2)
            #expect(UCS2.decode(bytes) == text)
        }
    }

    // MARK: Latin-1 and IA5

    @Test func latin1EncodesOneOctetPerScalar() {
        #expect(Latin1.encode("caf\u{E9} \u{FF}") == [0x63, 0x61, 0x66, 0xE9, 0x20, 0xFF])
    }

    @Test func latin1RefusesScalarsAboveFF() {
        #expect(Latin1.encode("5\u{20AC}") == nil)
    }

    @Test func latin1DecodesEveryOctetToTheSameScalar() {
        let bytes = (0...255).map { UInt8($0) }
        let decoded = Latin1.decode(bytes)
        #expect(decoded.unicodeScalars.map(\.value) == (0...255).map { UInt32($0) })
        #expect(Latin1.encode(decoded) == bytes)
    }

    @Test func ia5DecodesHighOctetsAsReplacementCharacter() {
        #expect(IA5.decode([0x41, 0xE9, 0x42]) == "A\u{FFFD}B")
        #expect(IA5.encode("A\u{E9}") == nil)
        #expect(IA5.encode("{x}") == [0x7B, 0x78, 0x7D])
    }

    // MARK: data_coding (SMPP 3.4 §5.2.19)

    @Test func dataCodingZeroFollowsTheSMSCDefaultAlphabet() {
        #expect(TextCoding.coding(forDataCoding: 0, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0, defaultAlphabet: .gsm7Packed) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0, defaultAlphabet: .ascii) == .ascii)
        #expect(TextCoding.coding(forDataCoding: 0, defaultAlphabet: .latin1) == .latin1)
    }

    @Test func smppDataCodingTableValues() {
        let expected: [UInt8: TextCoding] = [
            0x01: .ascii, 0x02: .binary, 0x03: .latin1, 0x04: .binary,
            0x05: .binary, 0x06: .binary, 0x07: .binary,  // JIS, Cyrillic, Hebrew: undecoded
            0x08: .ucs2, 0x09: .binary, 0x0A: .binary, 0x0D: .binary, 0x0E: .binary,
            0x0F: .binary,
        ]
        for (dc, coding) in expected {
            #expect(TextCoding.coding(forDataCoding: dc, defaultAlphabet: .gsm7Unpacked) == coding, "dc \(dc)")
        }
    }

    @Test func gsmGeneralDataCodingWithMessageClassUsesAlphabetBits() {
        #expect(TextCoding.coding(forDataCoding: 0x10, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0x11, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0x14, defaultAlphabet: .gsm7Unpacked) == .binary)
        #expect(TextCoding.coding(forDataCoding: 0x18, defaultAlphabet: .gsm7Unpacked) == .ucs2)
        #expect(TextCoding.coding(forDataCoding: 0x1C, defaultAlphabet: .gsm7Unpacked) == .binary)
        #expect(TextCoding.coding(forDataCoding: 0x20, defaultAlphabet: .gsm7Unpacked) == .binary)
        #expect(TextCoding.coding(forDataCoding: 0x3F, defaultAlphabet: .gsm7Unpacked) == .binary)
    }

    @Test func gsmMessageClassGroupUsesBitTwo() {
        #expect(TextCoding.coding(forDataCoding: 0xF0, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0xF3, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0xF4, defaultAlphabet: .gsm7Unpacked) == .binary)
        #expect(TextCoding.coding(forDataCoding: 0xF6, defaultAlphabet: .gsm7Unpacked) == .binary)
        #expect(TextCoding.coding(forDataCoding: 0xF8, defaultAlphabet: .gsm7Unpacked) == .gsm7)
    }

    @Test func gsmMessageWaitingGroupsCarryText() {
        #expect(TextCoding.coding(forDataCoding: 0xC0, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0xD8, defaultAlphabet: .gsm7Unpacked) == .gsm7)
        #expect(TextCoding.coding(forDataCoding: 0xE0, defaultAlphabet: .gsm7Unpacked) == .ucs2)
    }

    @Test func reservedDataCodingsAreBinary() {
        for dc in UInt8(0x40)...0xBF {
            #expect(TextCoding.coding(forDataCoding: dc, defaultAlphabet: .gsm7Unpacked) == .binary)
        }
    }

    // MARK: Decoding short messages

    @Test func decodesShortMessageByDataCoding() {
        #expect(ShortMessageText.decode([0x00, 0x1B, 0x65], dataCoding: 0) == "@\u{20AC}")
        #expect(ShortMessageText.decode([0x41, 0x7B], dataCoding: 1) == "A{")
        #expect(ShortMessageText.decode([0xE9], dataCoding: 3) == "\u{E9}")
        #expect(ShortMessageText.decode([0xD8, 0x3D, 0xDE, 0x00], dataCoding: 8) == "\u{1F600}")
        #expect(ShortMessageText.decode([0x01, 0x02], dataCoding: 4) == nil)
        #expect(ShortMessageText.decode([0x01, 0x02], dataCoding: 2) == nil)
        #expect(ShortMessageText.decode([0x41], dataCoding: 6) == nil)
    }

    @Test func decodesDataCodingZeroPerConfiguredDefaultAlphabet() {
        let packed: [UInt8] = [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        #expect(ShortMessageText.decode(packed, dataCoding: 0, defaultAlphabet: .gsm7Packed) == "hellohello")
        #expect(ShortMessageText.decode([0xE9], dataCoding: 0, defaultAlphabet: .latin1) == "\u{E9}")
        #expect(ShortMessageText.decode([0x7B], dataCoding: 0, defaultAlphabet: .ascii) == "{")
        #expect(ShortMessageText.decode([0x00], dataCoding: 0, defaultAlphabet: .gsm7Unpacked) == "@")
    }

    @Test func decodesPackedTextAfterAUserDataHeader() {
        let septets = GSM7.septets(for: "hello") ?? []
        let body = GSM7.pack(septets, fillBits: 1)
        #expect(ShortMessageText.decode(body, dataCoding: 0, defaultAlphabet: .gsm7Packed, udhLength: 6) == "hello")
        #expect(ShortMessageText.decodePackedGSM7(body, septetCount: 5, fillBits: 1) == "hello")
    }

    // MARK: Encoding

    @Test func autoChoosesGSMWhenEveryCharacterIsRepresentable() throws {
        let encoded = try EncodedText.encode("Hi {you} \u{20AC}5")
        #expect(encoded.dataCoding == 0)
        #expect(encoded.coding == .gsm7)
        #expect(encoded.bytes == [0x48, 0x69, 0x20, 0x1B, 0x28, 0x79, 0x6F, 0x75, 0x1B, 0x29, 0x20,
                                  0x1B, 0x65, 0x35])
    }

    @Test func autoFallsBackToUCS2() throws {
        let encoded = try EncodedText.encode("Hi \u{1F600}")
        #expect(encoded.dataCoding == 8)
        #expect(encoded.coding == .ucs2)
        #expect(encoded.bytes == [0x00, 0x48, 0x00, 0x69, 0x00, 0x20, 0xD8, 0x3D, 0xDE, 0x00])
    }

    @Test func autoPacksWhenTheDefaultAlphabetIsPacked() throws {
        let encoded = try EncodedText.encode("hellohello", defaultAlphabet: .gsm7Packed)
        #expect(encoded.dataCoding == 0)
        #expect(encoded.bytes == [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37])
    }

    @Test func packedEncodingPadsSevenSpareBitsWithCarriageReturn() throws {
        let encoded = try EncodedText.encode("1234567", defaultAlphabet: .gsm7Packed)
        #expect(encoded.bytes.count == 7)
        #expect(encoded.bytes.last.map { $0 >> 1 } == 0x0D)
        #expect(ShortMessageText.decode(encoded.bytes, dataCoding: 0, defaultAlphabet: .gsm7Packed) == "1234567")
    }

    @Test func asciiDefaultAlphabetSendsASCIIOctetsForGSMText() throws {
        let encoded = try EncodedText.encode("{x}", defaultAlphabet: .ascii)
        #expect(encoded.dataCoding == 0)
        #expect(encoded.coding == .ascii)
        #expect(encoded.bytes == [0x7B, 0x78, 0x7D])
        // é is GSM but not ASCII: auto falls back to UCS-2, forced gsm7 fails.
        #expect(try EncodedText.encode("\u{E9}", defaultAlphabet: .ascii).dataCoding == 8)
        #expect(throws: TextEncodingError(coding: .ascii, character: "\u{E9}", offset: 0, scalar: "\u{E9}")) {
            try EncodedText.encode("\u{E9}", choice: .gsm7, defaultAlphabet: .ascii)
        }
    }

    @Test func latin1DefaultAlphabetSendsLatin1OctetsForGSMText() throws {
        let encoded = try EncodedText.encode("caf\u{E9}", defaultAlphabet: .latin1)
        #expect(encoded.dataCoding == 0)
        #expect(encoded.coding == .latin1)
        #expect(encoded.bytes == [0x63, 0x61, 0x66, 0xE9])
        #expect(try EncodedText.encode("\u{394}", defaultAlphabet: .latin1).dataCoding == 8)
    }

    @Test func forcedGSMWithEmojiThrowsNamingTheCharacterAndPosition() {
        #expect(throws: TextEncodingError(coding: .gsm7, character: "\u{1F600}", offset: 0, scalar: "\u{1F600}")) {
            try EncodedText.encode("\u{1F600}", choice: .gsm7)
        }
        #expect(throws: TextEncodingError(coding: .gsm7, character: "\u{1F600}", offset: 2, scalar: "\u{1F600}")) {
            try EncodedText.encode("ab\u{1F600}c", choice: .gsm7)
        }
    }

    @Test func forcedGSMErrorNamesTheWholeCharacterOfACombiningSequence() {
        #expect(throws: TextEncodingError(coding: .gsm7, character: "e\u{301}", offset: 1, scalar: "\u{301}")) {
            try EncodedText.encode("xe\u{301}y", choice: .gsm7)
        }
    }

    @Test func forcedLatin1ThrowsOnScalarsAboveFF() throws {
        #expect(throws: TextEncodingError(coding: .latin1, character: "\u{20AC}", offset: 1, scalar: "\u{20AC}")) {
            try EncodedText.encode("5\u{20AC}", choice: .latin1)
        }
        let encoded = try EncodedText.encode("\u{E9}", choice: .latin1)
        #expect(encoded == EncodedText(dataCoding: 3, coding: .latin1, bytes: [0xE9]))
    }

    @Test func forcedUCS2EncodesEvenGSMText() throws {
        let encoded = try EncodedText.encode("@", choice: .ucs2)
        #expect(encoded == EncodedText(dataCoding: 8, coding: .ucs2, bytes: [0x00, 0x40]))
    }

    @Test func emptyTextEncodesAsEmptyGSM() throws {
        #expect(try EncodedText.encode("") == EncodedText(dataCoding: 0, coding: .gsm7, bytes: []))
    }

    @Test func encodingErrorDescriptionNamesCharacterAndPosition() {
        let error = TextEncodingError(coding: .gsm7, character: "\u{1F600}", offset: 3, scalar: "\u{1F600}")
        #expect(error.description == "character \"\u{1F600}\" (U+1F600) at position 3 cannot be encoded as gsm7")
    }
}
