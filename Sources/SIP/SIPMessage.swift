internal import COSIP2

/// One header field as it goes on the wire: a canonical name and its value.
public struct SIPHeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A SIP request or response (RFC 3261 §7) as a value.
///
/// Incoming messages are parsed by osip2 (`SIPMessage(parsing:)`) and read out of osip's
/// structures into Swift values once, so nothing here points into C memory; the bytes as
/// received are kept in `raw` for pass-through and logs. Outgoing messages are built as
/// values and serialised by `serialized()`; the transaction layer hands that text to osip2,
/// whose own serialiser then produces what goes on the wire.
public struct SIPMessage: Sendable, Equatable {
    public enum StartLine: Sendable, Equatable {
        case request(method: String, uri: String)
        case response(status: Int, reason: String)
    }

    public var startLine: StartLine
    /// Header fields in wire order. Names use the canonical long form (`Via`, `Call-ID`, …).
    public var headers: [SIPHeaderField]
    public var body: [UInt8]
    /// The bytes as received, for messages that came from the network.
    public var raw: [UInt8]?

    public init(startLine: StartLine, headers: [SIPHeaderField], body: [UInt8] = [], raw: [UInt8]? = nil) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
        self.raw = raw
    }

    public static func request(_ method: String, uri: String, headers: [SIPHeaderField], body: [UInt8] = []) -> SIPMessage {
        SIPMessage(startLine: .request(method: method, uri: uri), headers: headers, body: body)
    }

    // MARK: Reading

    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }

    public var method: String? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }

    public var requestURI: String? {
        if case .request(_, let uri) = startLine { return uri }
        return nil
    }

    public var statusCode: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    public var reasonPhrase: String? {
        if case .response(_, let reason) = startLine { return reason }
        return nil
    }

    /// The first value of header `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Every value of header `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    public var callID: String? { self["Call-ID"] }
    public var from: String? { self["From"] }
    public var to: String? { self["To"] }
    public var fromTag: String? { from.flatMap { SIPNameAddress.tag(in: $0) } }
    public var toTag: String? { to.flatMap { SIPNameAddress.tag(in: $0) } }

    /// CSeq number and method (RFC 3261 §8.1.1.5), or nil when absent or malformed.
    public var cseq: (number: UInt32, method: String)? {
        guard let value = self["CSeq"] else { return nil }
        let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, let number = UInt32(parts[0]) else { return nil }
        return (number, String(parts[1]))
    }

    /// The branch parameter of the top Via (RFC 3261 §8.1.1.7).
    public var topViaBranch: String? {
        guard let via = self["Via"] else { return nil }
        return SIPNameAddress.parameter("branch", in: via)
    }

    /// The URI of the first Contact, without angle brackets.
    public var contactURI: String? { self["Contact"].map(SIPNameAddress.uri(of:)) }

    // MARK: Writing

    /// The message as text: start line, headers, a Content-Length that matches the body.
    public func serialized() -> [UInt8] {
        var text: String
        switch startLine {
        case .request(let method, let uri): text = "\(method) \(uri) SIP/2.0\r\n"
        case .response(let status, let reason): text = "SIP/2.0 \(status) \(reason)\r\n"
        }
        for header in headers where header.name.lowercased() != "content-length" {
            text += "\(header.name): \(header.value)\r\n"
        }
        text += "Content-Length: \(body.count)\r\n\r\n"
        return Array(text.utf8) + body
    }

    public var description: String {
        String(decoding: raw ?? serialized(), as: UTF8.self)
    }
}

/// Builds responses to requests (RFC 3261 §8.2.6): Via, From, Call-ID and CSeq copied, the To
/// given a tag unless it has one, Content-Length computed.
public enum SIPResponseBuilder {
    public static func response(to request: SIPMessage, status: Int, reason: String, toTag: String?,
                                extraHeaders: [SIPHeaderField] = [], body: [UInt8] = []) -> SIPMessage {
        var headers: [SIPHeaderField] = []
        for via in request.values("Via") { headers.append(SIPHeaderField("Via", via)) }
        if let from = request.from { headers.append(SIPHeaderField("From", from)) }
        if var to = request.to {
            if let toTag, request.toTag == nil { to += ";tag=\(toTag)" }
            headers.append(SIPHeaderField("To", to))
        }
        if let callID = request.callID { headers.append(SIPHeaderField("Call-ID", callID)) }
        if let cseq = request["CSeq"] { headers.append(SIPHeaderField("CSeq", cseq)) }
        // Record-Route is copied into 18x/2xx to dialog-creating requests (§12.1.1).
        if (101..<300).contains(status) {
            for route in request.values("Record-Route") { headers.append(SIPHeaderField("Record-Route", route)) }
        }
        headers += extraHeaders
        return SIPMessage(startLine: .response(status: status, reason: reason), headers: headers, body: body)
    }
}

