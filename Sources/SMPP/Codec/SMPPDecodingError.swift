/// Why a PDU could not be decoded, where, and which `command_status` answers it.
///
/// Every decoding failure is one of these: the decoder never traps on input. `offset` counts
/// octets from the start of the PDU (the first octet of `command_length` is offset 0).
/// `commandID` and `sequenceNumber` are filled in once the header was read, so a session can
/// answer the request's own `*_resp` with ``commandStatus`` — or `generic_nack` when the
/// command is unknown or the length is unusable (SMPP 3.4 section 4.3).
public struct SMPPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// command_length below 16, above the configured maximum, or not the frame's length.
        case invalidCommandLength
        /// command_id is not an SMPP 3.4 command.
        case unknownCommandID
        /// The body ended inside a mandatory field.
        case truncatedField
        /// A C-octet string has no NUL before the body ends.
        case missingNULTerminator
        /// A C-octet string is longer than the spec's maximum for its field.
        case cStringTooLong
        /// sm_length above 254 or beyond the end of the PDU.
        case invalidMessageLength
        /// Fewer than 4 octets left where a TLV header should start.
        case invalidOptionalParameterStream
        /// A TLV's length runs past the end of the PDU.
        case invalidParameterLength
        /// submit_multi number_of_dests of 0 or above 254.
        case invalidNumberOfDestinations
        /// submit_multi dest_flag other than 1 or 2.
        case invalidDestinationFlag
        /// Octets after a PDU that has no body (enquire_link, unbind, …).
        case unexpectedBody
    }

    public var kind: Kind
    /// The spec name of the field being read (`destination_addr`, `command_length`, …).
    public var field: String
    public var offset: Int
    public var detail: String
    public var commandID: UInt32?
    public var sequenceNumber: UInt32?

    public init(_ kind: Kind, field: String, offset: Int, detail: String,
                commandID: UInt32? = nil, sequenceNumber: UInt32? = nil) {
        self.kind = kind
        self.field = field
        self.offset = offset
        self.detail = detail
        self.commandID = commandID
        self.sequenceNumber = sequenceNumber
    }

    /// The command_status a peer should receive for this error (SMPP 3.4 section 5.1.3).
    public var commandStatus: CommandStatus {
        switch kind {
        case .invalidCommandLength, .truncatedField, .unexpectedBody: return .invalidCommandLength
        case .unknownCommandID: return .invalidCommandID
        case .invalidMessageLength: return .invalidMessageLength
        case .invalidOptionalParameterStream: return .invalidOptionalParameterStream
        case .invalidParameterLength: return .invalidParameterLength
        case .invalidNumberOfDestinations: return .invalidNumberOfDestinations
        case .invalidDestinationFlag: return .invalidDestinationFlag
        case .missingNULTerminator, .cStringTooLong:
            switch field {
            case "source_addr": return .invalidSourceAddress
            case "destination_addr", "esme_addr": return .invalidDestinationAddress
            case "message_id": return .invalidMessageID
            case "system_id": return .invalidSystemID
            case "password": return .invalidPassword
            case "system_type": return .invalidSystemType
            case "service_type": return .invalidServiceType
            case "schedule_delivery_time": return .invalidScheduledDeliveryTime
            case "validity_period": return .invalidValidityPeriod
            case "dl_name": return .invalidDistributionListName
            default: return .invalidCommandLength
            }
        }
    }

    /// True when the error is about the frame itself: the peer's next PDU cannot be located,
    /// so the connection must answer generic_nack and close (SMPP 3.4 section 3.2).
    public var isFramingError: Bool { kind == .invalidCommandLength && field == "command_length" }

    public var description: String {
        var text = "\(field) at offset \(offset): \(detail) (\(kind.rawValue), answers \(commandStatus))"
        if let commandID {
            let name = CommandID(rawValue: commandID)?.specName ?? "0x" + String(commandID, radix: 16)
            text += " in \(name)"
        }
        if let sequenceNumber { text += " seq \(sequenceNumber)" }
        return text
    }
}

/// A PDU value the encoder refuses to put on the wire because it would break the spec.
public struct SMPPEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var detail: String
    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
    public var description: String { "cannot encode \(field): \(detail)" }
}
