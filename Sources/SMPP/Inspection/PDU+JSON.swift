extension PDU {
    /// The PDU as `tandem decode` prints it: `command`, `command_id`, `command_status`,
    /// `sequence_number`, every mandatory field under its SMPP 3.4 spec name in wire order
    /// (C-octet strings as strings, octet strings as lowercase hex), `tlvs` (each with `tag`,
    /// `name` where known, `value` decoded where typed, `hex`), and for short messages `text`
    /// (decoded per data_coding, UDH stripped) and `udh` when present.
    ///
    /// A response sent without its body shows only the header members.
    public func json(defaultAlphabet: DefaultAlphabet = .gsm7Unpacked) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("command", .string(commandID.specName)),
            ("command_id", .int(Int64(commandID.rawValue))),
            ("command_status", .int(Int64(commandStatus.rawValue))),
            ("sequence_number", .int(Int64(sequenceNumber))),
        ]
        if let name = commandStatus.specName, commandStatus != .ok {
            members.append(("command_status_name", .string(name)))
        }
        var fields = FieldWriter(defaultAlphabet: defaultAlphabet)
        fields.body(body)
        members += fields.members
        return .object(members)
    }
}

private struct FieldWriter {
    let defaultAlphabet: DefaultAlphabet
    var members: [(String, JSONValue)] = []

    mutating func int(_ name: String, _ value: some BinaryInteger) { members.append((name, .int(Int64(value)))) }
    mutating func str(_ name: String, _ value: String) { members.append((name, .string(value))) }

    mutating func tlvs(_ tlvs: TLVList) {
        members.append(("tlvs", .array(tlvs.map(Self.tlvJSON))))
    }

    static func tlvJSON(_ tlv: TLV) -> JSONValue {
        var member: [(String, JSONValue)] = [("tag", .int(Int64(tlv.tag.rawValue)))]
        if let name = tlv.tag.specName { member.append(("name", .string(name))) }
        switch tlv.typedValue {
        case .empty?: member.append(("value", .null))
        case .integer(let value)?: member.append(("value", .int(Int64(value))))
        case .string(let value)?: member.append(("value", .string(value)))
        case .octets(let value)?: member.append(("value", .string(Hex.string(value))))
        case .networkErrorCode(let code)?:
            member.append(("value", .object([("network_type", .int(Int64(code.networkType))),
                                             ("error_code", .int(Int64(code.errorCode)))])))
        case nil: break
        }
        member.append(("hex", .string(Hex.string(tlv.value))))
        return .object(member)
    }

