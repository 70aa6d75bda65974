/// The `command_id` of an SMPP 3.4 PDU (SMPP 3.4 section 5.1.2.1).
///
/// Responses are the request's id with bit 31 set; `generic_nack` is `0x80000000`.
public enum CommandID: UInt32, Sendable, Hashable, CaseIterable {
    case genericNack = 0x8000_0000
    case bindReceiver = 0x0000_0001
    case bindReceiverResp = 0x8000_0001
    case bindTransmitter = 0x0000_0002
    case bindTransmitterResp = 0x8000_0002
    case querySM = 0x0000_0003
    case querySMResp = 0x8000_0003
    case submitSM = 0x0000_0004
    case submitSMResp = 0x8000_0004
    case deliverSM = 0x0000_0005
    case deliverSMResp = 0x8000_0005
    case unbind = 0x0000_0006
    case unbindResp = 0x8000_0006
    case replaceSM = 0x0000_0007
    case replaceSMResp = 0x8000_0007
    case cancelSM = 0x0000_0008
    case cancelSMResp = 0x8000_0008
    case bindTransceiver = 0x0000_0009
    case bindTransceiverResp = 0x8000_0009
    case outbind = 0x0000_000B
    case enquireLink = 0x0000_0015
    case enquireLinkResp = 0x8000_0015
    case submitMulti = 0x0000_0021
    case submitMultiResp = 0x8000_0021
    case alertNotification = 0x0000_0102
    case dataSM = 0x0000_0103
    case dataSMResp = 0x8000_0103

    /// True for `*_resp` and `generic_nack` (bit 31 set).
    @inlinable public var isResponse: Bool { rawValue & 0x8000_0000 != 0 }

    /// The response that answers this request, or `nil` for PDUs that are not answered
    /// (`outbind`, `alert_notification`) and for responses themselves.
    public var response: CommandID? {
        switch self {
        case .outbind, .alertNotification: return nil
        default: return isResponse ? nil : CommandID(rawValue: rawValue | 0x8000_0000)
        }
    }

    /// The spec's name, e.g. `submit_sm`, `bind_transceiver_resp`.
    public var specName: String {
        switch self {
        case .genericNack: "generic_nack"
        case .bindReceiver: "bind_receiver"
        case .bindReceiverResp: "bind_receiver_resp"
        case .bindTransmitter: "bind_transmitter"
        case .bindTransmitterResp: "bind_transmitter_resp"
        case .querySM: "query_sm"
        case .querySMResp: "query_sm_resp"
        case .submitSM: "submit_sm"
        case .submitSMResp: "submit_sm_resp"
        case .deliverSM: "deliver_sm"
        case .deliverSMResp: "deliver_sm_resp"
        case .unbind: "unbind"
        case .unbindResp: "unbind_resp"
        case .replaceSM: "replace_sm"
        case .replaceSMResp: "replace_sm_resp"
        case .cancelSM: "cancel_sm"
        case .cancelSMResp: "cancel_sm_resp"
        case .bindTransceiver: "bind_transceiver"
        case .bindTransceiverResp: "bind_transceiver_resp"
        case .outbind: "outbind"
        case .enquireLink: "enquire_link"
        case .enquireLinkResp: "enquire_link_resp"
        case .submitMulti: "submit_multi"
        case .submitMultiResp: "submit_multi_resp"
        case .alertNotification: "alert_notification"
        case .dataSM: "data_sm"
        case .dataSMResp: "data_sm_resp"
        }
    }
}
