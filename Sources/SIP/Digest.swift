// HTTP digest authentication as SIP uses it (RFC 3261 §22.4): parse a WWW-Authenticate or
// Proxy-Authenticate challenge, answer it with an Authorization or Proxy-Authorization value.
// RFC 2617 defines the scheme, RFC 7616 adds SHA-256 and RFC 8760 brings SHA-256 to SIP.
//
// Supported: MD5 and SHA-256, with qop=auth or without qop (the RFC 2069 form). Not supported:
// the "-sess" algorithms, SHA-512-256, qop=auth-int (it hashes the body, which this layer never
// sees), userhash and username* (RFC 7616 §3.4.4). A challenge asking only for something
// unsupported is rejected or left unanswered, never answered with a weaker form.

/// A digest hash algorithm (RFC 7616 §3.2, RFC 8760 §2).
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case md5 = "MD5"
    case sha256 = "SHA-256"

    /// Matches an `algorithm` parameter value case-insensitively (RFC 7616 §3.3: tokens are
    /// case-insensitive). `nil` for "-sess" variants and unknown algorithms.
    init?(token: String) {
        switch token.lowercased() {
        case "md5": self = .md5
        case "sha-256": self = .sha256
        default: return nil
        }
    }

    /// H(data) as lowercase hex (RFC 7616 §3.4.1).
    func hash(_ text: String) -> String {
        switch self {
        case .md5: MD5.hex(Array(text.utf8))
        case .sha256: SHA256.hex(Array(text.utf8))
        }
    }
}

/// What the client proves it knows (RFC 3261 §22.4).
public struct DigestCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// One Digest challenge from a 401 WWW-Authenticate or 407 Proxy-Authenticate header field
/// (RFC 3261 §22.4, RFC 2617 §3.2.1).
public struct DigestChallenge: Sendable, Equatable {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    /// ``DigestAlgorithm/md5`` when the challenge has no `algorithm` parameter (RFC 2617 §3.2.1).
    public var algorithm: DigestAlgorithm
    /// The `qop` options as offered, in order; empty when the challenge has no `qop`
    /// (an RFC 2069-style challenge).
    public var qopOptions: [String]
    public var stale: Bool

    public init(
        realm: String,
        nonce: String,
        opaque: String? = nil,
        algorithm: DigestAlgorithm = .md5,
        qopOptions: [String] = [],
        stale: Bool = false
    ) {
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        self.algorithm = algorithm
        self.qopOptions = qopOptions
        self.stale = stale
    }

    /// Parses the value of a WWW-Authenticate or Proxy-Authenticate header field.
    ///
    /// The grammar is RFC 2617 §3.2.1 / RFC 7235 §2.1: the scheme `Digest` (case-insensitive),
    /// then comma-separated `name=value` auth-params whose values are tokens or quoted strings
    /// with backslash escapes. Whitespace around `=` and `,` and empty list elements are
    /// tolerated; parameter names are case-insensitive; unknown parameters are ignored. When the
    /// value holds a second challenge after this one, parsing stops at its scheme.
    ///
    /// - Returns: `nil` when the scheme is not Digest, `realm` or `nonce` is missing, a parameter
    ///   appears twice (RFC 7235 §2.1), a quoted string is unterminated or holds CR, LF or NUL,
    ///   or `algorithm` is not MD5 or SHA-256 (including the "-sess" variants).
    public init?(headerValue: String) {
        var scanner = AuthParamScanner(Array(headerValue.utf8))
        scanner.skipWhitespace()
        guard let scheme = scanner.token(), scheme.lowercased() == "digest" else { return nil }
        guard scanner.skipWhitespace() else { return nil }

        var parameters: [String: String] = [:]
        while true {
            scanner.skipWhitespaceAndCommas()
            if scanner.isAtEnd { break }
            let beforeName = scanner.index
            guard let name = scanner.token() else { return nil }
            scanner.skipWhitespace()
            guard scanner.consume(UInt8(ascii: "=")) else {
                // A token not followed by "=" starts the next challenge (RFC 7235 §4.1).
                scanner.index = beforeName
                break
            }
            scanner.skipWhitespace()
            guard let value = scanner.parameterValue() else { return nil }
            let key = name.lowercased()
            guard parameters[key] == nil else { return nil }
            parameters[key] = value
            scanner.skipWhitespace()
            guard scanner.isAtEnd || scanner.peek == UInt8(ascii: ",") else { return nil }
        }

        guard let realm = parameters["realm"], let nonce = parameters["nonce"] else { return nil }
        var algorithm = DigestAlgorithm.md5
        if let token = parameters["algorithm"] {
            guard let parsed = DigestAlgorithm(token: token) else { return nil }
            algorithm = parsed
        }
        let qopOptions = (parameters["qop"] ?? "")
            .split(separator: ",")
            .map { $0.trimmingSIPWhitespace() }
            .filter { !$0.isEmpty }
        self.init(
            realm: realm,
            nonce: nonce,
            opaque: parameters["opaque"],
            algorithm: algorithm,
            qopOptions: qopOptions,
            stale: parameters["stale"]?.lowercased() == "true"
        )
    }