    mutating func body(_ body: PDUBody) {
        switch body {
        case .bind(_, let bind):
            str("system_id", bind.systemID)
            str("password", bind.password)
            str("system_type", bind.systemType)
            int("interface_version", bind.interfaceVersion)
            int("addr_ton", bind.addrTON)
            int("addr_npi", bind.addrNPI)
            str("address_range", bind.addressRange)
        case .bindResp(_, let resp?):
            str("system_id", resp.systemID)
            tlvs(resp.tlvs)
        case .outbind(let outbind):
            str("system_id", outbind.systemID)
            str("password", outbind.password)
        case .submitSM(let pdu): shortMessage(pdu)
        case .deliverSM(let pdu): shortMessage(pdu)
        case .submitSMResp(let resp?), .deliverSMResp(let resp?), .dataSMResp(let resp?):
            str("message_id", resp.messageID)
            tlvs(resp.tlvs)
        case .submitMulti(let pdu):
            str("service_type", pdu.serviceType)
            int("source_addr_ton", pdu.sourceAddrTON)
            int("source_addr_npi", pdu.sourceAddrNPI)
            str("source_addr", pdu.sourceAddr)
            int("number_of_dests", pdu.destAddresses.count)
            members.append(("dest_address", .array(pdu.destAddresses.map { destination in
                switch destination {
                case .smeAddress(let ton, let npi, let address):
                    return .object([("dest_flag", .int(1)), ("dest_addr_ton", .int(Int64(ton))),
                                    ("dest_addr_npi", .int(Int64(npi))), ("destination_addr", .string(address))])
                case .distributionList(let name):
                    return .object([("dest_flag", .int(2)), ("dl_name", .string(name))])
                }
            })))
            int("esm_class", pdu.esmClass)
            int("protocol_id", pdu.protocolID)
            int("priority_flag", pdu.priorityFlag)
            str("schedule_delivery_time", pdu.scheduleDeliveryTime)
            str("validity_period", pdu.validityPeriod)
            int("registered_delivery", pdu.registeredDelivery)
            int("replace_if_present_flag", pdu.replaceIfPresentFlag)
            int("data_coding", pdu.dataCoding)
            int("sm_default_msg_id", pdu.smDefaultMsgID)
            userData(pdu.shortMessage, esmClass: pdu.esmClass, dataCoding: pdu.dataCoding, tlvs: pdu.tlvs)
        case .submitMultiResp(let resp?):
            str("message_id", resp.messageID)
            int("no_unsuccess", resp.unsuccessSMEs.count)
            members.append(("unsuccess_sme", .array(resp.unsuccessSMEs.map {
                .object([("dest_addr_ton", .int(Int64($0.destAddrTON))), ("dest_addr_npi", .int(Int64($0.destAddrNPI))),
                         ("destination_addr", .string($0.destinationAddr)),
                         ("error_status_code", .int(Int64($0.errorStatusCode.rawValue)))])
            })))
            tlvs(resp.tlvs)
        case .dataSM(let pdu):
            str("service_type", pdu.serviceType)
            int("source_addr_ton", pdu.sourceAddrTON)
            int("source_addr_npi", pdu.sourceAddrNPI)
            str("source_addr", pdu.sourceAddr)
            int("dest_addr_ton", pdu.destAddrTON)
            int("dest_addr_npi", pdu.destAddrNPI)
            str("destination_addr", pdu.destinationAddr)
            int("esm_class", pdu.esmClass)
            int("registered_delivery", pdu.registeredDelivery)
            int("data_coding", pdu.dataCoding)
            tlvs(pdu.tlvs)
            text(of: pdu.tlvs.messagePayload, esmClass: pdu.esmClass, dataCoding: pdu.dataCoding)
        case .querySM(let pdu):
            str("message_id", pdu.messageID)
            int("source_addr_ton", pdu.sourceAddrTON)
            int("source_addr_npi", pdu.sourceAddrNPI)
            str("source_addr", pdu.sourceAddr)
        case .querySMResp(let resp?):
            str("message_id", resp.messageID)
            str("final_date", resp.finalDate)
            int("message_state", resp.messageState)
            int("error_code", resp.errorCode)
            tlvs(resp.tlvs)
        case .cancelSM(let pdu):
            str("service_type", pdu.serviceType)
            str("message_id", pdu.messageID)
            int("source_addr_ton", pdu.sourceAddrTON)
            int("source_addr_npi", pdu.sourceAddrNPI)
            str("source_addr", pdu.sourceAddr)
            int("dest_addr_ton", pdu.destAddrTON)
            int("dest_addr_npi", pdu.destAddrNPI)
            str("destination_addr", pdu.destinationAddr)
        case .replaceSM(let pdu):
            str("message_id", pdu.messageID)
            int("source_addr_ton", pdu.sourceAddrTON)
            int("source_addr_npi", pdu.sourceAddrNPI)
            str("source_addr", pdu.sourceAddr)
            str("schedule_delivery_time", pdu.scheduleDeliveryTime)
            str("validity_period", pdu.validityPeriod)
            int("registered_delivery", pdu.registeredDelivery)
            int("sm_default_msg_id", pdu.smDefaultMsgID)
            int("sm_length", pdu.shortMessage.count)
            str("short_message", Hex.string(pdu.shortMessage))
            text(of: pdu.shortMessage, esmClass: 0, dataCoding: 0)
        case .alertNotification(let pdu):
            int("source_addr_ton", pdu.sourceAddrTON)
            int("source_addr_npi", pdu.sourceAddrNPI)
            str("source_addr", pdu.sourceAddr)
            int("esme_addr_ton", pdu.esmeAddrTON)
            int("esme_addr_npi", pdu.esmeAddrNPI)
            str("esme_addr", pdu.esmeAddr)
            tlvs(pdu.tlvs)
        case .bindResp(_, nil), .submitSMResp(nil), .deliverSMResp(nil), .dataSMResp(nil),
             .submitMultiResp(nil), .querySMResp(nil), .unbind, .unbindResp, .genericNack,
             .enquireLink, .enquireLinkResp, .cancelSMResp, .replaceSMResp:
            break
        }
    }

