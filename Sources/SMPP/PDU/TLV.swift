/// An optional parameter (TLV) of an SMPP 3.4 PDU (SMPP 3.4 section 5.3).
///
/// The value is kept as the exact octets received, so every TLV — known, vendor-specific or
/// malformed — re-encodes byte for byte. Typed views come from ``TLVTag/format`` and the
/// accessors on `[TLV]` (`tlvs.sarMsgRefNum`, `tlvs.messagePayload`, …), which answer `nil`
/// when the parameter is absent or its length does not match the spec.
public struct TLV: Hashable, Sendable {
    public var tag: TLVTag
    public var value: [UInt8]

    @inlinable public init(tag: TLVTag, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    public static func uint8(_ tag: TLVTag, _ value: UInt8) -> TLV { TLV(tag: tag, value: [value]) }
    public static func uint16(_ tag: TLVTag, _ value: UInt16) -> TLV {
        TLV(tag: tag, value: [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)])
    }
    public static func uint32(_ tag: TLVTag, _ value: UInt32) -> TLV {
        TLV(tag: tag, value: [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                              UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)])
    }
    /// A C-octet string value: the text's octets followed by NUL.
    public static func cString(_ tag: TLVTag, _ value: String) -> TLV {
        TLV(tag: tag, value: Array(value.utf8) + [0])
    }
    public static func networkErrorCode(_ code: NetworkErrorCode) -> TLV {
        TLV(tag: .networkErrorCode, value: [code.networkType, UInt8(code.errorCode >> 8),
                                            UInt8(truncatingIfNeeded: code.errorCode)])
    }

    /// The value decoded per the tag's spec format; `nil` for unknown tags or when the length
    /// does not fit the format.
    public var typedValue: TLVValue? {
        guard let format = tag.format else { return nil }
        return format.decode(value)
    }
}

/// A decoded TLV value.
public enum TLVValue: Hashable, Sendable {
    case empty
    case integer(UInt32)
    case string(String)
    case octets([UInt8])
    case networkErrorCode(NetworkErrorCode)
}

/// The wire format of a standard TLV's value (SMPP 3.4 section 5.3.2).
public enum TLVFormat: Hashable, Sendable {
    case empty
    case uint8
    case uint16
    case uint32
    /// NUL-terminated, at most `maxLength` octets including the NUL.
    case cString(maxLength: Int)
    case octets(minLength: Int, maxLength: Int)
    /// network_error_code: network type (1 octet) + error code (2 octets).
    case networkErrorCode

    func decode(_ value: [UInt8]) -> TLVValue? {
        switch self {
        case .empty:
            return value.isEmpty ? .empty : nil
        case .uint8:
            return value.count == 1 ? .integer(UInt32(value[0])) : nil
        case .uint16:
            return value.count == 2 ? .integer(UInt32(value[0]) << 8 | UInt32(value[1])) : nil
        case .uint32:
            guard value.count == 4 else { return nil }
            return .integer(UInt32(value[0]) << 24 | UInt32(value[1]) << 16 | UInt32(value[2]) << 8 | UInt32(value[3]))
        case .cString(let maxLength):
            guard let nul = value.firstIndex(of: 0), nul == value.count - 1, value.count <= maxLength else {
                return nil
            }
            return .string(WireText.string(from: value[..<nul]))
        case .octets(let minLength, let maxLength):
            return (minLength...maxLength).contains(value.count) ? .octets(value) : nil
        case .networkErrorCode:
            guard value.count == 3 else { return nil }
            return .networkErrorCode(NetworkErrorCode(networkType: value[0],
                                                      errorCode: UInt16(value[1]) << 8 | UInt16(value[2])))
        }
    }
}

