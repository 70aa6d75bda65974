import NIOCore
import NIOTestUtils
import Testing
@testable import SMPP

@Suite struct SMPPFrameDecoderTests {
    @Test func framesPDUsWhateverTheTCPSegmentation() throws {
        let enquire = try PDU(.enquireLink, sequenceNumber: 1).encoded()
        var submit = SubmitSM()
        submit.sourceAddr = "123"
        submit.destinationAddr = "456"
        submit.shortMessage = Array("hello".utf8)
        let submitBytes = try PDU(.submitSM(submit), sequenceNumber: 2).encoded()
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (ByteBuffer(bytes: enquire + submitBytes), [ByteBuffer(bytes: enquire), ByteBuffer(bytes: submitBytes)]),
            ],
            decoderFactory: { SMPPFrameDecoder() }
        )
    }

    @Test func commandLengthOutOfBoundsIsAFramingError() throws {
        var decoder = SMPPFrameDecoder(maxCommandLength: 1000)
        var tooShort = ByteBuffer(bytes: [0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 3])
        #expect(throws: SMPPDecodingError.self) { try decoder.decode(buffer: &tooShort) }
        var tooLong = ByteBuffer(bytes: [0, 0, 0x10, 0, 0, 0, 0, 4])
        do {
            _ = try decoder.decode(buffer: &tooLong)
            Issue.record("expected a framing error")
        } catch let error as SMPPDecodingError {
            #expect(error.isFramingError)
            #expect(error.commandStatus == .invalidCommandLength)
        }
    }

    @Test func waitsForTheRestOfAPartialFrame() throws {
        var decoder = SMPPFrameDecoder()
        var partial = ByteBuffer(bytes: [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0])
        #expect(try decoder.decode(buffer: &partial) == nil)
        #expect(partial.readableBytes == 10)
    }
}