    mutating func shortMessage<M: ShortMessagePDU>(_ pdu: M) {
        defer {
            if let receipt = pdu.deliveryReceipt { members.append(("receipt", receiptJSON(receipt))) }
        }
        str("service_type", pdu.serviceType)
        int("source_addr_ton", pdu.sourceAddrTON)
        int("source_addr_npi", pdu.sourceAddrNPI)
        str("source_addr", pdu.sourceAddr)
        int("dest_addr_ton", pdu.destAddrTON)
        int("dest_addr_npi", pdu.destAddrNPI)
        str("destination_addr", pdu.destinationAddr)
        int("esm_class", pdu.esmClass)
        int("protocol_id", pdu.protocolID)
        int("priority_flag", pdu.priorityFlag)
        str("schedule_delivery_time", pdu.scheduleDeliveryTime)
        str("validity_period", pdu.validityPeriod)
        int("registered_delivery", pdu.registeredDelivery)
        int("replace_if_present_flag", pdu.replaceIfPresentFlag)
        int("data_coding", pdu.dataCoding)
        int("sm_default_msg_id", pdu.smDefaultMsgID)
        userData(pdu.shortMessage, esmClass: pdu.esmClass, dataCoding: pdu.dataCoding, tlvs: pdu.tlvs)
    }

    func receiptJSON(_ receipt: DeliveryReceipt) -> JSONValue {
        var fields: [(String, JSONValue)] = [("id", .string(receipt.messageID))]
        fields.append(("normalized_id", .string(MessageIDMatching.normalized(receipt.messageID))))
        fields.append(("state", receipt.state.map { .string($0.specName) } ?? .null))
        if let stat = receipt.statText { fields.append(("stat", .string(stat))) }
        if let value = receipt.submitted { fields.append(("sub", .int(Int64(value)))) }
        if let value = receipt.delivered { fields.append(("dlvrd", .int(Int64(value)))) }
        if let value = receipt.submitDate { fields.append(("submit_date", .string(value))) }
        if let value = receipt.doneDate { fields.append(("done_date", .string(value))) }
        if let value = receipt.errorCode { fields.append(("err", .string(value))) }
        if let code = receipt.networkErrorCode {
            fields.append(("network_error_code", .object([("network_type", .int(Int64(code.networkType))),
                                                          ("error_code", .int(Int64(code.errorCode)))])))
        }
        if let value = receipt.text { fields.append(("text", .string(value))) }
        return .object(fields)
    }

    mutating func userData(_ shortMessage: [UInt8], esmClass: UInt8, dataCoding: UInt8, tlvs: TLVList) {
        int("sm_length", shortMessage.count)
        str("short_message", Hex.string(shortMessage))
        self.tlvs(tlvs)
        text(of: tlvs.messagePayload ?? shortMessage, esmClass: esmClass, dataCoding: dataCoding)
    }

    /// `udh` (when esm_class has UDHI) and `text` (when the data coding is text).
    mutating func text(of userData: [UInt8]?, esmClass: UInt8, dataCoding: UInt8) {
        guard let userData else { return }
        var payload = userData[...]
        var udhLength = 0
        if esmClass & 0x40 != 0, let (header, length) = UserDataHeader.parse(userData) {
            members.append(("udh", .object([
                ("hex", .string(Hex.string(userData.prefix(length)))),
                ("elements", .array(header.elements.map {
                    .object([("iei", .int(Int64($0.identifier))), ("hex", .string(Hex.string($0.data)))])
                })),
            ])))
            payload = userData.dropFirst(length)
            udhLength = length
        }
        if let text = ShortMessageText.decode(payload, dataCoding: dataCoding, defaultAlphabet: defaultAlphabet,
                                              udhLength: udhLength) {
            str("text", text)
        }
    }
}
