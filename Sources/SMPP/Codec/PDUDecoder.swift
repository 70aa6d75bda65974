import NIOCore

/// Decodes one complete SMPP 3.4 PDU (header and body) into a typed ``PDU``.
///
/// Validation (SMPP 3.4 sections 3.1, 3.2, 4 and 5):
/// - `command_length` ≥ 16, ≤ ``maxCommandLength`` and equal to the octets given;
/// - every C-octet string NUL-terminated within its field's maximum (which counts the NUL);
/// - `sm_length` ≤ 254 and within the PDU;
/// - every TLV header complete and every TLV value within the PDU;
/// - bodyless PDUs (enquire_link, unbind, generic_nack, …) carry no body.
/// Failures are ``SMPPDecodingError``s; arbitrary input never traps and the work is linear in
/// the input.
public struct PDUDecoder: Sendable {
    /// Octets a PDU may occupy. The default fits a full 64 KiB `message_payload` and headers.
    public var maxCommandLength: Int

    public static let defaultMaxCommandLength = 70_000

    public init(maxCommandLength: Int = PDUDecoder.defaultMaxCommandLength) {
        self.maxCommandLength = maxCommandLength
    }

    /// Decodes `bytes`, which must hold exactly one PDU.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(SMPPDecodingError) -> PDU {
        var reader = WireReader(bytes)
        return try decode(&reader)
    }

    public func decode(_ bytes: [UInt8]) throws(SMPPDecodingError) -> PDU {
        do {
            return try bytes.withUnsafeBytes { raw in
                var reader = WireReader(raw)
                return try decode(&reader)
            }
        } catch {
            // The closure throws nothing else; the fallback only keeps this total.
            throw (error as? SMPPDecodingError)
                ?? SMPPDecodingError(.truncatedField, field: "pdu", offset: 0, detail: "\(error)")
        }
    }

    /// Decodes the readable octets of `buffer`, which must hold exactly one PDU.
    public func decode(_ buffer: ByteBuffer) throws(SMPPDecodingError) -> PDU {
        do {
            return try buffer.withUnsafeReadableBytes { raw in
                var reader = WireReader(raw)
                return try decode(&reader)
            }
        } catch {
            // The closure throws nothing else; the fallback only keeps this total.
            throw (error as? SMPPDecodingError)
                ?? SMPPDecodingError(.truncatedField, field: "pdu", offset: 0, detail: "\(error)")
        }
    }

    func decode(_ reader: inout WireReader) throws(SMPPDecodingError) -> PDU {
        guard reader.count >= 16 else {
            throw SMPPDecodingError(.invalidCommandLength, field: "command_length", offset: 0,
                                    detail: "a PDU needs 16 header octets, got \(reader.count)")
        }
        let commandLength = Int(reader.peekUInt32(at: 0))
        guard commandLength >= 16, commandLength <= maxCommandLength else {
            throw SMPPDecodingError(.invalidCommandLength, field: "command_length", offset: 0,
                                    detail: "command_length \(commandLength) is outside 16...\(maxCommandLength)")
        }
        guard commandLength == reader.count else {
            throw SMPPDecodingError(.invalidCommandLength, field: "command_length", offset: 0,
                                    detail: "command_length \(commandLength) but the PDU has \(reader.count) octets")
        }
        reader.offset = 4
        let rawCommandID = try reader.uint32("command_id")
        let status = try reader.uint32("command_status")
        let sequence = try reader.uint32("sequence_number")
        reader.commandID = rawCommandID
        reader.sequenceNumber = sequence
        guard let commandID = CommandID(rawValue: rawCommandID) else {
            throw reader.error(.unknownCommandID, field: "command_id", at: 4,
                               detail: "unknown command_id 0x\(String(rawCommandID, radix: 16))")
        }
        let body = try Self.decodeBody(commandID, &reader)
        return PDU(body, sequenceNumber: sequence, commandStatus: CommandStatus(status))
    }

    static func decodeBody(_ commandID: CommandID, _ r: inout WireReader) throws(SMPPDecodingError) -> PDUBody {
        switch commandID {
        case .bindTransmitter: return .bind(.transmitter, try decodeBind(&r))
        case .bindReceiver: return .bind(.receiver, try decodeBind(&r))
        case .bindTransceiver: return .bind(.transceiver, try decodeBind(&r))
        case .bindTransmitterResp: return .bindResp(.transmitter, try decodeBindResp(&r))
        case .bindReceiverResp: return .bindResp(.receiver, try decodeBindResp(&r))
        case .bindTransceiverResp: return .bindResp(.transceiver, try decodeBindResp(&r))
        case .outbind:
            let systemID = try r.cString("system_id", max: 16)
            let password = try r.cString("password", max: 9)
            try r.expectEnd()
            return .outbind(Outbind(systemID: systemID, password: password))
        case .unbind: try r.expectEnd(); return .unbind
        case .unbindResp: try r.expectEnd(); return .unbindResp
        case .genericNack: try r.expectEnd(); return .genericNack
        case .enquireLink: try r.expectEnd(); return .enquireLink
        case .enquireLinkResp: try r.expectEnd(); return .enquireLinkResp
        case .cancelSMResp: try r.expectEnd(); return .cancelSMResp
        case .replaceSMResp: try r.expectEnd(); return .replaceSMResp
        case .submitSM: return .submitSM(try decodeShortMessage(&r))
        case .deliverSM: return .deliverSM(try decodeShortMessage(&r))
        case .submitSMResp: return .submitSMResp(try decodeMessageIDResp(&r))
        case .deliverSMResp: return .deliverSMResp(try decodeMessageIDResp(&r))
        case .dataSMResp: return .dataSMResp(try decodeMessageIDResp(&r))
        case .submitMulti: return .submitMulti(try decodeSubmitMulti(&r))
        case .submitMultiResp:
            if r.isAtEnd { return .submitMultiResp(nil) }
            let messageID = try r.cString("message_id", max: 65)
            let count = try r.uint8("no_unsuccess")
            var failed: [UnsuccessSME] = []
            failed.reserveCapacity(Int(count))
            for _ in 0..<count {
                let ton = try r.uint8("dest_addr_ton")
                let npi = try r.uint8("dest_addr_npi")
                let address = try r.cString("destination_addr", max: 21)
                let code = try r.uint32("error_status_code")
                failed.append(UnsuccessSME(destAddrTON: ton, destAddrNPI: npi, destinationAddr: address,
                                           errorStatusCode: CommandStatus(code)))
            }
            return .submitMultiResp(SubmitMultiResp(messageID: messageID, unsuccessSMEs: failed,
                                                    tlvs: try r.tlvs()))
        case .dataSM:
            var pdu = DataSM()
            pdu.serviceType = try r.cString("service_type", max: 6)
            pdu.sourceAddrTON = try r.uint8("source_addr_ton")
            pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
            pdu.sourceAddr = try r.cString("source_addr", max: 65)
            pdu.destAddrTON = try r.uint8("dest_addr_ton")
            pdu.destAddrNPI = try r.uint8("dest_addr_npi")
            pdu.destinationAddr = try r.cString("destination_addr", max: 65)
            pdu.esmClass = try r.uint8("esm_class")
            pdu.registeredDelivery = try r.uint8("registered_delivery")
            pdu.dataCoding = try r.uint8("data_coding")
            pdu.tlvs = try r.tlvs()
            return .dataSM(pdu)
        case .querySM:
            var pdu = QuerySM()
            pdu.messageID = try r.cString("message_id", max: 65)
            pdu.sourceAddrTON = try r.uint8("source_addr_ton")
            pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
            pdu.sourceAddr = try r.cString("source_addr", max: 21)
            try r.expectEnd()
            return .querySM(pdu)
        case .querySMResp:
            if r.isAtEnd { return .querySMResp(nil) }
            var pdu = QuerySMResp()
            pdu.messageID = try r.cString("message_id", max: 65)
            pdu.finalDate = try r.cString("final_date", max: 17)
            pdu.messageState = try r.uint8("message_state")
            pdu.errorCode = try r.uint8("error_code")
            pdu.tlvs = try r.tlvs()
            return .querySMResp(pdu)
        case .cancelSM:
            var pdu = CancelSM()
            pdu.serviceType = try r.cString("service_type", max: 6)
            pdu.messageID = try r.cString("message_id", max: 65)
            pdu.sourceAddrTON = try r.uint8("source_addr_ton")
            pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
            pdu.sourceAddr = try r.cString("source_addr", max: 21)
            pdu.destAddrTON = try r.uint8("dest_addr_ton")
            pdu.destAddrNPI = try r.uint8("dest_addr_npi")
            pdu.destinationAddr = try r.cString("destination_addr", max: 21)
            try r.expectEnd()
            return .cancelSM(pdu)
        case .replaceSM:
            var pdu = ReplaceSM()
            pdu.messageID = try r.cString("message_id", max: 65)
            pdu.sourceAddrTON = try r.uint8("source_addr_ton")
            pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
            pdu.sourceAddr = try r.cString("source_addr", max: 21)
            pdu.scheduleDeliveryTime = try r.cString("schedule_delivery_time", max: 17)
            pdu.validityPeriod = try r.cString("validity_period", max: 17)
            pdu.registeredDelivery = try r.uint8("registered_delivery")
            pdu.smDefaultMsgID = try r.uint8("sm_default_msg_id")
            pdu.shortMessage = try r.shortMessage()
            try r.expectEnd()
            return .replaceSM(pdu)
        case .alertNotification:
            var pdu = AlertNotification()
            pdu.sourceAddrTON = try r.uint8("source_addr_ton")
            pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
            pdu.sourceAddr = try r.cString("source_addr", max: 65)
            pdu.esmeAddrTON = try r.uint8("esme_addr_ton")
            pdu.esmeAddrNPI = try r.uint8("esme_addr_npi")
            pdu.esmeAddr = try r.cString("esme_addr", max: 65)
            pdu.tlvs = try r.tlvs()
            return .alertNotification(pdu)
        }
    }

    static func decodeBind(_ r: inout WireReader) throws(SMPPDecodingError) -> Bind {
        let systemID = try r.cString("system_id", max: 16)
        let password = try r.cString("password", max: 9)
        let systemType = try r.cString("system_type", max: 13)
        let version = try r.uint8("interface_version")
        let ton = try r.uint8("addr_ton")
        let npi = try r.uint8("addr_npi")
        let range = try r.cString("address_range", max: 41)
        try r.expectEnd()
        return Bind(systemID: systemID, password: password, systemType: systemType,
                    interfaceVersion: version, addrTON: ton, addrNPI: npi, addressRange: range)
    }

    static func decodeBindResp(_ r: inout WireReader) throws(SMPPDecodingError) -> BindResp? {
        if r.isAtEnd { return nil }
        let systemID = try r.cString("system_id", max: 16)
        return BindResp(systemID: systemID, tlvs: try r.tlvs())
    }

    static func decodeMessageIDResp(_ r: inout WireReader) throws(SMPPDecodingError) -> MessageIDResp? {
        if r.isAtEnd { return nil }
        let messageID = try r.cString("message_id", max: 65)
        return MessageIDResp(messageID: messageID, tlvs: try r.tlvs())
    }

    @inline(__always)
    static func decodeShortMessage<M: ShortMessagePDU>(_ r: inout WireReader) throws(SMPPDecodingError) -> M {
        var pdu = M()
        pdu.serviceType = try r.cString("service_type", max: 6)
        pdu.sourceAddrTON = try r.uint8("source_addr_ton")
        pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
        pdu.sourceAddr = try r.cString("source_addr", max: 21)
        pdu.destAddrTON = try r.uint8("dest_addr_ton")
        pdu.destAddrNPI = try r.uint8("dest_addr_npi")
        pdu.destinationAddr = try r.cString("destination_addr", max: 21)
        pdu.esmClass = try r.uint8("esm_class")
        pdu.protocolID = try r.uint8("protocol_id")
        pdu.priorityFlag = try r.uint8("priority_flag")
        pdu.scheduleDeliveryTime = try r.cString("schedule_delivery_time", max: 17)
        pdu.validityPeriod = try r.cString("validity_period", max: 17)
        pdu.registeredDelivery = try r.uint8("registered_delivery")
        pdu.replaceIfPresentFlag = try r.uint8("replace_if_present_flag")
        pdu.dataCoding = try r.uint8("data_coding")
        pdu.smDefaultMsgID = try r.uint8("sm_default_msg_id")
        pdu.shortMessage = try r.shortMessage()
        pdu.tlvs = try r.tlvs()
        return pdu
    }

    static func decodeSubmitMulti(_ r: inout WireReader) throws(SMPPDecodingError) -> SubmitMulti {
        var pdu = SubmitMulti()
        pdu.serviceType = try r.cString("service_type", max: 6)
        pdu.sourceAddrTON = try r.uint8("source_addr_ton")
        pdu.sourceAddrNPI = try r.uint8("source_addr_npi")
        pdu.sourceAddr = try r.cString("source_addr", max: 21)
        let countOffset = r.offset
        let count = try r.uint8("number_of_dests")
        guard count >= 1, count <= 254 else {
            throw r.error(.invalidNumberOfDestinations, field: "number_of_dests", at: countOffset,
                          detail: "number_of_dests \(count) is outside 1...254")
        }
        pdu.destAddresses.reserveCapacity(Int(count))
        for _ in 0..<count {
            let flagOffset = r.offset
            let flag = try r.uint8("dest_flag")
            switch flag {
            case 1:
                let ton = try r.uint8("dest_addr_ton")
                let npi = try r.uint8("dest_addr_npi")
                let address = try r.cString("destination_addr", max: 21)
                pdu.destAddresses.append(.smeAddress(ton: ton, npi: npi, address: address))
            case 2:
                pdu.destAddresses.append(.distributionList(name: try r.cString("dl_name", max: 21)))
            default:
                throw r.error(.invalidDestinationFlag, field: "dest_flag", at: flagOffset,
                              detail: "dest_flag \(flag) is neither 1 (SME address) nor 2 (distribution list)")
            }
        }
        pdu.esmClass = try r.uint8("esm_class")
        pdu.protocolID = try r.uint8("protocol_id")
        pdu.priorityFlag = try r.uint8("priority_flag")
        pdu.scheduleDeliveryTime = try r.cString("schedule_delivery_time", max: 17)
        pdu.validityPeriod = try r.cString("validity_period", max: 17)
        pdu.registeredDelivery = try r.uint8("registered_delivery")
        pdu.replaceIfPresentFlag = try r.uint8("replace_if_present_flag")
        pdu.dataCoding = try r.uint8("data_coding")
        pdu.smDefaultMsgID = try r.uint8("sm_default_msg_id")
        pdu.shortMessage = try r.shortMessage()
        pdu.tlvs = try r.tlvs()
        return pdu
    }
}

