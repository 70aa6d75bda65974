internal import COSIP2

/// A sip: or sips: URI (RFC 3261 §19.1) read through osip2's URI parser.
///
/// osip2 stores the user part unescaped (`%2B1555` → `+1555`) and keeps user-part
/// parameters (`;npdi;rn=…`) inside it; `user` is what osip2 returns.
public struct SIPURI: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var user: String?
    public var host: String
    public var port: Int?
    /// URI parameters in order; a parameter without value (`lr`) maps to "".
    public var parameters: [(String, String)]

    public static func == (lhs: SIPURI, rhs: SIPURI) -> Bool {
        lhs.description == rhs.description
    }

    public init(scheme: String = "sip", user: String?, host: String, port: Int?, parameters: [(String, String)] = []) {
        self.scheme = scheme
        self.user = user
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// Parses `text` (an addr-spec, without angle brackets). Nil for anything osip2 refuses,
    /// for schemes other than sip/sips, for a missing host and for a port outside 1–65535.
    public init?(_ text: String) {
        SIPParser.ensureInitialised()
        var pointer: UnsafeMutablePointer<osip_uri_t>?
        guard osip_uri_init(&pointer) == 0, let uri = pointer else { return nil }
        defer { osip_uri_free(uri) }
        guard osip_uri_parse(uri, text) == 0 else { return nil }
        guard let scheme = uri.pointee.scheme.map({ String(cString: $0).lowercased() }), scheme == "sip" || scheme == "sips",
              let host = uri.pointee.host.map({ String(cString: $0) }), !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host
        self.user = uri.pointee.username.map { String(cString: $0) }
        if let portText = uri.pointee.port.map({ String(cString: $0) }), !portText.isEmpty {
            guard let port = Int(portText), (1...65535).contains(port) else { return nil }
            self.port = port
        } else {
            self.port = nil
        }
        var parameters: [(String, String)] = []
        var position: Int32 = 0
        while let element = osip_list_get(&uri.pointee.url_params, position) {
            let param = element.assumingMemoryBound(to: osip_uri_param_t.self).pointee
            if let name = param.gname {
                parameters.append((String(cString: name), param.gvalue.map { String(cString: $0) } ?? ""))
            }
            position += 1
        }
        self.parameters = parameters
    }

    public func parameter(_ name: String) -> String? {
        parameters.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The `transport` parameter, lower-cased, if any.
    public var transport: String? { parameter("transport")?.lowercased() }

    /// Loose routing (RFC 3261 §16.12.1): the `lr` parameter is present.
    public var isLooseRouter: Bool { parameter("lr") != nil }

    public var description: String {
        var text = scheme + ":"
        if let user { text += SIPURI.escapeUser(user) + "@" }
        text += host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port { text += ":\(port)" }
        for (name, value) in parameters { text += value.isEmpty ? ";\(name)" : ";\(name)=\(value)" }
        return text
    }

    /// Escapes what may not appear literally in a user part (RFC 3261 §25.1 `user`).
    static func escapeUser(_ user: String) -> String {
        if user.utf8.allSatisfy({ userAllowed[Int($0)] }) { return user }
        var out = ""
        for byte in user.utf8 {
            if userAllowed[Int(byte)] { out.unicodeScalars.append(UnicodeScalar(byte)) } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

/// Bytes allowed unescaped in a user part (RFC 3261 §25.1 `user`), by byte value.
private let userAllowed: [Bool] = {
    var table = [Bool](repeating: false, count: 256)
    for byte in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,;?/".utf8 { table[Int(byte)] = true }
    return table
}()

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
