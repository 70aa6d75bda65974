import NIOCore

extension PDU {
    /// Appends this PDU to `buffer` (header with the computed `command_length`, then the body).
    ///
    /// Fails, writing nothing, when a field breaks the spec: a C-octet string above its
    /// maximum (counting the NUL) or holding a character above U+00FF, a short_message above
    /// 254 octets, a TLV value above 65535 octets, or submit_multi with 0 or more than 254
    /// destinations.
    public func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(commandID.rawValue)
        buffer.writeInteger(commandStatus.rawValue)
        buffer.writeInteger(sequenceNumber)
        do throws(SMPPEncodingError) {
            try buffer.smpp_body(body)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start), at: start)
    }

    /// The PDU as octets.
    public func encoded() throws(SMPPEncodingError) -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }
}

extension ByteBuffer {
    @inline(__always)
    mutating func smpp_u8(_ value: UInt8) { self.writeInteger(value) }

    @inline(__always)
    mutating func smpp_cString(_ value: String, field: StaticString, max: Int) throws(SMPPEncodingError) {
        var value = value
        let done = value.withUTF8 { utf8 -> Bool in
            guard utf8.count < max else { return false }
            for byte in utf8 where byte >= 0x80 { return false }
            self.writeBytes(utf8)
            self.writeInteger(UInt8(0))
            return true
        }
        if done { return }
        guard let octets = WireText.octets(value) else {
            throw SMPPEncodingError(field: "\(field)", detail: "a character above U+00FF cannot travel in a C-octet string")
        }
        guard octets.count < max else {
            throw SMPPEncodingError(field: "\(field)",
                                    detail: "\(octets.count) octets exceed the maximum of \(max - 1) (plus NUL)")
        }
        self.writeBytes(octets)
        self.writeInteger(UInt8(0))
    }

    @inline(__always)
    mutating func smpp_shortMessage(_ bytes: [UInt8]) throws(SMPPEncodingError) {
        guard bytes.count <= 254 else {
            throw SMPPEncodingError(field: "short_message",
                                    detail: "\(bytes.count) octets exceed 254; split the message or use message_payload")
        }
        self.writeInteger(UInt8(bytes.count))
        self.writeBytes(bytes)
    }

    @inline(__always)
    mutating func smpp_tlvs(_ tlvs: [TLV]) throws(SMPPEncodingError) {
        for tlv in tlvs {
            guard tlv.value.count <= 0xFFFF else {
                throw SMPPEncodingError(field: tlv.tag.description, detail: "TLV value of \(tlv.value.count) octets exceeds 65535")
            }
            self.writeInteger(tlv.tag.rawValue)
            self.writeInteger(UInt16(tlv.value.count))
            self.writeBytes(tlv.value)
        }
    }

