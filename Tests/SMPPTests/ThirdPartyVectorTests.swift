import Foundation
import Testing
@testable import SMPP

/// PDUs encoded by a third-party SMPP implementation (smpp.pdu3 0.6, recorded by
/// `scripts/record-smpp-vectors.py`): Tandem must decode every field they carry and re-encode
/// them to the same octets.
@Suite struct ThirdPartyVectorTests {
    struct Vector: Decodable, CustomTestStringConvertible {
        var name: String
        var hex: String?
        var command: String?
        var command_id: UInt32?
        var command_status: UInt32?
        var sequence_number: UInt32?
        var fields: [String: FieldValue]?
        var tlvs: [TLVEntry]?
        var testDescription: String { name }
    }

    struct TLVEntry: Decodable {
        var tag: UInt16
        var hex: String
    }

    enum FieldValue: Decodable, Equatable {
        case int(Int64)
        case string(String)
        case list([[String: FieldValue]])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int64.self) { self = .int(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else { self = .list(try container.decode([[String: FieldValue]].self)) }
        }

        func matches(_ json: JSONValue?) -> Bool {
            switch (self, json) {
            case (.int(let a), .int(let b)?): return a == b
            case (.string(let a), .string(let b)?): return a == b
            case (.list(let items), .array(let values)?):
                return items.count == values.count && zip(items, values).allSatisfy { item, value in
                    item.allSatisfy { $0.value.matches(value[$0.key]) }
                }
            default: return false
            }
        }
    }

    static let vectors: [Vector] = {
        guard let url = Bundle.module.url(forResource: "pdu3-vectors", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url),
              let all = try? JSONDecoder().decode([Vector].self, from: data) else { return [] }
        return all.filter { $0.hex != nil }
    }()

    @Test func fixtureCoversEveryCommandThePeerCanEncode() {
        let commands = Set(Self.vectors.compactMap(\.command))
        // submit_multi(_resp) and replace_sm are beyond smpp.pdu3 0.6; SpecLayoutVectorTests
        // covers them from the spec's layouts.
        let expected = Set(CommandID.allCases.map(\.specName)).subtracting(["submit_multi", "submit_multi_resp", "replace_sm"])
        #expect(commands == expected)
    }

    @Test(arguments: vectors)
    func decodesEveryFieldTheThirdPartyEncoded(_ vector: Vector) throws {
        let bytes = try #require([UInt8](smppHex: vector.hex ?? ""))
        let pdu = try PDUDecoder().decode(bytes)
        let json = pdu.json()
        #expect(json["command"] == .string(vector.command ?? ""))
        #expect(pdu.commandID.rawValue == vector.command_id)
        #expect(pdu.commandStatus.rawValue == vector.command_status)
        #expect(pdu.sequenceNumber == vector.sequence_number)
        for (name, value) in vector.fields ?? [:] {
            #expect(value.matches(json[name]), "field \(name): expected \(value), decoded \(json[name]?.rendered() ?? "nothing")")
        }
        let expectedTLVs = (vector.tlvs ?? []).map { "\($0.tag):\($0.hex)" }
        var decodedTLVs: [String] = []
        if case .array(let entries)? = json["tlvs"] {
            for entry in entries {
                if case .int(let tag)? = entry["tag"], case .string(let hex)? = entry["hex"] { decodedTLVs.append("\(tag):\(hex)") }
            }
        }
        #expect(decodedTLVs == expectedTLVs)
    }

    @Test(arguments: vectors)
    func reencodesToTheSameOctets(_ vector: Vector) throws {
        let bytes = try #require([UInt8](smppHex: vector.hex ?? ""))
        let pdu = try PDUDecoder().decode(bytes)
        #expect(try pdu.encoded().smppHex == bytes.smppHex)
    }
}