    /// Whether ``authorization(method:uri:credentials:nonceCount:cnonce:)`` can answer this
    /// challenge: it offers no `qop` at all, or offers `auth` among its options.
    public var isAnswerable: Bool {
        qopOptions.isEmpty || offersAuthQop
    }

    /// Picks the challenge to answer when a response carries several (RFC 8760 §2.4 lets the
    /// server offer one per algorithm): the first answerable SHA-256 challenge, else the first
    /// answerable MD5 one.
    ///
    /// - Returns: `nil` when no challenge is answerable (see ``isAnswerable``).
    public static func preferred(_ challenges: [DigestChallenge]) -> DigestChallenge? {
        let answerable = challenges.filter(\.isAnswerable)
        return answerable.first { $0.algorithm == .sha256 } ?? answerable.first { $0.algorithm == .md5 }
    }

    /// The value of the Authorization (for 401) or Proxy-Authorization (for 407) header field
    /// answering this challenge (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 7616 §3.4).
    ///
    /// With `qop=auth` the value is
    /// `Digest username="…", realm="…", nonce="…", uri="…", response="…", algorithm=MD5,
    /// cnonce="…", qop=auth, nc=00000001[, opaque="…"]` and
    /// response = H(H(A1):nonce:nc:cnonce:auth:H(A2)). When the challenge offers no `qop`, the
    /// RFC 2069-compatible form omits `cnonce`, `qop` and `nc`, and response = H(H(A1):nonce:H(A2)).
    /// A1 = username:realm:password, A2 = method:uri. Quoted values are escaped with backslashes.
    ///
    /// - Parameters:
    ///   - method: The request method, e.g. `REGISTER` or `INVITE` (for ACK and CANCEL, the
    ///     method of the request they refer to is *not* substituted here: pass what goes in A2).
    ///   - uri: The Request-URI exactly as sent (RFC 3261 §22.4 `digest-uri`).
    ///   - nonceCount: How many requests this nonce has been used for, starting at 1; sent as
    ///     eight lowercase hex digits.
    ///   - cnonce: The client nonce; must not be empty when `qop=auth` is used.
    /// - Returns: `nil` when the challenge is not answerable (it offers `qop` but not `auth`,
    ///   e.g. auth-int only: answering without qop would be a downgrade the server did not
    ///   offer), or when a value would corrupt the header: CR, LF or NUL in username, uri or
    ///   cnonce, a method that is not an RFC 3261 token, or an empty cnonce with `qop=auth`.
    public func authorization(
        method: String,
        uri: String,
        credentials: DigestCredentials,
        nonceCount: UInt32,
        cnonce: String
    ) -> String? {
        guard isAnswerable else { return nil }
        guard !method.isEmpty, method.utf8.allSatisfy(SIPSyntax.isTokenByte) else { return nil }
        for value in [credentials.username, uri, cnonce] where value.utf8.contains(where: SIPSyntax.isLineBreakOrNUL) {
            return nil
        }
        let useQop = offersAuthQop
        if useQop && cnonce.isEmpty { return nil }

        let hashA1 = algorithm.hash("\(credentials.username):\(realm):\(credentials.password)")
        let hashA2 = algorithm.hash("\(method):\(uri)")
        let nc = Self.formatNonceCount(nonceCount)
        let response = useQop
            ? algorithm.hash("\(hashA1):\(nonce):\(nc):\(cnonce):auth:\(hashA2)")
            : algorithm.hash("\(hashA1):\(nonce):\(hashA2)")

        var value = "Digest username=\(Self.quoted(credentials.username))"
        value += ", realm=\(Self.quoted(realm))"
        value += ", nonce=\(Self.quoted(nonce))"
        value += ", uri=\(Self.quoted(uri))"
        value += ", response=\"\(response)\""
        value += ", algorithm=\(algorithm.rawValue)"
        if useQop {
            value += ", cnonce=\(Self.quoted(cnonce)), qop=auth, nc=\(nc)"
        }
        if let opaque {
            value += ", opaque=\(Self.quoted(opaque))"
        }
        return value
    }

