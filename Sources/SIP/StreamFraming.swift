// Splitting a TCP (or TLS) byte stream into SIP messages (RFC 3261 §18.3).
//
// On a stream the only message delimiter is Content-Length, which is therefore mandatory:
//
//     INVITE sip:bob@example.com SIP/2.0\r\n    ─┐
//     Via: …\r\n                                  │ header section, ends with the empty line
//     Content-Length: 142\r\n                     │ (bare LF line ends are tolerated)
//     \r\n                                       ─┘
//     v=0 …  (142 bytes)                          body
//     \r\n\r\n                                    keep-alive ping (RFC 5626 §3.5.1), its own frame
//     SIP/2.0 200 OK\r\n …                        next message

/// The next frame at the front of a stream buffer, as found by ``SIPStreamFraming/nextFrame(in:maximumSize:maximumHeaderLines:)``.
public enum SIPStreamFrame: Equatable, Sendable {
    /// The front of the buffer is a valid prefix; read more and try again.
    case needMoreData
    /// The buffer starts with `length` CR/LF bytes: a keep-alive (RFC 5626 §3.5.1) or the CRLFs
    /// RFC 3261 §7.5 says to ignore before a start line. Consume them. See ``isPing``.
    case keepAlive(length: Int)
    /// A complete message of `length` bytes (header section, empty line, body) is at the front.
    case message(length: Int)
    /// The stream cannot be framed; the connection should be closed (after a 400 where possible).
    case invalid(reason: String)

    /// Whether this is a double-CRLF keep-alive "ping" that the transport must answer with a
    /// single CRLF "pong" (RFC 5626 §3.5.1, §4.4.1). A run of four or more CR/LF bytes counts as
    /// a ping; a two-byte run is a pong (or a stray CRLF) and is not answered.
    ///
    /// The framer never reports a run shorter than four bytes that ends at the end of the buffer
    /// in a CR (it returns ``needMoreData`` instead), so a ping split after its first or third
    /// byte is still seen whole. A ping split exactly in half arrives as two two-byte runs and
    /// goes unanswered; stateless framing cannot tell that apart from two pongs.
    public var isPing: Bool {
        if case .keepAlive(let length) = self { return length >= 4 }
        return false
    }
}

