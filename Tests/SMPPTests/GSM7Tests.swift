import Testing

@testable import SMPP

/// Deterministic generator so random round trips are reproducible.
/// Every scalar of the default alphabet (TS 23.038 §6.2.1) and extension table (§6.2.1.1).
private let gsmScalars: [Unicode.Scalar] = {
    var scalars: [Unicode.Scalar] = []
    for septet in 0..<128 where septet != 0x1B {
        scalars.append(GSM7.basicScalars[septet])
    }
    for (_, value) in GSM7.extensionPairs {
        if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
    }
    return scalars
}()

@Suite struct GSM7Tests {

    // MARK: Default alphabet (TS 23.038 §6.2.1)

    @Test func atSignIsSeptetZero() {
        #expect(GSM7.septets(for: "@") == [0x00])
    }

    @Test func firstTwoColumnsMatchTheStandardTable() {
        // 0x00–0x1F except the escape 0x1B, written from TS 23.038 §6.2.1.
        let text = "@\u{A3}$\u{A5}\u{E8}\u{E9}\u{F9}\u{EC}\u{F2}\u{C7}\n\u{D8}\u{F8}\r\u{C5}\u{E5}"
            + "\u{394}_\u{3A6}\u{393}\u{39B}\u{3A9}\u{3A0}\u{3A8}\u{3A3}\u{398}\u{39E}"
            + "\u{C6}\u{E6}\u{DF}\u{C9}"
        let expected: [UInt8] = Array(0x00...0x1A) + Array(0x1C...0x1F)
        #expect(GSM7.septets(for: text) == expected)
    }

