// SIP — Tandem's voice side, built on libosip2 (message parser/serializer and the RFC 3261
// transaction layer), with SwiftNIO transports, digest authentication, dialogs, the call state
// machine and RFC 3725 third-party call control.
//
// Layers, bottom up: `SIPDatagramGuard` / `SIPStreamFraming` (bytes, before osip2 sees them),
// `SIPMessage` / `SIPURI` (values read out of osip2's parser), `SIPEndpoint` (NIO transports and
// osip2's transactions on one event loop, with Tandem's own transaction index), and
// `SIPUserAgent` (calls: `OutboundLeg`, `ThirdPartyCall`, inbound routing).

import Logging
import NIOConcurrencyHelpers
internal import COSIP2

/// One-time initialisation of osip2's header-parser tables.
///
/// `parser_init()` memsets and refills a global table: running it while another thread parses
/// corrupts or crashes those parses. `osip_init()` runs it too, but only the first time in a
/// process (libosip2 5.3 keeps a static flag: seen in its disassembly). So the one call goes
/// through a first `osip_init()`, made exactly once and before anything parses (Swift's lazy
/// globals are initialised once, thread-safely); every later `osip_init()` (one per
/// `SIPEndpoint`) then leaves the table alone, even while other threads parse.
public enum SIPParser {
    private static let initialised: Bool = {
        var first: UnsafeMutablePointer<osip_t>?
        if osip_init(&first) == 0, let first {
            // Only osip_init reads or writes the flag, so this instance can go at once.
            osip_release(first)
        } else {
            parser_init()
        }
        return true
    }()

    public static func ensureInitialised() {
        _ = initialised
    }

    /// Parses `text` with osip2 and returns the request method or the response status code,
    /// or `nil` when osip2 rejects the message. A probe of the osip2 link; use `SIPMessage`.
    public static func firstLineSummary(of text: String) -> String? {
        ensureInitialised()
        var message: UnsafeMutablePointer<osip_message_t>?
        guard osip_message_init(&message) == 0, let message else { return nil }
        defer { osip_message_free(message) }
        let bytes = Array(text.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                osip_message_parse(message, $0, buffer.count)
            }
        }
        guard status == 0 else { return nil }
        if cosip2_message_is_request(message) != 0, let method = message.pointee.sip_method {
            return String(cString: method)
        }
        return String(message.pointee.status_code)
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
