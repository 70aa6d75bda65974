/// The few SDP answers Tandem writes itself (RFC 3264). Tandem carries no media: when it
/// must answer an offer it did not ask for, it either declines the media or keeps it idle.
public enum SDPAnswer {
    /// The media lines (`m=`) of an SDP body: media, format list.
    static func mediaLines(of offer: [UInt8]) -> [(media: String, proto: String, formats: String)] {
        let text = String(decoding: offer, as: UTF8.self)
        var out: [(String, String, String)] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) where line.hasPrefix("m=") {
            let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4 else { continue }
            out.append((String(fields[0]), String(fields[2]), fields[3...].joined(separator: " ")))
        }
        return out
    }

    private static func header(host: String) -> String {
        let family = host.contains(":") ? "IP6" : "IP4"
        let id = SIPIdentifiers.hex(4)
        return "v=0\r\no=tandem \(UInt32(id, radix: 16) ?? 1) 1 IN \(family) \(host)\r\ns=-\r\nc=IN \(family) \(host)\r\nt=0 0\r\n"
    }

    /// Declines every stream of `offer`: one `m=` line per offered stream with port 0 (RFC 3264 §6).
    public static func rejecting(offer: [UInt8]) -> [UInt8] {
        var text = header(host: "0.0.0.0")
        for line in mediaLines(of: offer) { text += "m=\(line.media) 0 \(line.proto) \(line.formats.split(separator: " ").first ?? "0")\r\n" }
        return Array(text.utf8)
    }

    /// Accepts each stream with its first format but idle (`a=inactive`, RFC 3264 §6.1), on
    /// the discard port: the call stays up, no media flows to or from Tandem.
    public static func inactive(offer: [UInt8], host: String) -> [UInt8] {
        var text = header(host: host)
        for line in mediaLines(of: offer) {
            text += "m=\(line.media) 9 \(line.proto) \(line.formats.split(separator: " ").first ?? "0")\r\na=inactive\r\n"
        }
        return Array(text.utf8)
    }
}
