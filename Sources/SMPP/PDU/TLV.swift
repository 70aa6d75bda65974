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

/// The optional parameters of one PDU, in wire order, stored as their wire octets
/// (tag, length, value, repeated: SMPP 3.4 section 3.2.4) in one buffer.
///
/// One allocation holds every TLV of a PDU, however many there are; a ``TLV`` value is built
/// only when an element is read. Typed accessors (``sarMsgRefNum``, ``messagePayload``,
/// ``receiptedMessageID``, …) read the octets in place and answer `nil` when the parameter is
/// absent or its length does not fit the spec. Two lists are equal when their octets are.
public struct TLVList: Hashable, Sendable, Collection, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// tag(2) length(2) value(length), repeated; always well-formed.
    public private(set) var wire: [UInt8]

    public init() { wire = [] }

    public init(arrayLiteral elements: TLV...) {
        self.init(elements)
    }

    public init(_ elements: some Sequence<TLV>) {
        wire = []
        for tlv in elements { append(tlv) }
    }

    /// Adopts octets already checked to be a well-formed TLV sequence (the decoder's path).
    init(validatedWire: [UInt8]) {
        wire = validatedWire
    }

    // MARK: Collection (index = octet offset of a TLV header)

    public struct Index: Comparable, Hashable, Sendable {
        let offset: Int
        public static func < (lhs: Index, rhs: Index) -> Bool { lhs.offset < rhs.offset }
    }

    public var startIndex: Index { Index(offset: 0) }
    public var endIndex: Index { Index(offset: wire.count) }

    public func index(after i: Index) -> Index {
        Index(offset: i.offset + 4 + length(at: i.offset))
    }

    public subscript(position: Index) -> TLV {
        let start = position.offset
        let length = length(at: start)
        return TLV(tag: TLVTag(UInt16(wire[start]) << 8 | UInt16(wire[start + 1])),
                   value: Array(wire[start + 4 ..< start + 4 + length]))
    }

    @inline(__always) private func length(at offset: Int) -> Int {
        Int(UInt16(wire[offset + 2]) << 8 | UInt16(wire[offset + 3]))
    }

    // MARK: Changes

    /// Appends `tlv`. Its value must fit the 2-octet length: at most 65535 octets (SMPP 3.4
    /// section 3.2.4); a longer value is a programming error and traps.
    public mutating func append(_ tlv: TLV) {
        precondition(tlv.value.count <= 0xFFFF, "TLV \(tlv.tag) value of \(tlv.value.count) octets exceeds 65535")
        wire.reserveCapacity(wire.count + 4 + tlv.value.count)
        wire.append(UInt8(tlv.tag.rawValue >> 8))
        wire.append(UInt8(truncatingIfNeeded: tlv.tag.rawValue))
        wire.append(UInt8(tlv.value.count >> 8))
        wire.append(UInt8(truncatingIfNeeded: tlv.value.count))
        wire.append(contentsOf: tlv.value)
    }

    public mutating func append(contentsOf tlvs: some Sequence<TLV>) {
        for tlv in tlvs { append(tlv) }
    }

    public mutating func removeAll(where shouldBeRemoved: (TLV) throws -> Bool) rethrows {
        var kept = TLVList()
        for tlv in self where try !shouldBeRemoved(tlv) { kept.append(tlv) }
        self = kept
    }

    /// Replaces every parameter with the same tag by `tlv` (appended at the end).
    public mutating func set(_ tlv: TLV) {
        removeAll { $0.tag == tlv.tag }
        append(tlv)
    }

    // MARK: Reading in place

    /// The value octets of the first parameter with `tag`.
    public func valueRange(of tag: TLVTag) -> Range<Int>? {
        var offset = 0
        while offset + 4 <= wire.count {
            let length = length(at: offset)
            if UInt16(wire[offset]) << 8 | UInt16(wire[offset + 1]) == tag.rawValue {
                return offset + 4 ..< offset + 4 + length
            }
            offset += 4 + length
        }
        return nil
    }

    /// The first parameter with `tag`, if any.
    public subscript(tag: TLVTag) -> TLV? {
        valueRange(of: tag).map { TLV(tag: tag, value: Array(wire[$0])) }
    }

    func integer(_ tag: TLVTag) -> UInt32? {
        guard let range = valueRange(of: tag) else { return nil }
        let expected: Int
        switch tag.format {
        case .uint8?: expected = 1
        case .uint16?: expected = 2
        case .uint32?: expected = 4
        default: return nil
        }
        guard range.count == expected else { return nil }
        var value: UInt32 = 0
        for index in range { value = value << 8 | UInt32(wire[index]) }
        return value
    }

    func string(_ tag: TLVTag) -> String? {
        guard let range = valueRange(of: tag), case .cString(let maxLength)? = tag.format,
              !range.isEmpty, range.count <= maxLength, wire[range.upperBound - 1] == 0 else { return nil }
        let text = wire[range.lowerBound ..< range.upperBound - 1]
        guard !text.contains(0) else { return nil }
        return WireText.string(from: text)
    }

    public var description: String {
        "[" + map { "\($0.tag)=\(Hex.string($0.value))" }.joined(separator: ", ") + "]"
    }

    public var sarMsgRefNum: UInt16? { integer(.sarMsgRefNum).map { UInt16($0) } }
    public var sarTotalSegments: UInt8? { integer(.sarTotalSegments).map { UInt8($0) } }
    public var sarSegmentSeqnum: UInt8? { integer(.sarSegmentSeqnum).map { UInt8($0) } }
    /// message_payload octets (SMPP 3.4 5.3.2.32); present even when empty.
    public var messagePayload: [UInt8]? { valueRange(of: .messagePayload).map { Array(wire[$0]) } }
    public var receiptedMessageID: String? { string(.receiptedMessageID) }
    /// The raw message_state octet (see ``MessageState``).
    public var messageState: UInt8? { integer(.messageState).map { UInt8($0) } }
    public var networkErrorCode: NetworkErrorCode? {
        guard let range = valueRange(of: .networkErrorCode), range.count == 3 else { return nil }
        return NetworkErrorCode(networkType: wire[range.lowerBound],
                                errorCode: UInt16(wire[range.lowerBound + 1]) << 8 | UInt16(wire[range.lowerBound + 2]))
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
