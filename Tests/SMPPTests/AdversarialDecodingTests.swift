import Testing
@testable import SMPP

/// Malformed input gets a typed error naming the field, the offset and the command_status that
/// answers it — never a trap.
@Suite struct AdversarialDecodingTests {
    static func submitSMBytes(tlvs: TLVList = []) throws -> [UInt8] {
        var submit = SubmitSM()
        submit.sourceAddr = "123"
        submit.destinationAddr = "456"
        submit.shortMessage = Array("abc".utf8)
        submit.tlvs = tlvs
        return try PDU(.submitSM(submit), sequenceNumber: 77).encoded()
    }

    static func withLength(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let length = UInt32(bytes.count)
        bytes[0] = UInt8(length >> 24); bytes[1] = UInt8(length >> 16 & 0xFF)
        bytes[2] = UInt8(length >> 8 & 0xFF); bytes[3] = UInt8(length & 0xFF)
        return bytes
    }

    static func decodeError(_ bytes: [UInt8], max: Int = PDUDecoder.defaultMaxCommandLength) -> SMPPDecodingError? {
        do {
            _ = try PDUDecoder(maxCommandLength: max).decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func zeroCommandLengthIsInvalidCommandLength() throws {
        let error = try #require(Self.decodeError([UInt8](repeating: 0, count: 16)))
        #expect(error.kind == .invalidCommandLength)
        #expect(error.commandStatus == .invalidCommandLength)
        #expect(error.isFramingError)
    }

    @Test func fewerThanSixteenOctetsIsInvalidCommandLength() throws {
        let error = try #require(Self.decodeError([0, 0, 0, 16, 0, 0, 0, 0x15]))
        #expect(error.kind == .invalidCommandLength)
    }

    @Test func commandLengthAboveTheConfiguredMaximumIsRejected() throws {
        let bytes = try Self.submitSMBytes()
        let error = try #require(Self.decodeError(bytes, max: 20))
        #expect(error.kind == .invalidCommandLength)
        #expect(error.field == "command_length")
    }

    @Test func commandLengthThatDisagreesWithTheFrameIsRejected() throws {
        var bytes = try Self.submitSMBytes()
        bytes.append(0)
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .invalidCommandLength)
    }

    @Test func unknownCommandIDAnswersRINVCMDIDWithTheSequenceNumber() throws {
        let bytes: [UInt8] = [0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 42]
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .unknownCommandID)
        #expect(error.commandStatus == .invalidCommandID)
        #expect(error.sequenceNumber == 42)
        #expect(error.offset == 4)
    }

    @Test func missingNULIsReportedAtTheFieldStart() throws {
        // submit_sm whose body ends inside source_addr.
        let bytes = Self.withLength([0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 1, 1, 0x31, 0x32])
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .missingNULTerminator)
        #expect(error.field == "source_addr")
        #expect(error.offset == 19)
        #expect(error.commandStatus == .invalidSourceAddress)
        #expect(error.commandID == CommandID.submitSM.rawValue)
    }

    @Test func overlongCStringIsReportedWithItsFieldStatus() throws {
        // destination_addr of 21 characters + NUL: one octet over its maximum of 21.
        var body: [UInt8] = [0x00, 1, 1, 0x31, 0x00, 1, 1]
        body += [UInt8](repeating: 0x39, count: 21) + [0]
        body += [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let bytes = Self.withLength([0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1] + body)
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .cStringTooLong)
        #expect(error.field == "destination_addr")
        #expect(error.offset == 23)
        #expect(error.commandStatus == .invalidDestinationAddress)
    }

    @Test func smLengthBeyondThePDUIsInvalidMessageLength() throws {
        var bytes = try Self.submitSMBytes()
        // short_message "abc" is the last 3 octets; sm_length is just before it.
        bytes[bytes.count - 4] = 10
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .invalidMessageLength)
        #expect(error.field == "sm_length")
        #expect(error.commandStatus == .invalidMessageLength)
        #expect(error.offset == bytes.count - 4)
    }

    @Test func smLengthAbove254IsInvalidMessageLength() throws {
        var bytes = try Self.submitSMBytes()
        bytes[bytes.count - 4] = 255
        bytes += [UInt8](repeating: 0x41, count: 252)
        let error = try #require(Self.decodeError(Self.withLength(bytes)))
        #expect(error.kind == .invalidMessageLength)
    }

    @Test func tlvOverrunningThePDUIsInvalidParameterLength() throws {
        let bytes = Self.withLength(try Self.submitSMBytes() + [0x04, 0x24, 0x00, 0xFF, 0x41, 0x42])
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .invalidParameterLength)
        #expect(error.commandStatus == .invalidParameterLength)
        #expect(error.offset == bytes.count - 6)
    }

    @Test func truncatedTLVHeaderIsInvalidOptionalParameterStream() throws {
        let bytes = Self.withLength(try Self.submitSMBytes() + [0x04, 0x24])
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .invalidOptionalParameterStream)
        #expect(error.commandStatus == .invalidOptionalParameterStream)
    }

    @Test func bodyOnEnquireLinkIsRejected() throws {
        let error = try #require(Self.decodeError([0, 0, 0, 17, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA]))
        #expect(error.kind == .unexpectedBody)
        #expect(error.offset == 16)
    }

    @Test func truncatedMandatoryOctetIsInvalidCommandLength() throws {
        // bind_transmitter that stops after the password.
        let bytes = Self.withLength([0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1] + Array("sys\0pw\0".utf8))
        let error = try #require(Self.decodeError(bytes))
        #expect(error.kind == .missingNULTerminator || error.kind == .truncatedField)
        #expect(error.field == "system_type")
    }

    @Test func submitMultiWithZeroDestinationsIsRINVNUMDESTS() throws {
        let bytes = Self.withLength([0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0x31, 0, 0])
        let error = try #require(Self.decodeError(bytes))
        #expect(error.commandStatus == .invalidNumberOfDestinations)
    }

    @Test func submitMultiWithUnknownDestFlagIsRINVDESTFLAG() throws {
        let bytes = Self.withLength([0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0x31, 0, 1, 7])
        let error = try #require(Self.decodeError(bytes))
        #expect(error.commandStatus == .invalidDestinationFlag)
    }

    @Test func encoderRefusesFieldsAboveTheirMaximum() {
        var submit = SubmitSM()
        submit.destinationAddr = String(repeating: "9", count: 21)
        #expect(throws: SMPPEncodingError.self) { try PDU(.submitSM(submit), sequenceNumber: 1).encoded() }
        submit.destinationAddr = "1"
        submit.shortMessage = [UInt8](repeating: 0, count: 255)
        #expect(throws: SMPPEncodingError.self) { try PDU(.submitSM(submit), sequenceNumber: 1).encoded() }
    }

    @Test func latin1OctetsInCStringsRoundTrip() throws {
        var submit = SubmitSM()
        submit.sourceAddr = "Café"
        submit.destinationAddr = "1"
        let bytes = try PDU(.submitSM(submit), sequenceNumber: 1).encoded()
        #expect(bytes.contains(0xE9))
        let decoded = try PDUDecoder().decode(bytes)
        #expect(try decoded.encoded() == bytes)
        guard case .submitSM(let again) = decoded.body else { Issue.record("not submit_sm"); return }
        #expect(again.sourceAddr == "Café")
    }
}
