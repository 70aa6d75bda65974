import Testing

@testable import SMPP

@Suite struct DeliveryReceiptTests {
    @Test func parsesCanonicalAppendixBText() throws {
        let text = "id:0123456789 sub:001 dlvrd:001 submit date:0610191018 done date:0610191018 stat:DELIVRD err:000 text:Hello world, this is"
        let receipt = try #require(DeliveryReceipt.parse(text: text))
        #expect(receipt.messageID == "0123456789")
        #expect(receipt.submitted == 1)
        #expect(receipt.delivered == 1)
        #expect(receipt.submitDate == "0610191018")
        #expect(receipt.doneDate == "0610191018")
        #expect(receipt.state == .delivered)
        #expect(receipt.statText == "DELIVRD")
        #expect(receipt.errorCode == "000")
        #expect(receipt.text == "Hello world, this is")
        #expect(receipt.networkErrorCode == nil)
        #expect(receipt.rawMessageState == nil)
    }

    @Test func parsesReceiptWithOnlyIDAndStat() throws {
        let receipt = try #require(DeliveryReceipt.parse(text: "id:77 stat:UNDELIV"))
        #expect(receipt.messageID == "77")
        #expect(receipt.state == .undeliverable)
        #expect(receipt.submitted == nil)
        #expect(receipt.delivered == nil)
        #expect(receipt.submitDate == nil)
        #expect(receipt.doneDate == nil)
        #expect(receipt.errorCode == nil)
        #expect(receipt.text == nil)
    }

    @Test func acceptsKeysInAnyCaseAndOrder() throws {
        let receipt = try #require(DeliveryReceipt.parse(text: "STAT:delivrd Err:001 DLVRD:1 Sub:1 ID:AbC123 Done Date:2301011201"))
        #expect(receipt.messageID == "AbC123")
        #expect(receipt.state == .delivered)
        #expect(receipt.statText == "delivrd")
        #expect(receipt.errorCode == "001")
        #expect(receipt.submitted == 1)
        #expect(receipt.delivered == 1)
        #expect(receipt.doneDate == "2301011201")
        #expect(receipt.text == nil)
    }

    @Test func parsesJasminStyleReceipt() throws {
        let text = "id:16fd2706-8baf-433b-82eb-8c7fada847da submit date:2301011200 done date:2301011201 stat:ACCEPTD err:000"
        let receipt = try #require(DeliveryReceipt.parse(text: text))
        #expect(receipt.messageID == "16fd2706-8baf-433b-82eb-8c7fada847da")
        #expect(receipt.state == .accepted)
        #expect(receipt.submitted == nil)
        #expect(receipt.delivered == nil)
        #expect(receipt.submitDate == "2301011200")
        #expect(receipt.doneDate == "2301011201")
        #expect(receipt.errorCode == "000")
        #expect(receipt.text == nil)
    }

    @Test func keepsErrorCodesRaw() throws {
        let four = try #require(DeliveryReceipt.parse(text: "id:1 stat:DELIVRD err:0000"))
        #expect(four.errorCode == "0000")
        let three = try #require(DeliveryReceipt.parse(text: "id:1 stat:UNDELIV err:002"))
        #expect(three.errorCode == "002")
        #expect(three.state == .undeliverable)
    }