/// Stateless framing of SIP messages on a stream transport (RFC 3261 §18.3).
public enum SIPStreamFraming {
    /// Finds the frame at the front of `bytes`.
    ///
    /// Reads the header section up to its empty line (CRLF CRLF, or LF LF), validates the start
    /// line, and takes the message length from `Content-Length` (or its compact form `l`, name
    /// case-insensitive, whitespace around the colon and value tolerated, folded values joined).
    /// Nothing beyond the header section and `maximumSize` bytes is read.
    ///
    /// - Parameters:
    ///   - bytes: The unconsumed bytes received so far.
    ///   - maximumSize: The largest message accepted, header section and body together; a message
    ///     of exactly this size is accepted.
    ///   - maximumHeaderLines: The most header lines (start line excluded, continuation lines
    ///     included) a message may have.
    /// - Returns: ``SIPStreamFrame/invalid(reason:)`` when the start line is neither a request nor
    ///   a status line, the header section holds a NUL, exceeds `maximumHeaderLines` lines or
    ///   reaches `maximumSize` bytes without ending, Content-Length is missing, not a plain decimal
    ///   number (negative included), larger than `maximumSize`, given twice with different
    ///   values, or makes the whole message larger than `maximumSize`.
    public static func nextFrame(
        in bytes: UnsafeRawBufferPointer,
        maximumSize: Int = 65_536,
        maximumHeaderLines: Int = 128
    ) -> SIPStreamFrame {
        let count = bytes.count
        guard count > 0 else { return .needMoreData }

        if SIPSyntax.isLineBreak(bytes[0]) {
            var run = 1
            while run < count, SIPSyntax.isLineBreak(bytes[run]) { run += 1 }
            if run == count, run < 4, bytes[run - 1] == SIPSyntax.carriageReturn { return .needMoreData }
            return .keepAlive(length: run)
        }

        let scanEnd = min(count, maximumSize)
        var lineStart = 0
        var headerLines = 0
        var contentLength: ContentLength?
        var collectingContentLength: [UInt8]?

        func finishContentLength() -> SIPStreamFrame? {
            guard let raw = collectingContentLength else { return nil }
            collectingContentLength = nil
            guard let value = parseContentLength(raw, maximumSize: maximumSize) else {
                return .invalid(reason: "Content-Length is not a decimal number")
            }
            switch (contentLength, value) {
            case (nil, _):
                contentLength = value
            case (.some(let first), let second) where first != second:
                return .invalid(reason: "conflicting Content-Length values")
            case (.some, _):
                break
            }
            return nil
        }

        while true {
            guard let lineFeed = SIPSyntax.indexOfLineFeed(in: bytes, from: lineStart, to: scanEnd) else {
                return count >= maximumSize ? .invalid(reason: "header section too large") : .needMoreData
            }
            let lineEnd = SIPSyntax.contentEnd(of: bytes, lineStart: lineStart, lineFeed: lineFeed)
            defer { lineStart = lineFeed + 1 }

            if lineStart == 0 {
                if SIPSyntax.startLine(in: bytes, from: 0, to: lineEnd) == nil {
                    return .invalid(reason: "first line is not a SIP request or status line")
                }
                continue
            }
            if lineEnd == lineStart {
                if let failure = finishContentLength() { return failure }
                guard let contentLength else { return .invalid(reason: "missing Content-Length") }
                let headerLength = lineFeed + 1
                let total: Int
                switch contentLength {
                case .tooLarge:
                    return .invalid(reason: "Content-Length too large")
                case .value(let bodyLength):
                    total = headerLength + bodyLength
                }
                if total > maximumSize { return .invalid(reason: "message too large") }
                return count >= total ? .message(length: total) : .needMoreData
            }

            headerLines += 1
            if headerLines > maximumHeaderLines { return .invalid(reason: "too many header lines") }
            for index in lineStart..<lineEnd where bytes[index] == 0 {
                return .invalid(reason: "NUL in the header section")
            }

            if SIPSyntax.isSpaceOrTab(bytes[lineStart]) {
                // A continuation line (RFC 3261 §7.3.1) belongs to the header before it.
                if collectingContentLength != nil {
                    collectingContentLength! += [0x20] + SIPSyntax.trimmedValue(bytes, from: lineStart, to: lineEnd)
                }
                continue
            }
            if let failure = finishContentLength() { return failure }

            var nameEnd = lineStart
            while nameEnd < lineEnd, SIPSyntax.isTokenByte(bytes[nameEnd]) { nameEnd += 1 }
            var colon = nameEnd
            while colon < lineEnd, SIPSyntax.isSpaceOrTab(bytes[colon]) { colon += 1 }
            guard nameEnd > lineStart, colon < lineEnd, bytes[colon] == UInt8(ascii: ":") else { continue }
            switch SIPSyntax.lowercased(bytes, from: lineStart, to: nameEnd) {
            case "content-length", "l":
                collectingContentLength = SIPSyntax.trimmedValue(bytes, from: colon + 1, to: lineEnd)
            default:
                break
            }
        }
    }

    private enum ContentLength: Equatable {
        case value(Int)
        /// More than the maximum size; kept distinct so that duplicates still compare.
        case tooLarge
    }

    /// `Content-Length = 1*DIGIT` (RFC 3261 §20.14), surrounding whitespace allowed.
    private static func parseContentLength(_ raw: [UInt8], maximumSize: Int) -> ContentLength? {
        var lower = 0, upper = raw.count
        while lower < upper, SIPSyntax.isSpaceOrTab(raw[lower]) { lower += 1 }
        while upper > lower, SIPSyntax.isSpaceOrTab(raw[upper - 1]) { upper -= 1 }
        guard lower < upper else { return nil }
        var value = 0
        var tooLarge = false
        for byte in raw[lower..<upper] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if !tooLarge {
                let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
                value = times10 + Int(byte - UInt8(ascii: "0"))
                if overflowed || value > maximumSize { tooLarge = true }
            }
        }
        return tooLarge ? .tooLarge : .value(value)
    }
}
