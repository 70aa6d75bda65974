// Cheap byte-level checks that run before osip2 sees a datagram.
//
// osip2's header parsing is quadratic in the number of header fields: a 64 KB datagram made of
// 13,000 one-byte headers costs about half a second of CPU. ``SIPDatagramGuard`` bounds the size
// and the header-line count in one linear pass, and ``SIPResponseSkeleton`` pulls out just enough
// of a rejected request to answer it (513 or 400) without handing it to osip2 at all.

/// What to do with one received datagram.
public enum SIPDatagramVerdict: Equatable, Sendable {
    /// Passes the cheap checks; hand it to the parser.
    case parse
    /// Only CR and LF bytes, or nothing at all: a CRLF keep-alive (RFC 5626 §3.5.1, §4.4.1).
    /// Drop it silently.
    case keepAlive
    /// Longer than ``SIPDatagramGuard/maximumSize``. A request may be answered with 513 Message
    /// Too Large (RFC 3261 §18.1.1, §21.5.14) via ``SIPResponseSkeleton``.
    case tooLarge(size: Int)
    /// More header lines than ``SIPDatagramGuard/maximumHeaderLines``; `count` is the number of
    /// header lines found (start line excluded).
    case tooManyHeaderLines(count: Int)
    /// Not a SIP message: a NUL in the start line or header section, no line end at all, an
    /// empty line before the start line, or a first line that is neither a request line nor a
    /// status line (RFC 3261 §7.1, §7.2).
    case malformed(reason: String)
}

/// Size and shape limits checked on a datagram's raw bytes before any parsing.
///
/// The check is one linear pass over at most ``maximumSize`` bytes and allocates nothing.
/// Line ends may be CRLF or bare LF.
public struct SIPDatagramGuard: Sendable, Equatable {
    /// The largest datagram handed to the parser, in bytes. Datagrams of exactly this size pass.
    /// RFC 3261 §18.1.1 keeps UDP requests under 1300 bytes unless the path MTU allows more;
    /// 16 KB leaves room for large SDP and long Via/Record-Route chains.
    public var maximumSize: Int
    /// The most header lines (start line excluded, folded continuation lines included) a
    /// datagram may have. Exactly this many pass.
    public var maximumHeaderLines: Int

    public init(maximumSize: Int = 16_384, maximumHeaderLines: Int = 128) {
        self.maximumSize = maximumSize
        self.maximumHeaderLines = maximumHeaderLines
    }

    /// Classifies one datagram.
    ///
    /// Checks, in order: size (``SIPDatagramVerdict/tooLarge(size:)``), CR/LF-only content
    /// (``SIPDatagramVerdict/keepAlive``), the start line, NUL bytes in the header section, then
    /// the number of header lines up to the first empty line or the end of the datagram. The
    /// body is not inspected (it may legitimately hold any bytes).
    public func inspect(_ bytes: UnsafeRawBufferPointer) -> SIPDatagramVerdict {
        let count = bytes.count
        if count > maximumSize { return .tooLarge(size: count) }
        if bytes.allSatisfy(SIPSyntax.isLineBreak) { return .keepAlive }
        if SIPSyntax.isLineBreak(bytes[0]) { return .malformed(reason: "empty line before the start line") }

        guard let firstLineFeed = SIPSyntax.indexOfLineFeed(in: bytes, from: 0, to: count) else {
            return .malformed(reason: "no line end")
        }
        let startLineEnd = SIPSyntax.contentEnd(of: bytes, lineStart: 0, lineFeed: firstLineFeed)
        if SIPSyntax.startLine(in: bytes, from: 0, to: startLineEnd) == nil {
            return .malformed(reason: "first line is not a SIP request or status line")
        }

        var headerLines = 0
        var lineStart = firstLineFeed + 1
        while lineStart < count {
            let lineFeed = SIPSyntax.indexOfLineFeed(in: bytes, from: lineStart, to: count)
            let lineEnd = lineFeed.map { SIPSyntax.contentEnd(of: bytes, lineStart: lineStart, lineFeed: $0) } ?? count
            if lineEnd == lineStart { break }  // the empty line that ends the header section
            for index in lineStart..<lineEnd where bytes[index] == 0 {
                return .malformed(reason: "NUL in the header section")
            }
            headerLines += 1
            guard let lineFeed else { break }
            lineStart = lineFeed + 1
        }
        if headerLines > maximumHeaderLines { return .tooManyHeaderLines(count: headerLines) }
        return .parse
    }
}

