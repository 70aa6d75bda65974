import Testing
@testable import SMPP

/// A long text split into submit_sm parts, put on the wire, read back as the far side would
/// (deliver_sm parts in any order) and reassembled: the text survives every method.
@Suite struct LongMessageEndToEndTests {
    static let gsmText = String(repeating: "Tandem {bridges} SMPP & SIP; ", count: 12)
    static let ucs2Text = String(repeating: "Привет 😀 мир, ", count: 12)

    static func roundTrip(_ text: String, method: ConcatenationMethod, shuffleSeed: UInt64) throws -> String? {
        var template = SubmitSM()
        template.sourceAddr = "15550001111"
        template.destinationAddr = "447700900123"
        let parts = try SubmitSM.parts(of: text, template: template, method: method, reference: 0x1234)
        #expect(parts.count > 1)
        var wire: [[UInt8]] = []
        for (index, part) in parts.enumerated() {
            // The SMSC hands the same content to the handset side as deliver_sm.
            var deliver = DeliverSM()
            deliver.sourceAddr = part.sourceAddr
            deliver.destinationAddr = part.destinationAddr
            deliver.esmClass = part.esmClass
            deliver.dataCoding = part.dataCoding
            deliver.shortMessage = part.shortMessage
            deliver.tlvs = part.tlvs
            wire.append(try PDU(.deliverSM(deliver), sequenceNumber: UInt32(index + 1)).encoded())
        }
        var rng = SeededGenerator(seed: shuffleSeed)
        wire.shuffle(using: &rng)
        var reassembler = Reassembler<ConcatenationInfo>(timeout: .seconds(60), maxPendingSegments: 100)
        for bytes in wire {
            guard case .deliverSM(let deliver) = try PDUDecoder().decode(bytes).body,
                  let info = deliver.concatenation else {
                Issue.record("part lost its concatenation info")
                return nil
            }
            let key = SegmentKey(bind: "smsc-a", source: deliver.sourceAddr, destination: deliver.destinationAddr, info: info)
            if case .complete(let ordered) = reassembler.add(info, key: key, sequence: info.sequence, now: .seconds(1)) {
                let data = ordered.flatMap(\.payload)
                return ShortMessageText.decode(data, dataCoding: deliver.dataCoding)
            }
        }
        return nil
    }

    @Test(arguments: [ConcatenationMethod.udh8, .udh16, .sar])
    func gsmTextSurvivesSplittingShufflingAndReassembly(method: ConcatenationMethod) throws {
        #expect(try Self.roundTrip(Self.gsmText, method: method, shuffleSeed: 3) == Self.gsmText)
    }

    @Test(arguments: [ConcatenationMethod.udh8, .udh16, .sar])
    func ucs2TextWithEmojiSurvivesSplittingShufflingAndReassembly(method: ConcatenationMethod) throws {
        #expect(try Self.roundTrip(Self.ucs2Text, method: method, shuffleSeed: 4) == Self.ucs2Text)
    }

    @Test func payloadMethodSendsOnePDUWithTheWholeText() throws {
        let parts = try SubmitSM.parts(of: Self.ucs2Text, template: SubmitSM(), method: .payload, reference: 1)
        #expect(parts.count == 1)
        #expect(parts[0].shortMessage.isEmpty)
        #expect(parts[0].dataCoding == 8)
        let payload = try #require(parts[0].tlvs.messagePayload)
        #expect(ShortMessageText.decode(payload, dataCoding: 8) == Self.ucs2Text)
        #expect(try PDUDecoder().decode(PDU(.submitSM(parts[0]), sequenceNumber: 1).encoded()) == PDU(.submitSM(parts[0]), sequenceNumber: 1))
    }

    @Test func receiptFromTheThirdPartyVectorPrefersTheTLVs() throws {
        let hex = "000000cb00000005000000000000001f000101343437373030393030343536000101343437373030393030313233000400000000000000007769643a37633366396532613031207375623a30303120646c7672643a303030207375626d697420646174653a3234303232393132333020646f6e6520646174653a3234303232393132333520737461743a554e44454c4956206572723a30303120546578743a48656c6c6f2066726f6d2054616e64656d042300030300010427000105001e000b3763336639653261303100"
        guard case .deliverSM(let deliver) = try PDUDecoder().decode(try #require([UInt8](smppHex: hex))).body else {
            Issue.record("not deliver_sm"); return
        }
        let receipt = try #require(deliver.deliveryReceipt)
        #expect(receipt.messageID == "7c3f9e2a01")
        #expect(receipt.state == .undeliverable)
        #expect(receipt.networkErrorCode == NetworkErrorCode(networkType: 3, errorCode: 1))
        #expect(receipt.errorCode == "001")
        #expect(receipt.submitDate == "2402291230")
    }

    @Test func plainMobileOriginatedMessageIsNotAReceipt() {
        var deliver = DeliverSM()
        deliver.shortMessage = Array("id:1 stat:DELIVRD looks like one but esm_class says MO".utf8)
        #expect(deliver.deliveryReceipt == nil)
    }
}
