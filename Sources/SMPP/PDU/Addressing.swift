/// type_of_number / numbering_plan_indicator for an address as users write it
/// (SMPP 3.4 sections 5.2.5 and 5.2.6).
public struct SMPPAddress: Sendable, Hashable {
    public var ton: UInt8
    public var npi: UInt8
    /// The address as it goes in the PDU (no leading `+`).
    public var address: String

    public init(ton: UInt8, npi: UInt8, address: String) {
        self.ton = ton
        self.npi = npi
        self.address = address
    }

    /// Derives TON/NPI from how the address is written:
    /// - `+` followed by digits → international (1) / ISDN E.164 (1), without the `+`;
    /// - 10 or more digits → international (1) / ISDN (1);
    /// - up to 9 digits (short codes, national numbers) → unknown (0) / ISDN (1);
    /// - anything else (an alphanumeric sender such as `Tandem`) → alphanumeric (5) / unknown (0).
    /// SMSCs differ: callers that know better set TON/NPI themselves.
    public static func derive(_ written: String) -> SMPPAddress {
        let digits = written.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        if written.hasPrefix("+"), written.count > 1, written.dropFirst().utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return SMPPAddress(ton: 1, npi: 1, address: String(written.dropFirst()))
        }
        if digits, !written.isEmpty {
            return SMPPAddress(ton: written.count >= 10 ? 1 : 0, npi: 1, address: written)
        }
        return SMPPAddress(ton: 5, npi: 0, address: written)
    }
}

extension ShortMessagePDU {
    /// Sets source_addr and destination_addr with their TON/NPI.
    public mutating func setAddresses(source: SMPPAddress, destination: SMPPAddress) {
        sourceAddrTON = source.ton
        sourceAddrNPI = source.npi
        sourceAddr = source.address
        destAddrTON = destination.ton
        destAddrNPI = destination.npi
        destinationAddr = destination.address
    }
}
