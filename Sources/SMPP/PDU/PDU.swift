/// One SMPP 3.4 PDU: the 16-octet header (section 3.2) and a typed body.
///
/// `command_length` is not stored: the encoder computes it. `command_id` follows from the body.
public struct PDU: Hashable, Sendable {
    public var commandStatus: CommandStatus
    public var sequenceNumber: UInt32
    public var body: PDUBody

    @inlinable
    public init(_ body: PDUBody, sequenceNumber: UInt32, commandStatus: CommandStatus = .ok) {
        self.body = body
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }

    @inlinable public var commandID: CommandID { body.commandID }
}

/// The kind of session a bind asks for (SMPP 3.4 section 2.2).
public enum BindType: String, Sendable, Hashable, CaseIterable {
    case transmitter, receiver, transceiver

    /// Whether this bind may submit (ESME → SMSC messages).
    public var canTransmit: Bool { self != .receiver }
    /// Whether the SMSC may deliver on this bind (deliver_sm, data_sm, alert_notification).
    public var canReceive: Bool { self != .transmitter }
}

/// Every SMPP 3.4 operation, typed. Responses whose body a peer may omit carry an optional:
/// `nil` means the PDU ended after the header.
///
/// SMPP 3.4 section 4.4.2 says the submit_sm_resp body "is not returned if the command_status
/// field contains a non-zero value", and real SMSCs apply that to other responses too (and
/// sometimes send an empty body with status 0). Tandem therefore decodes a header-only
/// `bind_*_resp`, `submit_sm_resp`, `submit_multi_resp`, `deliver_sm_resp`, `data_sm_resp`
/// and `query_sm_resp` as `nil`, and encodes `nil` as header only, so such a PDU round-trips
/// byte for byte.
public enum PDUBody: Hashable, Sendable {
    case bind(BindType, Bind)
    case bindResp(BindType, BindResp?)
    case outbind(Outbind)
    case unbind
    case unbindResp
    case genericNack
    case enquireLink
    case enquireLinkResp
    case submitSM(SubmitSM)
    case submitSMResp(MessageIDResp?)
    case submitMulti(SubmitMulti)
    case submitMultiResp(SubmitMultiResp?)
    case deliverSM(DeliverSM)
    case deliverSMResp(MessageIDResp?)
    case dataSM(DataSM)
    case dataSMResp(MessageIDResp?)
    case querySM(QuerySM)
    case querySMResp(QuerySMResp?)
    case cancelSM(CancelSM)
    case cancelSMResp
    case replaceSM(ReplaceSM)
    case replaceSMResp
    case alertNotification(AlertNotification)

    public var commandID: CommandID {
        switch self {
        case .bind(.transmitter, _): .bindTransmitter
        case .bind(.receiver, _): .bindReceiver
        case .bind(.transceiver, _): .bindTransceiver
        case .bindResp(.transmitter, _): .bindTransmitterResp
        case .bindResp(.receiver, _): .bindReceiverResp
        case .bindResp(.transceiver, _): .bindTransceiverResp
        case .outbind: .outbind
        case .unbind: .unbind
        case .unbindResp: .unbindResp
        case .genericNack: .genericNack
        case .enquireLink: .enquireLink
        case .enquireLinkResp: .enquireLinkResp
        case .submitSM: .submitSM
        case .submitSMResp: .submitSMResp
        case .submitMulti: .submitMulti
        case .submitMultiResp: .submitMultiResp
        case .deliverSM: .deliverSM
        case .deliverSMResp: .deliverSMResp
        case .dataSM: .dataSM
        case .dataSMResp: .dataSMResp
        case .querySM: .querySM
        case .querySMResp: .querySMResp
        case .cancelSM: .cancelSM
        case .cancelSMResp: .cancelSMResp
        case .replaceSM: .replaceSM
        case .replaceSMResp: .replaceSMResp
        case .alertNotification: .alertNotification
        }
    }
}

/// bind_transmitter / bind_receiver / bind_transceiver (SMPP 3.4 sections 4.1.1, 4.1.3, 4.1.5).
public struct Bind: Hashable, Sendable {
    /// Var. max 16 octets including NUL.
    public var systemID: String
    /// Var. max 9 octets including NUL.
    public var password: String
    /// Var. max 13 octets including NUL.
    public var systemType: String
    /// 0x34 for SMPP 3.4.
    public var interfaceVersion: UInt8
    public var addrTON: UInt8
    public var addrNPI: UInt8
    /// Var. max 41 octets including NUL.
    public var addressRange: String