// MARK: - Parsing with osip2

/// Why osip2 or the checks after it refused a message; the text goes into a 400's reason.
public struct SIPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension SIPMessage {
    /// Parses `bytes` with osip2, then checks what osip2 accepts but RFC 3261 §8.1.1 requires
    /// of every message: Via, From, To, Call-ID, a numeric CSeq whose method matches the
    /// request's, a SIP/2.0 version, a status code within 100–699, and a Content-Length that
    /// is a plain number no larger than the body that arrived.
    ///
    /// Run `SIPDatagramGuard` first: osip2's header parsing is quadratic in the header count.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(SIPParseError) {
        SIPParser.ensureInitialised()
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw SIPParseError("Empty message") }
        var pointer: UnsafeMutablePointer<osip_message_t>?
        guard osip_message_init(&pointer) == 0, let message = pointer else { throw SIPParseError("Out of memory") }
        defer { osip_message_free(message) }
        let status = osip_message_parse(message, base.assumingMemoryBound(to: CChar.self), bytes.count)
        guard status == 0 else { throw SIPParseError("Malformed message") }
        try self.init(osip: message, raw: Array(bytes))
    }

    public init(parsing bytes: [UInt8]) throws(SIPParseError) {
        let result: Result<SIPMessage, SIPParseError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(SIPParseError) -> SIPMessage in try SIPMessage(parsing: buffer) }
        }
        self = try result.get()
    }

    /// Reads an osip2 message into a value (the pointer is only read, never kept).
    init(osip message: UnsafeMutablePointer<osip_message_t>, raw: [UInt8]?) throws(SIPParseError) {
        let m = message.pointee
        if cosip2_message_is_request(message) != 0 {
            guard let method = m.sip_method.map({ String(cString: $0) }), !method.isEmpty else {
                throw SIPParseError("Missing method")
            }
            guard let version = m.sip_version.map({ String(cString: $0) }), version == "SIP/2.0" else {
                throw SIPParseError("Unsupported SIP version")
            }
            guard let uri = m.req_uri, let uriText = SIPMessage.string(uri, osip_uri_to_str) else {
                throw SIPParseError("Bad Request-URI")
            }
            startLine = .request(method: method, uri: uriText)
        } else {
            guard (100...699).contains(Int(m.status_code)) else { throw SIPParseError("Bad status code") }
            startLine = .response(status: Int(m.status_code), reason: m.reason_phrase.map { String(cString: $0) } ?? "")
        }
        var headers: [SIPHeaderField] = []
        headers.reserveCapacity(12)
        func list(_ kind: cosip2_header_list, _ name: String) {
            var position: Int32 = 0
            while true {
                var out: UnsafeMutablePointer<CChar>?
                guard cosip2_header_list_element(message, Int32(kind.rawValue), position, &out) == 0, let out else { break }
                headers.append(SIPHeaderField(name, String(cString: out)))
                cosip2_free(out)
                position += 1
            }
        }
        list(COSIP2_VIA, "Via")
        guard !headers.isEmpty else { throw SIPParseError("Missing Via") }
        guard let from = m.from, let fromText = SIPMessage.string(from, osip_from_to_str) else { throw SIPParseError("Missing From") }
        headers.append(SIPHeaderField("From", fromText))
        guard let to = m.to, let toText = SIPMessage.string(to, osip_from_to_str) else { throw SIPParseError("Missing To") }
        headers.append(SIPHeaderField("To", toText))
        guard let callID = m.call_id, let callIDText = SIPMessage.string(callID, osip_call_id_to_str) else {
            throw SIPParseError("Missing Call-ID")
        }
        headers.append(SIPHeaderField("Call-ID", callIDText))
        guard let cseq = m.cseq, let number = cseq.pointee.number.map({ String(cString: $0) }),
              let cseqMethod = cseq.pointee.method.map({ String(cString: $0) }) else {
            throw SIPParseError("Missing CSeq")
        }
        guard UInt32(number) != nil else { throw SIPParseError("Bad CSeq number") }
        if case .request(let method, _) = startLine, method != cseqMethod {
            throw SIPParseError("CSeq method does not match the request")
        }
        headers.append(SIPHeaderField("CSeq", "\(number) \(cseqMethod)"))
        list(COSIP2_CONTACT, "Contact")
        list(COSIP2_RECORD_ROUTE, "Record-Route")
        list(COSIP2_ROUTE, "Route")
        list(COSIP2_WWW_AUTHENTICATE, "WWW-Authenticate")
        list(COSIP2_PROXY_AUTHENTICATE, "Proxy-Authenticate")
        list(COSIP2_AUTHORIZATION, "Authorization")
        list(COSIP2_PROXY_AUTHORIZATION, "Proxy-Authorization")
        list(COSIP2_ALLOW, "Allow")
        if let contentType = m.content_type, let text = SIPMessage.string(contentType, osip_content_type_to_str) {
            headers.append(SIPHeaderField("Content-Type", text))
        }
        var position: Int32 = 0
        var header: UnsafeMutablePointer<osip_header_t>?
        while osip_message_get_header(message, position, &header) >= 0, let field = header {
            if let name = field.pointee.hname {
                let value = field.pointee.hvalue.map { String(cString: $0) } ?? ""
                headers.append(SIPHeaderField(SIPMessage.canonicalName(String(cString: name)), value))
            }
            position += 1
        }
        var bodyBytes: UnsafePointer<CChar>?
        let length = cosip2_first_body(message, &bodyBytes)
        if length > 0, let bodyBytes {
            body = Array(UnsafeRawBufferPointer(start: bodyBytes, count: length))
        } else {
            body = []
        }
        if let declared = m.content_length?.pointee.value.map({ String(cString: $0) }) {
            let trimmed = declared.trimmingCharacters(in: " \t")
            guard let value = Int(trimmed), value >= 0 else { throw SIPParseError("Bad Content-Length") }
            guard value == body.count else {
                throw SIPParseError(value > body.count ? "Content-Length larger than the body" : "Content-Length mismatch")
            }
        }
        self.headers = headers
        self.raw = raw
    }

    private static func string<T>(_ pointer: UnsafeMutablePointer<T>,
                                  _ toString: (UnsafePointer<T>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32) -> String? {
        var out: UnsafeMutablePointer<CChar>?
        guard toString(pointer, &out) == 0, let out else { return nil }
        defer { cosip2_free(out) }
        return String(cString: out)
    }

    /// osip2 lower-cases the names of headers it does not know; give them their usual form.
    static func canonicalName(_ name: String) -> String {
        switch name.lowercased() {
        case "max-forwards": return "Max-Forwards"
        case "user-agent": return "User-Agent"
        case "server": return "Server"
        case "supported": return "Supported"
        case "require": return "Require"
        case "p-asserted-identity": return "P-Asserted-Identity"
        case "reason": return "Reason"
        case "expires": return "Expires"
        case "date": return "Date"
        case "timestamp": return "Timestamp"
        case "subject": return "Subject"
        case "accept": return "Accept"
        case "unsupported": return "Unsupported"
        default:
            // Capitalise each dash-separated word: "x-conversation-id" → "X-Conversation-Id".
            return name.split(separator: "-", omittingEmptySubsequences: false)
                .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
                .joined(separator: "-")
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

// MARK: - name-addr helpers

/// Small readers for name-addr / addr-spec header values (RFC 3261 §20.10, §25.1) as osip2
/// serialises them: `"Name" <sip:user@host;uri-params>;header-params`.
public enum SIPNameAddress {
    /// The URI inside angle brackets, or the addr-spec up to the first `;`.
    public static func uri(of value: String) -> String {
        // The first `<` outside a quoted display name (which may itself hold `<`, `;`, `,`).
        var inQuotes = false
        var escaped = false
        var open: String.Index?
        for index in value.indices {
            let character = value[index]
            if escaped { escaped = false; continue }
            if inQuotes && character == "\\" { escaped = true; continue }
            if character == "\"" { inQuotes.toggle(); continue }
            if !inQuotes && character == "<" { open = index; break }
        }
        if let open, let close = value[open...].firstIndex(of: ">") {
            return String(value[value.index(after: open)..<close])
        }
        let trimmed = value.trimmingCharacters(in: " \t")
        if let semicolon = trimmed.firstIndex(of: ";") { return String(trimmed[..<semicolon]) }
        return trimmed
    }

    /// A header parameter (after the URI's closing `>` when there is one), e.g. `tag`.
    public static func parameter(_ name: String, in value: String) -> String? {
        var rest = Substring(value)
        if let close = value.lastIndex(of: ">") { rest = value[value.index(after: close)...] }
        for part in rest.split(separator: ";").dropFirst(rest.hasPrefix(";") ? 0 : 1) {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard let key = pieces.first else { continue }
            if key.trimmingCharacters(in: " \t").lowercased() == name.lowercased() {
                return pieces.count > 1 ? pieces[1].trimmingCharacters(in: " \t\"") : ""
            }
        }
        return nil
    }

    public static func tag(in value: String) -> String? { parameter("tag", in: value) }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