/// The parts of a request that a response must echo (RFC 3261 §8.2.6.2), found by a bounded
/// byte scan so that a rejected request can be answered without the full parser.
///
/// The scan reads at most `scanLimit` bytes and at most ``maximumScannedHeaderLines`` header
/// lines, stopping at the empty line that ends the header section. Header names are matched
/// case-insensitively, including the compact forms `v`, `f`, `t` and `i` (RFC 3261 §7.3.3).
/// Folded continuation lines are joined to their header with one space. Every Via header is kept
/// in order, each exactly as written (comma-separated values stay on one line); for From, To,
/// Call-ID and CSeq the first occurrence wins. CR and NUL bytes are dropped from values.
public struct SIPResponseSkeleton: Sendable, Equatable {
    /// The most header lines the scan looks at.
    public static let maximumScannedHeaderLines = 200

    public var method: String { String(decoding: methodBytes, as: UTF8.self) }
    public var vias: [String] { viaBytes.map { String(decoding: $0, as: UTF8.self) } }
    public var from: String? { fromBytes.map { String(decoding: $0, as: UTF8.self) } }
    public var to: String? { toBytes.map { String(decoding: $0, as: UTF8.self) } }
    public var callID: String? { callIDBytes.map { String(decoding: $0, as: UTF8.self) } }
    public var cseq: String? { cseqBytes.map { String(decoding: $0, as: UTF8.self) } }

    // Kept as bytes so that the echo is byte-exact even when a value is not valid UTF-8.
    private let methodBytes: [UInt8]
    private let unsupportedVersion: Bool
    private let viaBytes: [[UInt8]]
    private let fromBytes: [UInt8]?
    private let toBytes: [UInt8]?
    private let callIDBytes: [UInt8]?
    private let cseqBytes: [UInt8]?

    /// Scans a request.
    ///
    /// - Parameters:
    ///   - bytes: The datagram (or stream frame) as received.
    ///   - scanLimit: Bytes past this offset are never read. A line cut by the limit is ignored.
    /// - Returns: `nil` when the first line is not a request line (responses included), the
    ///   method is ACK (an ACK is never answered, RFC 3261 §17.1.1.3), or no Via is found within
    ///   the scanned part. Missing From, To, Call-ID or CSeq are left out of the response.
    public init?(request bytes: UnsafeRawBufferPointer, scanLimit: Int = 16_384) {
        let limit = min(bytes.count, max(0, scanLimit))
        let limitIsEndOfData = limit == bytes.count
        guard limit > 0, let firstLineFeed = SIPSyntax.indexOfLineFeed(in: bytes, from: 0, to: limit) else {
            return nil
        }
        let startLineEnd = SIPSyntax.contentEnd(of: bytes, lineStart: 0, lineFeed: firstLineFeed)
        // Lenient on purpose: a request line with a missing or unknown version still gets its
        // 400/505; only the method token and a space are needed to know it is a request.
        guard let methodEnd = SIPSyntax.requestMethodEnd(in: bytes, from: 0, to: startLineEnd) else {
            return nil
        }
        let method = Array(bytes[0..<methodEnd])
        if method == Array("ACK".utf8) { return nil }

        enum Field { case via(Int), from, to, callID, cseq, ignored }
        var vias: [[UInt8]] = []
        var from: [UInt8]?, to: [UInt8]?, callID: [UInt8]?, cseq: [UInt8]?
        var current = Field.ignored

        func append(_ value: [UInt8], to field: Field) {
            func joined(_ existing: [UInt8]?) -> [UInt8] {
                guard let existing, !existing.isEmpty else { return value }
                return value.isEmpty ? existing : existing + [UInt8(ascii: " ")] + value
            }
            switch field {
            case .via(let index): vias[index] = joined(vias[index])
            case .from: from = joined(from)
            case .to: to = joined(to)
            case .callID: callID = joined(callID)
            case .cseq: cseq = joined(cseq)
            case .ignored: break
            }
        }

        var lineStart = firstLineFeed + 1
        var scannedLines = 0
        while lineStart < limit, scannedLines < Self.maximumScannedHeaderLines {
            let lineFeed = SIPSyntax.indexOfLineFeed(in: bytes, from: lineStart, to: limit)
            if lineFeed == nil && !limitIsEndOfData { break }  // cut by the scan limit
            let lineEnd = lineFeed.map { SIPSyntax.contentEnd(of: bytes, lineStart: lineStart, lineFeed: $0) } ?? limit
            if lineEnd == lineStart { break }
            scannedLines += 1
            defer { lineStart = (lineFeed ?? limit) + 1 }

            if SIPSyntax.isSpaceOrTab(bytes[lineStart]) {
                append(SIPSyntax.trimmedValue(bytes, from: lineStart, to: lineEnd), to: current)
                continue
            }
            var nameEnd = lineStart
            while nameEnd < lineEnd, SIPSyntax.isTokenByte(bytes[nameEnd]) { nameEnd += 1 }
            var colon = nameEnd
            while colon < lineEnd, SIPSyntax.isSpaceOrTab(bytes[colon]) { colon += 1 }
            guard nameEnd > lineStart, colon < lineEnd, bytes[colon] == UInt8(ascii: ":") else {
                current = .ignored
                continue
            }
            let value = SIPSyntax.trimmedValue(bytes, from: colon + 1, to: lineEnd)
            // A `where` clause binds only the last pattern of a case, so first-wins is checked inside.
            switch SIPSyntax.lowercased(bytes, from: lineStart, to: nameEnd) {
            case "via", "v":
                vias.append(value)
                current = .via(vias.count - 1)
            case "from", "f":
                current = from == nil ? .from : .ignored
                if from == nil { from = value }
            case "to", "t":
                current = to == nil ? .to : .ignored
                if to == nil { to = value }
            case "call-id", "i":
                current = callID == nil ? .callID : .ignored
                if callID == nil { callID = value }
            case "cseq":
                current = cseq == nil ? .cseq : .ignored
                if cseq == nil { cseq = value }
            default:
                current = .ignored
            }
        }

        // Only a Via is needed to send an answer back. A request missing From, To, Call-ID or
        // CSeq still gets its 400 (without those lines) so the sender's trace says why.
        guard !vias.isEmpty else { return nil }
        self.methodBytes = method
        self.unsupportedVersion = SIPSyntax.hasOtherSIPVersion(in: bytes, from: 0, to: startLineEnd)
        self.viaBytes = vias
        self.fromBytes = from
        self.toBytes = to
        self.callIDBytes = callID
        self.cseqBytes = cseq
    }