    public init(systemID: String, password: String, systemType: String = "", interfaceVersion: UInt8 = 0x34,
                addrTON: UInt8 = 0, addrNPI: UInt8 = 0, addressRange: String = "") {
        self.systemID = systemID
        self.password = password
        self.systemType = systemType
        self.interfaceVersion = interfaceVersion
        self.addrTON = addrTON
        self.addrNPI = addrNPI
        self.addressRange = addressRange
    }
}

/// bind_*_resp body (SMPP 3.4 4.1.2): system_id of the SMSC, and optionally sc_interface_version.
public struct BindResp: Hashable, Sendable {
    public var systemID: String
    public var tlvs: TLVList
    public init(systemID: String, tlvs: TLVList = []) {
        self.systemID = systemID
        self.tlvs = tlvs
    }
}

/// outbind (SMPP 3.4 4.1.7): the SMSC asks the ESME to bind as receiver.
public struct Outbind: Hashable, Sendable {
    public var systemID: String
    public var password: String
    public init(systemID: String, password: String) {
        self.systemID = systemID
        self.password = password
    }
}

/// The body of submit_sm_resp, deliver_sm_resp and data_sm_resp (SMPP 3.4 4.4.2, 4.6.2, 4.7.2):
/// a `message_id` (Var. max 65) and, for data_sm_resp, TLVs. Other trailing TLVs are kept too.
public struct MessageIDResp: Hashable, Sendable {
    public var messageID: String
    public var tlvs: TLVList
    public init(messageID: String, tlvs: TLVList = []) {
        self.messageID = messageID
        self.tlvs = tlvs
    }
}

/// The mandatory fields shared by submit_sm and deliver_sm, which have one layout
/// (SMPP 3.4 sections 4.4.1 and 4.6.1).
public protocol ShortMessagePDU: MessageContentPDU, Hashable {
    var serviceType: String { get set }
    var sourceAddrTON: UInt8 { get set }
    var sourceAddrNPI: UInt8 { get set }
    var sourceAddr: String { get set }
    var destAddrTON: UInt8 { get set }
    var destAddrNPI: UInt8 { get set }
    var destinationAddr: String { get set }
    var esmClass: UInt8 { get set }
    var protocolID: UInt8 { get set }
    var priorityFlag: UInt8 { get set }
    var scheduleDeliveryTime: String { get set }
    var validityPeriod: String { get set }
    var registeredDelivery: UInt8 { get set }
    var replaceIfPresentFlag: UInt8 { get set }
    var dataCoding: UInt8 { get set }
    var smDefaultMsgID: UInt8 { get set }
    var shortMessage: [UInt8] { get set }
    var tlvs: TLVList { get set }
    init()
}

/// submit_sm (SMPP 3.4 section 4.4.1). `sm_length` is `shortMessage.count`.
public struct SubmitSM: ShortMessagePDU {
    public var serviceType = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public var destAddrTON: UInt8 = 0
    public var destAddrNPI: UInt8 = 0
    public var destinationAddr = ""
    public var esmClass: UInt8 = 0
    public var protocolID: UInt8 = 0
    public var priorityFlag: UInt8 = 0
    public var scheduleDeliveryTime = ""
    public var validityPeriod = ""
    public var registeredDelivery: UInt8 = 0
    public var replaceIfPresentFlag: UInt8 = 0
    public var dataCoding: UInt8 = 0
    public var smDefaultMsgID: UInt8 = 0
    public var shortMessage: [UInt8] = []
    public var tlvs: TLVList = []
    public init() {}
}

/// deliver_sm (SMPP 3.4 section 4.6.1): a mobile-originated message or a delivery receipt
/// (esm_class bits 2–5 = 0b0001 for an SMSC delivery receipt, section 5.2.12).
public struct DeliverSM: ShortMessagePDU {
    public var serviceType = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public var destAddrTON: UInt8 = 0
    public var destAddrNPI: UInt8 = 0
    public var destinationAddr = ""
    public var esmClass: UInt8 = 0
    public var protocolID: UInt8 = 0
    public var priorityFlag: UInt8 = 0
    public var scheduleDeliveryTime = ""
    public var validityPeriod = ""
    public var registeredDelivery: UInt8 = 0
    public var replaceIfPresentFlag: UInt8 = 0
    public var dataCoding: UInt8 = 0
    public var smDefaultMsgID: UInt8 = 0
    public var shortMessage: [UInt8] = []
    public var tlvs: TLVList = []
    public init() {}
}