/// A bounds-checked cursor over one PDU's octets. Every read either succeeds or throws a
/// ``SMPPDecodingError`` carrying the field name and offset.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var commandID: UInt32?
    var sequenceNumber: UInt32?

    @inline(__always) init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always) var count: Int { bytes.count }
    @inline(__always) var isAtEnd: Bool { offset >= bytes.count }

    func error(_ kind: SMPPDecodingError.Kind, field: StaticString, at offset: Int, detail: String) -> SMPPDecodingError {
        SMPPDecodingError(kind, field: "\(field)", offset: offset, detail: detail,
                          commandID: commandID, sequenceNumber: sequenceNumber)
    }

    @inline(__always) func peekUInt32(at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    @inline(__always)
    mutating func uint8(_ field: StaticString) throws(SMPPDecodingError) -> UInt8 {
        guard offset < bytes.count else {
            throw error(.truncatedField, field: field, at: offset, detail: "the PDU ends before this 1-octet field")
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    mutating func uint16(_ field: StaticString) throws(SMPPDecodingError) -> UInt16 {
        guard bytes.count - offset >= 2 else {
            throw error(.truncatedField, field: field, at: offset, detail: "the PDU ends before this 2-octet field")
        }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inline(__always)
    mutating func uint32(_ field: StaticString) throws(SMPPDecodingError) -> UInt32 {
        guard bytes.count - offset >= 4 else {
            throw error(.truncatedField, field: field, at: offset, detail: "the PDU ends before this 4-octet field")
        }
        defer { offset += 4 }
        return peekUInt32(at: offset)
    }

    /// A C-octet string of at most `max` octets including its NUL.
    @inline(__always)
    mutating func cString(_ field: StaticString, max: Int) throws(SMPPDecodingError) -> String {
        let start = offset
        let limit = Swift.min(bytes.count, start + max)
        var index = start
        var high: UInt8 = 0
        while index < limit {
            let byte = bytes[index]
            if byte == 0 {
                offset = index + 1
                if index == start { return "" }
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                return high < 0x80 ? String(decoding: text, as: UTF8.self) : WireText.string(from: text)
            }
            high |= byte
            index += 1
        }
        if limit == bytes.count && limit - start < max {
            throw error(.missingNULTerminator, field: field, at: start,
                        detail: "C-octet string has no NUL before the end of the PDU")
        }
        throw error(.cStringTooLong, field: field, at: start,
                    detail: "C-octet string longer than its maximum of \(max) octets including NUL")
    }

    /// `count` octets copied out of the PDU.
    @inline(__always)
    func octets(at start: Int, count: Int) -> [UInt8] {
        if count == 0 { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { target, initialized in
            UnsafeMutableRawBufferPointer(target).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]))
            initialized = count
        }
    }

    /// sm_length (1 octet, ≤ 254) followed by that many octets.
    @inline(__always)
    mutating func shortMessage() throws(SMPPDecodingError) -> [UInt8] {
        let lengthOffset = offset
        let length = Int(try uint8("sm_length"))
        guard length <= 254 else {
            throw error(.invalidMessageLength, field: "sm_length", at: lengthOffset,
                        detail: "sm_length \(length) exceeds the maximum of 254")
        }
        guard bytes.count - offset >= length else {
            throw error(.invalidMessageLength, field: "sm_length", at: lengthOffset,
                        detail: "sm_length \(length) but only \(bytes.count - offset) octets remain")
        }
        defer { offset += length }
        return octets(at: offset, count: length)
    }

    /// TLVs until the end of the PDU (SMPP 3.4 section 3.2.4), validated and then copied in
    /// one piece.
    @inline(__always)
    mutating func tlvs() throws(SMPPDecodingError) -> TLVList {
        if offset >= bytes.count { return TLVList() }
        let first = offset
        while offset < bytes.count {
            let start = offset
            guard bytes.count - offset >= 4 else {
                throw error(.invalidOptionalParameterStream, field: "tlv", at: start,
                            detail: "\(bytes.count - offset) octets left where a 4-octet TLV header should start")
            }
            let tag = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let length = Int(UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3]))
            offset += 4
            guard bytes.count - offset >= length else {
                throw error(.invalidParameterLength, field: "tlv", at: start,
                            detail: "TLV 0x\(String(tag, radix: 16)) length \(length) runs past the PDU (\(bytes.count - offset) octets left)")
            }
            offset += length
        }
        return TLVList(validatedWire: octets(at: first, count: offset - first))
    }

    mutating func expectEnd() throws(SMPPDecodingError) {
        guard offset == bytes.count else {
            throw error(.unexpectedBody, field: "body", at: offset,
                        detail: "\(bytes.count - offset) unexpected octets after the last field")
        }
    }
}
