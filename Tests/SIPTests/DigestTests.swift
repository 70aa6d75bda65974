import Testing
@testable import SIP

/// Known-answer vectors for the hand-written hashes (RFC 1321 §A.5, FIPS 180-4 examples).
@Suite struct HashVectorTests {
    @Test func md5OfEmptyInputMatchesRFC1321() {
        #expect(MD5.hex([]) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func md5OfABCMatchesRFC1321() {
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func md5OfEightyDigitsSpansTwoBlocks() {
        let input = String(repeating: "1234567890", count: 8)
        #expect(MD5.hex(Array(input.utf8)) == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test func md5OfAMillionAsMatchesTheKnownAnswer() {
        #expect(MD5.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "7707d6ae4e027c70eea2a935c2296f21")
    }

    @Test func sha256OfEmptyInputMatchesFIPS180() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sha256OfABCMatchesFIPS180() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256OfTheTwoBlockMessageMatchesFIPS180() {
        let input = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hex(Array(input.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256OfAMillionAsMatchesFIPS180() {
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

/// Digest challenges in, Authorization values out (RFC 3261 §22.4, RFC 2617, RFC 7616, RFC 8760).
@Suite struct DigestTests {
    static let mufasa = DigestCredentials(username: "Mufasa", password: "Circle Of Life")

    /// The unquoted value of `name` in an Authorization value whose values hold no commas.
    static func parameter(_ name: String, in value: String) -> String? {
        let body = value.hasPrefix("Digest ") ? value.dropFirst("Digest ".count) : Substring(value)
        for element in body.split(separator: ",") {
            let trimmed = element.drop { $0 == " " }
            guard trimmed.hasPrefix("\(name)=") else { continue }
            let raw = trimmed.dropFirst(name.count + 1)
            return raw.first == "\"" ? String(raw.dropFirst().dropLast()) : String(raw)
        }
        return nil
    }

    // MARK: - Answers

    @Test func md5ResponseMatchesTheRFC2617Example() throws {
        let challenge = try #require(DigestChallenge(headerValue: """
            Digest realm="testrealm@host.com", qop="auth,auth-int", \
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"
            """))
        let value = try #require(challenge.authorization(
            method: "GET", uri: "/dir/index.html", credentials: Self.mufasa, nonceCount: 1, cnonce: "0a4f113b"))
        #expect(value == """
            Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", \
            uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, \
            cnonce="0a4f113b", qop=auth, nc=00000001, opaque="5ccc069c403ebaf9f0171e9517f40e41"
            """)
    }

    @Test func sha256ResponseMatchesTheRFC7616Example() throws {
        let challenge = try #require(DigestChallenge(headerValue: """
            Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, \
            nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
            """))
        #expect(challenge.algorithm == .sha256)
        let value = try #require(challenge.authorization(
            method: "GET", uri: "/dir/index.html",
            credentials: DigestCredentials(username: "Mufasa", password: "Circle of Life"),
            nonceCount: 1, cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"))
        #expect(Self.parameter("response", in: value)
            == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        #expect(Self.parameter("algorithm", in: value) == "SHA-256")
        #expect(Self.parameter("opaque", in: value) == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
    }

    @Test func challengeWithoutQopGetsTheRFC2069FormWithoutCnonceOrNc() throws {
        let challenge = DigestChallenge(realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093")
        let value = try #require(challenge.authorization(
            method: "GET", uri: "/dir/index.html", credentials: Self.mufasa, nonceCount: 1, cnonce: "ignored"))
        // H(H(A1):nonce:H(A2)), A1 = Mufasa:testrealm@host.com:Circle Of Life, A2 = GET:/dir/index.html.
        let hashA1 = MD5.hex(Array("Mufasa:testrealm@host.com:Circle Of Life".utf8))
        let hashA2 = MD5.hex(Array("GET:/dir/index.html".utf8))
        let expected = MD5.hex(Array("\(hashA1):dcd98b7102dd2f0e8b11d0f600bfb0c093:\(hashA2)".utf8))
        #expect(value == """
            Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", \
            uri="/dir/index.html", response="\(expected)", algorithm=MD5
            """)
        #expect(!value.contains("cnonce"))
        #expect(!value.contains("nc="))
        #expect(!value.contains("qop"))
    }

    @Test func authIntOnlyChallengeIsNotAnswered() throws {
        let challenge = try #require(DigestChallenge(headerValue: #"Digest realm="r", nonce="n", qop="auth-int""#))
        #expect(!challenge.isAnswerable)
        #expect(challenge.authorization(
            method: "INVITE", uri: "sip:bob@example.com", credentials: Self.mufasa, nonceCount: 1, cnonce: "c") == nil)
    }

    @Test func nonceCountIsEightLowercaseHexDigits() throws {
        let challenge = DigestChallenge(realm: "r", nonce: "n", qopOptions: ["auth"])
        let value = try #require(challenge.authorization(
            method: "REGISTER", uri: "sip:r", credentials: Self.mufasa, nonceCount: 0xABC, cnonce: "c"))
        #expect(Self.parameter("nc", in: value) == "00000abc")
    }

    @Test func quotesAndBackslashesInValuesAreEscaped() throws {
        let challenge = try #require(DigestChallenge(headerValue: #"Digest realm="a \"quoted\" \\ realm", nonce="n""#))
        #expect(challenge.realm == #"a "quoted" \ realm"#)
        let value = try #require(challenge.authorization(
            method: "REGISTER", uri: "sip:r",
            credentials: DigestCredentials(username: #"al"ice"#, password: "p"), nonceCount: 1, cnonce: "c"))
        #expect(value.hasPrefix(#"Digest username="al\"ice", realm="a \"quoted\" \\ realm", "#))
        // The hash covers the unescaped values.
        let hashA1 = MD5.hex(Array(#"al"ice:a "quoted" \ realm:p"#.utf8))
        let hashA2 = MD5.hex(Array("REGISTER:sip:r".utf8))
        #expect(Self.parameter("response", in: value) == MD5.hex(Array("\(hashA1):n:\(hashA2)".utf8)))
    }

    @Test func valuesThatWouldBreakTheHeaderAreRefused() {
        let challenge = DigestChallenge(realm: "r", nonce: "n", qopOptions: ["auth"])
        let good = DigestCredentials(username: "u", password: "p")
        #expect(challenge.authorization(method: "REGISTER", uri: "sip:r\r\nX: y", credentials: good,
                                        nonceCount: 1, cnonce: "c") == nil)
        #expect(challenge.authorization(method: "REGISTER", uri: "sip:r",
                                        credentials: DigestCredentials(username: "u\n", password: "p"),
                                        nonceCount: 1, cnonce: "c") == nil)
        #expect(challenge.authorization(method: "REG ISTER", uri: "sip:r", credentials: good,
                                        nonceCount: 1, cnonce: "c") == nil)
        #expect(challenge.authorization(method: "REGISTER", uri: "sip:r", credentials: good,
                                        nonceCount: 1, cnonce: "") == nil)
    }

    // MARK: - Parsing

    @Test func kamailioChallengeParses() throws {
        let challenge = try #require(DigestChallenge(
            headerValue: #"Digest realm="trunk.tandem.test", nonce="Y2hhbGxlbmdl...", qop="auth""#))
        #expect(challenge == DigestChallenge(
            realm: "trunk.tandem.test", nonce: "Y2hhbGxlbmdl...", opaque: nil, algorithm: .md5,
            qopOptions: ["auth"], stale: false))
    }

    @Test func oddWhitespaceAndCaseAreTolerated() throws {
        let challenge = try #require(DigestChallenge(headerValue:
            "  dIgEsT   REALM = \"r\" ,nonce=\"n\"\t,\t ALGORITHM = sha-256 ,, STALE=TRUE ,qop = \" auth , auth-int \"  "))
        #expect(challenge.realm == "r")
        #expect(challenge.nonce == "n")
        #expect(challenge.algorithm == .sha256)
        #expect(challenge.stale)
        #expect(challenge.qopOptions == ["auth", "auth-int"])
    }

    @Test func commasInsideQuotedValuesDoNotSplitParameters() throws {
        let challenge = try #require(DigestChallenge(headerValue: #"Digest realm="a, b", nonce="x,y=z", opaque="o""#))
        #expect(challenge.realm == "a, b")
        #expect(challenge.nonce == "x,y=z")
        #expect(challenge.opaque == "o")
    }

    @Test func missingAlgorithmMeansMD5() throws {
        let challenge = try #require(DigestChallenge(headerValue: #"Digest realm="r", nonce="n""#))
        #expect(challenge.algorithm == .md5)
        #expect(challenge.qopOptions.isEmpty)
        #expect(!challenge.stale)
        #expect(challenge.opaque == nil)
    }

    @Test func unsupportedAlgorithmsAreRejected() {
        #expect(DigestChallenge(headerValue: #"Digest realm="r", nonce="n", algorithm=MD5-sess"#) == nil)
        #expect(DigestChallenge(headerValue: #"Digest realm="r", nonce="n", algorithm=SHA-256-sess"#) == nil)
        #expect(DigestChallenge(headerValue: #"Digest realm="r", nonce="n", algorithm=SHA-512-256"#) == nil)
        #expect(DigestChallenge(headerValue: #"Digest realm="r", nonce="n", algorithm="md5""#)?.algorithm == .md5)
    }

    @Test func missingRealmOrNonceIsRejected() {
        #expect(DigestChallenge(headerValue: #"Digest nonce="n""#) == nil)
        #expect(DigestChallenge(headerValue: #"Digest realm="r""#) == nil)
        #expect(DigestChallenge(headerValue: "Digest") == nil)
        #expect(DigestChallenge(headerValue: "") == nil)
    }

    @Test func otherSchemesAndBrokenSyntaxAreRejected() {
        #expect(DigestChallenge(headerValue: #"Basic realm="r""#) == nil)
        #expect(DigestChallenge(headerValue: #"Digest realm="r, nonce="n""#) == nil)  // unterminated
        #expect(DigestChallenge(headerValue: #"Digest realm="r" nonce="n""#) == nil)  // no comma
        #expect(DigestChallenge(headerValue: "Digest realm=\"r\r\nX: y\", nonce=\"n\"") == nil)
        #expect(DigestChallenge(headerValue: #"Digest realm="r", nonce="n", realm="s""#) == nil)  // duplicate
    }

    @Test func unknownParametersAreIgnored() throws {
        let challenge = try #require(DigestChallenge(headerValue: #"Digest realm="r", domain="sip:a sip:b", nonce="n", x=y"#))
        #expect(challenge.nonce == "n")
    }

    @Test func parsingStopsAtASecondChallengeInTheSameValue() throws {
        let challenge = try #require(DigestChallenge(
            headerValue: #"Digest realm="r", nonce="n", Digest realm="s", nonce="m", algorithm=SHA-256"#))
        #expect(challenge.realm == "r")
        #expect(challenge.algorithm == .md5)
    }

    // MARK: - Choosing

    @Test func preferredPicksSHA256WhenOffered() throws {
        let md5 = try #require(DigestChallenge(headerValue: #"Digest realm="r", nonce="a", qop="auth""#))
        let sha = try #require(DigestChallenge(headerValue: #"Digest realm="r", nonce="b", qop="auth", algorithm=SHA-256"#))
        #expect(DigestChallenge.preferred([md5, sha]) == sha)
        #expect(DigestChallenge.preferred([sha, md5]) == sha)
    }

    @Test func preferredFallsBackToMD5() throws {
        let md5 = try #require(DigestChallenge(headerValue: #"Digest realm="r", nonce="a""#))
        #expect(DigestChallenge.preferred([md5]) == md5)
        #expect(DigestChallenge.preferred([]) == nil)
    }

    @Test func preferredSkipsChallengesItCannotAnswer() {
        let shaAuthInt = DigestChallenge(realm: "r", nonce: "a", algorithm: .sha256, qopOptions: ["auth-int"])
        let md5 = DigestChallenge(realm: "r", nonce: "b", qopOptions: ["auth"])
        #expect(DigestChallenge.preferred([shaAuthInt, md5]) == md5)
        #expect(DigestChallenge.preferred([shaAuthInt]) == nil)
    }
}
