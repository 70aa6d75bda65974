/// A PDU that carries user data: submit_sm, deliver_sm and data_sm. What they carry — text,
/// a part of a long message, or a delivery receipt — is read the same way from all three.
public protocol MessageContentPDU: Sendable {
    var esmClass: UInt8 { get }
    var tlvs: TLVList { get }
    /// The user data as sent: message_payload when present, else short_message.
    var userData: [UInt8] { get }
}

extension ShortMessagePDU {
    public var userData: [UInt8] { tlvs.messagePayload ?? shortMessage }
}

extension DataSM: MessageContentPDU {
    /// data_sm has no short_message: its user data is message_payload (SMPP 3.4 4.7.1).
    public var userData: [UInt8] { tlvs.messagePayload ?? [] }
}

extension MessageContentPDU {
    /// esm_class bit 6 (0x40): the user data starts with a User Data Header (SMPP 3.4 5.2.12).
    public var hasUDH: Bool { esmClass & 0x40 != 0 }

    /// The delivery receipt this PDU carries, or `nil` when it is a plain message.
    ///
    /// A receipt is recognised from esm_class (SMPP 3.4 5.2.12: SMSC delivery receipt or
    /// intermediate notification). Its fields come from the Appendix B text of the user data,
    /// and the TLV form — `receipted_message_id`, `message_state`, `network_error_code` — wins
    /// wherever it is present.
    public var deliveryReceipt: DeliveryReceipt? {
        guard DeliveryReceipt.esmClassIndicatesReceipt(esmClass) else { return nil }
        let data = userData
        let text = data.isEmpty ? nil : WireText.string(from: data[...])
        return DeliveryReceipt.make(text: text, receiptedMessageID: tlvs.receiptedMessageID,
                                    messageState: tlvs.messageState, networkErrorCode: tlvs.networkErrorCode)
    }

    /// Where this PDU sits in a concatenated message (UDH 8/16-bit reference or SAR TLVs),
    /// or `nil` for a message that stands alone.
    public var concatenation: ConcatenationInfo? {
        ConcatenationInfo.detect(esmClass: esmClass, shortMessage: userData, sarMsgRefNum: tlvs.sarMsgRefNum,
                                 sarTotalSegments: tlvs.sarTotalSegments, sarSegmentSeqnum: tlvs.sarSegmentSeqnum)
    }

    /// The user data without its User Data Header, if it has one: the octets to decode as text.
    public var userDataWithoutHeader: [UInt8] {
        let data = userData
        guard hasUDH, let (_, length) = UserDataHeader.parse(data) else { return data }
        return Array(data.dropFirst(length))
    }
}

extension SubmitSM {
    /// One submit_sm per part of `text`, split and encoded by ``MessageSplitter``: `template`
    /// supplies the addresses and flags; data_coding, esm_class UDHI, short_message and the
    /// SAR / message_payload TLVs are set per part.
    public static func parts(of text: String, template: SubmitSM, choice: CodingChoice = .auto,
                             method: ConcatenationMethod = .udh8, reference: UInt16,
                             defaultAlphabet: DefaultAlphabet = .gsm7Unpacked) throws(MessageSplitError) -> [SubmitSM] {
        let split = try MessageSplitter.split(text, choice: choice, method: method, reference: reference,
                                              defaultAlphabet: defaultAlphabet)
        return split.segments.map { segment in
            var part = template
            part.dataCoding = split.dataCoding
            part.esmClass = segment.hasUDH ? template.esmClass | 0x40 : template.esmClass & ~0x40
            part.tlvs.removeAll { [.sarMsgRefNum, .sarTotalSegments, .sarSegmentSeqnum, .messagePayload].contains($0.tag) }
            if segment.usesMessagePayload {
                part.shortMessage = []
                part.tlvs.append(TLV(tag: .messagePayload, value: segment.shortMessage))
            } else {
                part.shortMessage = segment.shortMessage
            }
            if let sar = segment.sar {
                part.tlvs.append(.uint16(.sarMsgRefNum, sar.reference))
                part.tlvs.append(.uint8(.sarTotalSegments, sar.totalSegments))
                part.tlvs.append(.uint8(.sarSegmentSeqnum, sar.segmentSequence))
            }
            return part
        }
    }
}