/// A TLV tag. Known SMPP 3.4 tags are static members; any other value is kept as is.
public struct TLVTag: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let destAddrSubunit = TLVTag(0x0005)
    public static let destNetworkType = TLVTag(0x0006)
    public static let destBearerType = TLVTag(0x0007)
    public static let destTelematicsID = TLVTag(0x0008)
    public static let sourceAddrSubunit = TLVTag(0x000D)
    public static let sourceNetworkType = TLVTag(0x000E)
    public static let sourceBearerType = TLVTag(0x000F)
    public static let sourceTelematicsID = TLVTag(0x0010)
    public static let qosTimeToLive = TLVTag(0x0017)
    public static let payloadType = TLVTag(0x0019)
    public static let additionalStatusInfoText = TLVTag(0x001D)
    public static let receiptedMessageID = TLVTag(0x001E)
    public static let msMsgWaitFacilities = TLVTag(0x0030)
    public static let privacyIndicator = TLVTag(0x0201)
    public static let sourceSubaddress = TLVTag(0x0202)
    public static let destSubaddress = TLVTag(0x0203)
    public static let userMessageReference = TLVTag(0x0204)
    public static let userResponseCode = TLVTag(0x0205)
    public static let sourcePort = TLVTag(0x020A)
    public static let destinationPort = TLVTag(0x020B)
    public static let sarMsgRefNum = TLVTag(0x020C)
    public static let languageIndicator = TLVTag(0x020D)
    public static let sarTotalSegments = TLVTag(0x020E)
    public static let sarSegmentSeqnum = TLVTag(0x020F)
    public static let scInterfaceVersion = TLVTag(0x0210)
    public static let callbackNumPresInd = TLVTag(0x0302)
    public static let callbackNumAtag = TLVTag(0x0303)
    public static let numberOfMessages = TLVTag(0x0304)
    public static let callbackNum = TLVTag(0x0381)
    public static let dpfResult = TLVTag(0x0420)
    public static let setDpf = TLVTag(0x0421)
    public static let msAvailabilityStatus = TLVTag(0x0422)
    public static let networkErrorCode = TLVTag(0x0423)
    public static let messagePayload = TLVTag(0x0424)
    public static let deliveryFailureReason = TLVTag(0x0425)
    public static let moreMessagesToSend = TLVTag(0x0426)
    public static let messageState = TLVTag(0x0427)
    public static let ussdServiceOp = TLVTag(0x0501)
    public static let displayTime = TLVTag(0x1201)
    public static let smsSignal = TLVTag(0x1203)
    public static let msValidity = TLVTag(0x1204)
    public static let alertOnMessageDelivery = TLVTag(0x130C)
    public static let itsReplyType = TLVTag(0x1380)
    public static let itsSessionInfo = TLVTag(0x1383)

    /// The spec name (`sar_msg_ref_num`), or `nil` for tags SMPP 3.4 does not define.
    public var specName: String? { Self.known[rawValue]?.name }
    /// The spec's value format, or `nil` for unknown tags.
    public var format: TLVFormat? { Self.known[rawValue]?.format }

    public var description: String {
        specName ?? "0x" + String(rawValue, radix: 16, uppercase: true)
    }

    /// SMPP 3.4 section 5.3.2: name and value format of every standard optional parameter.
    static let known: [UInt16: (name: String, format: TLVFormat)] = [
        0x0005: ("dest_addr_subunit", .uint8),
        0x0006: ("dest_network_type", .uint8),
        0x0007: ("dest_bearer_type", .uint8),
        0x0008: ("dest_telematics_id", .uint16),
        0x000D: ("source_addr_subunit", .uint8),
        0x000E: ("source_network_type", .uint8),
        0x000F: ("source_bearer_type", .uint8),
        0x0010: ("source_telematics_id", .uint8),
        0x0017: ("qos_time_to_live", .uint32),
        0x0019: ("payload_type", .uint8),
        0x001D: ("additional_status_info_text", .cString(maxLength: 256)),
        0x001E: ("receipted_message_id", .cString(maxLength: 65)),
        0x0030: ("ms_msg_wait_facilities", .uint8),
        0x0201: ("privacy_indicator", .uint8),
        0x0202: ("source_subaddress", .octets(minLength: 2, maxLength: 23)),
        0x0203: ("dest_subaddress", .octets(minLength: 2, maxLength: 23)),
        0x0204: ("user_message_reference", .uint16),
        0x0205: ("user_response_code", .uint8),
        0x020A: ("source_port", .uint16),
        0x020B: ("destination_port", .uint16),
        0x020C: ("sar_msg_ref_num", .uint16),
        0x020D: ("language_indicator", .uint8),
        0x020E: ("sar_total_segments", .uint8),
        0x020F: ("sar_segment_seqnum", .uint8),
        0x0210: ("sc_interface_version", .uint8),
        0x0302: ("callback_num_pres_ind", .uint8),
        0x0303: ("callback_num_atag", .octets(minLength: 0, maxLength: 65)),
        0x0304: ("number_of_messages", .uint8),
        0x0381: ("callback_num", .octets(minLength: 4, maxLength: 19)),
        0x0420: ("dpf_result", .uint8),
        0x0421: ("set_dpf", .uint8),
        0x0422: ("ms_availability_status", .uint8),
        0x0423: ("network_error_code", .networkErrorCode),
        0x0424: ("message_payload", .octets(minLength: 0, maxLength: 65535)),
        0x0425: ("delivery_failure_reason", .uint8),
        0x0426: ("more_messages_to_send", .uint8),
        0x0427: ("message_state", .uint8),
        0x0501: ("ussd_service_op", .uint8),
        0x1201: ("display_time", .uint8),
        0x1203: ("sms_signal", .uint16),
        0x1204: ("ms_validity", .uint8),
        0x130C: ("alert_on_message_delivery", .empty),
        0x1380: ("its_reply_type", .uint8),
        0x1383: ("its_session_info", .uint16),
    ]
}