    @Test func keepsTwelveDigitDates() throws {
        let receipt = try #require(DeliveryReceipt.parse(
            text: "id:9 sub:001 dlvrd:000 submit date:230101120059 done date:230101120130 stat:EXPIRED err:000 text:"
        ))
        #expect(receipt.submitDate == "230101120059")
        #expect(receipt.doneDate == "230101120130")
        #expect(receipt.state == .expired)
        #expect(receipt.delivered == 0)
        #expect(receipt.text == "")
    }

    @Test func acceptsDateKeySpellings() throws {
        let underscore = try #require(DeliveryReceipt.parse(text: "id:1 submit_date:2301011200 done_date:2301011201 stat:DELIVRD"))
        #expect(underscore.submitDate == "2301011200")
        #expect(underscore.doneDate == "2301011201")
        let joined = try #require(DeliveryReceipt.parse(text: "id:1 SubmitDate:2301011200 donedate:2301011201 stat:DELIVRD"))
        #expect(joined.submitDate == "2301011200")
        #expect(joined.doneDate == "2301011201")
    }

    @Test func toleratesExtraSpaces() throws {
        let receipt = try #require(DeliveryReceipt.parse(
            text: "  id: 12   sub:001  dlvrd:001   submit  date: 2301011200 done date:2301011201  stat: DELIVRD   err:000  text:  Hi there  "
        ))
        #expect(receipt.messageID == "12")
        #expect(receipt.submitDate == "2301011200")
        #expect(receipt.doneDate == "2301011201")
        #expect(receipt.state == .delivered)
        #expect(receipt.errorCode == "000")
        #expect(receipt.text == "Hi there")
    }

    @Test func textTakesTheRestOfTheString() throws {
        let receipt = try #require(DeliveryReceipt.parse(text: "id:5 stat:DELIVRD Text:Meet at 5  id:6 stat:REJECTD"))
        #expect(receipt.messageID == "5")
        #expect(receipt.state == .delivered)
        #expect(receipt.text == "Meet at 5  id:6 stat:REJECTD")
    }

    @Test func ignoresUnknownKeysAndWords() throws {
        let receipt = try #require(DeliveryReceipt.parse(text: "foo:bar id:42 hello mcc:234 stat:DELIVRD err:000 x"))
        #expect(receipt.messageID == "42")
        #expect(receipt.state == .delivered)
        #expect(receipt.errorCode == "000")
    }

    @Test func unknownStatWordIsStillAReceipt() throws {
        let receipt = try #require(DeliveryReceipt.parse(text: "id:42 stat:SKIPPED"))
        #expect(receipt.state == nil)
        #expect(receipt.statText == "SKIPPED")
    }

    @Test func firstOccurrenceOfAKeyWins() throws {
        let receipt = try #require(DeliveryReceipt.parse(text: "id:1 id:2 stat:DELIVRD stat:UNDELIV"))
        #expect(receipt.messageID == "1")
        #expect(receipt.state == .delivered)
    }

    @Test func nonReceiptTextIsNil() {
        #expect(DeliveryReceipt.parse(text: "") == nil)
        #expect(DeliveryReceipt.parse(text: "Hello, see you at 5") == nil)
        #expect(DeliveryReceipt.parse(text: "id:123 sub:001 dlvrd:001") == nil)
        #expect(DeliveryReceipt.parse(text: "stat:DELIVRD err:000") == nil)
        #expect(DeliveryReceipt.parse(text: "id: stat:DELIVRD") == nil)
        #expect(DeliveryReceipt.parse(text: "id:1 stat:") == nil)
        #expect(DeliveryReceipt.parse(text: "text:id:1 stat:DELIVRD") == nil)
    }

    @Test func randomInputNeverCrashes() {
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet: [Character] = [
            "i", "d", ":", " ", "s", "t", "a", "D", "E", "L", "I", "V", "R", "0", "1", "9", "x",
            "\t", "\n", "\0", "_", "-", "é", "🙂", "\r\n", "\u{301}", "e", "o", "n", "u", "b",
        ]
        let words = ["id:", "stat:", "submit", "date:", "done", "text:", "err:", "sub:", "dlvrd:", "DELIVRD", " "]
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 60) {
                if generator.next() % 3 == 0 {
                    text += words[Int(generator.next() % UInt64(words.count))]
                } else {
                    text.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
                }
            }
            if let receipt = DeliveryReceipt.parse(text: text) {
                #expect(!receipt.messageID.isEmpty)
                #expect(receipt.statText?.isEmpty == false)
            }
            _ = DeliveryReceipt.make(text: text, receiptedMessageID: nil, messageState: nil, networkErrorCode: nil)
        }
    }

    @Test func tlvValuesWinOverText() throws {
        let receipt = try #require(DeliveryReceipt.make(
            text: "id:0A1B2C sub:001 dlvrd:001 submit date:2301011200 done date:2301011201 stat:UNDELIV err:001 text:hi",
            receiptedMessageID: "662316",
            messageState: MessageState.delivered.rawValue,
            networkErrorCode: NetworkErrorCode(networkType: 3, errorCode: 0x0022)
        ))
        #expect(receipt.messageID == "662316")
        #expect(receipt.state == .delivered)
        #expect(receipt.statText == "UNDELIV")
        #expect(receipt.rawMessageState == 2)
        #expect(receipt.networkErrorCode == NetworkErrorCode(networkType: 3, errorCode: 0x0022))
        #expect(receipt.errorCode == "001")
        #expect(receipt.text == "hi")
    }

    @Test func tlvOnlyReceipt() throws {
        let receipt = try #require(DeliveryReceipt.make(
            text: nil, receiptedMessageID: "abc\0", messageState: 5, networkErrorCode: nil
        ))
        #expect(receipt.messageID == "abc")
        #expect(receipt.state == .undeliverable)
        #expect(receipt.statText == nil)
        #expect(receipt.text == nil)

        let withPlainText = try #require(DeliveryReceipt.make(
            text: "not a receipt", receiptedMessageID: "abc", messageState: 2, networkErrorCode: nil
        ))
        #expect(withPlainText.state == .delivered)
        #expect(withPlainText.text == nil)
    }

    @Test func tlvOnlyNeedsBothIDAndState() {
        #expect(DeliveryReceipt.make(text: nil, receiptedMessageID: "abc", messageState: nil, networkErrorCode: nil) == nil)
        #expect(DeliveryReceipt.make(text: nil, receiptedMessageID: nil, messageState: 2, networkErrorCode: nil) == nil)
        #expect(DeliveryReceipt.make(text: nil, receiptedMessageID: " ", messageState: 2, networkErrorCode: nil) == nil)
        #expect(DeliveryReceipt.make(text: "hello", receiptedMessageID: nil, messageState: nil, networkErrorCode: nil) == nil)
    }

    @Test func unknownMessageStateKeepsStateNil() throws {
        let withText = try #require(DeliveryReceipt.make(
            text: "id:1 stat:DELIVRD", receiptedMessageID: nil, messageState: 9, networkErrorCode: nil
        ))
        #expect(withText.state == nil)
        #expect(withText.statText == "DELIVRD")
        #expect(withText.rawMessageState == 9)
        #expect(withText.messageID == "1")

        let tlvOnly = try #require(DeliveryReceipt.make(
            text: nil, receiptedMessageID: "1", messageState: 0, networkErrorCode: nil
        ))
        #expect(tlvOnly.state == nil)
        #expect(tlvOnly.rawMessageState == 0)
    }

    @Test func textWithoutTLVsParsesAsText() throws {
        let receipt = try #require(DeliveryReceipt.make(
            text: "id:7 stat:EXPIRED", receiptedMessageID: nil, messageState: nil, networkErrorCode: nil
        ))
        #expect(receipt == DeliveryReceipt.parse(text: "id:7 stat:EXPIRED"))
    }

    @Test func networkErrorCodeTLVValueRoundTrips() throws {
        let code = try #require(NetworkErrorCode(tlvValue: [0x03, 0x01, 0x02]))
        #expect(code.networkType == 3)
        #expect(code.errorCode == 0x0102)
        #expect(code.knownNetworkType == .gsm)
        #expect(code.tlvValue == [0x03, 0x01, 0x02])
        #expect(NetworkErrorCode(tlvValue: [0x03, 0x01]) == nil)
        #expect(NetworkErrorCode(networkType: 9, errorCode: 0).knownNetworkType == nil)
    }

    @Test func esmClassReceiptBits() {
        #expect(DeliveryReceipt.esmClassIndicatesReceipt(0x04))
        #expect(DeliveryReceipt.esmClassIndicatesReceipt(0x44))
        #expect(DeliveryReceipt.esmClassIndicatesReceipt(0x20))
        #expect(!DeliveryReceipt.esmClassIndicatesReceipt(0x00))
        #expect(!DeliveryReceipt.esmClassIndicatesReceipt(0x40))
        #expect(!DeliveryReceipt.esmClassIndicatesReceipt(0x08))
    }
}