    mutating func smpp_body(_ body: PDUBody) throws(SMPPEncodingError) {
        switch body {
        case .bind(_, let bind):
            try smpp_cString(bind.systemID, field: "system_id", max: 16)
            try smpp_cString(bind.password, field: "password", max: 9)
            try smpp_cString(bind.systemType, field: "system_type", max: 13)
            smpp_u8(bind.interfaceVersion)
            smpp_u8(bind.addrTON)
            smpp_u8(bind.addrNPI)
            try smpp_cString(bind.addressRange, field: "address_range", max: 41)
        case .bindResp(_, let resp):
            guard let resp else { return }
            try smpp_cString(resp.systemID, field: "system_id", max: 16)
            try smpp_tlvs(resp.tlvs)
        case .outbind(let outbind):
            try smpp_cString(outbind.systemID, field: "system_id", max: 16)
            try smpp_cString(outbind.password, field: "password", max: 9)
        case .unbind, .unbindResp, .genericNack, .enquireLink, .enquireLinkResp, .cancelSMResp, .replaceSMResp:
            return
        case .submitSM(let pdu):
            try smpp_shortMessagePDU(pdu)
        case .deliverSM(let pdu):
            try smpp_shortMessagePDU(pdu)
        case .submitSMResp(let resp), .deliverSMResp(let resp), .dataSMResp(let resp):
            guard let resp else { return }
            try smpp_cString(resp.messageID, field: "message_id", max: 65)
            try smpp_tlvs(resp.tlvs)
        case .submitMulti(let pdu):
            try smpp_cString(pdu.serviceType, field: "service_type", max: 6)
            smpp_u8(pdu.sourceAddrTON)
            smpp_u8(pdu.sourceAddrNPI)
            try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 21)
            guard (1...254).contains(pdu.destAddresses.count) else {
                throw SMPPEncodingError(field: "number_of_dests",
                                        detail: "\(pdu.destAddresses.count) destinations; submit_multi takes 1 to 254")
            }
            smpp_u8(UInt8(pdu.destAddresses.count))
            for destination in pdu.destAddresses {
                switch destination {
                case .smeAddress(let ton, let npi, let address):
                    smpp_u8(1)
                    smpp_u8(ton)
                    smpp_u8(npi)
                    try smpp_cString(address, field: "destination_addr", max: 21)
                case .distributionList(let name):
                    smpp_u8(2)
                    try smpp_cString(name, field: "dl_name", max: 21)
                }
            }
            smpp_u8(pdu.esmClass)
            smpp_u8(pdu.protocolID)
            smpp_u8(pdu.priorityFlag)
            try smpp_cString(pdu.scheduleDeliveryTime, field: "schedule_delivery_time", max: 17)
            try smpp_cString(pdu.validityPeriod, field: "validity_period", max: 17)
            smpp_u8(pdu.registeredDelivery)
            smpp_u8(pdu.replaceIfPresentFlag)
            smpp_u8(pdu.dataCoding)
            smpp_u8(pdu.smDefaultMsgID)
            try smpp_shortMessage(pdu.shortMessage)
            try smpp_tlvs(pdu.tlvs)
        case .submitMultiResp(let resp):
            guard let resp else { return }
            try smpp_cString(resp.messageID, field: "message_id", max: 65)
            guard resp.unsuccessSMEs.count <= 254 else {
                throw SMPPEncodingError(field: "no_unsuccess", detail: "\(resp.unsuccessSMEs.count) entries exceed 254")
            }
            smpp_u8(UInt8(resp.unsuccessSMEs.count))
            for sme in resp.unsuccessSMEs {
                smpp_u8(sme.destAddrTON)
                smpp_u8(sme.destAddrNPI)
                try smpp_cString(sme.destinationAddr, field: "destination_addr", max: 21)
                self.writeInteger(sme.errorStatusCode.rawValue)
            }
            try smpp_tlvs(resp.tlvs)
        case .dataSM(let pdu):
            try smpp_cString(pdu.serviceType, field: "service_type", max: 6)
            smpp_u8(pdu.sourceAddrTON)
            smpp_u8(pdu.sourceAddrNPI)
            try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 65)
            smpp_u8(pdu.destAddrTON)
            smpp_u8(pdu.destAddrNPI)
            try smpp_cString(pdu.destinationAddr, field: "destination_addr", max: 65)
            smpp_u8(pdu.esmClass)
            smpp_u8(pdu.registeredDelivery)
            smpp_u8(pdu.dataCoding)
            try smpp_tlvs(pdu.tlvs)
        case .querySM(let pdu):
            try smpp_cString(pdu.messageID, field: "message_id", max: 65)
            smpp_u8(pdu.sourceAddrTON)
            smpp_u8(pdu.sourceAddrNPI)
            try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 21)
        case .querySMResp(let resp):
            guard let resp else { return }
            try smpp_cString(resp.messageID, field: "message_id", max: 65)
            try smpp_cString(resp.finalDate, field: "final_date", max: 17)
            smpp_u8(resp.messageState)
            smpp_u8(resp.errorCode)
            try smpp_tlvs(resp.tlvs)
        case .cancelSM(let pdu):
            try smpp_cString(pdu.serviceType, field: "service_type", max: 6)
            try smpp_cString(pdu.messageID, field: "message_id", max: 65)
            smpp_u8(pdu.sourceAddrTON)
            smpp_u8(pdu.sourceAddrNPI)
            try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 21)
            smpp_u8(pdu.destAddrTON)
            smpp_u8(pdu.destAddrNPI)
            try smpp_cString(pdu.destinationAddr, field: "destination_addr", max: 21)
        case .replaceSM(let pdu):
            try smpp_cString(pdu.messageID, field: "message_id", max: 65)
            smpp_u8(pdu.sourceAddrTON)
            smpp_u8(pdu.sourceAddrNPI)
            try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 21)
            try smpp_cString(pdu.scheduleDeliveryTime, field: "schedule_delivery_time", max: 17)
            try smpp_cString(pdu.validityPeriod, field: "validity_period", max: 17)
            smpp_u8(pdu.registeredDelivery)
            smpp_u8(pdu.smDefaultMsgID)
            try smpp_shortMessage(pdu.shortMessage)
        case .alertNotification(let pdu):
            smpp_u8(pdu.sourceAddrTON)
            smpp_u8(pdu.sourceAddrNPI)
            try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 65)
            smpp_u8(pdu.esmeAddrTON)
            smpp_u8(pdu.esmeAddrNPI)
            try smpp_cString(pdu.esmeAddr, field: "esme_addr", max: 65)
            try smpp_tlvs(pdu.tlvs)
        }
    }

    @inline(__always)
    mutating func smpp_shortMessagePDU<M: ShortMessagePDU>(_ pdu: M) throws(SMPPEncodingError) {
        try smpp_cString(pdu.serviceType, field: "service_type", max: 6)
        smpp_u8(pdu.sourceAddrTON)
        smpp_u8(pdu.sourceAddrNPI)
        try smpp_cString(pdu.sourceAddr, field: "source_addr", max: 21)
        smpp_u8(pdu.destAddrTON)
        smpp_u8(pdu.destAddrNPI)
        try smpp_cString(pdu.destinationAddr, field: "destination_addr", max: 21)
        smpp_u8(pdu.esmClass)
        smpp_u8(pdu.protocolID)
        smpp_u8(pdu.priorityFlag)
        try smpp_cString(pdu.scheduleDeliveryTime, field: "schedule_delivery_time", max: 17)
        try smpp_cString(pdu.validityPeriod, field: "validity_period", max: 17)
        smpp_u8(pdu.registeredDelivery)
        smpp_u8(pdu.replaceIfPresentFlag)
        smpp_u8(pdu.dataCoding)
        smpp_u8(pdu.smDefaultMsgID)
        try smpp_shortMessage(pdu.shortMessage)
        try smpp_tlvs(pdu.tlvs)
    }
}
