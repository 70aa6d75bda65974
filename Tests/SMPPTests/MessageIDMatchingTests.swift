import Testing

@testable import SMPP

@Suite struct MessageIDMatchingTests {
    /// Indexes the submit ids under all their keys, then looks the receipt id up by trying its
    /// keys in order, as the contract describes.
    private func lookup(receipt: String, in submitIDs: [String]) -> String? {
        var table: [String: String] = [:]
        for id in submitIDs {
            for key in MessageIDMatching.keys(forSubmitResponseID: id) where table[key] == nil {
                table[key] = id
            }
        }
        for key in MessageIDMatching.keys(forReceiptID: receipt) {
            if let id = table[key] { return id }
        }
        return nil
    }

    private func matches(submit: String, receipt: String) -> Bool {
        lookup(receipt: receipt, in: [submit]) == submit
    }

    @Test func hexSubmitIDMatchesDecimalReceiptID() {
        #expect(matches(submit: "0A1B2C", receipt: "662316"))
        #expect(!matches(submit: "0A1B2C", receipt: "662317"))
        #expect(MessageIDMatching.keys(forSubmitResponseID: "0A1B2C") == ["t:a1b2c", "n:662316"])
        #expect(MessageIDMatching.keys(forReceiptID: "662316") == ["t:662316", "n:662316"])
    }

    @Test func identicalDecimalIDsMatch() {
        #expect(matches(submit: "12345", receipt: "12345"))
    }

    @Test func caseDifferencesMatch() {
        #expect(matches(submit: "ABCDEF0123", receipt: "abcdef0123"))
        #expect(matches(submit: "abcdef0123", receipt: "ABCDEF0123"))
    }

    @Test func leadingZerosAreIgnored() {
        #expect(matches(submit: "00042", receipt: "42"))
        #expect(matches(submit: "42", receipt: "0042"))
        #expect(MessageIDMatching.normalized("00042") == "42")
        #expect(MessageIDMatching.normalized("000") == "0")
        #expect(MessageIDMatching.normalized("0") == "0")
    }

    @Test func uuidsMatchByTextOnly() {
        let uuid = "16fd2706-8baf-433b-82eb-8c7fada847da"
        #expect(MessageIDMatching.keys(forSubmitResponseID: uuid) == ["t:" + uuid])
        #expect(MessageIDMatching.keys(forReceiptID: uuid.uppercased()) == ["t:" + uuid])
        #expect(matches(submit: uuid, receipt: uuid.uppercased()))
        #expect(!matches(submit: uuid, receipt: "16fd2706-8baf-433b-82eb-8c7fada847db"))
    }

    @Test func textKeyIsPreferredOverNumericKey() {
        // "12345" read as hex is 74565; a receipt "74565" must still find the submission
        // whose id is literally "74565".
        #expect(lookup(receipt: "74565", in: ["12345", "74565"]) == "74565")
        #expect(lookup(receipt: "74565", in: ["74565", "12345"]) == "74565")
        #expect(lookup(receipt: "12345", in: ["12345", "74565"]) == "12345")
    }

    @Test func normalizationTrimsAndLowercases() {
        #expect(MessageIDMatching.normalized("  AbC\0") == "abc")
        #expect(MessageIDMatching.normalized("") == "")
        #expect(MessageIDMatching.normalized(" \0 ") == "")
        #expect(MessageIDMatching.keys(forSubmitResponseID: "") == [])
        #expect(MessageIDMatching.keys(forReceiptID: "  ") == [])
    }

    @Test func numericKeysNeedDigitsThatFit() {
        // 17 hex digits do not fit in UInt64: text key only.
        #expect(MessageIDMatching.keys(forSubmitResponseID: "1FFFFFFFFFFFFFFFF") == ["t:1ffffffffffffffff"])
        #expect(MessageIDMatching.keys(forSubmitResponseID: "FFFFFFFFFFFFFFFF") == ["t:ffffffffffffffff", "n:18446744073709551615"])
        #expect(MessageIDMatching.keys(forReceiptID: "18446744073709551616") == ["t:18446744073709551616"])
        #expect(MessageIDMatching.keys(forReceiptID: "+12") == ["t:+12"])
        #expect(MessageIDMatching.keys(forSubmitResponseID: "+12") == ["t:+12"])
        #expect(MessageIDMatching.keys(forReceiptID: "0A") == ["t:a"])
        #expect(MessageIDMatching.keys(forReceiptID: "000") == ["t:0", "n:0"])
    }
}
