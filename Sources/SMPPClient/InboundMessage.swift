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
        let content: any MessageContentPDU
        let source: String, destination: String, dataCoding: UInt8
        switch pdu.body {
        case .deliverSM(let deliver):
            (content, source, destination, dataCoding) = (deliver, deliver.sourceAddr, deliver.destinationAddr, deliver.dataCoding)
        case .dataSM(let data):
            (content, source, destination, dataCoding) = (data, data.sourceAddr, data.destinationAddr, data.dataCoding)
        default:
            return nil
        }
        let concatenation = content.concatenation
        let base = MobileOriginated(bind: bind, source: source, destination: destination, dataCoding: dataCoding,
                                    esmClass: content.esmClass,
                                    payload: concatenation?.payload ?? content.userDataWithoutHeader,
                                    concatenation: concatenation, pdu: pdu)
        if let receipt = content.deliveryReceipt {
            self = .deliveryReceipt(receipt, base)
        } else {
            self = .mobileOriginated(base)
        }
    }
}
