import NIOConcurrencyHelpers
import NIOCore

/// A token bucket rate limiter for one bind (messages per second), safe to share between tasks.
///
/// ``acquire()`` takes a token or sleeps until one is due. ``throttled()`` halves the current
/// rate (never below one message per second) when the SMSC pushes back; the rate then recovers
/// by 10 % of the configured rate per second without throttling.
public final class TokenBucket: Sendable {
    private struct State {
        var tokens: Double
        var rate: Double
        var last: NIODeadline
        var lastThrottle: NIODeadline
    }

    public let configuredRate: Double
    public let burst: Double
    private let state: NIOLockedValueBox<State>

    public init(rate: Double, burst: Int, now: NIODeadline = .now()) {
        configuredRate = rate
        self.burst = Double(max(1, burst))
        state = NIOLockedValueBox(State(tokens: Double(max(1, burst)), rate: rate, last: now, lastThrottle: now))
    }

    /// The rate currently allowed, in messages per second.
    public var currentRate: Double { state.withLockedValue { $0.rate } }

    /// Takes one token now if there is one; otherwise how long to wait before trying again.
    public func tryAcquire(now: NIODeadline = .now()) -> TimeAmount? {
        state.withLockedValue { state in
            let elapsed = Double((now - state.last).nanoseconds) / 1e9
            if elapsed > 0 {
                let sinceThrottle = Double((now - state.lastThrottle).nanoseconds) / 1e9
                if state.rate < configuredRate, sinceThrottle > 1 {
                    state.rate = min(configuredRate, state.rate + configuredRate * 0.1 * elapsed)
                }
                state.tokens = min(burst, state.tokens + elapsed * state.rate)
                state.last = now
            }
            if state.tokens >= 1 {
                state.tokens -= 1
                return nil
            }
            return .nanoseconds(Int64(((1 - state.tokens) / state.rate) * 1e9) + 1)
        }
    }

    /// Waits for a token.
    public func acquire() async throws {
        while let wait = tryAcquire() {
            try await Task.sleep(nanoseconds: UInt64(max(wait.nanoseconds, 1_000)))
        }
    }

    /// The SMSC throttled us: halve the rate and drop the tokens saved up.
    public func throttled(now: NIODeadline = .now()) {
        state.withLockedValue { state in
            state.rate = max(1, state.rate / 2)
            state.tokens = min(state.tokens, 0)
            state.lastThrottle = now
        }
    }
}
