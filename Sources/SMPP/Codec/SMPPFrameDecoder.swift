import NIOCore

/// Splits a TCP byte stream into SMPP PDUs by `command_length` (SMPP 3.4 section 3.2).
///
/// Emits each frame's octets unparsed (decode them with ``PDUDecoder``), so that a PDU with a
/// malformed body still has a known extent and the session can answer it and go on. A
/// `command_length` below 16 or above `maxCommandLength` leaves the stream without a next frame
/// boundary: the decoder throws the framing ``SMPPDecodingError`` and the connection must answer
/// `generic_nack` (ESME_RINVCMDLEN) and close.
public struct SMPPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public var maxCommandLength: Int

    public init(maxCommandLength: Int = PDUDecoder.defaultMaxCommandLength) {
        self.maxCommandLength = maxCommandLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= 16, length <= maxCommandLength else {
            throw SMPPDecodingError(.invalidCommandLength, field: "command_length", offset: 0,
                                    detail: "command_length \(length) is outside 16...\(maxCommandLength)",
                                    commandID: buffer.getInteger(at: buffer.readerIndex + 4),
                                    sequenceNumber: buffer.getInteger(at: buffer.readerIndex + 12))
        }
        return buffer.readSlice(length: Int(length))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}
