import Testing
@testable import SMPP

/// Vectors written octet by octet from the SMPP 3.4 layouts in section 4, for the operations
/// the third-party peer cannot encode (submit_multi, submit_multi_resp, replace_sm) and for the
/// header-only forms. Each comment names the fields in wire order.
@Suite struct SpecLayoutVectorTests {
    static func check(_ pdu: PDU, _ hex: String) throws {
        let bytes = try #require([UInt8](smppHex: hex))
        #expect(try pdu.encoded() == bytes)
        #expect(try PDUDecoder().decode(bytes) == pdu)
    }

    @Test func submitMultiMatchesSection451() throws {
        var pdu = SubmitMulti()
        pdu.sourceAddrTON = 1
        pdu.sourceAddrNPI = 1
        pdu.sourceAddr = "123"
        pdu.destAddresses = [.smeAddress(ton: 1, npi: 1, address: "456"), .distributionList(name: "list")]
        pdu.registeredDelivery = 1
        pdu.shortMessage = Array("hi".utf8)
        try Self.check(PDU(.submitMulti(pdu), sequenceNumber: 5), """
            00000031 00000021 00000000 00000005
            00
            01 01 31323300
            02
            01 01 01 34353600
            02 6c69737400
            00 00 00 00 00 01 00 00 00
            02 6869
            """)
    }

    @Test func submitMultiRespMatchesSection452() throws {
        let resp = SubmitMultiResp(messageID: "abc", unsuccessSMEs: [
            UnsuccessSME(destAddrTON: 1, destAddrNPI: 1, destinationAddr: "456", errorStatusCode: .invalidDestinationAddress),
        ])
        try Self.check(PDU(.submitMultiResp(resp), sequenceNumber: 5), """
            0000001f 80000021 00000000 00000005
            61626300
            01
            01 01 34353600 0000000b
            """)
    }

    @Test func replaceSMMatchesSection4101() throws {
        var pdu = ReplaceSM()
        pdu.messageID = "42"
        pdu.sourceAddrTON = 1
        pdu.sourceAddrNPI = 1
        pdu.sourceAddr = "123"
        pdu.registeredDelivery = 1
        pdu.shortMessage = Array("new".utf8)
        try Self.check(PDU(.replaceSM(pdu), sequenceNumber: 6), """
            00000021 00000007 00000000 00000006
            343200
            01 01 31323300
            00 00
            01 00
            03 6e6577
            """)
    }

    @Test func headerOnlyErrorResponsesRoundTrip() throws {
        try Self.check(PDU(.submitMultiResp(nil), sequenceNumber: 9, commandStatus: .throttled),
                       "00000010 80000021 00000058 00000009")
        try Self.check(PDU(.querySMResp(nil), sequenceNumber: 9, commandStatus: .queryFailed),
                       "00000010 80000003 00000067 00000009")
        try Self.check(PDU(.dataSMResp(nil), sequenceNumber: 9, commandStatus: .deliveryFailure),
                       "00000010 80000103 000000fe 00000009")
        try Self.check(PDU(.bindResp(.transceiver, nil), sequenceNumber: 1, commandStatus: .invalidPassword),
                       "00000010 80000009 0000000e 00000001")
    }

    @Test func enquireLinkIsSixteenOctets() throws {
        try Self.check(PDU(.enquireLink, sequenceNumber: 0x7FFF_FFFF), "00000010 00000015 00000000 7fffffff")
    }

    @Test func unknownTLVTagsSurviveByteForByte() throws {
        var deliver = DeliverSM()
        deliver.sourceAddr = "1"
        deliver.destinationAddr = "2"
        deliver.tlvs = [TLV(tag: TLVTag(0x1400), value: [0xde, 0xad]), TLV(tag: TLVTag(0x3fff), value: [])]
        try Self.check(PDU(.deliverSM(deliver), sequenceNumber: 3), """
            0000002d 00000005 00000000 00000003
            00 00 00 3100 00 00 3200 00 00 00 00 00 00 00 00 00 00
            1400 0002 dead
            3fff 0000
            """)
    }
}
