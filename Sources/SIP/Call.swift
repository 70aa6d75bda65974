import NIOCore

/// The status of a voice call, named as in the call API Tandem mirrors.
///
/// queued → initiated → ringing → in-progress → completed, or from initiated/ringing to
/// busy, no-answer, failed or canceled.
public enum CallStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case initiated
    case ringing
    case inProgress = "in-progress"
    case completed
    case busy
    case noAnswer = "no-answer"
    case failed
    case canceled

    public var isFinal: Bool {
        switch self {
        case .completed, .busy, .noAnswer, .failed, .canceled: return true
        case .queued, .initiated, .ringing, .inProgress: return false
        }
    }

    /// Whether a call may move from `self` to `next`.
    public func allows(_ next: CallStatus) -> Bool {
        switch (self, next) {
        case (.queued, .initiated), (.queued, .failed), (.queued, .canceled): return true
        case (.initiated, .ringing), (.initiated, .inProgress): return true
        case (.ringing, .inProgress): return true
        case (.initiated, _), (.ringing, _): return next.isFinal && next != .completed
        case (.inProgress, .completed), (.inProgress, .failed): return true
        default: return false
        }
    }

    /// The status a final non-2xx response to the INVITE gives a call (RFC 3261 §21):
    /// 486 Busy Here and 600 Busy Everywhere → busy; 408 Request Timeout, 480 Temporarily
    /// Unavailable and 487 Request Terminated → no-answer; 603 Decline → busy (the callee
    /// refused); anything else → failed. `canceledByUs` turns a 487 into canceled when the
    /// caller gave up (not the ring timeout).
    public static func forFinalResponse(_ status: Int, canceledByUs: Bool = false) -> CallStatus {
        switch status {
        case 200..<300: return .inProgress
        case 486, 600, 603: return .busy
        case 487: return canceledByUs ? .canceled : .noAnswer
        case 408, 480: return .noAnswer
        default: return .failed
        }
    }
}

/// One call leg as the bridge and the API see it: who, state, times, and how it ended.
public struct Call: Sendable, Equatable {
    /// `CA` + 32 hex digits.
    public var sid: String
    public var from: String
    public var to: String
    public var status: CallStatus
    public var createdAt: NIODeadline
    public var answeredAt: NIODeadline?
    public var endedAt: NIODeadline?
    /// Final SIP status of the INVITE (or of what ended the call), when there was one.
    public var sipCode: Int?
    /// Why the call ended, for people: the SIP reason phrase or Tandem's own explanation.
    public var reason: String?

    public init(sid: String = "CA" + SIPIdentifiers.hex(16), from: String, to: String, createdAt: NIODeadline = .now()) {
        self.sid = sid
        self.from = from
        self.to = to
        self.status = .queued
        self.createdAt = createdAt
    }

    /// Whole seconds between answer and end (0 for unanswered calls).
    public var duration: Int {
        guard let answeredAt else { return 0 }
        let end = endedAt ?? .now()
        return Int((end - answeredAt).nanoseconds / 1_000_000_000)
    }

    /// Moves to `next` if allowed; returns whether the status changed.
    @discardableResult
    public mutating func transition(to next: CallStatus, sipCode: Int? = nil, reason: String? = nil, at time: NIODeadline = .now()) -> Bool {
        guard status.allows(next) else { return false }
        status = next
        if next == .inProgress {
            answeredAt = time
            // The INVITE's final answer (2xx); a later BYE does not change it.
            if let sipCode { self.sipCode = sipCode }
        }
        if next.isFinal {
            endedAt = time
            if let sipCode { self.sipCode = sipCode }
            if let reason { self.reason = reason }
        }
        return true
    }
}

/// A state change of a call leg, as delivered to the bridge.
public struct CallEvent: Sendable {
    /// Which leg: `"to"` for a plain call or the agent of a click-to-call, `"connect-to"`
    /// for the end user of a click-to-call.
    public var leg: String
    public var call: Call
}
