import Foundation

/// The one retry policy: how often to try, and how long to wait between
/// tries. Each client keeps its own rule for *what* may be retried (a create
/// that may have reached the server is never re-sent); this says only *when*.
///
/// The pause before retry `n` (0 for the first retry) is `base * 2^n`, capped
/// at `cap`, scaled by a random factor in `jitter` so that many clients do
/// not retry in step, and never shorter than the server's `Retry-After`
/// (itself capped at `retryAfterCap`, so a hostile server cannot park us).
public struct Backoff: Sendable, Equatable {
    /// How many tries in all, the first included.
    public var attempts: Int
    public var base: Double
    public var cap: Double
    public var jitter: ClosedRange<Double>
    public var retryAfterCap: Double

    public init(attempts: Int, base: Double, cap: Double, jitter: ClosedRange<Double>, retryAfterCap: Double = 60) {
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.jitter = jitter
        self.retryAfterCap = retryAfterCap
    }

    /// Whether the try numbered `attempt` (0 for the first) may be followed by another.
    public func allowsRetry(after attempt: Int) -> Bool { attempt < attempts - 1 }

    /// The pause before retry `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int, retryAfter: Double? = nil) -> Double {
        let exponential = min(base * pow(2, Double(retry)), cap) * Double.random(in: jitter)
        return max(retryAfter.map { min(max($0, 0), retryAfterCap) } ?? 0, exponential)
    }

    /// Sleeps for `seconds`, waking every 50 ms to ask `stop`, so that Ctrl-C
    /// is never held up by a pause.
    ///
    /// - Returns: false when `stop` said to stop before the time was up.
    public static func pause(_ seconds: Double, stop: () -> Bool = { false }) -> Bool {
        let wakeAt = Date().addingTimeInterval(seconds)
        while true {
            if stop() { return false }
            let left = wakeAt.timeIntervalSinceNow
            if left <= 0 { return true }
            Thread.sleep(forTimeInterval: min(0.05, left))
        }
    }
}
