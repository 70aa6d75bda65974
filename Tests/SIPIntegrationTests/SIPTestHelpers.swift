import Foundation
@testable import TandemTestSupport
import Testing

/// The numbers the suites route through the trunk.
enum Numbers {
    static let caller = "+15550000"
    /// sipp: 180, 200, waits for our BYE.
    static let answer = "+15550001"
    /// sipp: 180, 200, then its own BYE after a second.
    static let answerThenHangUp = "+15550002"
    /// sipp: 180 until cancelled.
    static let ring = "+15550003"
    /// sipp: 486.
    static let busy = "+15550004"
    /// baresip, answering at once and sending RTP.
    static let phone = "+15550005"
    /// sipp over TCP (the trunk forwards over TCP): 180, 200, waits for our BYE.
    static let answerOverTCP = "+15550006"
    /// No route: the trunk answers 404.
    static let unknown = "+15550404"
    /// Answered by the trunk itself, statelessly (the load-test number).
    static let stateless = "+15559999"

    /// Click-to-call: two baresip phones and a busy sipp.
    static let agent = "+15550031"
    static let endUser = "+15550032"
    static let busyEndUser = "+15550034"
}

/// What the call tests allow for timing on a loaded 2-core machine.
enum Limits {
    /// Our `--ring-timeout`.
    static let ringTimeout = 2
    /// The trunk's (tm fr_inv_timer): larger than ours, so that ours fires first unless a test
    /// lets the trunk's fire.
    static let trunkRingTimeout = 5
    /// RTP at 20 ms is 50 packets a second: a 2 s hold must carry more than this many each way.
    static let rtpPacketsIn2Seconds = 50
}

/// `tandem call` arguments for a call from `Numbers.caller` through 127.0.0.1:`trunkPort`, with
/// a short ring timeout and a bound on the call's length.
func callArguments(trunkPort: Int, to number: String, ringTimeout: Int = Limits.ringTimeout, _ extra: [String] = []) -> [String] {
    ["--trunk", "127.0.0.1:\(trunkPort)", "--from", Numbers.caller, "--to", number,
     "--ring-timeout", "\(ringTimeout)", "--max-duration", "20"] + extra
}

/// Checks what every `tandem call` run must print, whatever the outcome: only JSON object lines,
/// the last one `"event":"final"` with a status, sipCode (when present) an int, a reason and
/// a duration; every state line with a call SID `CA` + 32 hex digits (one per leg), a known leg
/// and status and an ISO 8601 time; a leg's final status line with reason and duration.
func expectWellFormed(_ result: TandemCall.Result, sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == result.events.count, "every stdout line is a JSON object:\n\(result)", sourceLocation: sourceLocation)
    guard let final = result.final else {
        Issue.record("the last line is not the final event:\n\(result)", sourceLocation: sourceLocation)
        return
    }
    #expect(result.events.filter { $0["event"] as? String == "final" }.count == 1, "one final line", sourceLocation: sourceLocation)
    #expect(TandemCall.finalStatuses.contains(final["status"] as? String ?? ""), "final status: \(final)", sourceLocation: sourceLocation)
    #expect(final["reason"] is String, "final reason: \(final)", sourceLocation: sourceLocation)
    #expect(final["duration"] is Int, "final duration: \(final)", sourceLocation: sourceLocation)
    if let code = final["sipCode"] { #expect(code is Int, "final sipCode: \(final)", sourceLocation: sourceLocation) }

    let statuses: Set<String> = ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"]
    var sids: [String: String] = [:]
    for state in result.states() {
        let leg = state["leg"] as? String ?? ""
        let sid = state["call"] as? String ?? ""
        #expect(["to", "connect-to"].contains(leg), "leg of \(state)", sourceLocation: sourceLocation)
        #expect(isCallSID(sid), "call SID of \(state)", sourceLocation: sourceLocation)
        #expect(sids[leg, default: sid] == sid, "one call SID per leg: \(state)", sourceLocation: sourceLocation)
        sids[leg] = sid
        #expect(statuses.contains(state["status"] as? String ?? ""), "status of \(state)", sourceLocation: sourceLocation)
        #expect(isISO8601(state["time"] as? String ?? ""), "time of \(state)", sourceLocation: sourceLocation)
        if TandemCall.finalStatuses.contains(state["status"] as? String ?? "") {
            #expect(state["reason"] is String && state["duration"] is Int, "final leg line \(state)", sourceLocation: sourceLocation)
            if let code = state["sipCode"] { #expect(code is Int, "sipCode of \(state)", sourceLocation: sourceLocation) }
        }
    }
}

/// Checks the status sequence of an answered leg: starts queued or initiated, is in progress
/// before it completes, and ends completed.
func expectAnsweredThenCompleted(_ result: TandemCall.Result, leg: String = "to",
                                 sourceLocation: SourceLocation = #_sourceLocation) {
    let statuses = result.statuses(leg: leg)
    #expect(["queued", "initiated"].contains(statuses.first ?? ""), "\(leg) starts queued/initiated: \(statuses)",
            sourceLocation: sourceLocation)
    let progress = statuses.firstIndex(of: "in-progress")
    let completed = statuses.firstIndex(of: "completed")
    #expect(progress != nil && completed != nil && progress! < completed!, "\(leg): in-progress then completed: \(statuses)",
            sourceLocation: sourceLocation)
    #expect(statuses.last == "completed", "\(leg) ends completed: \(statuses)", sourceLocation: sourceLocation)
    #expect(statuses.filter { TandemCall.finalStatuses.contains($0) }.count == 1, "\(leg): one final status: \(statuses)",
            sourceLocation: sourceLocation)
}

func isCallSID(_ text: String) -> Bool {
    text.count == 34 && text.hasPrefix("CA") && text.dropFirst(2).allSatisfy { $0.isHexDigit }
}

func isISO8601(_ text: String) -> Bool {
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return plain.date(from: text) != nil || fractional.date(from: text) != nil
}

/// An SDP offer for `tandem call --sdp-file`: PCMU on 127.0.0.1:`port` (a socket the test reads).
func writeSDPOffer(port: Int) throws -> String {
    let sdp = ["v=0", "o=tandem-test 1 1 IN IP4 127.0.0.1", "s=tandem-test", "c=IN IP4 127.0.0.1", "t=0 0",
               "m=audio \(port) RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=ptime:20", "a=sendrecv", ""].joined(separator: "\r\n")
    let file = sipTemporaryDirectory("sdp").appendingPathComponent("offer.sdp").path
    try sdp.write(toFile: file, atomically: true, encoding: .utf8)
    return file
}

/// Waits (without blocking a cooperative thread) until `condition` holds, up to `seconds`.
func within(_ seconds: Int, _ condition: () -> Bool) async -> Bool {
    await eventually(timeout: .seconds(seconds)) { condition() }
}
