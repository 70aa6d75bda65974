import NIOCore

extension PDU {
    /// Appends this PDU to `buffer` (header with the computed `command_length`, then the body).
    ///
    /// Fails, writing nothing, when a field breaks the spec: a C-octet string above its
    /// maximum (counting the NUL) or holding a character above U+00FF, a short_message above
    /// 254 octets, a TLV value above 65535 octets, or submit_multi with 0 or more than 254
    /// destinations.
    ///
    /// The PDU is sized first and then written with one reservation and raw stores, so
    /// encoding costs one pass over the fields.
    public func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        let bound = 16 + body.encodedSizeBound
        var failure: SMPPEncodingError?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
            var writer = RawWriter(raw)
            writer.u32(0)
            writer.u32(commandID.rawValue)
            writer.u32(commandStatus.rawValue)
            writer.u32(sequenceNumber)
            do throws(SMPPEncodingError) {
                try writer.body(body)
            } catch {
                failure = error
                return 0
            }
            raw.storeBytes(of: UInt32(writer.offset).bigEndian, toByteOffset: 0, as: UInt32.self)
            return writer.offset
        }
        if let failure { throw failure }
    }

    /// The PDU as octets.
    public func encoded() throws(SMPPEncodingError) -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }
}

extension String {
    /// Octets this string may take on the wire at most (UTF-8 length, which is never less
    /// than its Latin-1 length), plus the NUL.
    @inline(__always) fileprivate var cStringBound: Int { utf8.count + 1 }
}

extension TLVList {
    @inline(__always) fileprivate var encodedSizeBound: Int { wire.count }
}

extension PDUBody {
    /// An upper bound of the body's encoded size.
    fileprivate var encodedSizeBound: Int {
        switch self {
        case .bind(_, let bind):
            return bind.systemID.cStringBound + bind.password.cStringBound + bind.systemType.cStringBound + 3
                + bind.addressRange.cStringBound
        case .bindResp(_, let resp):
            guard let resp else { return 0 }
            return resp.systemID.cStringBound + resp.tlvs.encodedSizeBound
        case .outbind(let outbind):
            return outbind.systemID.cStringBound + outbind.password.cStringBound
        case .unbind, .unbindResp, .genericNack, .enquireLink, .enquireLinkResp, .cancelSMResp, .replaceSMResp:
            return 0
        case .submitSM(let pdu): return Self.shortMessageBound(pdu)
        case .deliverSM(let pdu): return Self.shortMessageBound(pdu)
        case .submitSMResp(let resp), .deliverSMResp(let resp), .dataSMResp(let resp):
            guard let resp else { return 0 }
            return resp.messageID.cStringBound + resp.tlvs.encodedSizeBound
        case .submitMulti(let pdu):
            var size = pdu.serviceType.cStringBound + 2 + pdu.sourceAddr.cStringBound + 1
            for destination in pdu.destAddresses {
                switch destination {
                case .smeAddress(_, _, let address): size += 3 + address.cStringBound
                case .distributionList(let name): size += 1 + name.cStringBound
                }
            }
            return size + 3 + pdu.scheduleDeliveryTime.cStringBound + pdu.validityPeriod.cStringBound + 5
                + pdu.shortMessage.count + pdu.tlvs.encodedSizeBound
        case .submitMultiResp(let resp):
            guard let resp else { return 0 }
            var size = resp.messageID.cStringBound + 1
            for sme in resp.unsuccessSMEs { size += 6 + sme.destinationAddr.cStringBound }
            return size + resp.tlvs.encodedSizeBound
        case .dataSM(let pdu):
            return pdu.serviceType.cStringBound + 2 + pdu.sourceAddr.cStringBound + 2 + pdu.destinationAddr.cStringBound + 3
                + pdu.tlvs.encodedSizeBound
        case .querySM(let pdu):
            return pdu.messageID.cStringBound + 2 + pdu.sourceAddr.cStringBound
        case .querySMResp(let resp):
            guard let resp else { return 0 }
            return resp.messageID.cStringBound + resp.finalDate.cStringBound + 2 + resp.tlvs.encodedSizeBound
        case .cancelSM(let pdu):
            return pdu.serviceType.cStringBound + pdu.messageID.cStringBound + 2 + pdu.sourceAddr.cStringBound + 2
                + pdu.destinationAddr.cStringBound
        case .replaceSM(let pdu):
            return pdu.messageID.cStringBound + 2 + pdu.sourceAddr.cStringBound + pdu.scheduleDeliveryTime.cStringBound
                + pdu.validityPeriod.cStringBound + 3 + pdu.shortMessage.count
        case .alertNotification(let pdu):
            return 2 + pdu.sourceAddr.cStringBound + 2 + pdu.esmeAddr.cStringBound + pdu.tlvs.encodedSizeBound
        }
    }