/// One destination of submit_multi (SMPP 3.4 section 4.5.1.1, dest_flag 1 or 2).
public enum DestinationAddress: Hashable, Sendable {
    /// dest_flag 1: an SME address (destination_addr Var. max 21).
    case smeAddress(ton: UInt8, npi: UInt8, address: String)
    /// dest_flag 2: a distribution list name (Var. max 21).
    case distributionList(name: String)
}

/// submit_multi (SMPP 3.4 section 4.5.1): up to 254 destinations.
public struct SubmitMulti: Hashable, Sendable {
    public var serviceType = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public var destAddresses: [DestinationAddress] = []
    public var esmClass: UInt8 = 0
    public var protocolID: UInt8 = 0
    public var priorityFlag: UInt8 = 0
    public var scheduleDeliveryTime = ""
    public var validityPeriod = ""
    public var registeredDelivery: UInt8 = 0
    public var replaceIfPresentFlag: UInt8 = 0
    public var dataCoding: UInt8 = 0
    public var smDefaultMsgID: UInt8 = 0
    public var shortMessage: [UInt8] = []
    public var tlvs: TLVList = []
    public init() {}
}

/// One failed destination in submit_multi_resp (SMPP 3.4 section 4.5.2.1).
public struct UnsuccessSME: Hashable, Sendable {
    public var destAddrTON: UInt8
    public var destAddrNPI: UInt8
    public var destinationAddr: String
    public var errorStatusCode: CommandStatus
    public init(destAddrTON: UInt8, destAddrNPI: UInt8, destinationAddr: String, errorStatusCode: CommandStatus) {
        self.destAddrTON = destAddrTON
        self.destAddrNPI = destAddrNPI
        self.destinationAddr = destinationAddr
        self.errorStatusCode = errorStatusCode
    }
}

/// submit_multi_resp (SMPP 3.4 section 4.5.2).
public struct SubmitMultiResp: Hashable, Sendable {
    public var messageID: String
    public var unsuccessSMEs: [UnsuccessSME]
    public var tlvs: TLVList
    public init(messageID: String, unsuccessSMEs: [UnsuccessSME] = [], tlvs: TLVList = []) {
        self.messageID = messageID
        self.unsuccessSMEs = unsuccessSMEs
        self.tlvs = tlvs
    }
}

/// data_sm (SMPP 3.4 section 4.7.1): addresses are Var. max 65; the text travels in
/// message_payload.
public struct DataSM: Hashable, Sendable {
    public var serviceType = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public var destAddrTON: UInt8 = 0
    public var destAddrNPI: UInt8 = 0
    public var destinationAddr = ""
    public var esmClass: UInt8 = 0
    public var registeredDelivery: UInt8 = 0
    public var dataCoding: UInt8 = 0
    public var tlvs: TLVList = []
    public init() {}
}

/// query_sm (SMPP 3.4 section 4.8.1).
public struct QuerySM: Hashable, Sendable {
    public var messageID = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public init() {}
}

/// query_sm_resp (SMPP 3.4 section 4.8.2).
public struct QuerySMResp: Hashable, Sendable {
    public var messageID = ""
    /// Var. 1 or 17 octets: empty or an absolute time.
    public var finalDate = ""
    /// See ``MessageState``.
    public var messageState: UInt8 = 0
    /// Network error code, network specific.
    public var errorCode: UInt8 = 0
    public var tlvs: TLVList = []
    public init() {}
}

/// cancel_sm (SMPP 3.4 section 4.9.1).
public struct CancelSM: Hashable, Sendable {
    public var serviceType = ""
    public var messageID = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public var destAddrTON: UInt8 = 0
    public var destAddrNPI: UInt8 = 0
    public var destinationAddr = ""
    public init() {}
}

/// replace_sm (SMPP 3.4 section 4.10.1).
public struct ReplaceSM: Hashable, Sendable {
    public var messageID = ""
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    public var sourceAddr = ""
    public var scheduleDeliveryTime = ""
    public var validityPeriod = ""
    public var registeredDelivery: UInt8 = 0
    public var smDefaultMsgID: UInt8 = 0
    public var shortMessage: [UInt8] = []
    public init() {}
}

/// alert_notification (SMPP 3.4 section 4.12.1): sent by the SMSC, never answered.
public struct AlertNotification: Hashable, Sendable {
    public var sourceAddrTON: UInt8 = 0
    public var sourceAddrNPI: UInt8 = 0
    /// Var. max 65.
    public var sourceAddr = ""
    public var esmeAddrTON: UInt8 = 0
    public var esmeAddrNPI: UInt8 = 0
    /// Var. max 65.
    public var esmeAddr = ""
    public var tlvs: TLVList = []
    public init() {}
}
