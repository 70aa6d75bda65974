// UserDataHeader.swift — the TP-User-Data-Header of 3GPP TS 23.040 9.2.3.24, as carried at
// the start of `short_message` when esm_class has UDHI set (SMPP 3.4 5.2.12).
//
// Standard library only: no Foundation, no NIO.

/// A User Data Header (3GPP TS 23.040 9.2.3.24): a length octet (UDHL) followed by UDHL
/// octets of information elements, each an identifier octet (IEI), a length octet (IEIDL)
/// and that many data octets.
///
/// In SMPP the header sits at the start of `short_message` (or `message_payload`) when the
/// UDHI bit 0x40 of `esm_class` is set (SMPP 3.4 5.2.12). SMPP carries the header as whole
/// octets; the user data after it is in the PDU's own representation (for the GSM default
/// alphabet usually one septet per octet, so no fill bits apply).
public struct UserDataHeader: Sendable, Hashable {
    /// One information element of the header.
    public struct InformationElement: Sendable, Hashable {
        /// The information element identifier (IEI), 3GPP TS 23.040 9.2.3.24 table.
        public var identifier: UInt8
        /// The element's data (at most 255 octets to be encodable).
        public var data: [UInt8]

        public init(identifier: UInt8, data: [UInt8]) {
            self.identifier = identifier
            self.data = data
        }
    }

    /// IEI 0x00: concatenated short messages, 8-bit reference (23.040 9.2.3.24.1).
    public static let concatenation8BitIdentifier: UInt8 = 0x00
    /// IEI 0x04: application port addressing, 8-bit ports (23.040 9.2.3.24.3).
    public static let ports8BitIdentifier: UInt8 = 0x04
    /// IEI 0x05: application port addressing, 16-bit ports (23.040 9.2.3.24.4).
    public static let ports16BitIdentifier: UInt8 = 0x05
    /// IEI 0x08: concatenated short messages, 16-bit reference (23.040 9.2.3.24.8).
    public static let concatenation16BitIdentifier: UInt8 = 0x08

    /// The information elements, in header order.
    public var elements: [InformationElement]

    public init(elements: [InformationElement] = []) {
        self.elements = elements
    }

    /// Parses the header at the start of `shortMessage`.
    ///
    /// - Returns: the header and `headerLength`, the number of octets it occupies *including*
    ///   the UDHL octet (so the user data starts at offset `headerLength`); or `nil` when the
    ///   message is empty, when UDHL runs past the end of the message, or when an information
    ///   element runs past the end of the header (23.040 9.2.3.24: a header whose last element
    ///   has too few or too many octets is ignored as a whole). A UDHL of 0 gives an empty
    ///   header of length 1. Never traps.
    public static func parse(_ shortMessage: some Collection<UInt8>) -> (header: UserDataHeader, headerLength: Int)? {
        var iterator = shortMessage.makeIterator()
        guard let udhl = iterator.next() else { return nil }
        let headerLength = Int(udhl) + 1
        guard shortMessage.count >= headerLength else { return nil }

        var body: [UInt8] = []
        body.reserveCapacity(Int(udhl))
        for _ in 0..<Int(udhl) {
            guard let octet = iterator.next() else { return nil }
            body.append(octet)
        }

        var elements: [InformationElement] = []
        var offset = 0
        while offset < body.count {
            // Identifier and length octets must both be inside the header.
            guard offset + 2 <= body.count else { return nil }
            let identifier = body[offset]
            let length = Int(body[offset + 1])
            let dataStart = offset + 2
            guard dataStart + length <= body.count else { return nil }
            elements.append(InformationElement(identifier: identifier, data: Array(body[dataStart..<dataStart + length])))
            offset = dataStart + length
        }
        return (UserDataHeader(elements: elements), headerLength)
    }

    /// The concatenation information element, if any: IEI 0x00 with 3 data octets (8-bit
    /// reference, 23.040 9.2.3.24.1) or IEI 0x08 with 4 data octets (16-bit big-endian
    /// reference, 9.2.3.24.8). Elements of those identifiers with any other length are
    /// ignored; when several are present the last one wins (23.040 9.2.3.24: for repeated or
    /// mutually exclusive elements the last occurrence is used).
    ///
    /// The values are reported as sent. 23.040 says a receiver ignores the element when the
    /// total is 0 or the sequence number is 0 or exceeds the total; that check is left to the
    /// caller (``Reassembler`` reports such parts as `.invalid`).
    public var concatenation: (reference: UInt16, total: UInt8, sequence: UInt8, is16Bit: Bool)? {
        for element in elements.reversed() {
            let data = element.data
            if element.identifier == Self.concatenation8BitIdentifier, data.count == 3 {
                return (UInt16(data[0]), data[1], data[2], false)
            }
            if element.identifier == Self.concatenation16BitIdentifier, data.count == 4 {
                return (UInt16(data[0]) << 8 | UInt16(data[1]), data[2], data[3], true)
            }
        }
        return nil
    }

    /// The application port addressing element, if any: IEI 0x05 with 4 data octets
    /// (16-bit destination then originator port, big-endian; 23.040 9.2.3.24.4) or IEI 0x04
    /// with 2 data octets (8-bit ports; 9.2.3.24.3). The last well-formed one wins.
    public var applicationPorts: (destination: UInt16, originator: UInt16, is16Bit: Bool)? {
        for element in elements.reversed() {
            let data = element.data
            if element.identifier == Self.ports16BitIdentifier, data.count == 4 {
                return (UInt16(data[0]) << 8 | UInt16(data[1]), UInt16(data[2]) << 8 | UInt16(data[3]), true)
            }
            if element.identifier == Self.ports8BitIdentifier, data.count == 2 {
                return (UInt16(data[0]), UInt16(data[1]), false)
            }
        }
        return nil
    }

    /// The encoded header: UDHL, then each element as identifier, length, data.
    ///
    /// - Precondition: every element's data is at most 255 octets and the elements together
    ///   take at most 255 octets (UDHL is one octet).
    public var bytes: [UInt8] {
        var body: [UInt8] = []
        for element in elements {
            precondition(element.data.count <= 255, "UDH information element longer than 255 octets")
            body.append(element.identifier)
            body.append(UInt8(element.data.count))
            body.append(contentsOf: element.data)
        }
        precondition(body.count <= 255, "User data header longer than 255 octets")
        return [UInt8(body.count)] + body
    }

    /// A concatenation element: IEI 0x00 (8-bit reference, the low byte of `reference` is
    /// used) or, with `is16Bit`, IEI 0x08 (16-bit reference) — 23.040 9.2.3.24.1 / .8.
    public static func concatenationElement(
        reference: UInt16, total: UInt8, sequence: UInt8, is16Bit: Bool
    ) -> InformationElement {
        if is16Bit {
            return InformationElement(
                identifier: concatenation16BitIdentifier,
                data: [UInt8(truncatingIfNeeded: reference >> 8), UInt8(truncatingIfNeeded: reference), total, sequence]
            )
        }
        return InformationElement(
            identifier: concatenation8BitIdentifier,
            data: [UInt8(truncatingIfNeeded: reference), total, sequence]
        )
    }

    /// A 16-bit application port addressing element, IEI 0x05 (23.040 9.2.3.24.4).
    public static func portsElement(destination: UInt16, originator: UInt16) -> InformationElement {
        InformationElement(
            identifier: ports16BitIdentifier,
            data: [
                UInt8(truncatingIfNeeded: destination >> 8), UInt8(truncatingIfNeeded: destination),
                UInt8(truncatingIfNeeded: originator >> 8), UInt8(truncatingIfNeeded: originator),
            ]
        )
    }
}
