import Testing

@testable import SMPP

@Suite struct UserDataHeaderTests {
    @Test func parsesEightBitConcatenation() throws {
        let message: [UInt8] = [0x05, 0x00, 0x03, 0xA7, 0x03, 0x01, 0x48, 0x69]
        let (header, length) = try #require(UserDataHeader.parse(message))
        #expect(length == 6)
        #expect(header.elements == [.init(identifier: 0x00, data: [0xA7, 0x03, 0x01])])
        let concatenation = try #require(header.concatenation)
        #expect(concatenation.reference == 0xA7)
        #expect(concatenation.total == 3)
        #expect(concatenation.sequence == 1)
        #expect(!concatenation.is16Bit)
        #expect(Array(message[length...]) == [0x48, 0x69])
    }

    @Test func parsesSixteenBitConcatenation() throws {
        let message: [UInt8] = [0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02, 0x41]
        let (header, length) = try #require(UserDataHeader.parse(message))
        #expect(length == 7)
        let concatenation = try #require(header.concatenation)
        #expect(concatenation.reference == 0x1234)
        #expect(concatenation.total == 2)
        #expect(concatenation.sequence == 2)
        #expect(concatenation.is16Bit)
    }

    @Test func parsesPortsAlongsideConcatenation() throws {
        let message: [UInt8] = [0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x01, 0x02, 0x01]
        let (header, length) = try #require(UserDataHeader.parse(message))
        #expect(length == 12)
        let ports = try #require(header.applicationPorts)
        #expect(ports.destination == 0x0B84)
        #expect(ports.originator == 0x23F0)
        #expect(ports.is16Bit)
        #expect(header.concatenation?.reference == 1)
        #expect(header.bytes == message)
    }

    @Test func reencodesHeader() throws {
        let header = UserDataHeader(elements: [
            UserDataHeader.concatenationElement(reference: 0xBEEF, total: 4, sequence: 3, is16Bit: true),
            UserDataHeader.portsElement(destination: 2948, originator: 9200),
        ])
        let bytes = header.bytes
        #expect(bytes == [0x0C, 0x08, 0x04, 0xBE, 0xEF, 0x04, 0x03, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0])
        let (parsed, length) = try #require(UserDataHeader.parse(bytes + [0x61]))
        #expect(parsed == header)
        #expect(length == bytes.count)
        #expect(UserDataHeader.concatenationElement(reference: 0x1FF, total: 2, sequence: 1, is16Bit: false).data == [0xFF, 2, 1])
    }

    @Test func rejectsHeaderLongerThanMessage() {
        #expect(UserDataHeader.parse([UInt8]()) == nil)
        #expect(UserDataHeader.parse([0x05, 0x00, 0x03, 0x01, 0x02]) == nil)
    }

    @Test func rejectsElementOverrunningHeader() {
        // UDHL 4, but the element claims 3 data octets after its 2-octet preamble.
        #expect(UserDataHeader.parse([0x04, 0x00, 0x03, 0x01, 0x02, 0x41, 0x42]) == nil)
        // A lone identifier octet with no length octet.
        #expect(UserDataHeader.parse([0x01, 0x00, 0x41]) == nil)
    }

    @Test func emptyHeaderIsOneOctet() throws {
        let (header, length) = try #require(UserDataHeader.parse([0x00, 0x41]))
        #expect(header.elements.isEmpty)
        #expect(length == 1)
        #expect(header.concatenation == nil)
        #expect(header.bytes == [0x00])
    }

    @Test func ignoresConcatenationElementOfWrongLength() throws {
        let (header, _) = try #require(UserDataHeader.parse([0x04, 0x00, 0x02, 0x01, 0x02]))
        #expect(header.concatenation == nil)
    }

    @Test func lastConcatenationElementWins() throws {
        let (header, _) = try #require(UserDataHeader.parse([0x0B, 0x00, 0x03, 0x01, 0x02, 0x01, 0x08, 0x04, 0x00, 0x09, 0x03, 0x02]))
        let concatenation = try #require(header.concatenation)
        #expect(concatenation.reference == 9)
        #expect(concatenation.is16Bit)
        #expect(concatenation.sequence == 2)
    }

    @Test func parsesFromAnyCollection() throws {
        let message: [UInt8] = [0xFF, 0xFF, 0x05, 0x00, 0x03, 0x07, 0x02, 0x02, 0x41]
        let (header, length) = try #require(UserDataHeader.parse(message[2...]))
        #expect(length == 6)
        #expect(header.concatenation?.reference == 7)
    }

    @Test func randomInputNeverCrashes() {
        var state: UInt64 = 0xC0FFEE
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<5_000 {
            let count = Int(next() % 40)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: next() % 4 == 0 ? next() % 8 : next()) }
            if let parsed = UserDataHeader.parse(bytes) {
                #expect(parsed.headerLength <= bytes.count)
                #expect(parsed.header.bytes == Array(bytes[..<parsed.headerLength]))
            }
            _ = ConcatenationInfo.detect(
                esmClass: 0x40, shortMessage: bytes, sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil
            )
        }
    }
}
