import SMPP

/// What an SMSC delivered on a receiving bind, as the consumer sees it.
public enum InboundMessage: Sendable, Hashable {
    /// A mobile-originated message (or one part of a long one: see ``MobileOriginated/concatenation``).
    case mobileOriginated(MobileOriginated)
    /// A delivery receipt for a message we submitted.
    case deliveryReceipt(DeliveryReceipt, MobileOriginated)

    /// The addressing and content of an inbound deliver_sm or data_sm.
    public struct MobileOriginated: Sendable, Hashable {
        /// The bind it arrived on.
        public var bind: String
        public var source: String
        public var destination: String
        public var dataCoding: UInt8
        public var esmClass: UInt8
        /// The user data with any UDH removed: message_payload when present, else short_message.
        public var payload: [UInt8]
        /// Set when this is one part of a concatenated message.
        public var concatenation: ConcatenationInfo?
        /// The PDU as received.
        public var pdu: PDU

        /// The text per data_coding (`nil` for binary data codings).
        public func text(defaultAlphabet: DefaultAlphabet = .gsm7Unpacked) -> String? {
            ShortMessageText.decode(payload, dataCoding: dataCoding, defaultAlphabet: defaultAlphabet)
        }
    }

    /// Classifies an inbound deliver_sm / data_sm.
    public init?(pdu: PDU, bind: String) {
        let base: MobileOriginated
        let receipt: DeliveryReceipt?
        switch pdu.body {
        case .deliverSM(let deliver):
            var payload = deliver.userData
            let concatenation = deliver.concatenation
            if let concatenation {
                payload = concatenation.payload
            } else if deliver.hasUDH, let (_, length) = UserDataHeader.parse(payload) {
                payload = Array(payload.dropFirst(length))
            }
            base = MobileOriginated(bind: bind, source: deliver.sourceAddr, destination: deliver.destinationAddr,
                                    dataCoding: deliver.dataCoding, esmClass: deliver.esmClass, payload: payload,
                                    concatenation: concatenation, pdu: pdu)
            receipt = deliver.deliveryReceipt
        case .dataSM(let data):
            var payload = data.tlvs.messagePayload ?? []
            let concatenation = ConcatenationInfo.detect(esmClass: data.esmClass, shortMessage: payload,
                                                         sarMsgRefNum: data.tlvs.sarMsgRefNum,
                                                         sarTotalSegments: data.tlvs.sarTotalSegments,
                                                         sarSegmentSeqnum: data.tlvs.sarSegmentSeqnum)
            if let concatenation { payload = concatenation.payload }
            base = MobileOriginated(bind: bind, source: data.sourceAddr, destination: data.destinationAddr,
                                    dataCoding: data.dataCoding, esmClass: data.esmClass, payload: payload,
                                    concatenation: concatenation, pdu: pdu)
            receipt = DeliveryReceipt.esmClassIndicatesReceipt(data.esmClass)
                ? DeliveryReceipt.make(text: payload.isEmpty ? nil : String(decoding: payload, as: UTF8.self),
                                       receiptedMessageID: data.tlvs.receiptedMessageID, messageState: data.tlvs.messageState,
                                       networkErrorCode: data.tlvs.networkErrorCode)
                : nil
        default:
            return nil
        }
        if let receipt {
            self = .deliveryReceipt(receipt, base)
        } else {
            self = .mobileOriginated(base)
        }
    }
}