    /// A complete response to the scanned request (RFC 3261 §8.2.6):
    ///
    ///     SIP/2.0 <status> <reason>
    ///     Via: <each Via, in order>
    ///     From: <from>
    ///     To: <to>;tag=<toTag>        (tag appended only when To has none)
    ///     Call-ID: <call-id>
    ///     CSeq: <cseq>
    ///     <extra headers, in order>
    ///     Content-Length: 0
    ///
    /// with CRLF line ends. CR, LF and NUL are removed from `reason` and from extra header values;
    /// `toTag` and extra header names keep only RFC 3261 token characters. An empty `toTag` (after
    /// that) appends no tag; an extra header whose name ends up empty is skipped.
    ///
    /// - Precondition: `status` is 100...699.
    /// Whether the request line names a SIP version other than 2.0 (answer 505, RFC 3261 §21.5.7).
    public var hasUnsupportedVersion: Bool { unsupportedVersion }

    public func response(status: Int, reason: String, toTag: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        precondition((100...699).contains(status), "SIP status codes are 100...699 (RFC 3261 §7.2)")
        var out: [UInt8] = []
        out.reserveCapacity(256 + viaBytes.reduce(0) { $0 + $1.count } + (fromBytes?.count ?? 0) + (toBytes?.count ?? 0))

        func line(_ name: String, _ value: [UInt8]) {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value)
            out.append(contentsOf: [0x0d, 0x0a])
        }

        out.append(contentsOf: "SIP/2.0 \(status) ".utf8)
        out.append(contentsOf: reason.utf8.filter { !SIPSyntax.isLineBreakOrNUL($0) })
        out.append(contentsOf: [0x0d, 0x0a])
        for via in viaBytes { line("Via", via) }
        if let fromBytes { line("From", fromBytes) }
        let tag = toTag.utf8.filter(SIPSyntax.isTokenByte)
        if let toBytes {
            if tag.isEmpty || SIPSyntax.hasTagParameter(toBytes) {
                line("To", toBytes)
            } else {
                line("To", toBytes + Array(";tag=".utf8) + tag)
            }
        }
        if let callIDBytes { line("Call-ID", callIDBytes) }
        if let cseqBytes { line("CSeq", cseqBytes) }
        for (name, value) in extraHeaders {
            let cleanName = name.utf8.filter(SIPSyntax.isTokenByte)
            guard !cleanName.isEmpty else { continue }
            line(String(decoding: cleanName, as: UTF8.self), value.utf8.filter { !SIPSyntax.isLineBreakOrNUL($0) })
        }
        out.append(contentsOf: "Content-Length: 0\r\n\r\n".utf8)
        return out
    }
}