@Suite struct MessageStateTests {
    @Test func rawValuesFollowSection5_2_28() {
        #expect(MessageState.allCases.map(\.rawValue) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(MessageState(rawValue: 0) == nil)
        #expect(MessageState(rawValue: 9) == nil)
    }

    @Test func receiptStatWordsRoundTrip() {
        for state in MessageState.allCases {
            #expect(state.receiptStat.utf8.count == 7)
            #expect(MessageState(receiptStat: state.receiptStat) == state)
            #expect(MessageState(receiptStat: state.specName) == state)
            #expect(MessageState(receiptStat: state.receiptStat.lowercased()) == state)
        }
    }

    @Test func acceptsLongSpellingsCaseInsensitively() {
        #expect(MessageState(receiptStat: "delivered") == .delivered)
        #expect(MessageState(receiptStat: "Undeliverable") == .undeliverable)
        #expect(MessageState(receiptStat: "ACCEPTED") == .accepted)
        #expect(MessageState(receiptStat: "rejected") == .rejected)
        #expect(MessageState(receiptStat: " DELIVRD\0") == .delivered)
        #expect(MessageState(receiptStat: "DEL IVRD") == nil)
        #expect(MessageState(receiptStat: "SKIPPED") == nil)
        #expect(MessageState(receiptStat: "") == nil)
        #expect(MessageState(receiptStat: "DELİVRD") == nil)
    }

    @Test func onlyEnrouteIsIntermediate() {
        #expect(!MessageState.enroute.isFinal)
        #expect(MessageState.accepted.isFinal)
        #expect(MessageState.allCases.filter { !$0.isFinal } == [.enroute])
    }

    @Test func specNames() {
        #expect(MessageState.allCases.map(\.specName) == [
            "ENROUTE", "DELIVERED", "EXPIRED", "DELETED", "UNDELIVERABLE", "ACCEPTED", "UNKNOWN", "REJECTED",
        ])
    }
}

/// A small deterministic generator so the random-input test is reproducible.
fileprivate struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