    private var offersAuthQop: Bool {
        qopOptions.contains { $0.lowercased() == "auth" }
    }

    /// `nc-value = 8LHEX` (RFC 2617 §3.2.2).
    static func formatNonceCount(_ count: UInt32) -> String {
        let digits = String(count, radix: 16, uppercase: false)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// A quoted-string with `"` and `\` escaped as quoted-pairs (RFC 3261 §25.1).
    static func quoted(_ value: String) -> String {
        var escaped = "\""
        for character in value.unicodeScalars {
            if character == "\"" || character == "\\" { escaped.unicodeScalars.append("\\") }
            escaped.unicodeScalars.append(character)
        }
        escaped += "\""
        return escaped
    }
}

// MARK: - Challenge scanning

/// A cursor over the UTF-8 of a challenge. Only ASCII bytes are ever delimiters, so slices
/// between them are valid UTF-8 and decode losslessly.
private struct AuthParamScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { isAtEnd ? nil : bytes[index] }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// Skips SP, HTAB, CR and LF (linear whitespace, folded or not). Returns whether any was
    /// skipped or the end was reached.
    @discardableResult
    mutating func skipWhitespace() -> Bool {
        let start = index
        while let byte = peek, SIPSyntax.isLinearWhitespace(byte) { index += 1 }
        return index > start || isAtEnd
    }

    mutating func skipWhitespaceAndCommas() {
        while let byte = peek, SIPSyntax.isLinearWhitespace(byte) || byte == UInt8(ascii: ",") { index += 1 }
    }

    mutating func token() -> String? {
        let start = index
        while let byte = peek, SIPSyntax.isTokenByte(byte) { index += 1 }
        guard index > start else { return nil }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A quoted string (unescaped) or, leniently, any run of visible characters other than
    /// `,` and `"` — servers send unquoted `algorithm`, `stale` and sometimes `qop`.
    mutating func parameterValue() -> String? {
        if consume(UInt8(ascii: "\"")) {
            var value: [UInt8] = []
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek, !SIPSyntax.isLineBreakOrNUL(escaped) else { return nil }
                    value.append(escaped)
                    index += 1
                case _ where SIPSyntax.isLineBreakOrNUL(byte):
                    return nil
                default:
                    value.append(byte)
                }
            }
            return nil
        }
        let start = index
        while let byte = peek, byte > 0x20, byte != 0x7f, byte != UInt8(ascii: ","), byte != UInt8(ascii: "\"") {
            index += 1
        }
        guard index > start else { return nil }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingSIPWhitespace() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