// MARK: - Shared byte syntax

/// RFC 3261 §25.1 character classes and line handling on raw bytes, shared by the datagram
/// guard, the stream framer and the digest parser. Never splits Swift Strings: "\r\n" is a
/// single Character.
enum SIPSyntax {
    static let carriageReturn: UInt8 = 0x0d
    static let lineFeed: UInt8 = 0x0a

    /// `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "%"), UInt8(ascii: "*"),
             UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "`"), UInt8(ascii: "'"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func isLineBreak(_ byte: UInt8) -> Bool { byte == carriageReturn || byte == lineFeed }
    static func isLineBreakOrNUL(_ byte: UInt8) -> Bool { byte == carriageReturn || byte == lineFeed || byte == 0 }
    static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    static func isLinearWhitespace(_ byte: UInt8) -> Bool { isSpaceOrTab(byte) || isLineBreak(byte) }

    static func indexOfLineFeed(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            if bytes[index] == lineFeed { return index }
            index += 1
        }
        return nil
    }

    /// The end of a line's content: the LF's index, less one when a CR precedes it.
    static func contentEnd(of bytes: UnsafeRawBufferPointer, lineStart: Int, lineFeed: Int) -> Int {
        lineFeed > lineStart && bytes[lineFeed - 1] == carriageReturn ? lineFeed - 1 : lineFeed
    }

    /// `bytes[start..<end]` with SP/HTAB trimmed at both ends and CR/NUL removed.
    static func trimmedValue(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> [UInt8] {
        var lower = start, upper = end
        while lower < upper, isSpaceOrTab(bytes[lower]) { lower += 1 }
        while upper > lower, isSpaceOrTab(bytes[upper - 1]) || bytes[upper - 1] == carriageReturn { upper -= 1 }
        return bytes[lower..<upper].filter { $0 != carriageReturn && $0 != 0 }
    }

    /// ASCII-lowercased text of a header name (token bytes only, so the decode is lossless).
    static func lowercased(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> String {
        String(decoding: bytes[start..<end].map { ($0 >= 0x41 && $0 <= 0x5a) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    enum StartLine: Equatable {
        /// `methodEnd` is the offset just past the method token.
        case request(methodEnd: Int)
        case status
    }

    /// Classifies `bytes[start..<end]` (line end excluded) as a start line:
    /// `Request-Line = Method SP Request-URI SP SIP-Version` (RFC 3261 §7.1) with a Request-URI
    /// of the form `scheme ":" …` and no controls or spaces, or
    /// `Status-Line = SIP-Version SP 3DIGIT SP Reason-Phrase` (§7.2) with a reason free of
    /// controls other than HTAB. SIP-Version is `SIP/2.0`, matched case-insensitively (§7.1).
    static func startLine(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> StartLine? {
        let versionLength = 7
        if end - start >= versionLength + 1, isSIPVersion(bytes, at: start), bytes[start + versionLength] == 0x20 {
            var index = start + versionLength + 1
            guard end - index >= 4 else { return nil }
            for _ in 0..<3 {
                guard bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else { return nil }
                index += 1
            }
            guard bytes[index] == 0x20 else { return nil }
            for reasonIndex in (index + 1)..<end {
                let byte = bytes[reasonIndex]
                if (byte < 0x20 && byte != 0x09) || byte == 0x7f { return nil }
            }
            return .status
        }

        var index = start
        while index < end, isTokenByte(bytes[index]) { index += 1 }
        let methodEnd = index
        guard methodEnd > start, index < end, bytes[index] == 0x20 else { return nil }
        index += 1

        let uriStart = index
        guard index < end, isAlpha(bytes[index]) else { return nil }
        while index < end, isAlpha(bytes[index]) || isDigit(bytes[index])
                || bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
                || bytes[index] == UInt8(ascii: ".") {
            index += 1
        }
        guard index < end, bytes[index] == UInt8(ascii: ":"), index > uriStart else { return nil }
        while index < end, bytes[index] > 0x20, bytes[index] != 0x7f { index += 1 }
        guard index < end, bytes[index] == 0x20 else { return nil }
        index += 1
        guard end - index == versionLength, isSIPVersion(bytes, at: index) else { return nil }
        return .request(methodEnd: methodEnd)
    }

    /// Whether the message's Content-Length (long or compact form) is larger than the bytes
    /// after its header section: the usual reason osip2 refuses a datagram, worth naming in
    /// the 400 (RFC 3261 §18.3). Header lines are read up to the first empty line only.
    static func declaresMoreBodyThanPresent(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var lineStart = 0
        var declared: Int?
        while lineStart < bytes.count, let lineFeed = indexOfLineFeed(in: bytes, from: lineStart, to: bytes.count) {
            let end = contentEnd(of: bytes, lineStart: lineStart, lineFeed: lineFeed)
            if end == lineStart {
                let bodyLength = bytes.count - (lineFeed + 1)
                return declared.map { $0 > bodyLength } ?? false
            }
            if let colon = (lineStart..<end).first(where: { bytes[$0] == UInt8(ascii: ":") }) {
                let name = lowercased(bytes, from: lineStart, to: colon).trimmingCharacters(in: " \t")
                if name == "content-length" || name == "l" {
                    declared = Int(String(decoding: trimmedValue(bytes, from: colon + 1, to: end), as: UTF8.self))
                }
            }
            lineStart = lineFeed + 1
        }
        return false
    }

    /// The end of the method token when the line looks like a request line of any quality
    /// (`token SP something`, not a status line); nil otherwise.
    static func requestMethodEnd(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        if end - start >= 4, (0..<4).map({ bytes[start + $0] | 0x20 }) == Array("sip/".utf8) { return nil }
        var index = start
        while index < end, isTokenByte(bytes[index]) { index += 1 }
        guard index > start, index + 1 < end, bytes[index] == 0x20, bytes[index + 1] > 0x20 else { return nil }
        return index
    }

    /// Whether the line ends in a SIP version other than 2.0 (`SIP/x.y`): answered 505.
    static func hasOtherSIPVersion(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        guard end - start > 8 else { return false }
        var index = end - 1
        while index > start, bytes[index] != 0x20 { index -= 1 }
        let version = start + (index - start) + 1
        guard end - version >= 5, (0..<4).map({ bytes[version + $0] | 0x20 }) == Array("sip/".utf8) else { return false }
        return !(end - version == 7 && isSIPVersion(bytes, at: version))
    }

    private static func isSIPVersion(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        guard bytes.count - start >= 7 else { return false }
        let lower = (0..<3).map { bytes[start + $0] | 0x20 }
        return lower == Array("sip".utf8)
            && bytes[start + 3] == UInt8(ascii: "/")
            && bytes[start + 4] == UInt8(ascii: "2")
            && bytes[start + 5] == UInt8(ascii: ".")
            && bytes[start + 6] == UInt8(ascii: "0")
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Whether a From/To value carries a `tag` header parameter (RFC 3261 §20.39, §25.1):
    /// parameters after the closing `>` of a name-addr, or after the first `;` of a bare
    /// addr-spec. A quoted display name (with its escapes) is skipped, so `"a;tag=b" <sip:x>`
    /// has no tag, and neither does `<sip:x;tag=y>` (a URI parameter).
    static func hasTagParameter(_ value: [UInt8]) -> Bool {
        var index = 0
        var parametersStart: Int?
        var inQuotes = false
        while index < value.count {
            let byte = value[index]
            if inQuotes {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inQuotes = false }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: "<") {
                guard let close = value[index...].firstIndex(of: UInt8(ascii: ">")) else { return false }
                parametersStart = close + 1
                break
            } else if byte == UInt8(ascii: ";") {
                parametersStart = index
                break
            }
            index += 1
        }
        guard let parametersStart, parametersStart < value.count else { return false }

        // generic-param = token [ EQUAL gen-value ], gen-value may be a quoted-string.
        var parameters: [[UInt8]] = []
        var currentParameter: [UInt8] = []
        inQuotes = false
        index = parametersStart
        while index < value.count {
            let byte = value[index]
            if inQuotes {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inQuotes = false }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: ";") {
                parameters.append(currentParameter)
                currentParameter = []
                index += 1
                continue
            }
            currentParameter.append(byte)
            index += 1
        }
        parameters.append(currentParameter)
        return parameters.contains { parameter in
            let name = parameter.prefix { $0 != UInt8(ascii: "=") }
                .filter { !isLinearWhitespace($0) }
                .map { ($0 >= 0x41 && $0 <= 0x5a) ? $0 | 0x20 : $0 }
            return name == Array("tag".utf8)
        }
    }
}