    @inline(__always)
    private static func shortMessageBound<M: ShortMessagePDU>(_ pdu: M) -> Int {
        pdu.serviceType.cStringBound + 2 + pdu.sourceAddr.cStringBound + 2 + pdu.destinationAddr.cStringBound + 3
            + pdu.scheduleDeliveryTime.cStringBound + pdu.validityPeriod.cStringBound + 5 + pdu.shortMessage.count
            + pdu.tlvs.encodedSizeBound
    }
}

/// Raw big-endian stores into memory already reserved for the whole PDU.
struct RawWriter {
    let base: UnsafeMutableRawBufferPointer
    var offset = 0

    @inline(__always) init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    @inline(__always) mutating func u8(_ value: UInt8) {
        base[offset] = value
        offset += 1
    }

    @inline(__always) mutating func u16(_ value: UInt16) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
        offset += 2
    }

    @inline(__always) mutating func u32(_ value: UInt32) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }

    @inline(__always) mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (base.baseAddress! + offset).copyMemory(from: source, byteCount: bytes.count)
        offset += bytes.count
    }

    @inline(__always) mutating func bytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw($0) }
    }

    /// A C-octet string of at most `max` octets including the NUL (SMPP 3.4 section 3.1).
    @inline(__always)
    mutating func cString(_ value: String, field: StaticString, max: Int) throws(SMPPEncodingError) {
        var value = value
        let written = value.withUTF8 { utf8 -> Bool in
            guard utf8.count < max else { return false }
            var high: UInt8 = 0
            for byte in utf8 { high |= byte }
            guard high < 0x80 else { return false }
            raw(UnsafeRawBufferPointer(utf8))
            return true
        }
        if written {
            u8(0)
            return
        }
        guard let octets = WireText.octets(value) else {
            throw SMPPEncodingError(field: "\(field)", detail: "a character above U+00FF cannot travel in a C-octet string")
        }
        guard octets.count < max else {
            throw SMPPEncodingError(field: "\(field)",
                                    detail: "\(octets.count) octets exceed the maximum of \(max - 1) (plus NUL)")
        }
        bytes(octets)
        u8(0)
    }

    @inline(__always)
    mutating func shortMessage(_ message: [UInt8]) throws(SMPPEncodingError) {
        guard message.count <= 254 else {
            throw SMPPEncodingError(field: "short_message",
                                    detail: "\(message.count) octets exceed 254; split the message or use message_payload")
        }
        u8(UInt8(message.count))
        bytes(message)
    }

    @inline(__always)
    mutating func tlvs(_ tlvs: TLVList) throws(SMPPEncodingError) {
        bytes(tlvs.wire)
    }

    mutating func body(_ body: PDUBody) throws(SMPPEncodingError) {
        switch body {
        case .bind(_, let bind):
            try cString(bind.systemID, field: "system_id", max: 16)
            try cString(bind.password, field: "password", max: 9)
            try cString(bind.systemType, field: "system_type", max: 13)
            u8(bind.interfaceVersion)
            u8(bind.addrTON)
            u8(bind.addrNPI)
            try cString(bind.addressRange, field: "address_range", max: 41)
        case .bindResp(_, let resp):
            guard let resp else { return }
            try cString(resp.systemID, field: "system_id", max: 16)
            try tlvs(resp.tlvs)
        case .outbind(let outbind):
            try cString(outbind.systemID, field: "system_id", max: 16)
            try cString(outbind.password, field: "password", max: 9)
        case .unbind, .unbindResp, .genericNack, .enquireLink, .enquireLinkResp, .cancelSMResp, .replaceSMResp:
            return
        case .submitSM(let pdu):
            try shortMessagePDU(pdu)
        case .deliverSM(let pdu):
            try shortMessagePDU(pdu)
        case .submitSMResp(let resp), .deliverSMResp(let resp), .dataSMResp(let resp):
            guard let resp else { return }
            try cString(resp.messageID, field: "message_id", max: 65)
            try tlvs(resp.tlvs)
        case .submitMulti(let pdu):
            try cString(pdu.serviceType, field: "service_type", max: 6)
            u8(pdu.sourceAddrTON)
            u8(pdu.sourceAddrNPI)
            try cString(pdu.sourceAddr, field: "source_addr", max: 21)
            guard (1...254).contains(pdu.destAddresses.count) else {
                throw SMPPEncodingError(field: "number_of_dests",
                                        detail: "\(pdu.destAddresses.count) destinations; submit_multi takes 1 to 254")
            }
            u8(UInt8(pdu.destAddresses.count))
            for destination in pdu.destAddresses {
                switch destination {
                case .smeAddress(let ton, let npi, let address):
                    u8(1)
                    u8(ton)
                    u8(npi)
                    try cString(address, field: "destination_addr", max: 21)
                case .distributionList(let name):
                    u8(2)
                    try cString(name, field: "dl_name", max: 21)
                }
            }
            u8(pdu.esmClass)
            u8(pdu.protocolID)
            u8(pdu.priorityFlag)
            try cString(pdu.scheduleDeliveryTime, field: "schedule_delivery_time", max: 17)
            try cString(pdu.validityPeriod, field: "validity_period", max: 17)
            u8(pdu.registeredDelivery)
            u8(pdu.replaceIfPresentFlag)
            u8(pdu.dataCoding)
            u8(pdu.smDefaultMsgID)
            try shortMessage(pdu.shortMessage)
            try tlvs(pdu.tlvs)
        case .submitMultiResp(let resp):
            guard let resp else { return }
            try cString(resp.messageID, field: "message_id", max: 65)
            guard resp.unsuccessSMEs.count <= 254 else {
                throw SMPPEncodingError(field: "no_unsuccess", detail: "\(resp.unsuccessSMEs.count) entries exceed 254")
            }
            u8(UInt8(resp.unsuccessSMEs.count))
            for sme in resp.unsuccessSMEs {
                u8(sme.destAddrTON)
                u8(sme.destAddrNPI)
                try cString(sme.destinationAddr, field: "destination_addr", max: 21)
                u32(sme.errorStatusCode.rawValue)
            }
            try tlvs(resp.tlvs)
        case .dataSM(let pdu):
            try cString(pdu.serviceType, field: "service_type", max: 6)
            u8(pdu.sourceAddrTON)
            u8(pdu.sourceAddrNPI)
            try cString(pdu.sourceAddr, field: "source_addr", max: 65)
            u8(pdu.destAddrTON)
            u8(pdu.destAddrNPI)
            try cString(pdu.destinationAddr, field: "destination_addr", max: 65)
            u8(pdu.esmClass)
            u8(pdu.registeredDelivery)
            u8(pdu.dataCoding)
            try tlvs(pdu.tlvs)
        case .querySM(let pdu):
            try cString(pdu.messageID, field: "message_id", max: 65)
            u8(pdu.sourceAddrTON)
            u8(pdu.sourceAddrNPI)
            try cString(pdu.sourceAddr, field: "source_addr", max: 21)
        case .querySMResp(let resp):
            guard let resp else { return }
            try cString(resp.messageID, field: "message_id", max: 65)
            try cString(resp.finalDate, field: "final_date", max: 17)
            u8(resp.messageState)
            u8(resp.errorCode)
            try tlvs(resp.tlvs)
        case .cancelSM(let pdu):
            try cString(pdu.serviceType, field: "service_type", max: 6)
            try cString(pdu.messageID, field: "message_id", max: 65)
            u8(pdu.sourceAddrTON)
            u8(pdu.sourceAddrNPI)
            try cString(pdu.sourceAddr, field: "source_addr", max: 21)
            u8(pdu.destAddrTON)
            u8(pdu.destAddrNPI)
            try cString(pdu.destinationAddr, field: "destination_addr", max: 21)
        case .replaceSM(let pdu):
            try cString(pdu.messageID, field: "message_id", max: 65)
            u8(pdu.sourceAddrTON)
            u8(pdu.sourceAddrNPI)
            try cString(pdu.sourceAddr, field: "source_addr", max: 21)
            try cString(pdu.scheduleDeliveryTime, field: "schedule_delivery_time", max: 17)
            try cString(pdu.validityPeriod, field: "validity_period", max: 17)
            u8(pdu.registeredDelivery)
            u8(pdu.smDefaultMsgID)
            try shortMessage(pdu.shortMessage)
        case .alertNotification(let pdu):
            u8(pdu.sourceAddrTON)
            u8(pdu.sourceAddrNPI)
            try cString(pdu.sourceAddr, field: "source_addr", max: 65)
            u8(pdu.esmeAddrTON)
            u8(pdu.esmeAddrNPI)
            try cString(pdu.esmeAddr, field: "esme_addr", max: 65)
            try tlvs(pdu.tlvs)
        }
    }

    @inline(__always)
    mutating func shortMessagePDU<M: ShortMessagePDU>(_ pdu: M) throws(SMPPEncodingError) {
        try cString(pdu.serviceType, field: "service_type", max: 6)
        u8(pdu.sourceAddrTON)
        u8(pdu.sourceAddrNPI)
        try cString(pdu.sourceAddr, field: "source_addr", max: 21)
        u8(pdu.destAddrTON)
        u8(pdu.destAddrNPI)
        try cString(pdu.destinationAddr, field: "destination_addr", max: 21)
        u8(pdu.esmClass)
        u8(pdu.protocolID)
        u8(pdu.priorityFlag)
        try cString(pdu.scheduleDeliveryTime, field: "schedule_delivery_time", max: 17)
        try cString(pdu.validityPeriod, field: "validity_period", max: 17)
        u8(pdu.registeredDelivery)
        u8(pdu.replaceIfPresentFlag)
        u8(pdu.dataCoding)
        u8(pdu.smDefaultMsgID)
        try shortMessage(pdu.shortMessage)
        try tlvs(pdu.tlvs)
    }
}
