/// The `command_status` of an SMPP PDU (SMPP 3.4 section 5.1.3).
///
/// A struct rather than an enum: SMSCs send vendor-specific values (0x400–0x4FF and beyond)
/// that must survive decoding and re-encoding. The 3.4 table is available as static members.
public struct CommandStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static let ok = CommandStatus(0x00)
    public static let invalidMessageLength = CommandStatus(0x01)  // ESME_RINVMSGLEN
    public static let invalidCommandLength = CommandStatus(0x02)  // ESME_RINVCMDLEN
    public static let invalidCommandID = CommandStatus(0x03)  // ESME_RINVCMDID
    public static let invalidBindStatus = CommandStatus(0x04)  // ESME_RINVBNDSTS
    public static let alreadyBound = CommandStatus(0x05)  // ESME_RALYBND
    public static let invalidPriorityFlag = CommandStatus(0x06)  // ESME_RINVPRTFLG
    public static let invalidRegisteredDeliveryFlag = CommandStatus(0x07)  // ESME_RINVREGDLVFLG
    public static let systemError = CommandStatus(0x08)  // ESME_RSYSERR
    public static let invalidSourceAddress = CommandStatus(0x0A)  // ESME_RINVSRCADR
    public static let invalidDestinationAddress = CommandStatus(0x0B)  // ESME_RINVDSTADR
    public static let invalidMessageID = CommandStatus(0x0C)  // ESME_RINVMSGID
    public static let bindFailed = CommandStatus(0x0D)  // ESME_RBINDFAIL
    public static let invalidPassword = CommandStatus(0x0E)  // ESME_RINVPASWD
    public static let invalidSystemID = CommandStatus(0x0F)  // ESME_RINVSYSID
    public static let cancelFailed = CommandStatus(0x11)  // ESME_RCANCELFAIL
    public static let replaceFailed = CommandStatus(0x13)  // ESME_RREPLACEFAIL
    public static let messageQueueFull = CommandStatus(0x14)  // ESME_RMSGQFUL
    public static let invalidServiceType = CommandStatus(0x15)  // ESME_RINVSERTYP
    public static let invalidNumberOfDestinations = CommandStatus(0x33)  // ESME_RINVNUMDESTS
    public static let invalidDistributionListName = CommandStatus(0x34)  // ESME_RINVDLNAME
    public static let invalidDestinationFlag = CommandStatus(0x40)  // ESME_RINVDESTFLAG
    public static let invalidSubmitWithReplace = CommandStatus(0x42)  // ESME_RINVSUBREP
    public static let invalidESMClass = CommandStatus(0x43)  // ESME_RINVESMCLASS
    public static let cannotSubmitToDistributionList = CommandStatus(0x44)  // ESME_RCNTSUBDL
    public static let submitFailed = CommandStatus(0x45)  // ESME_RSUBMITFAIL
    public static let invalidSourceTON = CommandStatus(0x48)  // ESME_RINVSRCTON
    public static let invalidSourceNPI = CommandStatus(0x49)  // ESME_RINVSRCNPI
    public static let invalidDestinationTON = CommandStatus(0x50)  // ESME_RINVDSTTON
    public static let invalidDestinationNPI = CommandStatus(0x51)  // ESME_RINVDSTNPI
    public static let invalidSystemType = CommandStatus(0x53)  // ESME_RINVSYSTYP
    public static let invalidReplaceIfPresentFlag = CommandStatus(0x54)  // ESME_RINVREPFLAG
    public static let invalidNumberOfMessages = CommandStatus(0x55)  // ESME_RINVNUMMSGS
    public static let throttled = CommandStatus(0x58)  // ESME_RTHROTTLED
    public static let invalidScheduledDeliveryTime = CommandStatus(0x61)  // ESME_RINVSCHED
    public static let invalidValidityPeriod = CommandStatus(0x62)  // ESME_RINVEXPIRY
    public static let invalidPredefinedMessage = CommandStatus(0x63)  // ESME_RINVDFTMSGID
    public static let temporaryAppError = CommandStatus(0x64)  // ESME_RX_T_APPN
    public static let permanentAppError = CommandStatus(0x65)  // ESME_RX_P_APPN
    public static let rejectedAppError = CommandStatus(0x66)  // ESME_RX_R_APPN
    public static let queryFailed = CommandStatus(0x67)  // ESME_RQUERYFAIL
    public static let invalidOptionalParameterStream = CommandStatus(0xC0)  // ESME_RINVOPTPARSTREAM
    public static let optionalParameterNotAllowed = CommandStatus(0xC1)  // ESME_ROPTPARNOTALLWD
    /// ESME_RINVPARLEN in SMPP 3.4 (named ESME_RINVTLVLEN in SMPP 5.0).
    public static let invalidParameterLength = CommandStatus(0xC2)
    public static let missingOptionalParameter = CommandStatus(0xC3)  // ESME_RMISSINGOPTPARAM
    public static let invalidOptionalParameterValue = CommandStatus(0xC4)  // ESME_RINVOPTPARAMVAL
    public static let deliveryFailure = CommandStatus(0xFE)  // ESME_RDELIVERYFAILURE
    public static let unknownError = CommandStatus(0xFF)  // ESME_RUNKNOWNERR

    /// The spec's symbolic name (`ESME_RTHROTTLED`), or `nil` for reserved and vendor values.
    public var specName: String? { Self.names[rawValue] }

    public var description: String {
        if let name = specName { return "\(name) (0x\(String(rawValue, radix: 16, uppercase: true)))" }
        return "0x\(String(rawValue, radix: 16, uppercase: true))"
    }

    private static let names: [UInt32: String] = [
        0x00: "ESME_ROK", 0x01: "ESME_RINVMSGLEN", 0x02: "ESME_RINVCMDLEN", 0x03: "ESME_RINVCMDID",
        0x04: "ESME_RINVBNDSTS", 0x05: "ESME_RALYBND", 0x06: "ESME_RINVPRTFLG",
        0x07: "ESME_RINVREGDLVFLG", 0x08: "ESME_RSYSERR", 0x0A: "ESME_RINVSRCADR",
        0x0B: "ESME_RINVDSTADR", 0x0C: "ESME_RINVMSGID", 0x0D: "ESME_RBINDFAIL",
        0x0E: "ESME_RINVPASWD", 0x0F: "ESME_RINVSYSID", 0x11: "ESME_RCANCELFAIL",
        0x13: "ESME_RREPLACEFAIL", 0x14: "ESME_RMSGQFUL", 0x15: "ESME_RINVSERTYP",
        0x33: "ESME_RINVNUMDESTS", 0x34: "ESME_RINVDLNAME", 0x40: "ESME_RINVDESTFLAG",
        0x42: "ESME_RINVSUBREP", 0x43: "ESME_RINVESMCLASS", 0x44: "ESME_RCNTSUBDL",
        0x45: "ESME_RSUBMITFAIL", 0x48: "ESME_RINVSRCTON", 0x49: "ESME_RINVSRCNPI",
        0x50: "ESME_RINVDSTTON", 0x51: "ESME_RINVDSTNPI", 0x53: "ESME_RINVSYSTYP",
        0x54: "ESME_RINVREPFLAG", 0x55: "ESME_RINVNUMMSGS", 0x58: "ESME_RTHROTTLED",
        0x61: "ESME_RINVSCHED", 0x62: "ESME_RINVEXPIRY", 0x63: "ESME_RINVDFTMSGID",
        0x64: "ESME_RX_T_APPN", 0x65: "ESME_RX_P_APPN", 0x66: "ESME_RX_R_APPN",
        0x67: "ESME_RQUERYFAIL", 0xC0: "ESME_RINVOPTPARSTREAM", 0xC1: "ESME_ROPTPARNOTALLWD",
        0xC2: "ESME_RINVPARLEN", 0xC3: "ESME_RMISSINGOPTPARAM", 0xC4: "ESME_RINVOPTPARAMVAL",
        0xFE: "ESME_RDELIVERYFAILURE", 0xFF: "ESME_RUNKNOWNERR",
    ]
}