extension Array where Element == TLV {
    /// The first parameter with `tag`, if any.
    @inlinable public subscript(tag: TLVTag) -> TLV? {
        first { $0.tag == tag }
    }

    /// Replaces every parameter with the same tag by `tlv` (appended at the end).
    public mutating func set(_ tlv: TLV) {
        removeAll { $0.tag == tlv.tag }
        append(tlv)
    }

    func integer(_ tag: TLVTag) -> UInt32? {
        if case .integer(let value)? = self[tag]?.typedValue { return value }
        return nil
    }

    func string(_ tag: TLVTag) -> String? {
        if case .string(let value)? = self[tag]?.typedValue { return value }
        return nil
    }

    public var sarMsgRefNum: UInt16? { integer(.sarMsgRefNum).map { UInt16($0) } }
    public var sarTotalSegments: UInt8? { integer(.sarTotalSegments).map { UInt8($0) } }
    public var sarSegmentSeqnum: UInt8? { integer(.sarSegmentSeqnum).map { UInt8($0) } }
    /// message_payload octets (SMPP 3.4 5.3.2.32); present even when empty.
    public var messagePayload: [UInt8]? { self[.messagePayload]?.value }
    public var receiptedMessageID: String? { string(.receiptedMessageID) }
    /// The raw message_state octet (see ``MessageState``).
    public var messageState: UInt8? { integer(.messageState).map { UInt8($0) } }
    public var networkErrorCode: NetworkErrorCode? {
        if case .networkErrorCode(let code)? = self[.networkErrorCode]?.typedValue { return code }
        return nil
    }
    public var userMessageReference: UInt16? { integer(.userMessageReference).map { UInt16($0) } }
    public var sourcePort: UInt16? { integer(.sourcePort).map { UInt16($0) } }
    public var destinationPort: UInt16? { integer(.destinationPort).map { UInt16($0) } }
    public var payloadType: UInt8? { integer(.payloadType).map { UInt8($0) } }
    public var moreMessagesToSend: UInt8? { integer(.moreMessagesToSend).map { UInt8($0) } }
    public var msValidity: UInt8? { integer(.msValidity).map { UInt8($0) } }
    public var scInterfaceVersion: UInt8? { integer(.scInterfaceVersion).map { UInt8($0) } }
    public var additionalStatusInfoText: String? { string(.additionalStatusInfoText) }
}