    @Test func nationalCharactersOfTheUpperColumnsMatchTheStandardTable() {
        // ¤ 0x24, ¡ 0x40, Ä Ö Ñ Ü § 0x5B–0x5F, ¿ 0x60, ä ö ñ ü à 0x7B–0x7F.
        let text = "\u{A4}\u{A1}\u{C4}\u{D6}\u{D1}\u{DC}\u{A7}\u{BF}\u{E4}\u{F6}\u{F1}\u{FC}\u{E0}"
        #expect(GSM7.septets(for: text) == [0x24, 0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60,
                                             0x7B, 0x7C, 0x7D, 0x7E, 0x7F])
    }

    @Test func asciiLettersDigitsAndPunctuationKeepTheirCodes() {
        #expect(GSM7.septets(for: "Az09 !\"#%&'()*+,-./:;<=>?") ==
            [0x41, 0x7A, 0x30, 0x39, 0x20, 0x21, 0x22, 0x23, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A,
             0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F])
    }

    @Test func everySeptetExceptEscapeRoundTripsThroughItsScalar() {
        for septet in UInt8(0)..<0x80 where septet != 0x1B {
            let text = GSM7.decode(septets: [septet])
            #expect(GSM7.septets(for: text) == [septet], "septet \(septet)")
        }
    }

    // MARK: Extension table (TS 23.038 §6.2.1.1)

    @Test func extensionCharactersEncodeAsEscapePlusCode() {
        #expect(GSM7.septets(for: "{") == [0x1B, 0x28])
        #expect(GSM7.septets(for: "\u{20AC}") == [0x1B, 0x65])
        #expect(GSM7.septets(for: "\u{0C}^}\\[~]|") ==
            [0x1B, 0x0A, 0x1B, 0x14, 0x1B, 0x29, 0x1B, 0x2F, 0x1B, 0x3C, 0x1B, 0x3D, 0x1B, 0x3E,
             0x1B, 0x40])
    }

    @Test func extensionSequencesDecodeToTheirCharacters() {
        #expect(GSM7.decode(septets: [0x1B, 0x28, 0x61, 0x1B, 0x29, 0x1B, 0x65]) == "{a}\u{20AC}")
    }

    @Test func septetCountCountsExtensionCharactersTwice() {
        #expect(GSM7.septetCount(of: "") == 0)
        #expect(GSM7.septetCount(of: "abc") == 3)
        #expect(GSM7.septetCount(of: "a\u{20AC}{") == 5)
        #expect(GSM7.septetCount(of: "a\u{1F600}") == nil)
    }

    // MARK: Unrepresentable text

    @Test func scalarsOutsideBothTablesMakeTextUnrepresentable() {
        #expect(GSM7.septets(for: "\u{1F600}") == nil)
        #expect(GSM7.septets(for: "`") == nil)  // grave accent: not in the alphabet
        #expect(GSM7.septets(for: "\u{E7}") == nil)  // small ç: only capital Ç is 0x09
        #expect(GSM7.septets(for: "ab\u{416}") == nil)  // Cyrillic Ж
    }

    @Test func decomposedCharacterIsUnrepresentableEvenIfItsPrecomposedFormIsNot() {
        #expect(GSM7.septets(for: "\u{E9}") == [0x05])
        #expect(GSM7.septets(for: "e\u{301}") == nil)
    }

    @Test func crlfIsTwoSeptets() {
        #expect(GSM7.septets(for: "\r\n") == [0x0D, 0x0A])
    }

    // MARK: Irregular input when decoding

    @Test func escapeBeforeUndefinedCodeDecodesAsTheBasicCharacter() {
        #expect(GSM7.decode(septets: [0x1B, 0x41]) == "A")
        #expect(GSM7.decode(septets: [0x1B, 0x00]) == "@")
        #expect(GSM7.decode(septets: [0x1B, 0x0D]) == "\r")  // CR2 is not a character
    }

    @Test func emptyInputDecodesToEmptyText() {
        #expect(GSM7.decode(septets: [UInt8]()) == "")
        #expect(GSM7.septets(for: "") == [])
    }

    @Test func decodesFromNonContiguousCollections() {
        let septets: [UInt8] = [0x00, 0x1B, 0x65, 0x61]
        #expect(GSM7.decode(septets: septets.lazy.map { $0 }) == "@\u{20AC}a")
        #expect(GSM7.decode(septets: septets.dropFirst()) == "\u{20AC}a")
    }

    @Test func doubleEscapeDecodesAsSpace() {
        #expect(GSM7.decode(septets: [0x61, 0x1B, 0x1B, 0x62]) == "a b")
    }

    @Test func loneTrailingEscapeDecodesAsSpace() {
        #expect(GSM7.decode(septets: [0x61, 0x1B]) == "a ")
    }

    @Test func octetsAboveSevenBitsDecodeAsReplacementCharacter() {
        #expect(GSM7.decode(septets: [0x61, 0xC1, 0x62]) == "a\u{FFFD}b")
        #expect(GSM7.decode(septets: [0x1B, 0x80]) == " \u{FFFD}")
    }

    // MARK: Packing (TS 23.038 §6.1.2.1.1)

    @Test func packsHelloHelloAsInTheStandardExample() {
        let septets = GSM7.septets(for: "hellohello") ?? []
        #expect(GSM7.pack(septets) == [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37])
    }

    @Test func unpacksHelloHello() {
        let octets: [UInt8] = [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        #expect(GSM7.decode(septets: GSM7.unpack(octets, septetCount: 10)) == "hellohello")
    }

    @Test func packEmptyIsEmpty() {
        #expect(GSM7.pack([]) == [])
        #expect(GSM7.pack([], fillBits: 1) == [])
    }

    @Test func eightSeptetsPackIntoSevenOctets() {
        // 8 × 0x7F = 56 one bits = 7 × 0xFF.
        #expect(GSM7.pack([UInt8](repeating: 0x7F, count: 8)) == [UInt8](repeating: 0xFF, count: 7))
    }

    @Test func fillBitsComeFirstInTheLowBitsOfTheFirstOctet() {
        #expect(GSM7.pack([0x7F], fillBits: 1) == [0xFE])
        #expect(GSM7.pack([0x01, 0x01], fillBits: 1) == [0x02, 0x01])
        #expect(GSM7.unpack([0x02, 0x01], septetCount: 2, fillBits: 1) == [0x01, 0x01])
    }

    @Test func fillBitsAlignTheTextAfterAUserDataHeader() {
        #expect(GSM7.fillBits(afterUDHOctets: 0) == 0)
        #expect(GSM7.fillBits(afterUDHOctets: 6) == 1)  // 05 00 03 ref total seq
        #expect(GSM7.fillBits(afterUDHOctets: 7) == 0)  // 06 08 04 refHi refLo total seq
        #expect(GSM7.fillBits(afterUDHOctets: 1) == 6)
        #expect(GSM7.fillBits(afterUDHOctets: 12) == 2)
    }

    @Test func packedTextAfterSixOctetHeaderRoundTrips() {
        let text = "Concatenated part {1} costs 5\u{20AC} @ the caf\u{E9}"
        let septets = GSM7.septets(for: text) ?? []
        let header: [UInt8] = [0x05, 0x00, 0x03, 0x2A, 0x02, 0x01]
        let fill = GSM7.fillBits(afterUDHOctets: header.count)
        let userData = header + GSM7.pack(septets, fillBits: fill)
        // Total user data, in septets, is what TP-UDL would say: 6 octets + 1 fill bit = 7 septets.
        #expect(userData.count == 6 + (1 + septets.count * 7 + 7) / 8)
        let body = userData.dropFirst(header.count)
        #expect(GSM7.unpack(body, septetCount: septets.count, fillBits: fill) == septets)
        #expect(ShortMessageText.decodePackedGSM7(body, septetCount: septets.count, fillBits: fill) == text)
    }

    @Test func unpackWithoutCountDropsZeroPaddingThatWouldReadAsAtSign() {
        let packed = GSM7.pack(GSM7.septets(for: "1234567") ?? [])
        #expect(packed.count == 7)  // 49 bits: 7 spare bits at the end
        #expect(GSM7.unpack(packed, septetCount: 8).count == 8)  // the spare bits read as '@'
        #expect(GSM7.decode(septets: GSM7.unpack(packed)) == "1234567")
    }

    @Test func unpackWithoutCountDropsCarriageReturnPadding() {
        let packed = GSM7.packPadded(GSM7.septets(for: "1234567") ?? [], fillBits: 0)
        #expect(packed.count == 7)
        #expect(GSM7.unpack(packed, septetCount: 8).last == 0x0D)
        #expect(GSM7.decode(septets: GSM7.unpack(packed)) == "1234567")
    }

    @Test func unpackWithoutCountKeepsEveryRealSeptet() {
        let packed = GSM7.pack(GSM7.septets(for: "hellohello") ?? [])
        #expect(GSM7.decode(septets: GSM7.unpack(packed)) == "hellohello")
    }

    @Test func unpackStopsAtTheOctetsItHas() {
        #expect(GSM7.unpack([0xE8, 0x32], septetCount: 10) == [0x68, 0x65])
        #expect(GSM7.unpack([UInt8](), septetCount: 3) == [])
        #expect(GSM7.unpack([0xE8], septetCount: -1) == [])
    }

    // MARK: Random round trips

    @Test func randomGSMTextRoundTripsUnpacked() {
        var rng = SeededGenerator(seed: 0x6753_4D37)
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...300, using: &rng) {
                scalars.append(gsmScalars[Int.random(in: 0..<gsmScalars.count, using: &rng)])
            }
            let text = String(scalars)
            let septets = GSM7.septets(for: text)
            #expect(septets?.count == GSM7.septetCount(of: text))
            #expect(GSM7.decode(septets: septets ?? []) == text)
        }
    }

    @Test func randomSeptetsRoundTripThroughPackingWithEveryFill() {
        var rng = SeededGenerator(seed: 0x7061_636B)
        for _ in 0..<500 {
            let septets = (0..<Int.random(in: 0...200, using: &rng)).map { _ in
                UInt8.random(in: 0...0x7F, using: &rng)
            }
            let fill = Int.random(in: 0...6, using: &rng)
            let packed = GSM7.pack(septets, fillBits: fill)
            #expect(packed.count == (septets.isEmpty ? 0 : (fill + septets.count * 7 + 7) / 8))
            #expect(GSM7.unpack(packed, septetCount: septets.count, fillBits: fill) == septets)
        }
    }
}
