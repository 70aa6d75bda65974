import Logging
import NIOConcurrencyHelpers
internal import COSIP2

/// Random identifiers for SIP: branches with the RFC 3261 magic cookie (§8.1.1.7), tags
/// (§19.3) and Call-IDs (§8.1.1.4).
public enum SIPIdentifiers {
    public static func branch() -> String { "z9hG4bK" + hex(12) }
    public static func tag() -> String { hex(8) }
    public static func callID(host: String) -> String { hex(16) + "@" + host }
    /// `bytes` random bytes from the system's generator as lower-case hex. Eight bytes per
    /// draw: one getrandom call per byte showed up as 6 % of a call-setup benchmark.
    public static func hex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(bytes * 2)
        var remaining = bytes
        while remaining > 0 {
            var word = generator.next()
            for _ in 0..<min(8, remaining) {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
            remaining -= 8
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
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

// MARK: - osip2 trace

/// osip2 prints a trace line on every parse error, to stdout unless told otherwise. These go
/// to the logger at debug level, at most `maximumPerSecond` per second (a flood of garbage
/// must not become a flood of logs).
enum SIPTraceSink {
    struct State {
        var logger: Logger?
        var second = 0
        var countThisSecond = 0
    }
    /// Written when endpoints are created and read from any endpoint's loop: under a lock
    /// (trace lines are rare and rate-limited, so the lock costs nothing that matters).
    static let state = NIOLockedValueBox(State())
    static let maximumPerSecond = 20

    static let sink: @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?) -> Void = { level, file, line, text in
        guard let text else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let logger: Logger? = SIPTraceSink.state.withLockedValue { state in
            let second = Int(now.tv_sec)
            if second != state.second {
                state.second = second
                state.countThisSecond = 0
            }
            state.countThisSecond += 1
            return state.countThisSecond <= SIPTraceSink.maximumPerSecond ? state.logger : nil
        }
        guard let logger else { return }
        let message = String(cString: text).trimmingCharacters(in: "\r\n ")
        let fileName = file.map { String(cString: $0) } ?? "?"
        logger.debug("osip2: \(message)", metadata: ["level": "\(level)", "at": "\(fileName):\(line)"])
    }
}

extension SIPParser {
    /// Sends osip2's trace lines to `logger` (rate-limited) instead of stdout. Called before
    /// any osip2 use; the last logger given wins.
    static func routeTrace(to logger: Logger) {
        SIPTraceSink.state.withLockedValue { $0.logger = logger }
        _ = traceInstalled
    }

    /// The C sink is installed once (osip2's trace settings are process-wide globals).
    private static let traceInstalled: Bool = {
        cosip2_install_trace_sink(SIPTraceSink.sink, 4)
        return true
    }()
}
